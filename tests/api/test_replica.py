"""The optional read replica: through the database router, API lists and exports read from
it, and details, writes and the sync (``after_seq``) from the primary.

A second PostgreSQL database, created and migrated by this module and dropped after it,
stands in for the replica. Rows written to it alone show where each request read."""

import copy
import io

import psycopg
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections, router
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from ledger.models import Entity, EntityKind
from quota_ledger.api import routers
from reductions.models import Project
from tests.factories import VALID_CREDIT_CODE, fund

ROUTERS = ["quota_ledger.api.routers.ReplicaRouter"]
REPLICA = routers.REPLICA


def _server(settings_dict) -> psycopg.Connection:
    """A connection to the server's maintenance database, to create and drop databases."""
    params = {
        "dbname": "postgres",
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"],
        "host": settings_dict["HOST"],
        "port": settings_dict["PORT"],
    }
    return psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v})


def create_schema(connection) -> None:
    """The tables of every model, as the current models define them. Not ``migrate``: the
    data migrations write to "default" whatever the database migrated, and a replica is
    never migrated anyway (it copies the primary). The primary's triggers are not needed
    on a database that is only read."""
    with connection.schema_editor() as editor:
        for model in apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                editor.create_model(model)


@pytest.fixture(scope="module")
def replica_database(django_db_setup, django_db_blocker):
    """``<test database>_replica``, with the schema, under the alias "replica" (its own database,
    not a test mirror). The test database's name is known only once pytest-django made it,
    so the alias is added here rather than in settings: the rest of the suite makes one
    database."""
    primary = connections["default"].settings_dict
    settings_dict = copy.deepcopy(primary)
    settings_dict["NAME"] = name = f"{primary['NAME']}_replica"
    settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "MIRROR": None, "NAME": name}
    with _server(primary) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    before = connections.settings.get(REPLICA)
    if before is not None:  # DATABASE_REPLICA_URL set in the environment
        connections[REPLICA].close()
        del connections[REPLICA]
    connections.settings[REPLICA] = settings_dict
    try:
        with django_db_blocker.unblock():
            create_schema(connections[REPLICA])
        yield REPLICA
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        if before is None:
            del connections.settings[REPLICA]
        else:
            connections.settings[REPLICA] = before
        with _server(primary) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def replica(replica_database, transactional_db):
    """The router installed, as ``DATABASE_REPLICA_URL`` installs it; the replica emptied
    after the test (the router would keep Django's own flush away from it)."""
    with override_settings(DATABASE_ROUTERS=ROUTERS):
        yield connections[REPLICA]
    call_command(
        "flush", database=REPLICA, interactive=False, inhibit_post_migrate=True, verbosity=0
    )


def draft() -> dict:
    return {
        "name": "经接口录入的项目",
        "enterprise_name": "上海示例化工有限公司",
        "credit_code": VALID_CREDIT_CODE,
        "industry": "26",
        "project_type": "W_STRUCTURE",
        "measure": "污水深度处理改造",
        "plan_period": "14FYP",
        "accounting_year": 2025,
        "completion_date": "2025-06-30",
        "amounts": {"COD": "0.050"},
    }


@pytest.mark.postgres
@pytest.mark.django_db(databases=["default", "replica"], transaction=True)
def test_lists_and_exports_read_the_replica_details_writes_and_the_sync_the_primary(
    replica, token_for, municipal_clerk, district_clerk, pudong
):
    # A row only the replica has (an id the primary never reached), and a transaction only
    # the primary has (as if the replica lagged behind).
    only_on_replica = Entity.objects.using(REPLICA).create(
        pk=1_000_000,
        kind=EntityKind.ENTERPRISE,
        code="REPLICA-ONLY",
        name_zh="只在副本",
        name_en="Replica only",
    )
    fund(pudong, "COD", "2", user=municipal_clerk, key="replica")
    municipal = token_for(municipal_clerk)
    district = token_for(district_clerk)

    # Lists read the replica.
    codes = [row["code"] for row in municipal.get("/api/v1/entities/").json()["results"]]
    assert codes == ["REPLICA-ONLY"]
    assert district.get("/api/v1/transactions/").json()["results"] == []

    # Exports too, also when the rows stream after the view has returned.
    response = municipal.get("/api/v1/entities/?format=csv")
    csv_text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "REPLICA-ONLY" in csv_text and "SHSEE" not in csv_text
    response = municipal.get("/api/v1/entities/?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = {cell for row in sheet.iter_rows(values_only=True) for cell in row}
    assert "REPLICA-ONLY" in cells and "SHSEE" not in cells
    # The scope ended with the request: the test's own reads are the primary's again.
    assert router.db_for_read(Entity) == "default"
    assert not Entity.objects.filter(pk=only_on_replica.pk).exists()

    # A detail, a write and the sync (which numbers commits first) read and write the
    # primary only.
    with CaptureQueriesContext(replica) as on_replica:
        assert municipal.get(f"/api/v1/entities/{only_on_replica.pk}/").status_code == 404
        assert municipal.get(f"/api/v1/entities/{pudong.pk}/").json()["code"] == "310115"
        synced = district.get("/api/v1/transactions/?after_seq=0").json()["results"]
        created = district.post("/api/v1/projects/", draft(), format="json")
        assert created.status_code == 201, created.content
        project = created.json()["id"]
        assert district.get(f"/api/v1/projects/{project}/").status_code == 200
    assert on_replica.captured_queries == []
    assert len(synced) == 1 and synced[0]["legs"]
    assert Project.objects.using("default").filter(pk=project).exists()
    assert not Project.objects.using(REPLICA).filter(pk=project).exists()
    # …and a list does not see the write until the replica has it.
    assert district.get("/api/v1/projects/").json()["results"] == []


def test_the_router_sends_reads_to_the_replica_only_inside_the_scope():
    replica_router = routers.ReplicaRouter()
    assert replica_router.db_for_read(Entity) == "default"
    with routers.replica_reads():
        assert replica_router.db_for_read(Entity) == REPLICA
        assert replica_router.db_for_write(Entity) == "default"
    assert replica_router.db_for_read(Entity) == "default"
    assert replica_router.allow_migrate("default", "ledger")
    assert not replica_router.allow_migrate(REPLICA, "ledger")

    def rows():
        yield replica_router.db_for_read(Entity)
        yield replica_router.db_for_read(Entity)

    streamed = routers.replica_iter(rows())
    assert next(streamed) == REPLICA
    # Between rows, the consumer's code is outside the scope.
    assert replica_router.db_for_read(Entity) == "default"
    assert list(streamed) == [REPLICA]
