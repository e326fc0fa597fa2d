"""Spreadsheet imports: five-year targets here, and the registry and job runner every import
goes through (projects and national results are ``reductions.imports``).

Two steps: the upload is checked row by row (the preview) and nothing is written; the user
confirms, the file is checked again (the data may have changed since) and, only when no row
has an error, written through the services in one transaction. Files over
``IMPORT_ASYNC_ROWS`` rows run both steps as Celery tasks whose progress the page polls.
"""

import datetime
import io
import logging
import os
from collections.abc import Callable, Iterable
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.resources import Resource
from import_export.results import Error, Result
from import_export.results import RowResult as IERowResult

from ledger import imports as sheet
from ledger.errors import DomainError
from ledger.imports import Column, Row, RowResult, RowStatus
from ledger.models import Entity, EntityKind, Pollutant, Role, User
from reductions.imports import NationalResultImporter, ProjectImporter, _zh_symbol
from reductions.models import PlanPeriod

from . import services, trades
from .models import ImportJob, ImportStatus, Target, TradeDirection, TradeRecord

Progress = Callable[[int, int], None]
logger = logging.getLogger(__name__)
TARGET_KINDS = (EntityKind.DISTRICT, EntityKind.COMMITTEE, EntityKind.ENTERPRISE)


class ImportRefused(DomainError):
    code = "import_refused"
    kind = "conflict"


def _no_progress(done: int, total: int) -> None:
    return None


def target_columns() -> list[Column]:
    columns = [
        Column(
            "entity",
            "主体代码",
            "entity code",
            sheet.required_text,
            note=gettext_lazy("District, committee or municipal enterprise: code or Chinese name."),
            choices=_entity_choices,
            width=14,
        ),
        Column(
            "entity_name",
            "主体名称",
            "entity name",
            sheet.text,
            required=False,
            note=gettext_lazy("For reading only; the code decides."),
            width=20,
        ),
        Column(
            "plan_period",
            "规划期",
            "plan period",
            sheet.required_text,
            choices=lambda: list(PlanPeriod.objects.values_list("code", flat=True)),
            width=10,
        ),
        Column(
            "reason",
            "变更原因",
            "reason",
            sheet.text,
            required=False,
            note=gettext_lazy("Required when an existing target changes."),
            width=24,
        ),
    ]
    for pollutant in Pollutant:
        columns.append(
            Column(
                f"target_{pollutant.value}",
                f"{_zh_symbol(pollutant)}目标（吨）",
                f"{pollutant.symbol} target (t)",
                sheet.amount,
                required=False,
                note=gettext_lazy(
                    "Five-year reduction target in tonnes; blank leaves the target as it is."
                ),
                width=14,
            )
        )
    return columns


def _entity_choices() -> list[str]:
    return list(
        Entity.objects.filter(kind__in=TARGET_KINDS, is_active=True, is_demo=False)
        .order_by("code")
        .values_list("code", flat=True)
    )


class TargetImporter:
    """Five-year targets (五年减排目标): one row per entity and period, one column per
    pollutant, entered through ``services.set_target`` (each change kept with its reason)."""

    kind = "targets"
    title = gettext_lazy("Five-year reduction targets")

    def __init__(self, user: User):
        self.user = user
        self.columns = target_columns()

    @staticmethod
    def may_use(user: User) -> bool:
        return user.has_role(Role.MUNICIPAL_CLERK)

    def check(self, rows: list[Row], progress: Progress = _no_progress) -> list[RowResult]:
        entities = {}
        for entity in Entity.objects.filter(kind__in=TARGET_KINDS):
            entities[sheet.normalise_header(entity.code)] = entity
            entities[sheet.normalise_header(entity.name_zh)] = entity
        periods = {sheet.normalise_header(p.code): p for p in PlanPeriod.objects.all()}
        periods.update({sheet.normalise_header(p.name_zh): p for p in PlanPeriod.objects.all()})
        targets = {
            (t.entity_id, t.plan_period_id, t.pollutant): t.amount for t in Target.objects.all()
        }
        seen: dict[tuple[int, int], int] = {}
        results = []
        for row in rows:
            result = RowResult(number=row.number)
            values = sheet.check_cells(row, self.columns, result)
            entity = entities.get(sheet.normalise_header(values.get("entity")))
            period = periods.get(sheet.normalise_header(values.get("plan_period")))
            result.label = values.get("entity") or ""
            if values.get("entity") and entity is None:
                result.error(
                    "主体代码",
                    _("“%(value)s” is not a district or enterprise.") % {"value": values["entity"]},
                )
            if values.get("plan_period") and period is None:
                result.error(
                    "规划期",
                    _("“%(value)s” is not a plan period.") % {"value": values["plan_period"]},
                )
            if entity is not None and period is not None:
                if (entity.pk, period.pk) in seen:
                    result.error(
                        "主体代码",
                        _("%(entity)s %(period)s is also on row %(row)s.")
                        % {
                            "entity": entity.code,
                            "period": period.code,
                            "row": seen[entity.pk, period.pk],
                        },
                    )
                seen.setdefault((entity.pk, period.pk), row.number)
            if result.errors:
                results.append(result)
                continue
            changes = {}
            status = RowStatus.UNCHANGED
            for pollutant in Pollutant:
                amount = values.get(f"target_{pollutant.value}")
                if amount is None:
                    continue
                old = targets.get((entity.pk, period.pk, pollutant.value))
                if old is None:
                    status = RowStatus.NEW if status != RowStatus.UPDATE else status
                elif old != amount:
                    status = RowStatus.UPDATE
                    if not values.get("reason"):
                        result.error(
                            f"{_zh_symbol(pollutant)}目标（吨）",
                            _("The target changes from %(old)s t: say why in 变更原因.")
                            % {"old": old},
                        )
                else:
                    continue
                changes[pollutant.value] = amount
            if not result.errors:
                result.status = status
            result.values = {
                "entity": entity,
                "period": period,
                "changes": changes,
                "reason": values.get("reason") or "",
            }
            results.append(result)
        progress(len(rows), len(rows))
        return results

    def apply(self, results: Iterable[RowResult], progress: Progress = _no_progress) -> int:
        todo = [r for r in results if r.status in (RowStatus.NEW, RowStatus.UPDATE)]
        with transaction.atomic():
            for result in todo:
                for pollutant, amount in result.values["changes"].items():
                    services.set_target(
                        entity=result.values["entity"],
                        plan_period=result.values["period"],
                        pollutant=pollutant,
                        amount=amount,
                        reason=result.values["reason"],
                        user=self.user,
                    )
        progress(len(todo), len(todo))
        return len(todo)


POLLUTANT_NAMES = {
    **{sheet.normalise_header(p.value): p.value for p in Pollutant},
    **{sheet.normalise_header(p.symbol): p.value for p in Pollutant},
    **{sheet.normalise_header(_zh_symbol(p)): p.value for p in Pollutant},
}
DIRECTION_NAMES = {
    "acquired": TradeDirection.ACQUIRED,
    "买入": TradeDirection.ACQUIRED,
    "购入": TradeDirection.ACQUIRED,
    "sold": TradeDirection.SOLD,
    "出让": TradeDirection.SOLD,
    "卖出": TradeDirection.SOLD,
}


def trade_columns() -> list[Column]:
    return [
        Column(
            "certificate_number",
            "交易凭证编号",
            "certificate number",
            sheet.required_text,
            note=gettext_lazy("Trade certificate or contract number; recorded once."),
            width=20,
        ),
        Column(
            "entity",
            "台账主体",
            "entity",
            sheet.text,
            required=False,
            note=gettext_lazy("Code or Chinese name; blank means your own entity."),
            choices=_entity_choices,
            width=14,
        ),
        Column(
            "direction",
            "方向",
            "direction",
            sheet.required_text,
            note=gettext_lazy("买入 (acquired) or 卖出 (sold)."),
            choices=lambda: ["买入", "卖出"],
            width=8,
        ),
        Column("counterparty", "交易对方", "counterparty", sheet.required_text, width=24),
        Column("trade_date", "交易日期", "trade date", sheet.date, width=12),
        Column(
            "pollutant",
            "污染物",
            "pollutant",
            sheet.required_text,
            choices=lambda: [p.symbol for p in Pollutant],
            width=10,
        ),
        Column("amount", "数量（吨）", "amount (t)", sheet.required_amount, width=12),
        Column("memo", "备注", "memo", sheet.text, required=False, width=24),
    ]


class TradeImporter:
    """Emission-rights trades (排污权交易) recorded through ``trades.record_trade``, each
    waiting for a municipal approver's confirmation as usual. The uploaded workbook (the
    trading platform's list) is kept as every record's evidence, so only .xlsx is taken."""

    kind = "trades"
    title = gettext_lazy("Emission-rights trade records")

    def __init__(self, user: User):
        self.user = user
        self.columns = sheet.with_entity_choices(
            trade_columns(),
            "entity",
            user,
            lambda u, entity: (
                entity.kind in TARGET_KINDS and trades.may_record_trade_for(u, entity)
            ),
        )
        self.source: tuple[str, bytes] | None = None

    @staticmethod
    def may_use(user: User) -> bool:
        return user.has_role(Role.DISTRICT_CLERK, Role.MUNICIPAL_CLERK, Role.ENTERPRISE_USER)

    def check(self, rows: list[Row], progress: Progress = _no_progress) -> list[RowResult]:
        entities = {}
        for entity in Entity.objects.filter(kind__in=TARGET_KINDS):
            entities[sheet.normalise_header(entity.code)] = entity
            entities[sheet.normalise_header(entity.name_zh)] = entity
        numbers = [
            trades.normalise_number(sheet.text(r.cells.get("certificate_number"))) for r in rows
        ]
        earlier = {
            (r.certificate_number, r.direction): r
            for r in TradeRecord.objects.filter(
                certificate_number__in=numbers, status__in=trades.LIVE_STATUSES
            )
        }
        seen: dict[tuple[str, str], int] = {}
        results = []
        for row in rows:
            result = RowResult(number=row.number)
            values = sheet.check_cells(row, self.columns, result)
            number = trades.normalise_number(values.get("certificate_number") or "")
            result.label = number
            entity = (
                entities.get(sheet.normalise_header(values["entity"]))
                if values.get("entity")
                else self.user.entity
            )
            if entity is None or entity.kind not in TARGET_KINDS:
                result.error(
                    "台账主体",
                    _("“%(value)s” is not a district or enterprise.")
                    % {"value": values.get("entity", "")},
                )
            elif not trades.may_record_trade_for(self.user, entity):
                result.error(
                    "台账主体", _("You may not record trades for %(entity)s.") % {"entity": entity}
                )
            direction = DIRECTION_NAMES.get(sheet.normalise_header(values.get("direction")))
            if values.get("direction") and direction is None:
                result.error("方向", _("Enter 买入 or 卖出."))
            pollutant = POLLUTANT_NAMES.get(sheet.normalise_header(values.get("pollutant")))
            if values.get("pollutant") and pollutant is None:
                result.error("污染物", _("Unknown pollutant “%(p)s”.") % {"p": values["pollutant"]})
            if values.get("amount") is not None and values["amount"] <= 0:
                result.error("数量（吨）", _("The amount must be greater than 0."))
            if result.errors:
                results.append(result)
                continue
            key = (number, direction)
            if key in seen:
                result.error(
                    "交易凭证编号",
                    _("%(number)s is also on row %(row)s.") % {"number": number, "row": seen[key]},
                )
                results.append(result)
                continue
            seen[key] = row.number
            record = earlier.get(key)
            if record is not None:
                same = (
                    record.entity_id == entity.pk
                    and record.pollutant == pollutant
                    and record.amount == values["amount"]
                    and record.trade_date == values["trade_date"]
                )
                if same:
                    result.status = RowStatus.UNCHANGED
                else:
                    result.error("交易凭证编号", str(trades._duplicate(record, self.user)))
            else:
                result.status = RowStatus.NEW
            result.values = {
                **values,
                "entity": entity,
                "direction": direction,
                "pollutant": pollutant,
                "certificate_number": number,
            }
            results.append(result)
        progress(len(rows), len(rows))
        return results

    def apply(self, results: Iterable[RowResult], progress: Progress = _no_progress) -> int:
        from django.core.files.uploadedfile import SimpleUploadedFile

        todo = [r for r in results if r.status == RowStatus.NEW]
        if todo and (self.source is None or not self.source[0].lower().endswith(".xlsx")):
            raise ImportRefused(
                _(
                    "Trade records are imported from .xlsx only: the workbook is kept as each "
                    "record's evidence."
                ),
                code="trade_import_needs_xlsx",
            )
        with transaction.atomic():
            for result in todo:
                values = result.values
                name, content = self.source
                trades.record_trade(
                    user=self.user,
                    entity=values["entity"],
                    direction=values["direction"],
                    certificate_number=values["certificate_number"],
                    counterparty=values["counterparty"],
                    trade_date=values["trade_date"],
                    pollutant=values["pollutant"],
                    amount=values["amount"],
                    evidence=SimpleUploadedFile(name, content),
                    memo=values.get("memo") or "",
                )
        progress(len(todo), len(todo))
        return len(todo)


IMPORTERS = {
    importer.kind: importer
    for importer in (ProjectImporter, NationalResultImporter, TargetImporter, TradeImporter)
}


def importer_for(kind: str, user: User):
    importer = IMPORTERS.get(kind)
    if importer is None or not importer.may_use(user):
        return None
    return importer(user)


def _counts(results: list[RowResult]) -> dict[str, int]:
    counts = dict.fromkeys(RowStatus.LABELS, 0)
    for result in results:
        counts[result.status] += 1
    return counts


def _importer_or_refuse(kind: str, user: User):
    importer = importer_for(kind, user)
    if importer is None:
        raise ImportRefused(_("You may not import this."), code="import_forbidden")
    return importer


def _new_job(
    *, user: User, kind: str, upload, rows: list[Row] | None = None
) -> tuple[ImportJob, list[Row]]:
    """The upload read (refused as a whole before a job exists when it is not a table of
    the template) and stored as a job of its uploader."""
    importer = _importer_or_refuse(kind, user)
    if rows is None:
        rows = sheet.read_rows(upload, importer.columns)
    upload.seek(0)
    job = ImportJob(
        kind=kind, requested_by=user, filename=(upload.name or "")[:255], rows_total=len(rows)
    )
    job.file.save("upload" + _extension(upload.name), ContentFile(upload.read()), save=False)
    job.save()
    return job, rows


def preview_file(*, user: User, kind: str, upload) -> tuple[list[Row], list[RowResult]]:
    """Every row of the upload checked, nothing written and nothing stored (the admin's dry
    run; the pages store the upload as a job first, :func:`start_import`)."""
    importer = _importer_or_refuse(kind, user)
    rows = sheet.read_rows(upload, importer.columns)
    return rows, importer.check(rows)


def import_now(*, user: User, kind: str, upload) -> ImportJob:
    """Store, check and write the upload at once, whatever its size (the admin's import): the
    same job, the same check again and the same all-or-nothing write as a confirmed page
    import. The job records who imported what; its status says whether anything was."""
    job, _rows = _new_job(user=user, kind=kind, upload=upload)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING)
    run_apply(job.pk)
    job.refresh_from_db()
    return job


def start_large_import(*, user: User, kind: str, upload) -> ImportJob | None:
    """For the admin's Import: a file of more than ``IMPORT_ASYNC_ROWS`` rows is started as a
    page import (checked in a Celery task, its progress on the job page, confirmed there), so
    no request reads and writes thousands of rows twice. ``None`` for a smaller file or one
    that cannot be read as a table: the admin checks it itself and shows why."""
    importer = _importer_or_refuse(kind, user)
    try:
        rows = sheet.read_rows(upload, importer.columns)
    except DomainError:
        rows = None
    upload.seek(0)
    if rows is None or len(rows) <= settings.IMPORT_ASYNC_ROWS:
        return None
    return start_import(user=user, kind=kind, upload=upload, rows=rows)


def start_import(*, user: User, kind: str, upload, rows: list[Row] | None = None) -> ImportJob:
    """Store the upload and check it: at once for a small file, in a Celery task for a
    large one. A file that cannot be read as a table is refused before a job exists."""
    job, rows = _new_job(user=user, kind=kind, upload=upload, rows=rows)
    if len(rows) > settings.IMPORT_ASYNC_ROWS:
        from .tasks import check_import

        transaction.on_commit(lambda: check_import.delay(job.pk))
    else:
        run_check(job.pk, rows=rows)
        job.refresh_from_db()
    return job


def _extension(name: str | None) -> str:
    return ".csv" if (name or "").lower().endswith(".csv") else ".xlsx"


class _ProgressWriter:
    """Writes a job's progress where the polling page can see it while the import's own
    transaction is still open: on PostgreSQL through a second, autocommit connection
    (SQLite, which locks the whole file, keeps it on the same connection)."""

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self.side = None
        if connection.vendor == "postgresql":
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, done: int, total: int) -> None:
        if self.side is None:
            ImportJob.objects.filter(pk=self.job_id).update(rows_done=done, rows_total=total)
            return
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET rows_done = %s, rows_total = %s "
                "WHERE id = %s",
                [done, total, self.job_id],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _read(job: ImportJob, importer) -> list[Row]:
    with job.file.open("rb") as handle:
        content = handle.read()
    # A named buffer: read_rows tells csv from xlsx by the original name.
    upload = io.BytesIO(content)
    upload.name, upload.size = job.filename, len(content)
    return sheet.read_rows(upload, importer.columns)


def run_check(job_id: int, *, rows: list[Row] | None = None) -> None:
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    importer = importer_for(job.kind, job.requested_by)
    try:
        if importer is None:
            raise ImportRefused(_("You may not import this."), code="import_forbidden")
        rows = rows if rows is not None else _read(job, importer)
        progress = _ProgressWriter(job)
        try:
            results = importer.check(rows, progress)
        finally:
            progress.close()
    except DomainError as error:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, error=str(error))
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.CHECKED,
        preview=[r.as_json() for r in results],
        counts=_counts(results),
        rows_done=len(rows),
        rows_total=len(rows),
    )


def confirm_import(*, job: ImportJob, user: User) -> ImportJob:
    """Import a checked file without errors; refused otherwise (nothing is written)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.requested_by_id != user.pk:
            raise ImportRefused(_("Only whoever uploaded the file can import it."))
        if job.status != ImportStatus.CHECKED:
            raise ImportRefused(_("This file is not waiting to be imported."))
        if job.has_errors:
            raise ImportRefused(
                _("The file has rows with errors; correct them and upload it again."),
                code="import_has_errors",
            )
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, rows_done=0)
    if job.rows_total > settings.IMPORT_ASYNC_ROWS:
        from .tasks import apply_import

        apply_import.delay(job.pk)
    else:
        run_apply(job.pk)
    job.refresh_from_db()
    return job


def run_apply(job_id: int) -> None:
    """Check the stored file again and write it; any row now in error writes nothing."""
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    importer = importer_for(job.kind, job.requested_by)
    try:
        if importer is None:
            raise ImportRefused(_("You may not import this."), code="import_forbidden")
        rows = _read(job, importer)
        with job.file.open("rb") as handle:
            importer.source = (job.filename, handle.read())
        results = importer.check(rows)
        counts = _counts(results)
        if counts[RowStatus.ERROR]:
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.CHECKED,
                preview=[r.as_json() for r in results],
                counts=counts,
                error=_("The data changed since the preview; nothing was imported."),
            )
            return
        progress = _ProgressWriter(job)
        try:
            imported = importer.apply(results, progress)
        finally:
            progress.close()
    except DomainError as error:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, error=str(error))
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE,
        counts=counts,
        preview=[r.as_json() for r in results],
        imported=imported,
        finished_at=timezone.now(),
    )


def expire_uploads(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Delete the files of imports uploaded more than ``days`` (by default
    ``IMPORT_UPLOAD_RETENTION_DAYS``) ago;
    each job row stays as the record of who imported what (file name, counts, every row's
    preview). A job still waiting to be confirmed can no longer be: it says so. Returns how
    many files were deleted.

    The row changes first and the file goes after the commit: a failure in between leaves a
    file no row names, never a row naming a file that is gone.
    """
    days = settings.IMPORT_UPLOAD_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    expired = 0
    due = ImportJob.objects.filter(requested_at__lt=cutoff).exclude(file="")
    for pk in due.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().filter(pk=pk).exclude(file="").first()
            if job is None:
                continue
            name, storage = job.file.name, job.file.storage
            changes = {"file": ""}
            if job.status not in (ImportStatus.DONE, ImportStatus.FAILED):
                changes.update(
                    status=ImportStatus.FAILED,
                    error=_(
                        "The uploaded file was deleted after %(days)s days without being "
                        "imported; upload it again."
                    )
                    % {"days": days},
                )
            ImportJob.objects.filter(pk=pk).update(**changes)
            transaction.on_commit(lambda name=name, storage=storage: _delete(storage, name))
        expired += 1
    return expired


def _delete(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not delete the expired import file %s", name)


# --- django-import-export resources (the admin's Import) ----------------------------------


class _FileError(Error):
    """A file refused as a whole: its message, no traceback (it is the user's file, not a
    fault)."""

    traceback = ""


class SheetResource(Resource):
    """django-import-export's face of one importer, for the admin's Import (and any caller
    of ``import_data``). There is no second copy of the rules: the dry run is the pages'
    preview (:func:`preview_file`: the reader, then the importer's checks), the import is a
    confirmed page import (:func:`import_now`: a job recording who imported what, every row
    checked again and written through the services in one transaction, nothing written when
    any row errs). Rows map to django-import-export's: new, update, unchanged as skip, and
    error as invalid with each message under its column."""

    kind = ""
    IMPORT_TYPES = {
        RowStatus.NEW: IERowResult.IMPORT_TYPE_NEW,
        RowStatus.UPDATE: IERowResult.IMPORT_TYPE_UPDATE,
        RowStatus.UNCHANGED: IERowResult.IMPORT_TYPE_SKIP,
        RowStatus.ERROR: IERowResult.IMPORT_TYPE_INVALID,
    }

    @classmethod
    def importer_class(cls):
        return IMPORTERS[cls.kind]

    @classmethod
    def get_display_name(cls) -> str:
        return str(cls.importer_class().title)

    @classmethod
    def may_use(cls, user: User) -> bool:
        return cls.importer_class().may_use(user)

    def columns(self) -> list[Column]:
        return self.importer_class()(None).columns

    def get_user_visible_fields(self):
        return [SimpleNamespace(column_name=column.zh) for column in self.columns()]

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ) -> Result:
        user = kwargs.get("user")
        columns = self.columns()
        result = Result()
        result.diff_headers = [column.zh for column in columns]
        try:
            if user is None:
                raise ImportRefused(_("You may not import this."), code="import_forbidden")
            upload = self._upload(dataset, kwargs.get("file_name"))
            if dry_run:
                rows, results = preview_file(user=user, kind=self.kind, upload=upload)
                cells = {row.number: row.cells for row in rows}
            else:
                job = import_now(user=user, kind=self.kind, upload=upload)
                if job.status == ImportStatus.FAILED:
                    raise ImportRefused(job.error)
                results = [RowResult.from_json(row) for row in job.preview]
                cells = {}
                if job.error:  # the data changed since the preview: nothing was written
                    result.append_base_error(_FileError(ImportRefused(job.error)))
        except DomainError as error:
            if raise_errors:
                raise
            result.append_base_error(_FileError(error))
            return result
        for row in results:
            self._append(result, row, cells.get(row.number, {}), columns)
        result.total_rows = len(results)
        return result

    def _upload(self, dataset, file_name: str | None):
        """The uploaded file (SpreadsheetFormat keeps its bytes on the dataset), or a dataset
        built in code written out as an .xlsx, so the one reader reads either."""
        content = getattr(dataset, "source", None)
        name = file_name or ""
        if content is None:
            content = dataset.export("xlsx")
            name = (os.path.splitext(os.path.basename(name))[0] or self.kind) + ".xlsx"
        elif not name:
            name = "upload.xlsx" if content[:4] == sheet.XLSX_MAGIC else "upload.csv"
        upload = io.BytesIO(content)
        upload.name, upload.size = name, len(content)
        return upload

    def _append(self, result: Result, row: RowResult, cells: dict, columns: list[Column]):
        shown = {column.zh: sheet.text(cells.get(column.key)) for column in columns}
        line = IERowResult()
        line.import_type = self.IMPORT_TYPES[row.status]
        line.diff = list(shown.values())
        line.row_values = shown
        line.object_repr = row.label
        if row.errors:
            by_column: dict[str, list[str]] = {}
            for column, message in row.errors:
                by_column.setdefault(column or "—", []).append(message)
            line.validation_error = ValidationError(by_column)
            result.append_invalid_row(row.number, shown, line.validation_error)
        result.append_row_result(line)
        result.increment_row_result_total(line)


class ProjectResource(SheetResource):
    kind = ProjectImporter.kind


class NationalResultResource(SheetResource):
    kind = NationalResultImporter.kind


class TargetResource(SheetResource):
    kind = TargetImporter.kind


class TradeResource(SheetResource):
    kind = TradeImporter.kind


RESOURCES = [ProjectResource, NationalResultResource, TargetResource, TradeResource]
