"""Excel statements (台账) in the layout a bureau ledger uses, one sheet per pollutant.

Written with openpyxl's write-only mode so memory stays flat for any number of entries.
"""

import datetime
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from . import selectors
from .models import Account, Entity, ExportStatus, Pollutant, StatementExport, TransactionKind
from .workbooks import DocumentSheet, SheetColumn

PROGRESS_EVERY = 2000
logger = logging.getLogger(__name__)


def statement_header() -> list[str]:
    return [
        _("Date"),
        _("Transaction no."),
        _("Kind"),
        _("Reference"),
        _("Credit (t)"),
        _("Debit (t)"),
        _("Balance (t)"),
        _("Held (t)"),
    ]


# Where the running balance stands; the opening and closing balances go under it.
BALANCE_COLUMN = 6


def statement_columns(header: list[str]) -> list[SheetColumn]:
    widths = [12, 12, 16, 28, 12, 12, 12, 12]
    return [
        SheetColumn(text, width=width, amount=index >= 4, date=index == 0)
        for index, (text, width) in enumerate(zip(header, widths, strict=True))
    ]


def write_statement(
    *,
    entity: Entity,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    path: Path,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Write the entity's statement for the period to ``path``; return the number of rows.
    Labels are Chinese, as the bureau files them."""
    accounts = {a.pollutant: a for a in Account.objects.filter(entity=entity)}
    with translation.override("zh-hans"):
        kinds = {k.value: str(k.label) for k in TransactionKind}
        header = statement_header()
        period = "{} – {}".format(
            date_from.isoformat() if date_from else _("beginning"),
            date_to.isoformat() if date_to else timezone.localdate().isoformat(),
        )
        plans = []
        total = 0
        for pollutant in Pollutant:
            account = accounts.get(pollutant.value)
            if account is None:
                plans.append((pollutant, selectors.ZERO, 0, iter(())))
                continue
            opening, count, rows = selectors.statement_rows(account, date_from, date_to)
            plans.append((pollutant, opening, count, rows))
            total += count

        workbook = Workbook(write_only=True)
        done = 0
        progress(0, total)
        for pollutant, opening, _count, rows in plans:
            document = DocumentSheet(
                workbook.create_sheet(title=pollutant.symbol),
                title=_("Pollutant total-quantity indicator ledger") + f" — {pollutant.label}",
                lines=[[_("Entity"), entity.name_zh, entity.code], [_("Period"), period]],
                columns=statement_columns(header),
                balance_column=BALANCE_COLUMN,
            )
            document.balance(_("Opening balance (t)"), opening)
            closing = opening
            for row in rows:
                credit = row.amount if row.amount > 0 else None
                debit = -row.amount if row.amount < 0 else None
                document.row(
                    [
                        row.date,
                        row.transaction_id,
                        kinds[row.kind],
                        row.reference,
                        credit,
                        debit,
                        row.running,
                        row.held,
                    ]
                )
                closing = row.running
                done += 1
                if done % PROGRESS_EVERY == 0:
                    progress(done, total)
            document.balance(_("Closing balance (t)"), closing)
            document.finish()
        workbook.save(path)
    progress(done, total)
    return done


def statement_filename(job: StatementExport) -> str:
    with translation.override("zh-hans"):
        return _("Quota ledger %(entity)s %(date)s-%(number)s.xlsx") % {
            "entity": job.entity.name_zh,
            "date": f"{timezone.localdate():%Y%m%d}",
            "number": job.pk,
        }


def run_statement_export(export_id: int) -> None:
    """Celery body: write the file, keep progress on the job row, never lose the job."""
    job = StatementExport.objects.select_related("entity").get(pk=export_id)
    StatementExport.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)

    def progress(done: int, total: int) -> None:
        StatementExport.objects.filter(pk=job.pk).update(rows_done=done, rows_total=total)

    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "statement.xlsx"
            write_statement(
                entity=job.entity,
                date_from=job.date_from,
                date_to=job.date_to,
                path=path,
                progress=progress,
            )
            with path.open("rb") as handle, transaction.atomic():
                # Stored under a random name (the model's upload_to); the row keeps the
                # name the download gets.
                job.file.save("statement.xlsx", File(handle), save=False)
                StatementExport.objects.filter(pk=job.pk).update(
                    file=job.file.name,
                    filename=statement_filename(job),
                    status=ExportStatus.DONE,
                    finished_at=timezone.now(),
                )
    except Exception as error:
        # The job row tells the user it failed; the log keeps the traceback.
        logger.exception("statement export %s failed", job.pk)
        StatementExport.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(error)[:2000]
        )


def expire_exports(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of statements finished more than ``EXPORT_RETENTION_DAYS`` ago; each
    job row stays and says EXPIRED. Returns how many expired.

    The row changes first and the file goes after the commit: a failure in between leaves a
    file no one can download (and the next run does not see it again), never a job that
    offers a download whose file is gone.
    """
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    expired = 0
    due = StatementExport.objects.filter(status=ExportStatus.DONE, finished_at__lt=cutoff)
    for pk in due.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            job = (
                StatementExport.objects.select_for_update()
                .filter(pk=pk, status=ExportStatus.DONE)
                .first()
            )
            if job is None:
                continue
            name, storage = job.file.name, job.file.storage
            StatementExport.objects.filter(pk=pk).update(
                status=ExportStatus.EXPIRED, file="", expired_at=timezone.now()
            )
            transaction.on_commit(lambda name=name, storage=storage: _delete(storage, name))
        expired += 1
    return expired


def _delete(storage, name: str) -> None:
    if not name:
        return
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not delete expired export file %s", name)
