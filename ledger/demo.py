"""Demo users, one per role, for `make run`. Passwords are documented in README."""

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils.module_loading import import_string

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


class DemoRefused(Exception):
    """Demo data was asked for in production mode."""


def load_reference_data() -> None:
    call_command("loaddata", *REFERENCE_FIXTURES, verbosity=0)
    # Default policy rows of the higher apps, added only where missing (the ledger imports
    # no other app).
    for path in settings.QUOTA_REFERENCE_LOADERS:
        import_string(path)()


@transaction.atomic
def load_demo_data() -> list[User]:
    if settings.PRODUCTION:
        # The demo users share a password printed in the README; on a server they would be
        # open doors, and their records would mix with real ones.
        raise DemoRefused(
            "load_demo is refused in production mode (QUOTA_LEDGER_MODE=production): it "
            "creates demo users with a published password. Load reference data with "
            "`manage.py load_reference` and create the first administrator with "
            "`manage.py createsuperuser`."
        )
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
    return users
