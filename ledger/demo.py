"""Demo users, one per role, for `make run`. Passwords are documented in README."""

from django.core.management import call_command
from django.db import transaction

from .models import Entity, Role, User
from .services import set_roles

REFERENCE_FIXTURES = [
    "industries",
    "project_types",
    "plan_periods",
    "entities",
    "allocation_policy",
    "replacement_ratios",
]
DEMO_FIXTURES = ["demo_enterprises"]
DEMO_PASSWORD = "demo-2026"

# username, role, entity code
DEMO_USERS = [
    ("district_clerk", Role.DISTRICT_CLERK, "310115"),
    ("district_approver", Role.DISTRICT_APPROVER, "310115"),
    ("municipal_clerk", Role.MUNICIPAL_CLERK, "SHSEE"),
    ("municipal_approver", Role.MUNICIPAL_APPROVER, "SHSEE"),
    ("enterprise_user", Role.ENTERPRISE_USER, "DEMO-E01"),
    ("auditor", Role.AUDITOR, "SHSEE"),
    ("reporting_client", Role.REPORTING_CLIENT, "SHSEE"),
]


def load_reference_data() -> None:
    call_command("loaddata", *REFERENCE_FIXTURES, verbosity=0)


@transaction.atomic
def load_demo_data() -> list[User]:
    load_reference_data()
    call_command("loaddata", *DEMO_FIXTURES, verbosity=0)
    users = []
    for username, role, code in DEMO_USERS:
        entity = Entity.objects.get(code=code)
        user, created = User.objects.get_or_create(username=username, defaults={"entity": entity})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        set_roles(user=user, roles=[role])
        users.append(user)
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={
            "is_staff": True,
            "is_superuser": True,
            "entity": Entity.objects.get(code="SHSEE"),
        },
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    _demo_postings(users)
    return users


def _demo_postings(users: list[User]) -> None:
    """A little ledger activity so the pages have something to show. Idempotent keys make
    a second `make run` post nothing more."""
    import datetime
    from decimal import Decimal

    from .services import acquire_from_exchange, credit_entity, entity_account, place_hold

    clerk = next(u for u in users if u.username == "municipal_clerk")
    pudong = Entity.objects.get(code="310115")
    enterprise = Entity.objects.get(code="DEMO-E01")
    for pollutant, amount in [
        ("NOX", "12.500"),
        ("VOCS", "8.200"),
        ("COD", "20.000"),
        ("NH3N", "2.150"),
    ]:
        credit_entity(
            kind="ALLOCATION",
            source="ALLOCATION_POOL",
            entity=pudong,
            pollutant=pollutant,
            amount=Decimal(amount),
            idempotency_key=f"demo:allocation:{pudong.code}:{pollutant}",
            user=clerk,
            reference_text="演示：十四五第1批分配",
            effective_date=datetime.date(2026, 3, 31),
        )
    acquire_from_exchange(
        entity=enterprise,
        pollutant="VOCS",
        amount="3.000",
        certificate_number="DEMO-SHEX-2026-001",
        user=clerk,
        effective_date=datetime.date(2026, 6, 15),
    )
    place_hold(
        account=entity_account(pudong, "NOX"),
        amount="1.800",
        user=clerk,
        reason="演示：某建设项目新增排放量预占",
        idempotency_key="demo:hold:pudong:nox",
    )
