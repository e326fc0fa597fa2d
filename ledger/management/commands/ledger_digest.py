from pathlib import Path

from django.core.management.base import BaseCommand

from ledger.audit import dump_digest, make_digest


class Command(BaseCommand):
    help = (
        "Write a digest of the ledger (one hash over every account's head leg, with the last "
        "commit number) to the database and to --output (or standard output), to keep outside."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="where to write the digest JSON")

    def handle(self, *args, output: Path | None = None, **options):
        text = dump_digest(make_digest())
        if output is None:
            self.stdout.write(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Digest written to {output}."))
