from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from ledger.models import User
from reductions import services
from reductions.models import RetierRecord
from reductions.selectors import retier_records


class Command(BaseCommand):
    help = (
        "List the projects an upgrade kept as they were for the bureau to review (certified "
        "under the old VOCs management flag, not safely re-tierable, or of a type that became "
        "a heading); --all lists every re-tiering too. --resolve ID --user NAME --note TEXT "
        "records the bureau's review outcome (a municipal approver)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="also re-tiered and reviewed rows")
        parser.add_argument("--resolve", type=int, metavar="ID", help="record the review of ID")
        parser.add_argument("--user", help="the municipal approver who reviewed it")
        parser.add_argument("--note", default="", help="the review outcome")

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            if options["resolve"]:
                return self._resolve(options)
            rows = retier_records(everything=options["all"])
            for record in rows:
                project = record.project
                self.stdout.write(
                    "\t".join(
                        [
                            str(record.pk),
                            f"#{project.pk}",
                            project.name,
                            project.owner.code,
                            project.status,
                            f"{record.old_tier}→{record.new_tier or record.old_tier}",
                            record.get_action_display(),
                            record.migration,
                            record.note,
                            record.resolution,
                        ]
                    )
                )
            self.stdout.write(f"{len(rows)} record(s).")

    def _resolve(self, options):
        try:
            record = RetierRecord.objects.get(pk=options["resolve"])
            user = User.objects.get(username=options["user"] or "")
        except (RetierRecord.DoesNotExist, User.DoesNotExist) as error:
            raise CommandError(str(error)) from None
        try:
            services.resolve_retier_record(record=record, user=user, resolution=options["note"])
        except services.ProjectError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Record {record.pk} reviewed."))
