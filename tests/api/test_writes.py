"""Write endpoints: the browser's services behind every action, Idempotency-Key replay and
conflict, and one error shape for 400, 403, 404, 409 and 422."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from allocations.models import ConstructionProject, TradeRecord
from ledger.models import Role, Transaction
from reductions.models import Project, Review
from tests.factories import EVIDENCE_PDF, VALID_CREDIT_CODE, fund

pytestmark = pytest.mark.django_db


def draft(**overrides) -> dict:
    data = {
        "name": "接口录入的减排项目",
        "enterprise_name": "上海示例化工有限公司",
        "credit_code": VALID_CREDIT_CODE,
        "industry": "26",
        "project_type": "W_STRUCTURE",
        "measure": "污水深度处理改造",
        "plan_period": "14FYP",
        "accounting_year": 2025,
        "completion_date": "2025-06-30",
        "amounts": {"COD": "0.050"},
    }
    data.update(overrides)
    return data


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:400]
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["detail"]
    return body


def test_a_district_system_enters_submits_and_its_approver_certifies_a_micro_project(
    token_for, district_clerk, district_approver, pudong
):
    clerk = token_for(district_clerk)
    created = clerk.post("/api/v1/projects/", draft(), format="json")
    assert created.status_code == 201, created.content
    project = created.json()
    assert (project["status"], project["tier"], project["owner_code"]) == (
        "DRAFT",
        "MICRO",
        "310115",
    )
    assert project["accounting_method"] == "NATIONAL_KEY"
    edited = clerk.patch(
        f"/api/v1/projects/{project['id']}/", {"name": "改名后的项目"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["name"] == "改名后的项目"
    submitted = clerk.post(f"/api/v1/projects/{project['id']}/actions/submit/", {}, format="json")
    assert submitted.json()["status"] == "SUBMITTED"
    certified = token_for(district_approver).post(
        f"/api/v1/projects/{project['id']}/actions/approve/", {"comment": "同意"}, format="json"
    )
    assert certified.status_code == 200, certified.content
    assert certified.json()["status"] == "CERTIFIED"
    assert [r["action"] for r in certified.json()["reviews"]] == [
        "create",
        "edit",
        "submit",
        "approve",
    ]
    (account,) = clerk.get("/api/v1/accounts/?pollutant=COD").json()["results"]
    assert account["balance"] == "0.050"
    credits = clerk.get("/api/v1/transactions/?kind=MICRO_CREDIT&reference_type=reductions.project")
    assert len(credits.json()["results"]) == 1


def test_a_project_with_bad_input_answers_field_by_field(token_for, district_clerk):
    response = token_for(district_clerk).post(
        "/api/v1/projects/",
        draft(credit_code="123", project_type="NOPE", amounts={"SO2": "1"}),
        format="json",
    )
    body = error_of(response, 400, "invalid")
    assert {"project_type", "amounts"} <= set(body["errors"])
    refused = token_for(district_clerk).post(
        "/api/v1/projects/", draft(credit_code="123"), format="json"
    )
    assert "credit_code" in error_of(refused, 400, "project_invalid")["errors"]


def test_evidence_is_uploaded_and_checked_by_its_bytes(token_for, district_clerk):
    client = token_for(district_clerk)
    project = client.post("/api/v1/projects/", draft(), format="json").json()
    url = f"/api/v1/projects/{project['id']}/evidence/"
    good = client.post(url, {"file": SimpleUploadedFile("报告.pdf", EVIDENCE_PDF)})
    assert good.status_code == 201
    fake = client.post(url, {"file": SimpleUploadedFile("报告.pdf", b"MZ not a pdf")})
    error_of(fake, 400, "attachment_type_mismatch")


def test_a_state_conflict_is_a_409_and_maker_checker_a_403(
    token_for, district_clerk, district_approver, make_user, pudong
):
    from tests.factories import make_project

    project = make_project(district_clerk, amounts={"COD": "0.05"})
    clerk = token_for(district_clerk)
    error_of(
        clerk.post(f"/api/v1/projects/{project.pk}/actions/submit/", {}, format="json"),
        409,
        "transition_not_allowed",
    )
    both = make_user(None, pudong, username="both")
    from ledger import services as ledger_services

    ledger_services.set_roles(user=both, roles=[Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER])
    own = make_project(both, amounts={"COD": "0.05"})
    error_of(
        token_for(both).post(f"/api/v1/projects/{own.pk}/actions/approve/", {}, format="json"),
        403,
        "maker_checker",
    )
    error_of(
        clerk.post(f"/api/v1/projects/{project.pk}/actions/teleport/", {}, format="json"),
        404,
        "not_found",
    )


def test_idempotency_key_replays_the_first_response_and_refuses_another_body(
    token_for, district_clerk
):
    client = token_for(district_clerk)
    headers = {"Idempotency-Key": "district-system-42"}
    first = client.post("/api/v1/projects/", draft(), format="json", headers=headers)
    again = client.post("/api/v1/projects/", draft(), format="json", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Project.objects.count() == 1
    other = client.post("/api/v1/projects/", draft(name="另一个"), format="json", headers=headers)
    error_of(other, 409, "idempotency_key_reused")
    elsewhere = client.post(
        f"/api/v1/projects/{first.json()['id']}/actions/submit/", {}, headers=headers
    )
    error_of(elsewhere, 409, "idempotency_key_reused")
    bad = client.post("/api/v1/projects/", draft(), format="json", headers={"Idempotency-Key": ""})
    assert "Idempotency-Key" in error_of(bad, 400, "invalid")["errors"]


def test_a_replayed_action_acts_once_and_a_refusal_may_be_retried(
    token_for, district_clerk, district_approver
):
    from tests.factories import make_project

    project = make_project(district_clerk, amounts={"COD": "0.05"})
    approver = token_for(district_approver)
    url = f"/api/v1/projects/{project.pk}/actions/approve/"
    headers = {"Idempotency-Key": "approve-1"}
    first = approver.post(url, {}, format="json", headers=headers)
    second = approver.post(url, {}, format="json", headers=headers)
    assert first.status_code == second.status_code == 200
    assert Review.objects.filter(project=project, action="approve").count() == 1
    assert Transaction.objects.filter(kind="MICRO_CREDIT").count() == 1
    # A refusal changed nothing and is not kept: the same key may be sent again.
    retry = {"Idempotency-Key": "submit-1"}
    error_of(approver.post(url, {}, format="json", headers=retry), 409, "transition_not_allowed")
    error_of(approver.post(url, {}, format="json", headers=retry), 409, "transition_not_allowed")


def test_a_district_records_a_trade_and_a_municipal_approver_confirms_it(
    token_for, district_clerk, municipal_approver
):
    clerk = token_for(district_clerk)
    created = clerk.post(
        "/api/v1/trade-records/",
        {
            "direction": "ACQUIRED",
            "certificate_number": "JY-2025-001",
            "counterparty": "某化工公司",
            "trade_date": "2025-03-01",
            "pollutant": "NOX",
            "amount": "1.5",
            "evidence": SimpleUploadedFile("合同.pdf", EVIDENCE_PDF),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    record = created.json()
    assert (record["entity_code"], record["amount"], record["status"]) == (
        "310115",
        "1.500",
        "PROPOSED",
    )
    confirmed = token_for(municipal_approver).post(
        f"/api/v1/trade-records/{record['id']}/actions/confirm/", {}, format="json"
    )
    assert confirmed.json()["status"] == "CONFIRMED" and confirmed.json()["transaction"]
    (account,) = clerk.get("/api/v1/accounts/?pollutant=NOX").json()["results"]
    assert account["balance"] == "1.500"
    assert TradeRecord.objects.get().status == "CONFIRMED"


def test_selling_more_than_available_is_a_422_with_the_figures(
    token_for, district_clerk, municipal_clerk, pudong
):
    fund(pudong, "COD", "1", user=municipal_clerk)
    response = token_for(district_clerk).post(
        "/api/v1/trade-records/",
        {
            "direction": "SOLD",
            "certificate_number": "JY-2025-002",
            "counterparty": "某公司",
            "trade_date": "2025-03-01",
            "pollutant": "COD",
            "amount": "3",
            "evidence": SimpleUploadedFile("合同.pdf", EVIDENCE_PDF),
        },
        format="multipart",
    )
    assert "1.000" in error_of(response, 422, "insufficient_quota")["detail"]


def test_a_construction_request_holds_quota_and_approval_uses_it(
    token_for, district_clerk, district_approver, municipal_clerk, pudong
):
    fund(pudong, "NOX", "5", user=municipal_clerk)
    clerk = token_for(district_clerk)
    created = clerk.post(
        "/api/v1/construction-projects/",
        {
            "name": "新建涂装线",
            "builder": "上海某制造有限公司",
            "eia_number": "沪环评〔2026〕9号",
            "industry": "36",
            "area_status": "ATTAINMENT",
            "emissions": {"NOX": "2"},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    too_much = clerk.post(
        f"/api/v1/construction-projects/{pk}/actions/request/",
        {"draws": [{"entity": "310115", "pollutant": "NOX", "emission": "9"}]},
        format="json",
    )
    assert too_much.status_code in (400, 422)
    requested = clerk.post(
        f"/api/v1/construction-projects/{pk}/actions/request/",
        {"draws": [{"entity": "310115", "pollutant": "NOX", "emission": "2"}]},
        format="json",
    )
    assert requested.status_code == 200, requested.content
    assert requested.json()["status"] == "REQUESTED"
    assert requested.json()["draws"][0]["hold_status"] == "ACTIVE"
    (held,) = clerk.get("/api/v1/accounts/?pollutant=NOX").json()["results"]
    assert (held["held"], held["available"]) == ("2.000", "3.000")
    approved = token_for(district_approver).post(
        f"/api/v1/construction-projects/{pk}/actions/approve/", {}, format="json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "APPROVED"
    assert ConstructionProject.objects.get().status == "APPROVED"
    (used,) = clerk.get("/api/v1/accounts/?pollutant=NOX").json()["results"]
    assert (used["balance"], used["held"]) == ("3.000", "0.000")


def test_a_round_is_drafted_submitted_and_approved_by_another_person(
    token_for,
    municipal_clerk,
    municipal_approver,
    district_clerk,
    district_approver,
    pudong,
):
    from django.utils import timezone

    from allocations import services as allocation_services
    from reductions import services as reduction_services
    from reductions.models import PlanPeriod
    from tests.factories import make_project

    period = PlanPeriod.objects.get(code="14FYP")
    allocation_services.set_target(
        entity=pudong,
        plan_period=period,
        pollutant="COD",
        amount="1",
        reason="规划",
        user=municipal_clerk,
    )
    project = make_project(district_clerk, code="W_URBAN_SEWAGE", amounts={"COD": "3"})
    act = reduction_services.act
    project = act(project=project, user=district_approver, action="approve")
    project = act(project=project, user=municipal_approver, action="approve")
    act(
        project=project,
        user=municipal_clerk,
        action="approve",
        document_number="环办减排〔2026〕1号",
        document_date=timezone.localdate() - datetime.timedelta(days=30),
    )
    clerk = token_for(municipal_clerk)
    drafted = clerk.post(
        "/api/v1/rounds/",
        {"plan_period": "14FYP", "as_of": timezone.localdate().isoformat()},
        format="json",
    )
    assert drafted.status_code == 201, drafted.content
    round_ = drafted.json()
    (line,) = round_["lines"]
    assert (line["entity_code"], line["kind"], line["proposed"]) == (
        "310115",
        "ALLOCATION",
        "2.000",
    )
    lowered = clerk.post(
        f"/api/v1/rounds/{round_['id']}/adjust/",
        {"line": line["id"], "amount": "1.5", "reason": "留存"},
        format="json",
    )
    assert lowered.json()["lines"][0]["amount"] == "1.500"
    clerk.post(f"/api/v1/rounds/{round_['id']}/actions/submit/", {}, format="json")
    error_of(
        clerk.post(f"/api/v1/rounds/{round_['id']}/actions/approve/", {}, format="json"),
        403,
        "forbidden",
    )
    approved = token_for(municipal_approver).post(
        f"/api/v1/rounds/{round_['id']}/actions/approve/", {}, format="json"
    )
    assert approved.json()["status"] == "APPROVED" and approved.json()["lines"][0]["transaction"]
    balances = token_for(district_clerk).get("/api/v1/accounts/?pollutant=COD").json()
    assert balances["results"][0]["balance"] == "1.500"


def test_a_package_bundle_is_filed_confirmed_and_certified(
    token_for, district_clerk, district_approver, municipal_approver
):
    from reductions import services as reduction_services
    from tests.factories import make_project

    project = make_project(district_clerk, amounts={"COD": "2"})
    assert project.tier == "PACKAGE"
    reduction_services.act(project=project, user=district_approver, action="approve")
    clerk = token_for(district_clerk)
    (bundle,) = clerk.get("/api/v1/bundles/").json()
    assert bundle["projects"] == [project.pk] and bundle["totals"] == {"COD": "2.000"}
    filed = clerk.post(
        "/api/v1/bundles/file/",
        {"bundle_key": bundle["key"], "filing_number": "GJ-2025-7", "filing_date": "2025-08-01"},
        format="json",
    )
    assert filed.status_code == 201, filed.content
    filing = filed.json()
    assert filing["status"] == "PENDING" and filing["items"][0]["project"] == project.pk
    confirmed = token_for(district_approver).post(
        f"/api/v1/filings/{filing['id']}/actions/confirm/", {}, format="json"
    )
    assert confirmed.json()["status"] == "FILED"
    certified = token_for(municipal_approver).post(
        f"/api/v1/filings/{filing['id']}/actions/certify/", {}, format="json"
    )
    assert certified.status_code == 200, certified.content
    assert Project.objects.get().status == "CERTIFIED"


ROLES = [None, *Role]


@pytest.mark.parametrize("role", ROLES, ids=[str(r) for r in ROLES])
def test_a_review_action_answers_each_role_as_the_permission_module_says(
    role, world, make_user, token_for, pudong, bureau, enterprise
):
    entity = {
        Role.DISTRICT_CLERK: pudong,
        Role.DISTRICT_APPROVER: pudong,
        Role.ENTERPRISE_USER: enterprise,
    }.get(role, bureau)
    client = token_for(make_user(role, entity))
    project = world["P_project"]
    response = client.post(f"/api/v1/projects/{project.pk}/actions/approve/", {}, format="json")
    if role == Role.DISTRICT_APPROVER:
        assert response.status_code == 200 and response.json()["status"] == "DISTRICT_REVIEWED"
    elif role is None or role == Role.REPORTING_CLIENT:
        error_of(response, 403, "permission_denied")
    elif role == Role.ENTERPRISE_USER:
        error_of(response, 404, "not_found")
    else:
        # Sees the project, but the waiting step is not this role's.
        assert response.status_code in (403, 409), response.content
        assert response.json()["code"] in ("transition_not_allowed", "maker_checker", "forbidden")
        assert Project.objects.get(pk=project.pk).status == "SUBMITTED"
