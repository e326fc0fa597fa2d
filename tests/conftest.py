import os

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from ledger.demo import load_reference_data
from ledger.models import Entity, Role

from .factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


def _skip_or_fail(reason: str) -> None:
    # In CI a skipped PostgreSQL/Redis test would hide a gap, so it fails instead.
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run in CI)", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        _skip_or_fail("needs Redis: set REDIS_URL=redis://…")


ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture(params=["server", "python"] if ON_POSTGRES else ["python"])
def posting_path(request, settings):
    """Both posting paths pass the same tests: PostgreSQL's ``ledger_post()`` (one round
    trip) and the Python path SQLite always uses. Modules opt in with ``usefixtures``."""
    settings.LEDGER_SERVER_SIDE_POSTING = request.param == "server"
    return request.param


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, tests use a database file, not memory. With an in-memory database the
    live server's threads share the test's one connection, and the home page's
    concurrent chart requests broke it ("bad parameter or other API misuse", a 500)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """PBKDF2's 1.5 million rounds cost about a second per user made or signed in; the
    suite checks who may do what, not the hasher's strength."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request):
    """A transactional test's database was flushed by the one before it: load the reference
    data (districts, types, Annex 2 rows…) again, as a fresh installation has it."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        load_reference_data()


@pytest.fixture(autouse=True)
def _commit_time_checks(request):
    """After each database test on PostgreSQL, run the deferred (commit-time) triggers on what
    it left, as COMMIT would: a test that leaves the ledger inconsistent fails."""
    # Taken now: a test may replace connection.cursor (e.g. to simulate an outage).
    cursor = connection.cursor
    yield
    if connection.vendor != "postgresql" or "transactional_db" in request.fixturenames:
        return
    marker = request.node.get_closest_marker("django_db")
    if "db" in request.fixturenames or (marker and not marker.kwargs.get("transaction")):
        from .factories import as_committed

        as_committed(cursor)


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tests run tasks in-process against the test database; the Redis test opts out."""
    from celery._state import _set_task_join_will_block

    from quota_ledger.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    # Celery keeps "joining would block" in one process-wide flag that eager tasks set and
    # restore; threads running eager tasks at once (the simulation) can leave it set.
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's language (Chinese). A request through the test client
    leaves its language (the user's, the cookie's) active in this thread afterwards."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bureau(db) -> Entity:
    return Entity.objects.get(code="SHSEE")


@pytest.fixture
def pudong(db) -> Entity:
    return Entity.objects.get(code="310115")


@pytest.fixture
def xuhui(db) -> Entity:
    return Entity.objects.get(code="310104")


@pytest.fixture
def enterprise(db) -> Entity:
    from .factories import EntityFactory

    return EntityFactory(kind="ENTERPRISE")


@pytest.fixture
def make_user(db):
    def make(role: str | None, entity: Entity, **kwargs):
        return UserFactory(entity=entity, roles=[role] if role else [], **kwargs)

    return make


@pytest.fixture
def municipal_clerk(make_user, bureau):
    return make_user(Role.MUNICIPAL_CLERK, bureau, username="m_clerk")


@pytest.fixture
def municipal_approver(make_user, bureau):
    return make_user(Role.MUNICIPAL_APPROVER, bureau, username="m_approver")


@pytest.fixture
def second_approver(make_user, bureau):
    return make_user(Role.MUNICIPAL_APPROVER, bureau, username="m_approver2")


@pytest.fixture
def auditor(make_user, bureau):
    return make_user(Role.AUDITOR, bureau, username="auditor")


@pytest.fixture
def district_clerk(make_user, pudong):
    return make_user(Role.DISTRICT_CLERK, pudong, username="d_clerk")


@pytest.fixture
def district_approver(make_user, pudong):
    return make_user(Role.DISTRICT_APPROVER, pudong, username="d_approver")


@pytest.fixture
def other_district_clerk(make_user, xuhui):
    return make_user(Role.DISTRICT_CLERK, xuhui, username="x_clerk")


@pytest.fixture
def enterprise_user(make_user, enterprise):
    return make_user(Role.ENTERPRISE_USER, enterprise, username="e_user")


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def client_for(client):
    return lambda user: login(client, user)


@pytest.fixture
def en_client(client):
    """A client that asked for the English interface."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
