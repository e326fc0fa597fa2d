"""No 500 for anything a user can send (issue 9 item 5): every URL of the site, as every role,
with odd path arguments, nonsense query strings and garbage form posts."""

import itertools

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ledger.models import Role
from tests.factories import fund, make_project

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("admin/", "i18n/", "static/", "api/schema", "api/docs", "api/redoc")
ODD_INTS = ("1", "0", "99999999999999999999999")
ODD_STRINGS = ("310115", "approve", "x" * 300, "%E2%80%8B", "..%2F..%2Fetc")
QUERY_NAMES = (
    "page",
    "cursor",
    "date_from",
    "date_to",
    "as_of",
    "year",
    "status",
    "tier",
    "project_type",
    "owner",
    "pollutant",
    "key",
    "q",
    "entity",
    "kind",
    "plan_period",
    "ordering",
    "page_size",
    "after_seq",
    "updated_since",
    "format",
    "waiting",
    "next",
)
ODD_VALUES = ("abc", "-1", "1e9", "9" * 40, "2020-13-45", "0001-01-01", "' OR 1=1 --", "ü" * 2000)


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _urls() -> list[str]:
    """Every route with each path argument replaced by odd values of its converter's kind;
    the API routers' regex routes too (their ``pk`` taking the odd strings)."""
    urls = set()
    for route, _pattern in _patterns(get_resolver()):
        if route.startswith(SKIP_PREFIXES) or "\\." in route:
            continue
        route = route.replace("(?P<pk>[^/.]+)", "<pk>").replace("^", "").replace("$", "")
        if "(?P" in route:
            continue
        parts = route.replace("<", "\0<").replace(">", ">\0").split("\0")
        slots = []
        for part in parts:
            if part.startswith("<int:"):
                slots.append(ODD_INTS)
            elif part.startswith("<"):
                slots.append(ODD_STRINGS)
            else:
                slots.append((part,))
        for combination in itertools.islice(itertools.product(*slots), 25):
            urls.add("/" + "".join(combination))
    return sorted(urls)


@pytest.fixture
def world(district_clerk, district_approver, municipal_clerk, pudong):
    fund(pudong, "COD", "5", user=municipal_clerk, key="w")
    make_project(district_clerk, amounts={"COD": "2"})


ROLES = [None, *Role]


@pytest.mark.parametrize("role", ROLES, ids=[str(r) for r in ROLES])
def test_no_url_answers_500_to_anything(role, world, client, make_user, bureau, pudong, enterprise):
    if role is not None:
        entity = {
            Role.DISTRICT_CLERK: pudong,
            Role.DISTRICT_APPROVER: pudong,
            Role.ENTERPRISE_USER: enterprise,
        }.get(role, bureau)
        client.force_login(
            make_user(role, entity), backend="django.contrib.auth.backends.ModelBackend"
        )
    # Every odd value reaches every query parameter: the values are rotated over the names.
    queries = [
        "&".join(
            f"{name}={value}"
            for name, value in zip(
                QUERY_NAMES,
                itertools.islice(itertools.cycle(ODD_VALUES), shift, None),
                strict=False,
            )
        )
        for shift in range(len(ODD_VALUES))
    ]
    failures = []
    for url in _urls():
        for method, path, data in (
            ("get", url, None),
            *(("get", f"{url}?{query}", None) for query in queries),
            (
                "post",
                url,
                {name: value for name, value in zip(QUERY_NAMES, ODD_VALUES * 3, strict=False)},
            ),
        ):
            response = (
                getattr(client, method)(path, data) if data else getattr(client, method)(path)
            )
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {path[:160]} → {response.status_code}")
    assert failures == []


# Signing in and out is for anyone (log-out takes POST only).
PUBLIC_PAGES = {
    ("get", "/accounts/login/"),
    ("post", "/accounts/login/"),
    ("get", "/accounts/logout/"),
    ("post", "/accounts/logout/"),
}


def test_every_page_sends_an_anonymous_visitor_to_log_in(client):
    """No page of the site answers anyone not signed in, whatever the method: a view that
    lost its ``login_required`` shows here (the API answers 401 on its own, see tests/api)."""
    from django.urls import reverse

    login = reverse("login")
    answered = []
    for route, _pattern in _patterns(get_resolver()):
        if route.startswith((*SKIP_PREFIXES, "api/")) or "(?P" in route or "\\." in route:
            continue
        url = "/" + "".join(
            ("1" if part.startswith("<int:") else "x") if part.startswith("<") else part
            for part in route.replace("<", "\0<").replace(">", ">\0").split("\0")
        )
        for method in ("get", "post"):
            if (method, url) in PUBLIC_PAGES:
                continue
            response = getattr(client, method)(url)
            if not (response.status_code == 302 and response.url.startswith(login)):
                answered.append(f"{method.upper()} {url} → {response.status_code}")
    assert answered == []
