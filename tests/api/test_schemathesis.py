"""schemathesis against our own OpenAPI description, with bounded examples: no request it
generates — valid or invalid — gets a 500, and no response leaves the schema (issue 10,
"docs that cannot drift")."""

import itertools

import pytest
import schemathesis
from django.core.signals import request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from quota_ledger.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = 4


@pytest.fixture
def in_test_transaction():
    # Requests go through the WSGI handler inside this test's database transaction: a
    # request must not close the connection it runs in (Django's test client does the same).
    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


def test_no_generated_request_gets_a_500_or_an_answer_outside_the_schema(
    in_test_transaction, world, municipal_clerk
):
    _token, secret = AuthToken.objects.create(user=municipal_clerk)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(
                headers={"Authorization": f"Token {secret}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        try:
            run()
        except Unsatisfiable:
            # Nothing to make invalid: an operation without parameters or body.
            assert mode == GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as error:  # every failing operation is named
            failures.append(f"{operation.label} ({mode.value}): {str(error)[:600]}")
    assert failures == [], "\n\n".join(failures)
