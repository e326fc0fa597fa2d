import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from ledger import services as ledger_services
from ledger.models import Correction, Role, Transaction
from reductions import services
from reductions.models import Review, Status, Tier
from reductions.selectors import queue
from tests.factories import file_bundle, make_project, project_data

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def act(project, user, action, **kwargs):
    return services.act(project=project, user=user, action=action, **kwargs)


def balance(entity, pollutant):
    return ledger_services.entity_account(entity, pollutant).balance


def test_district_key_route_end_to_end(
    district_clerk, district_approver, municipal_approver, municipal_clerk
):
    project = make_project(district_clerk, amounts={"COD": "6"})
    assert (project.tier, project.status) == (Tier.KEY, Status.SUBMITTED)
    project = act(project, district_approver, "approve")
    assert project.status == Status.DISTRICT_REVIEWED
    project = act(project, municipal_approver, "approve", amounts={"COD": "5.500"})
    assert project.status == Status.MUNICIPAL_REVIEWED
    with pytest.raises(services.ProjectError, match="national document"):
        act(project, municipal_clerk, "approve")
    project = act(
        project,
        municipal_clerk,
        "approve",
        amounts={"COD": "5.2"},
        document_number="环办总量〔2026〕12号",
        document_date=datetime.date(2026, 5, 8),
    )
    assert project.status == Status.CERTIFIED
    assert project.amounts.get().certified == D("5.2")
    assert project.national_document == "环办总量〔2026〕12号"
    assert not Transaction.objects.exists()  # KEY surplus is allocated later, not credited
    steps = list(project.reviews.values_list("role", "action", "from_status", "to_status"))
    assert steps == [
        (Role.DISTRICT_CLERK, "create", "DRAFT", "DRAFT"),
        (Role.DISTRICT_CLERK, "submit", "DRAFT", "SUBMITTED"),
        (Role.DISTRICT_APPROVER, "approve", "SUBMITTED", "DISTRICT_REVIEWED"),
        (Role.MUNICIPAL_APPROVER, "approve", "DISTRICT_REVIEWED", "MUNICIPAL_REVIEWED"),
        (Role.MUNICIPAL_CLERK, "approve", "MUNICIPAL_REVIEWED", "CERTIFIED"),
    ]
    assert project.reviews.get(role=Role.MUNICIPAL_APPROVER).amounts == {"COD": "5.500"}


def test_district_package_route(district_clerk, district_approver, municipal_approver):
    project = make_project(district_clerk, amounts={"COD": "2"})
    assert project.tier == Tier.PACKAGE
    project = act(project, district_approver, "approve")
    with pytest.raises(services.TransitionNotAllowed, match="not yours"):
        act(project, district_approver, "approve")
    file_bundle(project, clerk=district_clerk, approver=district_approver)
    project = act(project, municipal_approver, "approve")
    assert project.status == Status.CERTIFIED


def test_district_micro_certification_posts_to_ledger_once(
    district_clerk, district_approver, pudong
):
    project = make_project(district_clerk, amounts={"COD": "0.08", "NH3N": "0.02"})
    assert project.tier == Tier.MICRO
    project = act(project, district_approver, "approve", amounts={"COD": "0.075"})
    assert project.status == Status.CERTIFIED
    assert balance(pudong, "COD") == D("0.075")
    assert balance(pudong, "NH3N") == D("0.02")
    credits = Transaction.objects.filter(kind="MICRO_CREDIT")
    assert credits.count() == 2
    with pytest.raises(services.TransitionNotAllowed):
        act(project, district_approver, "approve")  # a retry of the same request
    assert credits.count() == 2


def test_voc_management_posts_voc_credit(district_clerk, district_approver, pudong):
    project = make_project(district_clerk, code="VOC_MGMT_GENERIC", amounts={"VOCS": "30"})
    assert project.tier == Tier.VOC_MGMT
    act(project, district_approver, "approve")
    assert Transaction.objects.get().kind == "VOC_MGMT_CREDIT"
    assert balance(pudong, "VOCS") == D("30")


def test_enterprise_routes_go_to_the_municipal_bureau(
    enterprise_user, municipal_approver, municipal_clerk, enterprise
):
    micro = make_project(enterprise_user, amounts={"COD": "0.05"})
    assert [p.pk for p in queue(municipal_approver)] == [micro.pk]
    act(micro, municipal_approver, "approve")
    assert balance(enterprise, "COD") == D("0.05")
    key = make_project(enterprise_user, amounts={"COD": "9"})
    key = act(key, municipal_approver, "approve")
    assert key.status == Status.MUNICIPAL_REVIEWED
    key = act(
        key,
        municipal_clerk,
        "approve",
        document_number="X-1",
        document_date=datetime.date(2026, 1, 1),
    )
    assert key.status == Status.CERTIFIED


def test_returned_project_is_edited_resubmitted_and_retiered(district_clerk, district_approver):
    project = make_project(district_clerk, amounts={"COD": "2"})
    with pytest.raises(services.ProjectError, match="Say why"):
        act(project, district_approver, "return")
    project = act(project, district_approver, "return", comment="监测报告缺失")
    assert project.status == Status.RETURNED
    project = services.save_project(
        user=district_clerk,
        owner=project.owner,
        data=project_data(),
        amounts={"COD": D("7")},
        project=project,
    )
    assert project.tier == Tier.KEY
    project = act(project, district_clerk, "submit")
    assert project.status == Status.SUBMITTED
    assert Review.objects.filter(project=project, action="return").get().comment == "监测报告缺失"


def test_maker_checker(make_user, pudong, district_clerk):
    both = make_user(Role.DISTRICT_APPROVER, pudong)
    ledger_services.set_roles(user=both, roles=[Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER])
    project = make_project(both, amounts={"COD": "0.05"})
    with pytest.raises(services.TransitionNotAllowed, match="another person must review"):
        act(project, both, "approve")
    assert queue(both).count() == 0


def test_last_editor_cannot_review(make_user, pudong, district_clerk, district_approver):
    project = make_project(district_clerk, amounts={"COD": "2"})
    project = act(project, district_approver, "return", comment="fix")
    editor = make_user(Role.DISTRICT_CLERK, pudong)
    ledger_services.set_roles(user=editor, roles=[Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER])
    services.save_project(
        user=editor, owner=pudong, data=project_data(), amounts={"COD": D("2")}, project=project
    )
    act(project, editor, "submit")
    with pytest.raises(services.TransitionNotAllowed, match="another person"):
        act(project, editor, "approve")


def test_other_district_is_refused(district_clerk, other_district_clerk, make_user, xuhui):
    project = make_project(district_clerk, amounts={"COD": "2"})
    xuhui_approver = make_user(Role.DISTRICT_APPROVER, xuhui)
    with pytest.raises(services.TransitionNotAllowed):
        act(project, xuhui_approver, "approve")
    with pytest.raises(services.TransitionNotAllowed):
        services.save_project(
            user=other_district_clerk,
            owner=project.owner,
            data=project_data(),
            amounts={"COD": D("1")},
        )


def test_withdraw_only_before_review(district_clerk, district_approver):
    project = make_project(district_clerk, amounts={"COD": "2"})
    assert act(project, district_clerk, "withdraw").status == Status.WITHDRAWN
    other = make_project(district_clerk, amounts={"COD": "2"})
    act(other, district_approver, "approve")
    with pytest.raises(services.TransitionNotAllowed, match="before review"):
        act(other, district_clerk, "withdraw")


def test_revoke_reverses_the_credit_and_recertification_posts_again(
    district_clerk, district_approver, municipal_approver, municipal_clerk, pudong, make_user
):
    project = make_project(district_clerk, amounts={"COD": "0.09"})
    act(project, district_approver, "approve")
    assert balance(pudong, "COD") == D("0.09")
    with pytest.raises(ledger_services.FourEyesViolation):
        ledger_services.propose_correction(
            action="revoke_certification", record=project, reason="x", user=municipal_clerk
        )
    with pytest.raises(ledger_services.LedgerError, match="Say why"):
        ledger_services.propose_correction(
            action="revoke_certification", record=project, reason="", user=municipal_approver
        )
    # The level that certified it (the district approver) may propose; the municipal
    # approver, another person, approves.
    correction = ledger_services.propose_correction(
        action="revoke_certification", record=project, reason="重复申报", user=district_approver
    )
    project.refresh_from_db()
    assert project.status == Status.CERTIFIED and balance(pudong, "COD") == D("0.09")
    ledger_services.approve_correction(correction=correction, user=municipal_approver)
    project.refresh_from_db()
    assert project.status == Status.RETURNED
    assert balance(pudong, "COD") == 0
    reversal = Transaction.objects.get(kind="REVERSAL")
    assert (reversal.posted_by, reversal.approved_by) == (district_approver, municipal_approver)
    assert project.reviews.last().action == "revoke"
    act(project, district_clerk, "submit")
    act(project, make_user("DISTRICT_APPROVER", pudong), "approve")
    assert balance(pudong, "COD") == D("0.09")


def test_revoke_refused_naming_the_uses_when_the_credit_was_used(
    client_for, district_clerk, district_approver, municipal_approver, municipal_clerk, pudong
):
    project = make_project(district_clerk, amounts={"COD": "0.09"})
    act(project, district_approver, "approve")
    hold = ledger_services.place_hold(
        account=ledger_services.entity_account(pudong, "COD"),
        amount="0.05",
        user=municipal_clerk,
        reason="某建设项目（环评 2026-7）",
    )
    ledger_services.consume_hold(hold=hold, user=municipal_clerk, approver=municipal_approver)
    with pytest.raises(ledger_services.LedgerError, match="2026-7") as refused:
        ledger_services.propose_correction(
            action="revoke_certification", record=project, reason="x", user=municipal_approver
        )
    assert refused.value.code == "credit_used"
    project.refresh_from_db()
    assert project.status == Status.CERTIFIED and balance(pudong, "COD") == D("0.04")
    # Through the page: the refusal is shown, naming the use, never a 500; nothing is proposed.
    client = client_for(municipal_approver)
    propose = reverse("ledger:correction_new", args=["revoke_certification", project.pk])
    page = client.get(propose)
    assert page.status_code == 200 and "2026-7" in page.content.decode()
    response = client.post(propose, {"reason": "核定有误"})
    assert response.status_code == 200 and "2026-7" in response.content.decode()
    assert not Correction.objects.exists()


def test_a_micro_credit_is_corrected_only_through_its_project(
    district_clerk, district_approver, municipal_approver, pudong
):
    project = make_project(district_clerk, amounts={"COD": "0.09"})
    act(project, district_approver, "approve")
    credit = Transaction.objects.get(kind="MICRO_CREDIT")
    with pytest.raises(ledger_services.PostingOwned):
        ledger_services.propose_correction(
            action="reverse_transaction", record=credit, reason="x", user=municipal_approver
        )


def test_reviewer_may_not_raise_an_amount(district_clerk, district_approver):
    project = make_project(district_clerk, amounts={"COD": "0.05"})
    with pytest.raises(services.ProjectError, match="exceeds the claim"):
        act(project, district_approver, "approve", amounts={"COD": "0.06"})
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    ("amounts", "overrides", "field", "message"),
    [
        ({"COD": "-1"}, {}, "amount_COD", "must be positive"),
        ({"COD": "abc"}, {}, "amount_COD", "not a number"),
        ({"NOX": "1"}, {}, "amount_NOX", "not a pollutant of"),
        ({"COD": "1"}, {"credit_code": "91310000132200821A"}, "credit_code", "check digit"),
        ({"COD": "1"}, {"credit_code": "123"}, "credit_code", "18 characters"),
        ({}, {}, None, "at least one pollutant"),
        ({"COD": "1"}, {"accounting_year": 2027}, "accounting_year", "within"),
        ({"NOX": "1"}, {"code": "A_COAL_BOILER"}, "boiler_capacity", "needs this size"),
        ({"COD": "1"}, {"code": "W_LIVESTOCK", "new_large_scale_farm": True}, None, "excluded"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    district_clerk, pudong, amounts, overrides, field, message
):
    from reductions.models import Project

    code = overrides.pop("code", "W_STRUCTURE")
    with pytest.raises(services.ProjectError) as refused:
        services.save_project(
            user=district_clerk, owner=pudong, data=project_data(code, **overrides), amounts=amounts
        )
    assert message in refused.value.errors[field]
    assert not Project.objects.exists()


def test_fuel_type_needed_for_fuel_bundles(district_clerk, pudong):
    with pytest.raises(services.ProjectError) as refused:
        services.save_project(
            user=district_clerk,
            owner=pudong,
            data=project_data("A_CLEAN_ENERGY_SUB"),
            amounts={"NOX": D("1")},
        )
    assert "fuel type" in refused.value.errors["fuel_type"]


def test_notifications_reach_next_reviewers_and_the_maker_on_return(
    district_clerk, district_approver, municipal_approver, django_capture_on_commit_callbacks
):
    for user, email in (
        (district_clerk, "clerk@pd.example"),
        (district_approver, "appr@pd.example"),
        (municipal_approver, "m@sh.example"),
    ):
        user.email = email
        user.save()
    with django_capture_on_commit_callbacks(execute=True):
        project = make_project(district_clerk, amounts={"COD": "2"})
    assert [m.to for m in mail.outbox] == [["appr@pd.example"]]
    with django_capture_on_commit_callbacks(execute=True):
        act(project, district_approver, "approve")
    # A district-reviewed small package waits for its national filing: the clerks hear.
    assert mail.outbox[-1].to == ["clerk@pd.example"]
    file_bundle(project, clerk=district_clerk, approver=district_approver)
    with django_capture_on_commit_callbacks(execute=True):
        act(project, municipal_approver, "return", comment="补充材料")
    assert mail.outbox[-1].to == ["clerk@pd.example"]
    assert "退回" in mail.outbox[-1].subject or "returned" in mail.outbox[-1].subject


@pytest.mark.parametrize(
    ("amount", "tier", "district_steps", "enterprise_steps"),
    [
        ("0.100", Tier.MICRO, ["CERTIFIED"], ["CERTIFIED"]),
        ("0.101", Tier.PACKAGE, ["DISTRICT_REVIEWED", "CERTIFIED"], ["CERTIFIED"]),
        ("5.000", Tier.PACKAGE, ["DISTRICT_REVIEWED", "CERTIFIED"], ["CERTIFIED"]),
        (
            "5.001",
            Tier.KEY,
            ["DISTRICT_REVIEWED", "MUNICIPAL_REVIEWED", "CERTIFIED"],
            ["MUNICIPAL_REVIEWED", "CERTIFIED"],
        ),
    ],
)
def test_tier_at_the_bounds_and_the_route_for_both_owner_kinds(
    amount, tier, district_steps, enterprise_steps, district_clerk, enterprise_user
):
    from reductions.workflow import route

    district = make_project(district_clerk, amounts={"COD": amount}, submit=False)
    enterprise = make_project(enterprise_user, amounts={"COD": amount}, submit=False)
    assert district.tier == enterprise.tier == tier
    assert [s.target for s in route(district)] == district_steps
    assert [s.target for s in route(enterprise)] == enterprise_steps


def test_enterprise_package_is_certified_by_the_municipal_bureau(
    enterprise_user, municipal_approver, district_approver
):
    project = make_project(enterprise_user, amounts={"COD": "2"})
    with pytest.raises(services.TransitionNotAllowed):
        act(project, district_approver, "approve")
    assert act(project, municipal_approver, "approve").status == Status.CERTIFIED
    assert not Transaction.objects.exists()
