from django.core.management.base import BaseCommand

from ledger.demo import load_reference_data


class Command(BaseCommand):
    help = "Load or refresh reference data: industries, project types, Annex 2 rows, plan periods."

    def handle(self, *args, **options):
        load_reference_data()
        self.stdout.write(self.style.SUCCESS("Reference data loaded."))
