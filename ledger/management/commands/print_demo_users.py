from django.core.management.base import BaseCommand

from ledger.demo import DEMO_PASSWORD, DEMO_USERS
from ledger.models import Entity, Role


class Command(BaseCommand):
    help = "Print the demo users and their password."

    def handle(self, *args, **options):
        names = dict(Entity.objects.values_list("code", "name_zh"))
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}):")
        for username, role, code in [*DEMO_USERS, ("admin", None, "SHSEE")]:
            label = Role(role).label if role else "superuser"
            self.stdout.write(f"  {username:<20} {label!s:<28} {names.get(code, code)}")
