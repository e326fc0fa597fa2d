"""Reading the spreadsheets bureaus send (xlsx, or csv in UTF-8 or GBK) into checked rows.

This module knows files, headers and cell shapes only; what a row means, and every write,
belongs to each app's importer, which goes through that app's services. An importer checks
every row first (the preview: new / update / unchanged / error, each error with its row,
column and message) and writes only a file without errors, in one database transaction, so a
file with any error imports nothing.
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.formats.base_formats import Format

from .errors import DomainError

DATA_SHEET = "导入数据"
NOTES_SHEET = "填表说明"
LISTS_SHEET = "选项"
XLSX_MAGIC = b"PK\x03\x04"
MERGE_RE = re.compile(rb'<mergeCell ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


class ImportFileError(DomainError):
    """A file that cannot be read as a table at all (nothing is checked row by row)."""

    code = "import_file_invalid"
    kind = "invalid"


class RowStatus:
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"

    LABELS = {
        NEW: gettext_lazy("new"),
        UPDATE: gettext_lazy("update"),
        UNCHANGED: gettext_lazy("unchanged"),
        ERROR: gettext_lazy("error"),
    }


class CellError(ValueError):
    """A cell that does not have the shape its column needs; the message is for the user."""


@dataclass(frozen=True)
class Column:
    """One column of a template: its key, its Chinese and English headers, how a cell is
    read, and the note the template's notes sheet shows."""

    key: str
    zh: str
    en: str
    parse: Callable[[Any], Any]
    required: bool = True
    note: str = ""
    choices: Callable[[], list[str]] | None = None
    width: int = 16

    def names(self) -> set[str]:
        return {normalise_header(n) for n in (self.key, self.zh, self.en)}


@dataclass
class Row:
    """One data row of the file: its spreadsheet row number and its raw cells by key."""

    number: int
    cells: dict[str, Any]


@dataclass
class RowResult:
    number: int
    status: str = RowStatus.NEW
    errors: list[tuple[str, str]] = field(default_factory=list)
    label: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    def error(self, column: str, message: str) -> None:
        self.errors.append((column, str(message)))
        self.status = RowStatus.ERROR

    def as_json(self) -> dict:
        return {
            "row": self.number,
            "status": self.status,
            "label": self.label,
            "errors": [{"column": c, "message": m} for c, m in self.errors],
        }

    @classmethod
    def from_json(cls, data: dict) -> "RowResult":
        return cls(
            number=data["row"],
            status=data["status"],
            label=data.get("label", ""),
            errors=[(e["column"], e["message"]) for e in data.get("errors", ())],
        )


def normalise_header(value: Any) -> str:
    """Headers compare without spaces, the required mark and case: "* 项目编号" is 项目编号."""
    text = "" if value is None else str(value)
    return re.sub(r"[\s*＊]", "", text).lower()


# --- cell parsers -----------------------------------------------------------------------


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A number typed into a text column (a project number 2025001) reads back as 2025001.0.
        value = int(value)
    return str(value).strip()


def required_text(value: Any) -> str:
    result = text(value)
    if not result:
        raise CellError(_("This cell is required."))
    return result


def amount(value: Any) -> Decimal | None:
    """An amount in tonnes with at most three decimals; blank is None. Floats from xlsx are
    read through their shortest text (0.1, not 0.1000000000000000055…)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError(_("Enter a number of tonnes, e.g. 1.234."))
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise CellError(
            _("“%(value)s” is not a number; enter tonnes, e.g. 1.234.") % {"value": value}
        ) from None
    if not number.is_finite():
        raise CellError(_("Enter a number of tonnes, e.g. 1.234."))
    if number < 0:
        raise CellError(_("The amount cannot be negative."))
    if number != number.quantize(Decimal("0.001")):
        raise CellError(_("Enter at most three decimals (0.001 t)."))
    return number.quantize(Decimal("0.001"))


def required_amount(value: Any) -> Decimal:
    result = amount(value)
    if result is None:
        raise CellError(_("This cell is required."))
    return result


def year(value: Any) -> int:
    try:
        result = int(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError, TypeError):
        raise CellError(_("Enter a year such as 2025.")) from None
    if not 2000 <= result <= 2100:
        raise CellError(_("Enter a year such as 2025."))
    return result


def date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value).replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise CellError(
            _("“%(value)s” is not a date; enter it as 2025-06-30.") % {"value": text(value)}
        ) from None


def optional_date(value: Any) -> datetime.date | None:
    return None if not text(value) else date(value)


YES = {"是", "y", "yes", "true", "1", "√"}
NO = {"否", "n", "no", "false", "0", ""}


def flag(value: Any) -> bool:
    raw = text(value).lower()
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise CellError(_("Enter 是 or 否."))


# --- reading files ----------------------------------------------------------------------


def read_rows(upload, columns: list[Column]) -> list[Row]:
    """The data rows of an uploaded xlsx or csv, cells keyed by column; refused as a whole
    (ImportFileError) when the file is too big, empty, of another kind, or its headers do
    not match the template."""
    return _rows(read_records(upload), columns)


def read_records(upload) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, cell values) of every row of an uploaded xlsx or csv, the
    header row first; refused as a whole (ImportFileError) when the file is too big, empty,
    of another kind, has merged cells, several data sheets or formulas never computed."""
    size = getattr(upload, "size", None)
    limit = settings.IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise ImportFileError(
            _("The file is %(size)s MB; at most %(limit)s MB can be imported.")
            % {"size": round(size / 1048576, 1), "limit": round(limit / 1048576)}
        )
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if not head:
        raise ImportFileError(_("The file is empty."))
    name = (getattr(upload, "name", "") or "").lower()
    if head == XLSX_MAGIC:
        return _xlsx_records(upload)
    if name.endswith(".csv"):
        return _csv_records(upload.read())
    raise ImportFileError(_("Upload the template as .xlsx, or a .csv file."))


def _rows(records: Iterator[tuple[int, list[Any]]], columns: list[Column]) -> list[Row]:
    header_row = next(records, None)
    if header_row is None:
        raise ImportFileError(_("The file is empty."))
    number, headers = header_row
    keys = _match_headers(headers, columns)
    rows = []
    for number, values in records:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells = {key: (values[i] if i < len(values) else None) for i, key in keys.items()}
        rows.append(Row(number=number, cells=cells))
    if not rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
    return rows


def _match_headers(headers: list[Any], columns: list[Column]) -> dict[int, str]:
    by_name = {name: column.key for column in columns for name in column.names()}
    keys: dict[int, str] = {}
    unknown = []
    for index, header in enumerate(headers):
        name = normalise_header(header)
        if not name:
            continue
        key = by_name.get(name)
        if key is None:
            unknown.append(str(header))
        elif key in keys.values():
            raise ImportFileError(_("The column “%(name)s” appears twice.") % {"name": header})
        else:
            keys[index] = key
    missing = [c.zh for c in columns if c.required and c.key not in keys.values()]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(_("unknown columns: %(names)s") % {"names": "、".join(unknown)})
        if missing:
            parts.append(_("missing columns: %(names)s") % {"names": "、".join(missing)})
        raise ImportFileError(
            _("The first row must hold the template's headers (Chinese or English); %(parts)s.")
            % {"parts": "; ".join(parts)}
        )
    return keys


def _csv_records(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The CSV file is neither UTF-8 nor GBK text."))
    reader = csv.reader(io.StringIO(content, newline=""))
    return ((number, row) for number, row in enumerate(reader, start=1))


def _xlsx_records(upload) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(upload)
        names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise ImportFileError(_("The file is not a readable Excel workbook.")) from None
    if "xl/vbaProject.bin" in names:
        raise ImportFileError(_("Workbooks with macros are not accepted; save it as .xlsx."))
    upload.seek(0)
    try:
        # data_only: a formula cell is read as the value Excel last computed for it.
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(_("The file is not a readable Excel workbook.")) from error
    sheet_names = workbook.sheetnames
    data_sheets = [n for n in sheet_names if n not in (NOTES_SHEET, LISTS_SHEET)]
    if DATA_SHEET in sheet_names:
        chosen = DATA_SHEET
    elif len(data_sheets) == 1:
        chosen = data_sheets[0]
    else:
        raise ImportFileError(
            _(
                "The workbook has several sheets (%(names)s); keep one, or put the data in the "
                "sheet named “%(sheet)s”."
            )
            % {"names": "、".join(sheet_names), "sheet": DATA_SHEET}
        )
    part = f"xl/worksheets/sheet{sheet_names.index(chosen) + 1}.xml"
    content = archive.read(part) if part in names else b""
    _refuse_merged_cells(content)
    formulas = _formula_cells(content)
    sheet = workbook[chosen]

    def records():
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = list(values)
            for column, cell in formulas.get(number, ()):
                if column < len(values) and values[column] is None:
                    raise ImportFileError(
                        _(
                            "Cell %(cell)s holds a formula with no computed value; open the "
                            "file in Excel or WPS and save it, or paste the values."
                        )
                        % {"cell": cell}
                    )
            yield number, values
        workbook.close()

    return records()


def _refuse_merged_cells(content: bytes) -> None:
    merged = [m.decode() for m in MERGE_RE.findall(content)]
    if merged:
        raise ImportFileError(
            _("The sheet has merged cells (%(ranges)s); unmerge them and fill every row.")
            % {"ranges": "、".join(merged[:5])}
        )


FORMULA_RE = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>]*>(?:(?!</c>).)*?<f[ >/]', re.S)


def _formula_cells(content: bytes) -> dict[int, list[tuple[int, str]]]:
    """Cells holding a formula, by row: a formula whose value was never computed (a file
    written by a program, not saved by Excel) must not read as a blank cell."""
    from openpyxl.utils import column_index_from_string

    if b"<f" not in content:
        return {}
    cells: dict[int, list[tuple[int, str]]] = {}
    for letters, number in FORMULA_RE.findall(content):
        column = column_index_from_string(letters.decode()) - 1
        cells.setdefault(int(number), []).append((column, f"{letters.decode()}{number.decode()}"))
    return cells


def check_cells(row: Row, columns: list[Column], result: RowResult) -> dict[str, Any]:
    """Each cell read by its column's parser; a bad cell adds an error naming its column."""
    values = {}
    for column in columns:
        raw = row.cells.get(column.key)
        try:
            values[column.key] = column.parse(raw)
        except CellError as error:
            result.error(column.zh, str(error))
    return values


def with_entity_choices(columns: list[Column], key: str, user, may) -> list[Column]:
    """The columns with ``key``'s drop-down list narrowed to the active entities ``may(user,
    entity)`` allows: a template never lists entities its user may not import for."""
    from .models import Entity

    def choices() -> list[str]:
        if user is None:
            return []
        entities = Entity.objects.filter(is_active=True, is_demo=False).order_by("code")
        return [entity.code for entity in entities if may(user, entity)]

    return [replace(c, choices=choices) if c.key == key else c for c in columns]


def template_workbook(columns: list[Column], *, title: str) -> bytes:
    """The template a bureau fills: the data sheet with the Chinese headers (bold, frozen,
    with drop-down lists where a column has choices), a notes sheet explaining every column
    and a sheet holding the lists."""
    from django.utils import translation
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    from .workbooks import HEADER_FILL, HEADER_FONT, DocumentSheet, SheetColumn

    with translation.override("zh-hans"):
        workbook = Workbook()
        data = workbook.active
        data.title = DATA_SHEET
        for index, column in enumerate(columns, start=1):
            cell = data.cell(row=1, column=index, value=column.zh)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            data.column_dimensions[get_column_letter(index)].width = max(column.width, 10)
        data.freeze_panes = "A2"
        notes = DocumentSheet(
            workbook.create_sheet(NOTES_SHEET),
            title=title,
            lines=[
                [
                    _("Fill the sheet “%(sheet)s” from its second row; keep its first row.")
                    % {"sheet": DATA_SHEET}
                ]
            ],
            columns=[
                SheetColumn(_("Column"), width=24),
                SheetColumn(_("English header"), width=28),
                SheetColumn(_("Required"), width=8),
                SheetColumn(_("Notes"), width=60),
            ],
        )
        for column in columns:
            notes.row(
                [column.zh, column.en, _("yes") if column.required else _("no"), str(column.note)]
            )
        notes.finish()
        lists = workbook.create_sheet(LISTS_SHEET)
        list_column = 0
        for index, column in enumerate(columns, start=1):
            if column.choices is None:
                continue
            choices = column.choices()
            if not choices:
                continue
            list_column += 1
            letter = get_column_letter(list_column)
            lists.cell(row=1, column=list_column, value=column.zh)
            for offset, choice in enumerate(choices, start=2):
                lists.cell(row=offset, column=list_column, value=choice)
            validation = DataValidation(
                type="list",
                formula1=f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(choices) + 1}",
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle=column.zh,
                error=_("Pick a value from the list."),
            )
            target = get_column_letter(index)
            validation.add(f"{target}2:{target}20001")
            data.add_data_validation(validation)
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()


class SpreadsheetFormat(Format):
    """django-import-export's format for the import templates (the admin's Import page): an
    .xlsx or a .csv in UTF-8 or GBK, read by :func:`read_records` with every check of the
    import pages. The dataset carries the uploaded bytes (``dataset.source``) so that the
    resource reads, checks and keeps the very file that was uploaded."""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return "xlsx / csv"

    def get_extension(self):
        return "xlsx"

    def can_import(self):
        return True

    def create_dataset(self, in_stream, **kwargs):
        import tablib

        content = in_stream.encode("utf-8") if isinstance(in_stream, str) else bytes(in_stream)
        upload = io.BytesIO(content)
        upload.name = "upload.xlsx" if content[:4] == XLSX_MAGIC else "upload.csv"
        upload.size = len(content)
        records = [values for _number, values in read_records(upload)]
        width = max((len(values) for values in records), default=0)
        dataset = tablib.Dataset()
        if records:
            dataset.headers = [text(h) for h in records[0]] + [""] * (width - len(records[0]))
            for values in records[1:]:
                dataset.append(list(values) + [None] * (width - len(values)))
        dataset.source = content
        return dataset
