"""What a tester found: every failure under /api/ is the API's JSON error shape, a refusal
because of who the user is is a 403 (a state conflict stays a 409), a record the user may not
see is a 404, and free text is bounded."""

import pytest

from ledger.models import Entry, Transaction
from tests.api.test_writes import draft, error_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/nope/", "/api/v1/projects/5/actions/Submit/", "/api/nothing"]
)
def test_an_unmatched_api_url_is_a_json_404(path, token_for, district_clerk):
    error_of(token_for(district_clerk).post(path, {}, format="json"), 404, "not_found")
    error_of(token_for(district_clerk).get(path), 404, "not_found")


def test_a_page_outside_the_api_keeps_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "json" not in response["Content-Type"]


def test_a_request_body_over_the_limit_is_a_json_413(token_for, district_clerk, settings):
    body = draft(measure="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 400_000))
    response = token_for(district_clerk).post("/api/v1/projects/", body, format="json")
    error_of(response, 413, "request_too_large")


@pytest.mark.parametrize("resource", ["projects", "holds", "rounds", "construction-projects"])
@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_updated_since_out_of_range_names_updated_since(
    resource, since, token_for, municipal_clerk
):
    response = token_for(municipal_clerk).get(f"/api/v1/{resource}/", {"updated_since": since})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert list(error_of(response, 400, "invalid")["errors"]) == ["updated_since"]


def test_an_auditor_creating_or_approving_a_project_is_a_403(token_for, auditor, district_clerk):
    from tests.factories import make_project

    project = make_project(district_clerk, amounts={"COD": "0.05"})
    client = token_for(auditor)
    created = client.post("/api/v1/projects/", draft(), format="json")
    assert created.status_code == 403, created.content
    assert created.json()["code"] in ("transition_not_allowed", "permission_denied")
    error_of(
        client.post(f"/api/v1/projects/{project.pk}/actions/approve/", {}, format="json"),
        403,
        "transition_not_allowed",
    )


def test_only_a_district_clerk_files_a_bundle_others_get_a_403(
    token_for, district_clerk, district_approver
):
    from reductions import services as reduction_services
    from tests.factories import make_project

    project = make_project(district_clerk, amounts={"COD": "2"})
    reduction_services.act(project=project, user=district_approver, action="approve")
    approver = token_for(district_approver)
    (bundle,) = approver.get("/api/v1/bundles/").json()
    refused = approver.post(
        "/api/v1/bundles/file/",
        {"bundle_key": bundle["key"], "filing_number": "GJ-2025-8", "filing_date": "2025-08-01"},
        format="json",
    )
    error_of(refused, 403, "transition_not_allowed")


def test_a_correction_of_a_record_the_user_may_not_see_is_a_404(
    world, token_for, district_clerk, xuhui
):
    other = Transaction.objects.filter(
        pk__in=Entry.objects.filter(account__entity=xuhui).values("transaction")
    ).first()
    assert other is not None
    response = token_for(district_clerk).post(
        "/api/v1/corrections/",
        {"action": "reverse_transaction", "record_id": other.pk, "reason": "x"},
        format="json",
    )
    error_of(response, 404, "not_found")


def test_the_browser_correction_page_of_a_record_the_user_may_not_see_is_a_404(
    world, client, district_clerk, xuhui
):
    other = Transaction.objects.filter(
        pk__in=Entry.objects.filter(account__entity=xuhui).values("transaction")
    ).first()
    client.force_login(district_clerk)
    from django.urls import reverse

    url = reverse("ledger:correction_new", args=["reverse_transaction", other.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("resource", ["progress", "bundles"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_progress_and_bundles_export(resource, fmt, world, token_for, municipal_clerk):
    response = token_for(municipal_clerk).get(f"/api/v1/{resource}/", {"format": fmt})
    assert response.status_code == 200, response.content[:300]
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        assert response["Content-Type"].startswith("text/csv")
        assert content.startswith("\ufeff".encode())
    else:
        assert content[:2] == b"PK"


def test_an_unknown_action_lists_plain_action_codes(token_for, district_clerk):
    from tests.factories import make_project

    project = make_project(district_clerk, amounts={"COD": "0.05"})
    response = token_for(district_clerk).post(
        f"/api/v1/projects/{project.pk}/actions/teleport/", {}, format="json"
    )
    detail = error_of(response, 404, "not_found")["detail"]
    assert "submit, withdraw, approve, return" in detail and "Action." not in detail


@pytest.mark.parametrize("field", ["measure", "name"])
def test_free_text_is_bounded_with_a_400_naming_the_field(field, token_for, district_clerk):
    response = token_for(district_clerk).post(
        "/api/v1/projects/", draft(**{field: "x" * 100_000}), format="json"
    )
    assert list(error_of(response, 400, "invalid")["errors"]) == [field]


def test_a_reporting_client_reads_lists_but_not_corrections(token_for, reporter):
    client = token_for(reporter)
    assert client.get("/api/v1/projects/").status_code == 200
    error_of(client.get("/api/v1/corrections/"), 403, "permission_denied")


def test_submitting_a_draft_of_another_entity_is_a_403_a_submitted_one_a_409(
    token_for, district_clerk, auditor
):
    from tests.factories import make_project

    submitted = make_project(district_clerk, amounts={"COD": "0.05"})
    created = token_for(district_clerk).post("/api/v1/projects/", draft(), format="json")
    url = f"/api/v1/projects/{created.json()['id']}/actions/submit/"
    error_of(token_for(auditor).post(url, {}, format="json"), 403, "transition_not_allowed")
    error_of(
        token_for(district_clerk).post(
            f"/api/v1/projects/{submitted.pk}/actions/submit/", {}, format="json"
        ),
        409,
        "transition_not_allowed",
    )
