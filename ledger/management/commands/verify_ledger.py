import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ledger.audit import verify


class Command(BaseCommand):
    help = (
        "Recompute every account's hash chain from its legs; with --digest FILE (written by "
        "ledger_digest and kept outside the system) also prove that nothing committed before "
        "that digest changed. Exit 1 on any finding."
    )

    def add_arguments(self, parser):
        parser.add_argument("--digest", type=Path, help="a digest JSON file kept outside")

    def handle(self, *args, digest: Path | None = None, **options):
        recorded = None
        if digest is not None:
            try:
                recorded = json.loads(digest.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"cannot read the digest {digest}: {error}") from None
        result = verify(recorded)
        for finding in result.findings:
            self.stderr.write(f"TAMPERED {finding}")
        if result.findings:
            raise CommandError(f"{len(result.findings)} finding(s): the ledger was changed.")
        against = f" against the digest of {recorded['date']}" if recorded else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Verified {result.legs} legs in {result.accounts} account chains{against}."
            )
        )
