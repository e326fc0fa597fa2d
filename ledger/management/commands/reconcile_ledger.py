from django.core.management.base import BaseCommand, CommandError

from ledger.selectors import reconcile


class Command(BaseCommand):
    help = "Recompute every balance and held amount from legs and holds; exit 1 on any mismatch."

    def handle(self, *args, **options):
        mismatches = reconcile()
        for mismatch in mismatches:
            self.stderr.write(f"MISMATCH {mismatch}")
        if mismatches:
            raise CommandError(f"{len(mismatches)} account(s) do not reconcile.")
        self.stdout.write(self.style.SUCCESS("Ledger reconciles: every balance equals its legs."))
