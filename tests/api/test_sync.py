"""Incremental sync by commit sequence: a reporting system that pages with ``after_seq``
while postings run gets every transaction exactly once, in commit order (PostgreSQL)."""

import threading

import pytest
from django.db import close_old_connections, connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from ledger.models import Entity, Role, Transaction
from tests.factories import EntityFactory, UserFactory, fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS = 4
POSTINGS = 15


def read_all_new(client: APIClient, after: int) -> list[dict]:
    """One sync pass: pages after ``after`` until the last page."""
    rows: list[dict] = []
    url = f"/api/v1/transactions/?after_seq={after}&page_size=7"
    while url:
        body = client.get(url).json()
        rows.extend(body["results"])
        url = body["next"]
    return rows


def test_a_reader_syncing_during_concurrent_postings_gets_each_transaction_once_in_order():
    bureau = Entity.objects.get(kind="BUREAU")
    clerk = UserFactory(entity=bureau, roles=[Role.MUNICIPAL_CLERK])
    reporter = UserFactory(entity=bureau, roles=[Role.REPORTING_CLIENT])
    districts = [EntityFactory(kind="DISTRICT") for _ in range(WRITERS)]
    district_reader = UserFactory(entity=districts[0], roles=[Role.DISTRICT_CLERK])
    _token, secret = AuthToken.objects.create(user=reporter)
    _token, district_secret = AuthToken.objects.create(user=district_reader)

    writing = threading.Event()
    writing.set()
    seen: list[dict] = []
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for n in range(POSTINGS):
                fund(districts[index], "COD", "1", user=clerk, key=f"sync-{index}-{n}")
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    def reader() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        last = 0
        try:
            while True:
                still_writing = writing.is_set()
                new = read_all_new(client, last)
                seen.extend(new)
                if new:
                    last = new[-1]["seq"]
                if not still_writing and not new:
                    return
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    reading = threading.Thread(target=reader)
    reading.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    writing.clear()
    reading.join(timeout=120)
    close_old_connections()

    assert errors == []
    ids = [row["id"] for row in seen]
    assert len(ids) == len(set(ids)), "a transaction was read twice"
    assert sorted(ids) == sorted(Transaction.objects.values_list("id", flat=True))
    seqs = [row["seq"] for row in seen]
    assert seqs == sorted(seqs) and seqs == list(range(1, len(seqs) + 1))

    # A district's reader syncs only its own district's postings, each once.
    district = APIClient()
    district.credentials(HTTP_AUTHORIZATION=f"Token {district_secret}")
    own = read_all_new(district, 0)
    assert len(own) == POSTINGS
    assert all(districts[0].code in {leg["entity_code"] for leg in row["legs"]} for row in own)
