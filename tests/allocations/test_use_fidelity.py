"""Use by construction projects under the fidelity rules: enterprises use their own quota,
holds expire, the requester never approves, an approved use is corrected only by cancelling
it, and nothing a user can send gives a 500."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from allocations import services, tasks
from allocations.models import ConstructionProject, ConstructionStatus, HoldPolicy
from ledger import services as ledger_services
from ledger.models import Hold, Role, Transaction
from tests.factories import UserFactory, correct, fund

from .conftest import available, balance, construction

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(pudong, bureau, enterprise, municipal_clerk):
    fund(pudong, "NOX", "10", user=municipal_clerk)
    fund(bureau, "NOX", "10", user=municipal_clerk)
    fund(enterprise, "NOX", "3", user=municipal_clerk)


def test_enterprise_project_draws_its_own_ledger_and_the_reserve(
    client_for, enterprise, bureau, enterprise_user, municipal_approver, funded
):
    client = client_for(enterprise_user)
    form = client.get(reverse("allocations:construction_new"))
    assert form.status_code == 200
    assert form.context["form"]["owner"].value() == enterprise.pk  # defaults to its entity
    assert list(form.context["form"].fields["owner"].queryset) == [enterprise]
    response = client.post(
        reverse("allocations:construction_new"),
        {
            "name": "企业新建锅炉",
            "builder": enterprise.name_zh,
            "eia_number": "沪环评〔2026〕E1号",
            "owner": enterprise.pk,
            "industry": "44",
            "area_status": "ATTAINMENT",
            "emission_NOX": "5",
        },
    )
    project = ConstructionProject.objects.get()
    assert response.url == reverse("allocations:construction", args=[project.pk])
    page = client.get(response.url)
    text = page.content.decode()
    assert "各来源当前可用指标" in text
    labels = [f.label for f in page.context["form"]]
    assert any("现可用 3.000 吨" in label and enterprise.name_zh in label for label in labels)
    assert any("现可用 10.000 吨" in label for label in labels)
    client.post(response.url, {f"cover_NOX_{enterprise.pk}": "3", f"cover_NOX_{bureau.pk}": "2"})
    project.refresh_from_db()
    assert project.status == "REQUESTED" and project.requested_by == enterprise_user
    assert available(enterprise, "NOX") == 0 and available(bureau, "NOX") == D("8")
    approver = client_for(municipal_approver)
    approver.post(reverse("allocations:construction_act", args=[project.pk, "approve"]))
    project.refresh_from_db()
    assert project.status == "APPROVED"
    assert balance(enterprise, "NOX") == 0 and balance(bureau, "NOX") == D("8")
    uses = Transaction.objects.filter(kind="USE")
    assert uses.count() == 2
    assert {(t.reference_type.model, t.reference_id) for t in uses} == {
        ("constructionproject", str(project.pk))
    }
    assert {t.posted_by for t in uses} == {enterprise_user}


def test_an_enterprise_cannot_enter_projects_for_a_district(enterprise_user, pudong):
    with pytest.raises(services.AllocationForbidden):
        construction(enterprise_user, pudong)


def test_lines_wait_for_every_approver_before_anything_is_used(
    pudong, bureau, district_clerk, district_approver, municipal_approver, funded
):
    project = construction(district_clerk, pudong, NOX="3")
    services.request_use(
        project=project,
        user=district_clerk,
        lines=[(pudong, "NOX", D("1")), (bureau, "NOX", D("2"))],
    )
    services.approve_use(project=project, user=district_approver)
    project.refresh_from_db()
    assert project.status == "REQUESTED"
    assert not Transaction.objects.filter(kind="USE").exists()  # record and ledger agree
    assert services.may_decide_use(municipal_approver, project)
    assert not services.may_decide_use(district_approver, project)
    services.approve_use(project=project, user=municipal_approver)
    project.refresh_from_db()
    assert project.status == "APPROVED"
    assert Transaction.objects.filter(kind="USE").count() == 2
    assert {t.approved_by for t in Transaction.objects.filter(kind="USE")} == {
        district_approver,
        municipal_approver,
    }


def test_the_requester_cannot_approve_any_line_even_with_both_roles(
    client_for, pudong, district_clerk, make_user, funded
):
    project = construction(district_clerk, pudong)
    both = make_user(Role.DISTRICT_CLERK, pudong)
    ledger_services.set_roles(user=both, roles=[Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER])
    services.request_use(project=project, user=both, lines=[(pudong, "NOX", D("2"))])
    with pytest.raises(services.MakerCannotDecide):
        services.approve_use(project=project, user=both)
    client = client_for(both)
    assert not client.get(reverse("allocations:construction", args=[project.pk])).context[
        "may_decide"
    ]
    response = client.post(
        reverse("allocations:construction_act", args=[project.pk, "approve"]), follow=True
    )
    assert "您录入或申请了该项目，须由另一位审核人员决定。" in response.content.decode()
    project.refresh_from_db()
    assert project.status == "REQUESTED"


def test_superuser_without_roles_is_refused_clearly(
    client_for, superuser, pudong, district_clerk, funded
):
    project = construction(district_clerk, pudong)
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    with pytest.raises(services.AllocationForbidden, match="该申请不由您审批"):
        services.approve_use(project=project, user=superuser)
    with pytest.raises(services.AllocationForbidden):
        construction(superuser, pudong, eia="S-1")
    client = client_for(superuser)
    assert client.get(reverse("allocations:construction_new")).status_code == 403
    assert client.get(reverse("allocations:construction", args=[project.pk])).status_code == 404
    listing = client.get(reverse("allocations:constructions"))
    assert listing.status_code == 200 and len(listing.context["page"]) == 0
    response = client.post(reverse("allocations:construction_act", args=[project.pk, "approve"]))
    assert response.status_code == 404


def test_a_user_whose_roles_were_removed_sees_nothing(
    client_for, make_user, pudong, district_clerk
):
    project = construction(district_clerk, pudong)
    client = client_for(make_user(None, pudong))
    assert len(client.get(reverse("allocations:constructions")).context["page"]) == 0
    assert client.get(reverse("allocations:construction", args=[project.pk])).status_code == 404


# --- Holds expire -------------------------------------------------------------------------


def test_request_holds_until_the_policy_lifetime(pudong, district_clerk, funded):
    policy = HoldPolicy.objects.get()
    assert (policy.lifetime_days, policy.is_default) == (90, True)
    HoldPolicy.objects.create(
        effective_from=timezone.localdate() - datetime.timedelta(days=1), lifetime_days=30
    )
    before = timezone.now()
    project = construction(district_clerk, pudong)
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    project.refresh_from_db()
    hold = Hold.objects.get()
    assert hold.expires_at == project.expires_at
    assert before + datetime.timedelta(days=30) <= hold.expires_at
    assert hold.expires_at <= timezone.now() + datetime.timedelta(days=30)


def _expire(project):
    """Move the deadline into the past, as time passing would."""
    past = timezone.now() - datetime.timedelta(minutes=1)
    ConstructionProject.objects.filter(pk=project.pk).update(expires_at=past)
    Hold.objects.filter(status="ACTIVE").update(expires_at=past)


def test_beat_task_expires_the_request_releases_holds_and_tells_the_requester(
    client_for,
    pudong,
    bureau,
    district_clerk,
    district_approver,
    funded,
    django_capture_on_commit_callbacks,
):
    district_clerk.email = "clerk@pudong.example"
    district_clerk.save()
    project = construction(district_clerk, pudong, NOX="3")
    services.request_use(
        project=project,
        user=district_clerk,
        lines=[(pudong, "NOX", D("1")), (bureau, "NOX", D("2"))],
    )
    services.approve_use(project=project, user=district_approver)  # one line approved
    assert tasks.expire_use_requests() == 0  # not yet due
    _expire(project)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert tasks.expire_use_requests() == 1
    # The email goes out only once the expiry is committed (beside the inbox's invalidation).
    assert len([c for c in callbacks if "workflow_changed" not in c.__qualname__]) == 1
    project.refresh_from_db()
    assert project.status == ConstructionStatus.EXPIRED
    assert set(Hold.objects.values_list("status", flat=True)) == {"EXPIRED"}
    assert available(pudong, "NOX") == D("10") and available(bureau, "NOX") == D("10")
    assert not Transaction.objects.filter(kind="USE").exists()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["clerk@pudong.example"]
    assert message.subject == "指标预占已过期：新建涂装线"
    assert "已于" in message.body and "过期并释放" in message.body
    assert tasks.expire_use_requests() == 0  # once only
    page = client_for(district_clerk).get(reverse("allocations:construction", args=[project.pk]))
    assert "预占的指标已释放。请在下方重新申请。" in page.content.decode()
    assert page.context["may_request"]


def test_approving_an_expired_request_is_refused(
    client_for, pudong, district_clerk, district_approver, funded
):
    project = construction(district_clerk, pudong)
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    _expire(project)
    # Before the scheduled job has run…
    with pytest.raises(services.RequestExpired, match=r"该申请已于 .* 过期"):
        services.approve_use(project=project, user=district_approver)
    response = client_for(district_approver).post(
        reverse("allocations:construction_act", args=[project.pk, "approve"]), follow=True
    )
    assert "预占的指标已释放，不能使用。请重新申请指标。" in response.content.decode()
    assert not Transaction.objects.filter(kind="USE").exists()
    # …and after it.
    services.expire_requests()
    with pytest.raises(services.RequestExpired):
        services.approve_use(project=project, user=district_approver)


def test_an_expired_request_can_be_made_again(pudong, district_clerk, district_approver, funded):
    project = construction(district_clerk, pudong)
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    _expire(project)
    services.expire_requests()
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    services.approve_use(project=project, user=district_approver)
    project.refresh_from_db()
    assert (project.status, project.attempt) == ("APPROVED", 2)
    assert list(project.lines.values_list("attempt", "hold__status").order_by("attempt")) == [
        (1, "EXPIRED"),
        (2, "CONSUMED"),
    ]
    assert balance(pudong, "NOX") == D("8")


def test_hold_lifetime_is_edited_in_the_admin(client, superuser):
    client.force_login(superuser, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/admin/allocations/holdpolicy/add/",
        {"effective_from": "2026-01-01", "lifetime_days": "60", "note": "本局规定"},
    )
    assert response.status_code == 302
    assert HoldPolicy.objects.filter(lifetime_days=60).exists()


# --- Cancelling an approved use -------------------------------------------------------------


def test_cancelling_an_approved_use_returns_the_quota_and_shows_cancelled(
    client_for,
    pudong,
    bureau,
    district_clerk,
    district_approver,
    municipal_approver,
    second_approver,
    funded,
):
    project = construction(district_clerk, pudong, NOX="3")
    services.request_use(
        project=project,
        user=district_clerk,
        lines=[(pudong, "NOX", D("1")), (bureau, "NOX", D("2"))],
    )
    services.approve_use(project=project, user=district_approver)
    services.approve_use(project=project, user=municipal_approver)
    assert balance(pudong, "NOX") == D("9") and balance(bureau, "NOX") == D("8")
    use = Transaction.objects.filter(kind="USE").first()
    with pytest.raises(ledger_services.PostingOwned, match="撤销已批准的使用"):
        ledger_services.propose_correction(
            action="reverse_transaction", record=use, reason="x", user=municipal_approver
        )
    with pytest.raises(ledger_services.PostingOwned):
        ledger_services.reverse(
            original=use, reason="x", user=district_clerk, approver=municipal_approver
        )
    # The ledger page names the record and links to it; it offers no bare reversal.
    ledger_page = client_for(municipal_approver).get(reverse("ledger:transaction", args=[use.pk]))
    ledger_page = ledger_page.content.decode()
    assert reverse("allocations:construction", args=[project.pk]) in ledger_page
    assert "冲正该交易" not in ledger_page
    assert reverse("ledger:correction_new", args=["reverse_transaction", use.pk]) not in ledger_page
    clerk = client_for(district_clerk)
    url = reverse("allocations:construction", args=[project.pk])
    propose = reverse("ledger:correction_new", args=["cancel_use", project.pk])
    assert propose in clerk.get(url).content.decode()
    preview = clerk.get(propose).content.decode()
    assert "退还浦东新区 · NOx 1.000 吨" in preview
    clerk.post(propose, {"reason": "项目取消建设"})
    # A district approver cannot approve it: a line drew on the municipal reserve.
    from allocations.corrections import CANCEL_USE

    assert not CANCEL_USE.may_approve(district_approver, project)
    correction = project_correction(project)
    ledger_services.approve_correction(correction=correction, user=second_approver)
    project.refresh_from_db()
    assert project.status == ConstructionStatus.CANCELLED
    assert project.cancel_reason == "项目取消建设"
    assert balance(pudong, "NOX") == D("10") and balance(bureau, "NOX") == D("10")
    page = clerk.get(url).content.decode()
    assert "已撤销（使用已冲正）" in page and "项目取消建设" in page
    assert page.count("<td>已撤销</td>") == 2  # both lines


def project_correction(project):
    from ledger.models import Correction

    return Correction.objects.get(action="cancel_use", reference_id=str(project.pk))


def test_district_approver_cancels_a_use_of_its_own_ledger(
    pudong, district_clerk, district_approver, make_user, funded
):
    project = construction(district_clerk, pudong)
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    services.approve_use(project=project, user=district_approver)
    other_approver = make_user(Role.DISTRICT_APPROVER, pudong)
    correct("cancel_use", project, proposer=district_approver, approver=other_approver)
    project.refresh_from_db()
    assert project.status == "CANCELLED" and balance(pudong, "NOX") == D("10")


# --- Nothing a user sends gives a 500 -------------------------------------------------------


@pytest.mark.parametrize("length", [200])
def test_a_project_with_a_long_name_can_request_quota(
    client_for, pudong, district_clerk, district_approver, funded, length
):
    name = "很" * length
    project = construction(district_clerk, pudong, name=name, eia="E" * 100)
    response = client_for(district_clerk).post(
        reverse("allocations:construction", args=[project.pk]), {f"cover_NOX_{pudong.pk}": "2"}
    )
    assert response.status_code == 302
    services.approve_use(project=project, user=district_approver)
    hold = Hold.objects.get()
    assert len(hold.reason) <= 300 and len(hold.reference_text) <= 200
    assert len(hold.consumed_by.reference_text) <= 200


def test_over_long_comment_is_reported_not_dropped(
    client_for, pudong, district_clerk, district_approver, funded
):
    project = construction(district_clerk, pudong)
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    response = client_for(district_approver).post(
        reverse("allocations:construction_act", args=[project.pk, "approve"]),
        {"comment": "意" * 1001},
        follow=True,
    )
    assert "确保该变量包含不超过 1000 字符" in response.content.decode()
    project.refresh_from_db()
    assert project.status == "REQUESTED"


def test_construction_form_reports_bad_input(client_for, district_clerk, pudong, xuhui):
    client = client_for(district_clerk)
    data = {
        "name": "x" * 201,
        "builder": "y",
        "eia_number": "E-1",
        "owner": xuhui.pk,  # not the clerk's district: not offered
        "industry": "36",
        "area_status": "ATTAINMENT",
        "emission_NOX": "1",
    }
    page = client.post(reverse("allocations:construction_new"), data).content.decode()
    assert "确保该变量包含不超过 200 字符" in page and "选择一个有效的选项" in page
    assert not ConstructionProject.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/allocations/progress/a%00b/",
        "/allocations/construction/99999999999999999999/",
        "/allocations/trades/99999999999999999999/",
        "/allocations/reserve/99999999999999999999/evidence/",
        "/allocations/rounds/1/explode/",
    ],
)
def test_odd_paths_are_not_found_or_refused(client_for, municipal_approver, path):
    response = client_for(municipal_approver).get(path)
    # A NUL byte is refused before any view (a 400 that says so); the rest are not found.
    assert response.status_code in (400, 404, 405)


def test_odd_query_strings_are_explained(client_for, municipal_clerk):
    client = client_for(municipal_clerk)
    pages = ("allocations:overview", "allocations:constructions", "allocations:trades")
    for params in ({"as_of": "abc"}, {"plan_period": "x"}, {"waiting": "2"}, {"page": "-1"}):
        for page in (*pages, "allocations:reserve"):
            assert client.get(reverse(page), params).status_code == 200
    for params in ({"as_of": "a\x00b"}, {"plan_period": "1\x00"}, {"waiting": "\x00"}):
        for page in (*pages, "allocations:reserve"):
            response = client.get(reverse(page), params)
            assert response.status_code == 400 and "空字符" in response.content.decode()


def test_an_approver_with_no_lines_of_the_request_cannot_approve(
    pudong, xuhui, district_clerk, make_user, funded
):
    project = construction(district_clerk, pudong)
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    xuhui_approver = make_user(Role.DISTRICT_APPROVER, xuhui)
    with pytest.raises(services.AllocationForbidden, match="该申请不由您审批"):
        services.approve_use(project=project, user=xuhui_approver)


def test_two_municipal_approvers_and_the_enterprise(enterprise, enterprise_user, bureau, funded):
    """A municipal enterprise's own line is decided by a municipal approver."""
    project = construction(enterprise_user, enterprise, NOX="1")
    services.request_use(project=project, user=enterprise_user, lines=[(enterprise, "NOX", D("1"))])
    approver = UserFactory(entity=bureau, roles=[Role.MUNICIPAL_APPROVER])
    services.approve_use(project=project, user=approver)
    project.refresh_from_db()
    assert project.status == "APPROVED" and balance(enterprise, "NOX") == D("2")
