import pytest
from django.conf import settings
from django.urls import reverse

from ledger.demo import DEMO_PASSWORD, DEMO_USERS, load_demo_data
from ledger.models import Entity, Role
from ledger.services import RoleNotAllowed, set_roles

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_is_chinese_by_default_and_english_on_request(client):
    assert "登录" in client.get(reverse("login")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Log in" in client.get(reverse("login")).content.decode()


def test_each_demo_user_can_log_in_and_sees_their_entity(client):
    load_demo_data()
    for username, role, code in DEMO_USERS:
        client.logout()
        if role == Role.REPORTING_CLIENT:
            # API token only (issue 9): its password does not open the web pages.
            response = client.post(
                reverse("login"), {"username": username, "password": DEMO_PASSWORD}
            )
            assert "不能登录网页" in response.content.decode()
            assert not response.context["user"].is_authenticated
            continue
        response = client.post(
            reverse("login"), {"username": username, "password": DEMO_PASSWORD}, follow=True
        )
        page = response.content.decode()
        assert response.status_code == 200, username
        assert response.context["user"].is_authenticated, username
        assert Entity.objects.get(code=code).name_zh in page, username
        assert str(Role(role).label) in page, username


def test_demo_data_load_is_idempotent():
    load_demo_data()
    load_demo_data()
    assert Entity.objects.filter(is_demo=True).count() == 3


def test_home_greets_user_with_entity_and_role(client_for, district_clerk):
    page = client_for(district_clerk).get("/").content.decode()
    assert "欢迎" in page
    assert "浦东新区" in page
    assert "区经办" in page


def test_repeated_failed_logins_lock_the_account(client, district_clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "d_clerk", "password": "wrong"})
        assert response.status_code == 200
        assert "请输入一个正确的" in response.content.decode()
    response = client.post(reverse("login"), {"username": "d_clerk", "password": "wrong"})
    assert response.status_code == 429
    response = client.post(
        reverse("login"), {"username": "d_clerk", "password": "correct-horse-battery"}
    )
    assert response.status_code in (403, 429)
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_correct_password_before_the_limit_logs_in(client, district_clerk):
    client.post(reverse("login"), {"username": "d_clerk", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "d_clerk", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(district_clerk.pk)


def test_logout_and_password_change(client_for, district_clerk):
    client = client_for(district_clerk)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a-much-better-secret-42",
            "new_password2": "a-much-better-secret-42",
        },
    )
    assert response.status_code == 302
    district_clerk.refresh_from_db()
    assert district_clerk.check_password("a-much-better-secret-42")
    client.post(reverse("logout"))
    assert client.get("/").status_code == 302


def test_language_switch_to_english(client_for, district_clerk):
    client = client_for(district_clerk)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "Welcome" in page
    assert "District clerk" in page


@pytest.mark.parametrize(
    ("fixture", "visible", "hidden"),
    [
        (
            "district_clerk",
            ["我们的台账", "交易记录", "待我处理"],
            ["市级储备库", "调整", "后台管理"],
        ),
        ("enterprise_user", ["我们的台账", "交易记录", "建设项目"], ["市级储备库", "调整"]),
        ("municipal_clerk", ["台账", "交易记录", "市级储备库", "调整", "待我处理"], ["后台管理"]),
        ("municipal_approver", ["台账", "待我处理"], ["后台管理"]),
        # An auditor decides nothing: no inbox.
        ("auditor", ["台账", "调整", "交易记录", "市级储备库"], ["待我处理"]),
    ],
)
def test_navigation_shows_only_what_the_role_may_use(request, client_for, fixture, visible, hidden):
    user = request.getfixturevalue(fixture)
    response = client_for(user).get("/")
    labels = [str(label) for label, _url in response.context["nav_links"]]
    for label in visible:
        assert label in labels, (fixture, label)
    for label in hidden:
        assert label not in labels, (fixture, label)


def test_roles_must_fit_the_entity_kind(make_user, pudong, bureau):
    user = make_user(None, pudong)
    with pytest.raises(RoleNotAllowed):
        set_roles(user=user, roles=[Role.MUNICIPAL_APPROVER])
    set_roles(user=user, roles=[Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER])
    assert user.roles == {Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER}
    set_roles(user=user, roles=[Role.DISTRICT_APPROVER])
    assert user.roles == {Role.DISTRICT_APPROVER}


def test_role_admin_inline_refuses_a_role_that_does_not_fit(client, pudong, bureau):
    from tests.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True, entity=bureau)
    target = UserFactory(entity=pudong)
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/admin/ledger/user/{target.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "username": target.username,
            "entity": pudong.pk,
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "role_assignments-TOTAL_FORMS": "1",
            "role_assignments-INITIAL_FORMS": "0",
            "role_assignments-0-role": Role.MUNICIPAL_APPROVER,
            "role_assignments-0-user": target.pk,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert not target.role_assignments.exists()


def test_demo_data_is_refused_in_production(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from ledger.models import User

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refused in production mode"):
        call_command("load_demo")
    assert not User.objects.filter(username__in=["admin", *(u for u, _r, _c in DEMO_USERS)])
    call_command("load_reference")  # reference data is what production loads


def test_an_idle_session_ends_and_activity_keeps_it(client, district_clerk, settings):
    import datetime
    import time

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from ledger.web_access import IDLE_CLOCK_KEY

    def expiry():
        return Session.objects.get(session_key=client.session.session_key).expire_date

    def expire_in(**delta):
        Session.objects.filter(session_key=client.session.session_key).update(
            expire_date=timezone.now() + datetime.timedelta(**delta)
        )

    client.post(reverse("login"), {"username": "d_clerk", "password": "correct-horse-battery"})
    assert client.session[IDLE_CLOCK_KEY] >= int(time.time()) - 5
    # Activity a while after the last move: the expiry moves to a full timeout from now.
    session = client.session
    session[IDLE_CLOCK_KEY] = int(time.time()) - 120
    session.save()
    expire_in(minutes=1)
    assert client.get("/").status_code == 200
    moved = expiry()
    assert moved - timezone.now() > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    # Right after, nothing is written again.
    assert client.get("/").status_code == 200
    assert expiry() == moved
    # Idle past the expiry: the session is over.
    expire_in(seconds=-1)
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
