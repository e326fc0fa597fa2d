"""Tokens (django-rest-knox): stored hashed, expiring, created and revoked by the user on
its own page or by an administrator, shown once; a reporting client reads with a token
only; ``make run`` prints a demo token, never in production."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_a_token_is_stored_only_as_a_hash(reporter):
    token, secret = AuthToken.objects.create(user=reporter)
    assert secret not in token.digest and len(token.digest) == 128
    assert bearer(secret).get("/api/v1/accounts/").status_code == 200


def test_an_expired_or_revoked_token_is_a_401(reporter):
    token, secret = AuthToken.objects.create(user=reporter, expiry=datetime.timedelta(days=1))
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - datetime.timedelta(1))
    response = bearer(secret).get("/api/v1/accounts/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    _token, other = AuthToken.objects.create(user=reporter)
    AuthToken.objects.filter(user=reporter).delete()
    assert bearer(other).get("/api/v1/accounts/").status_code == 401


def test_no_credentials_is_a_401_asking_for_a_token(client):
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_tokens_default_to_an_expiry(reporter):
    token, _secret = AuthToken.objects.create(user=reporter)
    assert token.expiry is not None and token.expiry > timezone.now()


def test_a_reporting_client_reads_but_never_acts(token_for, reporter, world):
    client = token_for(reporter)
    assert client.get("/api/v1/projects/").status_code == 200
    project = world["P_project"]
    response = client.post(f"/api/v1/projects/{project.pk}/actions/approve/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "reads only" in response.json()["detail"] or "只能读取" in response.json()["detail"]


def test_a_reporting_client_session_is_refused_on_the_api(client, reporter):
    client.force_login(reporter, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 403 and response.json()["code"] == "api_only"


def test_a_person_creates_a_token_shown_once_and_revokes_it(client_for, district_clerk):
    client = client_for(district_clerk)
    page = client.post(reverse("api_tokens"), {"days": "30"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    secret = page.context["secret"]
    assert secret and secret in page.content.decode()
    token = AuthToken.objects.get(user=district_clerk)
    assert abs(token.expiry - timezone.now() - datetime.timedelta(days=30)) < datetime.timedelta(
        minutes=1
    )
    again = client.get(reverse("api_tokens")).content.decode()
    assert secret not in again and token.digest[:16] in again
    assert bearer(secret).get("/api/v1/accounts/").status_code == 200
    client.post(reverse("api_tokens"), {"revoke": token.digest})
    assert not AuthToken.objects.exists()
    assert bearer(secret).get("/api/v1/accounts/").status_code == 401


def test_a_token_page_refuses_a_bad_lifetime_and_others_tokens(
    client_for, district_clerk, reporter
):
    token, _secret = AuthToken.objects.create(user=reporter)
    client = client_for(district_clerk)
    assert client.post(reverse("api_tokens"), {"days": "9999"}).context["secret"] is None
    client.post(reverse("api_tokens"), {"revoke": token.digest})
    assert AuthToken.objects.filter(pk=token.pk).exists()


def test_an_administrator_creates_a_token_in_the_admin_shown_once(client, reporter, bureau):
    from tests.factories import UserFactory

    admin = UserFactory(entity=bureau, is_superuser=True, is_staff=True, username="root")
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("admin:knox_authtoken_add"), {"user": reporter.pk, "days": "90"}, follow=True
    )
    assert response.status_code == 200
    # The message that shows the secret ends with it (64 hex characters).
    (secret,) = [
        found.group(0)
        for m in response.context["messages"]
        if (found := re.search(r"[0-9a-f]{64}$", str(m)))
    ]
    assert bearer(secret).get("/api/v1/accounts/").status_code == 200
    token = AuthToken.objects.get(user=reporter)
    assert token.expiry.date() == (timezone.now() + datetime.timedelta(days=90)).date()
    listing = client.get(reverse("admin:knox_authtoken_changelist")).content.decode()
    assert secret not in listing and token.digest[:16] in listing


def test_demo_token_is_printed_for_the_reporting_client_and_replaced_each_time(db, settings):
    from ledger.demo import load_demo_data

    load_demo_data()
    out = io.StringIO()
    call_command("demo_api_token", stdout=out)
    secret = out.getvalue().split("Token ")[1].split("'")[0]
    assert bearer(secret).get("/api/v1/accounts/").status_code == 200
    call_command("demo_api_token", stdout=io.StringIO())
    assert bearer(secret).get("/api/v1/accounts/").status_code == 401
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo_api_token")
