"""The OpenAPI description and its documentation pages, served from our own origin; the
base view that no endpoint can leave unscoped."""

import re

import pytest
import yaml

from quota_ledger.api.base import ScopedReadOnlyViewSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_describes_every_endpoint_with_errors_and_idempotency(schema):
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for name in (
        "entities",
        "accounts",
        "transactions",
        "holds",
        "projects",
        "filings",
        "bundles",
        "plan-periods",
        "targets",
        "progress",
        "rounds",
        "construction-projects",
        "trade-records",
    ):
        assert f"/api/v1/{name}/" in paths, name
    action = paths["/api/v1/projects/{id}/actions/{action_name}/"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in action["parameters"]}
    assert {"400", "403", "404", "409", "422"} <= set(action["responses"])
    assert "Error" in schema["components"]["schemas"]
    listing = paths["/api/v1/accounts/"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404"} <= set(listing)
    sync = {p["name"] for p in paths["/api/v1/transactions/"]["get"]["parameters"]}
    assert {"after_seq", "entity", "pollutant", "kind", "cursor", "page_size"} <= sync


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_documentation_pages_load_everything_from_our_own_origin(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", page), "nothing from a CDN"
    assert "/static/drf_spectacular_sidecar/" in page
    assert not re.search(r"<script\b(?![^>]*\bsrc=)[^>]*>", page), "no inline script"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy


def test_a_view_that_bypasses_the_scope_is_refused_when_defined():
    with pytest.raises(TypeError, match="scoped_queryset"):

        class Leaky(ScopedReadOnlyViewSet):
            def get_queryset(self):
                return None


HAN = re.compile(r"[\u4e00-\u9fff]")


def _described(schema: dict):
    """(where, description) of every operation and every parameter of the schema."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation.get("description", "")
            for parameter in operation.get("parameters", []):
                where = f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
                yield where, parameter.get("description", "")


def test_every_endpoint_and_parameter_is_described_in_chinese_and_in_english(client):
    chinese = yaml.safe_load(client.get("/api/schema/?lang=zh-hans").content)
    english = yaml.safe_load(client.get("/api/schema/?lang=en").content)
    problems = []
    for (where, zh), (_where, en) in zip(_described(chinese), _described(english), strict=True):
        if not zh or not en:
            problems.append(f"undescribed: {where}")
        elif not HAN.search(zh):
            problems.append(f"no Chinese: {where}: {zh[:60]!r}")
        elif HAN.search(en):
            problems.append(f"Chinese in English: {where}: {en[:60]!r}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
