"""The optional read replica: API lists and exports read from it, everything else from the
primary. A second connection to the test database stands in for the replica."""

import copy

import pytest
from django.db import connections
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from tests.factories import fund

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(settings):
    """A second connection to the test database, made by hand (Django's test case allows a
    connection it did not configure)."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    connection = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "replica")
    connections["replica"] = connection
    settings.REPLICA_DATABASE = "replica"
    yield connection
    connection.close()
    del connections["replica"]


def test_lists_and_exports_read_from_the_replica_and_the_rest_from_the_primary(
    replica, token_for, municipal_clerk, district_clerk, pudong
):
    fund(pudong, "COD", "2", user=municipal_clerk, key="replica")
    client = token_for(district_clerk)
    with CaptureQueriesContext(replica) as on_replica:
        rows = client.get("/api/v1/transactions/").json()["results"]
        client.get("/api/v1/accounts/?format=csv").getvalue()
    assert len(rows) == 1 and rows[0]["legs"]
    read = " ".join(q["sql"] for q in on_replica)
    assert "ledger_transaction" in read and "ledger_entry" in read and "ledger_account" in read
    # A detail, a write and the sync (which numbers commits first) stay on the primary.
    with CaptureQueriesContext(replica) as on_replica:
        client.get(f"/api/v1/transactions/{rows[0]['id']}/")
        client.get("/api/v1/transactions/?after_seq=0")
        client.post("/api/v1/projects/", {}, format="json")
    assert len(on_replica) == 0
