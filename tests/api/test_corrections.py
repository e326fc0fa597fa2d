"""Four-eyes corrections through the API: proposed with a reason by one person, approved —
and carried out — or rejected by another; never by the proposer."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from allocations import trades
from tests.factories import EVIDENCE_PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed_trade(district_clerk, municipal_approver, pudong):
    record = trades.record_trade(
        user=district_clerk,
        entity=pudong,
        direction="ACQUIRED",
        certificate_number="JY-R-1",
        counterparty="某公司",
        trade_date=datetime.date(2025, 3, 1),
        pollutant="COD",
        amount=Decimal("2"),
        evidence=SimpleUploadedFile("凭证.pdf", EVIDENCE_PDF),
    )
    return trades.confirm_trade(record=record, user=municipal_approver)


def test_a_trade_record_is_reversed_by_proposal_and_another_persons_approval(
    confirmed_trade, token_for, district_clerk, municipal_approver, other_district_clerk
):
    clerk = token_for(district_clerk)
    proposed = clerk.post(
        "/api/v1/corrections/",
        {"action": "reverse_trade_record", "record_id": confirmed_trade.pk, "reason": "录错"},
        format="json",
    )
    assert proposed.status_code == 201, proposed.content
    correction = proposed.json()
    assert (correction["status"], correction["reference_type"]) == (
        "PROPOSED",
        "allocations.traderecord",
    )
    # The proposer cannot decide it; another district's clerk does not even see it.
    refused = clerk.post(f"/api/v1/corrections/{correction['id']}/actions/approve/", {})
    assert refused.status_code == 403
    other = token_for(other_district_clerk).get(f"/api/v1/corrections/{correction['id']}/")
    assert other.status_code == 404
    approved = token_for(municipal_approver).post(
        f"/api/v1/corrections/{correction['id']}/actions/approve/", {}, format="json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "APPROVED"
    (account,) = clerk.get("/api/v1/accounts/?pollutant=COD").json()["results"]
    assert account["balance"] == "0.000"
    reversal = clerk.get("/api/v1/transactions/?kind=REVERSAL").json()["results"]
    assert len(reversal) == 1


def test_a_correction_needs_a_reason_and_an_existing_record(
    confirmed_trade, token_for, district_clerk
):
    clerk = token_for(district_clerk)
    no_reason = clerk.post(
        "/api/v1/corrections/",
        {"action": "reverse_trade_record", "record_id": confirmed_trade.pk, "reason": " "},
        format="json",
    )
    assert no_reason.status_code == 400
    missing = clerk.post(
        "/api/v1/corrections/",
        {"action": "reverse_trade_record", "record_id": 999999, "reason": "x"},
        format="json",
    )
    assert missing.status_code == 404
    unknown = clerk.post(
        "/api/v1/corrections/", {"action": "undo_everything", "record_id": 1, "reason": "x"}
    )
    assert list(unknown.json()["errors"]) == ["action"]
