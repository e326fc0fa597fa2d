"""JSON bodies with text no UTF-8 can hold are refused as a 400 (never a 500)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body",
    ['{"amounts": {"\\ud800": "1"}}', '{"fuel_type": "\\ud800"}', '{"comment": "a\\udfffb"}'],
)
def test_a_lone_surrogate_in_json_is_a_400_not_a_500(client_for, district_clerk, body):
    client = client_for(district_clerk)
    for path, headers in (
        ("/api/v1/projects/", {}),
        ("/api/v1/projects/1/actions/withdraw/", {"Idempotency-Key": "k-1"}),
    ):
        response = client.post(path, body, content_type="application/json", headers=headers)
        assert response.status_code == 400, (path, response.content[:200])
        assert response.json()["code"] == "parse_error"
