"""Maker–checker over the whole path; users without roles and superusers without business
roles take no business action and see no project."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from ledger import services as ledger_services
from ledger.models import Role, Transaction
from reductions import bundles, services
from reductions.models import Project, Status
from reductions.selectors import queue, visible_projects
from tests.factories import UserFactory, attach_evidence, make_project, project_data

pytestmark = pytest.mark.django_db
EARLIER_STEP = "您已办理过该项目的前序环节（录入、修改、提交或审核），本环节须由其他人员办理。"


@pytest.fixture
def both_district_roles(make_user, pudong):
    user = make_user(Role.DISTRICT_CLERK, pudong, username="d_both")
    ledger_services.set_roles(user=user, roles=[Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER])
    return user


def test_who_submitted_another_clerks_micro_project_cannot_certify_it(
    client_for, district_clerk, both_district_roles, pudong
):
    """Seen: a user with both district roles submitted another clerk's MICRO project and
    certified it (credit posted)."""
    project = make_project(district_clerk, amounts={"COD": "0.05"}, submit=False)
    services.act(project=project, user=both_district_roles, action="submit")
    with pytest.raises(services.NotYourStep):
        services.act(project=project, user=both_district_roles, action="approve")
    client = client_for(both_district_roles)
    assert project not in queue(both_district_roles)
    assert not client.get(reverse("reductions:detail", args=[project.pk])).context["can_review"]
    response = client.post(reverse("reductions:act", args=[project.pk, "approve"]), follow=True)
    assert EARLIER_STEP in response.content.decode()
    response = client.post(reverse("reductions:queue"), {"project": [project.pk]}, follow=True)
    assert EARLIER_STEP in response.content.decode()
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED
    assert not Transaction.objects.exists()


def test_who_added_evidence_cannot_review(district_clerk, both_district_roles, pudong):
    project = make_project(district_clerk, amounts={"COD": "6"}, submit=False)
    attach_evidence(project, both_district_roles)
    services.act(project=project, user=district_clerk, action="submit")
    with pytest.raises(services.NotYourStep, match="前序环节"):
        services.act(project=project, user=both_district_roles, action="approve")
    assert project not in queue(both_district_roles)


def test_entering_and_editing_are_steps_in_the_history(
    district_clerk, both_district_roles, district_approver, pudong
):
    project = make_project(district_clerk, amounts={"COD": "0.05"})
    project = services.act(project=project, user=district_approver, action="return", comment="补充")
    services.save_project(
        user=both_district_roles,
        owner=pudong,
        data=project_data(),
        amounts={"COD": Decimal("0.06")},
        project=project,
    )
    history = list(project.reviews.values_list("action", "actor__username"))
    assert history == [
        ("create", "d_clerk"),
        ("submit", "d_clerk"),
        ("return", "d_approver"),
        ("edit", "d_both"),
    ]
    # The clerk edits last and submits: the earlier edit is still in the history.
    services.save_project(
        user=district_clerk,
        owner=pudong,
        data=project_data(),
        amounts={"COD": Decimal("0.07")},
        project=project,
    )
    services.act(project=project, user=district_clerk, action="submit")
    assert Project.objects.get(pk=project.pk).last_edited_by == district_clerk
    with pytest.raises(services.NotYourStep, match="前序环节"):
        services.act(project=project, user=both_district_roles, action="approve")
    # The approver who returned it may review the corrected project.
    services.act(project=project, user=district_approver, action="approve")
    project.refresh_from_db()
    assert project.status == Status.CERTIFIED


def test_a_municipal_user_with_both_roles_cannot_review_and_record_the_national_result(
    make_user, bureau, district_clerk, district_approver, municipal_clerk
):
    both = make_user(Role.MUNICIPAL_CLERK, bureau, username="m_both")
    ledger_services.set_roles(user=both, roles=[Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER])
    project = make_project(district_clerk, amounts={"COD": "6"})
    services.act(project=project, user=district_approver, action="approve")
    services.act(project=project, user=both, action="approve")
    with pytest.raises(services.NotYourStep, match="前序环节"):
        services.act(
            project=project,
            user=both,
            action="approve",
            document_number="N-1",
            document_date=datetime.date(2026, 1, 5),
        )
    assert project not in queue(both)
    project = services.act(
        project=project,
        user=municipal_clerk,
        action="approve",
        document_number="N-1",
        document_date=datetime.date(2026, 1, 5),
    )
    assert project.status == Status.CERTIFIED


def test_a_reviewer_may_take_the_same_step_again_after_a_return(
    district_clerk, district_approver, municipal_approver
):
    project = make_project(district_clerk, amounts={"COD": "6"})
    services.act(project=project, user=district_approver, action="approve")
    services.act(project=project, user=municipal_approver, action="return", comment="补充")
    services.act(project=project, user=district_clerk, action="submit")
    assert project in queue(district_approver)
    project = services.act(project=project, user=district_approver, action="approve")
    assert project.status == Status.DISTRICT_REVIEWED


def test_a_user_whose_roles_were_all_removed_sees_no_project_and_no_evidence(
    client_for, district_clerk, make_user, pudong
):
    former = make_user(Role.DISTRICT_CLERK, pudong, username="former")
    project = make_project(district_clerk, amounts={"COD": "2"})
    assert visible_projects(former).count() == 1
    ledger_services.set_roles(user=former, roles=[])
    former = type(former).objects.get(pk=former.pk)
    client = client_for(former)
    assert list(client.get(reverse("reductions:list")).context["page"].object_list) == []
    assert client.get(reverse("reductions:detail", args=[project.pk])).status_code == 403
    assert list(client.get(reverse("reductions:queue")).context["page"].object_list) == []
    assert client.get(reverse("reductions:bundles")).context["bundles"] == []
    assert client.get("/api/v1/projects/").status_code == 403


def test_a_superuser_without_business_roles_gets_a_clear_refusal_never_a_500(
    client, bureau, pudong, district_clerk, district_approver
):
    """Seen: approving a project as a superuser without roles was a 500 (StopIteration)."""
    admin = UserFactory(is_staff=True, is_superuser=True, entity=bureau, username="root")
    project = make_project(district_clerk, amounts={"COD": "0.05"})
    with pytest.raises(services.TransitionNotAllowed) as refused:
        services.act(project=project, user=admin, action="approve")
    assert refused.value.message == "这个审核步骤不是您的职责。"
    with pytest.raises(services.TransitionNotAllowed):
        services.save_project(
            user=admin, owner=pudong, data=project_data(), amounts={"COD": Decimal("1")}
        )
    with pytest.raises(services.TransitionNotAllowed):
        services.act(project=project, user=admin, action="withdraw")
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("reductions:act", args=[project.pk, "approve"]))
    assert response.status_code == 403
    assert list(client.get(reverse("reductions:list")).context["page"].object_list) == []
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED

    package = make_project(district_clerk, amounts={"COD": "2"})
    services.act(project=package, user=district_approver, action="approve")
    bundle = bundles.bundles(district_clerk)[0]
    with pytest.raises(services.TransitionNotAllowed):
        bundles.record_filing(
            user=admin, bundle=bundle, filing_number="X", filing_date=datetime.date(2025, 8, 1)
        )
