"""The language choice follows the user (User.language), and selects' empty choice is in the
reader's language."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import make_project

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def sign_in(client, user):
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    return response


def test_language_choice_is_kept_on_the_user_and_applied_at_a_new_login(client, district_clerk):
    sign_in(client, district_clerk)
    assert "欢迎" in client.get("/").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    district_clerk.refresh_from_db()
    assert district_clerk.language == "en"
    assert "Welcome" in client.get("/").content.decode()

    # Another browser, without the cookie: Chinese until the user signs in, then English.
    other = Client()
    assert "登录" in other.get(reverse("login")).content.decode()
    response = sign_in(other, district_clerk)
    page = response.content.decode()
    assert "Welcome" in page and "欢迎" not in page
    assert other.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # Signed out, the login page stays in the user's language (the cookie followed).
    other.post(reverse("logout"))
    assert "Log in" in other.get(reverse("login")).content.decode()


def test_the_user_language_wins_over_the_browser_cookie(client, district_clerk):
    district_clerk.language = "zh-hans"
    district_clerk.save(update_fields=["language"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, district_clerk)
    assert "欢迎" in client.get("/").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Welcome" in client.get("/").content.decode()
    district_clerk.refresh_from_db()
    assert district_clerk.language == "en"


def test_unknown_language_is_not_stored_and_anonymous_switch_works(client, district_clerk):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    sign_in(client, district_clerk)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    district_clerk.refresh_from_db()
    assert district_clerk.language == ""


def test_empty_choice_of_a_select_is_in_the_readers_language(client_for, district_clerk):
    client = client_for(district_clerk)
    project = make_project(district_clerk, submit=False)
    for url in (reverse("reductions:new"), reverse("reductions:edit", args=[project.pk])):
        page = client.get(url).content.decode()
        assert "- 请选择 -" in page, url
        assert "Select an option" not in page, url
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "- Select an option -" in client.get(reverse("reductions:new")).content.decode()


def test_django_filter_empty_choice_is_translated():
    from django.utils import translation
    from django_filters.conf import settings as filter_settings

    with translation.override("zh-hans"):
        assert str(filter_settings.EMPTY_CHOICE_LABEL) == "- 请选择 -"
    with translation.override("en"):
        assert str(filter_settings.EMPTY_CHOICE_LABEL) == "- Select an option -"
