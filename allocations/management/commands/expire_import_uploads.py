from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from allocations.imports import expire_uploads


class Command(BaseCommand):
    help = (
        "Delete uploaded import files older than IMPORT_UPLOAD_RETENTION_DAYS (or --days); "
        "the import jobs stay as the record of who imported what. The beat task "
        "allocations.tasks.expire_import_uploads does the same daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help="Retention in days instead of IMPORT_UPLOAD_RETENTION_DAYS."
        )

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        expired = expire_uploads(days=days)
        kept = settings.IMPORT_UPLOAD_RETENTION_DAYS if days is None else days
        self.stdout.write(f"{expired} import file(s) uploaded more than {kept} days ago deleted.")
