"""Throttling per token and one structured log line per API request."""

import json
import logging

import pytest

from quota_ledger.api.throttling import TokenRateThrottle

pytestmark = pytest.mark.django_db


def test_each_token_has_its_own_budget(monkeypatch, token_for, reporter, auditor):
    # Fresh tokens start with an empty budget (the counts may live in a shared Redis).
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "2/minute"})
    first, second = token_for(reporter), token_for(reporter)
    assert first.get("/api/v1/entities/").status_code == 200
    assert first.get("/api/v1/entities/").status_code == 200
    refused = first.get("/api/v1/entities/")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    # Another token of the same user, and another user's token, are not held back.
    assert second.get("/api/v1/entities/").status_code == 200
    assert token_for(auditor).get("/api/v1/entities/").status_code == 200


def test_every_api_request_is_one_json_log_line_with_user_and_token(token_for, reporter, caplog):
    client = token_for(reporter)
    with caplog.at_level(logging.INFO, logger="api.requests"):
        client.get("/api/v1/accounts/?pollutant=NOPE")
    (record,) = [r for r in caplog.records if r.name == "api.requests"]
    line = json.loads(record.getMessage())
    assert line["event"] == "api_request" and line["status"] == 400
    assert line["user"] == "reporter" and len(line["token_id"]) == 16
    assert "NOPE" not in record.getMessage()
