from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from ledger.demo import DemoRefused, load_demo_data


class Command(BaseCommand):
    help = "Load reference data, demo enterprises, one demo user per role and demo records."

    def handle(self, *args, **options):
        try:
            users = load_demo_data()
        except DemoRefused as error:
            raise CommandError(str(error)) from error
        # Higher apps add their demo records through this setting; the ledger imports none.
        for path in settings.QUOTA_DEMO_LOADERS:
            import_string(path)(users)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {len(users)} demo users."))
