"""Issue 9 item 7: a refused request (403/404/400) is one log line, not two tracebacks."""

import io
import logging
from contextlib import contextmanager

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@contextmanager
def console_output(logger_name: str = "django.request"):
    """Everything the configured console handlers would print for ``logger_name``'s records
    (walking up the logger tree as logging does), collected in one buffer. pytest's own
    capture handlers are subclasses of StreamHandler and are left alone."""
    buffer = io.StringIO()
    swapped = []
    logger = logging.getLogger(logger_name)
    while logger is not None:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                swapped.append((handler, handler.setStream(buffer)))
        logger = logger.parent if logger.propagate else None
    try:
        yield buffer
    finally:
        for handler, stream in swapped:
            handler.setStream(stream)


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    # Django's default config adds a console handler to the "django" logger in DEBUG only:
    # that is where the second copy of every refusal came from.
    settings.DEBUG = request.param
    return request.param


def test_a_403_is_one_line_without_a_traceback(debug, client_for, district_clerk, caplog):
    client = client_for(district_clerk)
    with console_output() as output:
        response = client.get(reverse("ledger:entity_list"))
    assert response.status_code == 403
    lines = output.getvalue().splitlines()
    assert len(lines) == 1, output.getvalue()
    assert "Forbidden" in lines[0] and "/ledger/" in lines[0]
    assert "Traceback" not in output.getvalue()
    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert len(refusals) == 1 and refusals[0].status_code == 403


def test_a_404_is_one_line(client_for, district_clerk):
    client = client_for(district_clerk)
    with console_output() as output:
        response = client.get(reverse("ledger:entity", args=["nowhere"]))
    assert response.status_code == 404
    assert len(output.getvalue().splitlines()) == 1
    assert "Not Found" in output.getvalue() and "Traceback" not in output.getvalue()


def test_a_suspicious_400_is_one_line(client, settings):
    settings.ALLOWED_HOSTS = ["ledger.example"]
    with console_output("django.security.DisallowedHost") as output:
        response = client.get("/accounts/login/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert len(output.getvalue().splitlines()) == 1, output.getvalue()
    assert "Traceback" not in output.getvalue()


def test_a_server_error_keeps_its_traceback():
    from quota_ledger.log import OneLineRefusals

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("django.request", 40, __file__, 1, "x", (), sys.exc_info())
    record.status_code = 500
    assert OneLineRefusals().filter(record) and record.exc_info is not None
    record.status_code = 403
    assert OneLineRefusals().filter(record) and record.exc_info is None


def test_a_nul_byte_refusal_is_one_line(client):
    with console_output() as output:
        response = client.get("/ledger/entity/a%00b/")
    assert response.status_code == 400
    lines = output.getvalue().splitlines()
    assert len(lines) == 1 and "Bad Request" in lines[0], output.getvalue()
    assert "\x00" not in output.getvalue()
