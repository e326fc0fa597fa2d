"""Issue 9 item 5: a NUL byte in the address is a clean 400, never a 500 from the database."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NUL_ADDRESSES = [
    "/ledger/entity/a%00b/",
    "/ledger/?q=a%00",
    "/projects/?owner=a%00b",
    "/projects/?status=%00",
    "/allocations/constructions/?q=%00",
    "/ledger/entity/310115/?x%00y=1",
]


def assert_clean_nul_refusal(client):
    for address in NUL_ADDRESSES:
        response = client.get(address)
        assert response.status_code == 400, address
        page = response.content.decode()
        assert "空字符" in page, address
        assert "<html" in page
    api = client.get("/api/reductions/projects/?owner=a%00")
    assert api.status_code == 400
    assert api.json()["code"] == "nul_byte" and "空字符" in api.json()["detail"]


def test_nul_byte_is_a_clean_400_for_a_signed_in_user(client_for, municipal_clerk):
    assert_clean_nul_refusal(client_for(municipal_clerk))


def test_nul_byte_is_a_clean_400_for_anyone(client):
    assert_clean_nul_refusal(client)


@pytest.mark.postgres
def test_nul_byte_never_reaches_postgresql(client_for, municipal_clerk):
    # On PostgreSQL these addresses ended in a 500 (DataError: NUL in a string literal).
    assert_clean_nul_refusal(client_for(municipal_clerk))


def test_ordinary_addresses_still_work(client_for, municipal_clerk):
    client = client_for(municipal_clerk)
    assert client.get(reverse("ledger:entity", args=["310115"]), {"q": "a0b"}).status_code == 200
    assert client.get("/projects/?owner=310115").status_code == 200
