"""Issue 9 item 4: the reporting client uses API tokens only; it cannot sign in to pages."""

import pytest
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from ledger.models import Role

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
REFUSAL = "这是报送系统的接口账户：只能凭 API 令牌读取台账，不能登录网页。"


@pytest.fixture
def reporter(make_user, bureau):
    return make_user(Role.REPORTING_CLIENT, bureau, username="reporter", is_staff=True)


def test_reporting_client_cannot_log_in_to_the_pages(client, reporter):
    response = client.post(reverse("login"), {"username": "reporter", "password": PASSWORD})
    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_reporting_client_cannot_log_in_to_the_admin(client, reporter):
    response = client.post(reverse("admin:login"), {"username": "reporter", "password": PASSWORD})
    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_reporting_client_session_is_refused_and_ended(client, reporter):
    client.force_login(reporter, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("ledger:entity_list"))
    assert page.status_code == 403
    assert REFUSAL in page.content.decode()
    assert "_auth_user_id" not in client.session
    client.force_login(reporter, backend="django.contrib.auth.backends.ModelBackend")
    api = client.get("/api/v1/accounts/")
    assert api.status_code == 403 and api.json()["code"] == "api_only"


def test_reporting_client_reads_the_api_with_its_token(reporter):
    _token, secret = AuthToken.objects.create(user=reporter)
    response = Client().get("/api/v1/accounts/", headers={"Authorization": f"Token {secret}"})
    assert response.status_code == 200


def test_people_still_log_in(client, district_clerk):
    response = client.post(reverse("login"), {"username": "d_clerk", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
