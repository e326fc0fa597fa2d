from django.core.management.base import BaseCommand

from ledger.demo import load_demo_data


class Command(BaseCommand):
    help = "Load reference data, demo enterprises and one demo user per role (idempotent)."

    def handle(self, *args, **options):
        users = load_demo_data()
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {len(users)} demo users."))
