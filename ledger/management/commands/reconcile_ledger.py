from django.core.management.base import BaseCommand, CommandError

from ledger.audit import reconcile


class Command(BaseCommand):
    help = (
        "Recompute balances, held amounts, transaction sums, running balances, the per-pollutant "
        "net and the commit sequence from what they derive from; exit 1 on any finding."
    )

    def handle(self, *args, **options):
        findings = reconcile()
        for finding in findings:
            self.stderr.write(f"MISMATCH {finding}")
        if findings:
            raise CommandError(f"{len(findings)} finding(s): the ledger does not reconcile.")
        self.stdout.write(self.style.SUCCESS("Ledger reconciles."))
