"""Writing the Excel workbooks we hand out (statements, bundle sheets, reports, templates).

Every value that goes into a workbook passes through :func:`safe_value` (usually by way of
:func:`append_row`), so that user text can never become a live formula: a project named
``=HYPERLINK(…)`` must show as that text in Excel, not run. Numbers, decimals and dates
keep their type so the sheet still sums and sorts.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

# What spreadsheet programs read as the start of a formula (OWASP "CSV injection"): tab and
# carriage return too, because some programs strip them and then see the next character.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def safe_value(sheet: Worksheet, value: Any) -> Any:
    """The value to put in a cell of ``sheet``: text that looks like a formula becomes a
    text cell marked with Excel's quote prefix (shown unchanged, stays text when edited);
    everything else is returned as it is."""
    if not is_formula_like(value):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    # openpyxl made it a formula on assignment; say it is a string and keep the text exact.
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append one row to ``sheet`` (normal or write-only), every value made safe."""
    sheet.append([safe_value(sheet, value) for value in values])


# --- One layout for every workbook we hand out (issue 11) -------------------------------
#
# A bureau reads these on paper as often as on screen: title and entity on top, a bold,
# filled and bordered header that stays in view (frozen) and repeats on every printed page,
# amounts in 0.000 (three decimals, the ledger's precision), opening and closing balances
# under the balance column, landscape and fit to one page wide.

AMOUNT_FORMAT = "0.000"
DATE_FORMAT = "yyyy-mm-dd"
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=14)
TOTAL_FONT = Font(bold=True)


@dataclass(frozen=True)
class SheetColumn:
    """A column of a document sheet: its header, width (characters) and whether it holds
    amounts (formatted 0.000) or dates."""

    header: str
    width: int = 14
    amount: bool = False
    date: bool = False


class DocumentSheet:
    """Writes one sheet in the bureau layout, in normal or write-only workbooks.

    Widths and the frozen header are set before the first row (write-only mode writes the
    sheet's head with the first row); the autofilter and print setup at :meth:`finish`.
    """

    def __init__(
        self,
        sheet: Worksheet,
        *,
        title: str,
        lines: Iterable[Iterable[Any]] = (),
        columns: list[SheetColumn],
        balance_column: int | None = None,
    ):
        self.sheet = sheet
        self.columns = columns
        self.balance_column = balance_column
        lines = [list(line) for line in lines]
        self.header_row = 2 + len(lines)
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = f"A{self.header_row + 1}"
        self.row_count = 0
        self._append([self._cell(title, font=TITLE_FONT)])
        for line in lines:
            self._append([safe_value(sheet, value) for value in line])
        self._append(
            [
                self._cell(column.header, font=HEADER_FONT, fill=HEADER_FILL, border=True)
                for column in columns
            ]
        )

    def _append(self, cells: list[Any]) -> None:
        self.sheet.append(cells)
        self.row_count += 1

    def _cell(self, value, *, font=None, fill=None, border=False, number_format=None):
        cell = safe_value(self.sheet, value)
        if not isinstance(cell, Cell):
            cell = WriteOnlyCell(self.sheet, value=cell)
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if border:
            cell.border = BORDER
        if number_format:
            cell.number_format = number_format
        return cell

    def row(self, values: Iterable[Any], *, bold: bool = False) -> None:
        cells = []
        for index, value in enumerate(values):
            column = self.columns[index] if index < len(self.columns) else None
            number_format = None
            if column is not None and column.amount:
                number_format = AMOUNT_FORMAT
            elif column is not None and column.date:
                number_format = DATE_FORMAT
            cells.append(
                self._cell(
                    value,
                    font=TOTAL_FONT if bold else None,
                    border=True,
                    number_format=number_format,
                )
            )
        self._append(cells)

    def balance(self, label: str, amount) -> None:
        """A balance line: the label in the first column, the amount under the balance
        column (0.000, bold)."""
        values: list[Any] = [None] * len(self.columns)
        values[0] = label
        values[self.balance_column] = amount
        self.row(values, bold=True)

    def finish(self) -> None:
        last = get_column_letter(len(self.columns))
        self.sheet.auto_filter.ref = (
            f"A{self.header_row}:{last}{max(self.row_count, self.header_row)}"
        )
        self.sheet.print_title_rows = f"{self.header_row}:{self.header_row}"
        self.sheet.page_setup.orientation = "landscape"
        self.sheet.page_setup.paperSize = 9  # A4
        self.sheet.page_setup.fitToWidth = 1
        self.sheet.page_setup.fitToHeight = 0
        self.sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        self.sheet.print_options.horizontalCentered = True


def csv_safe(value: Any) -> Any:
    """A value for a CSV cell: formula-like text gets a leading apostrophe (OWASP), which
    spreadsheet programs show as text instead of evaluating."""
    return "'" + value if is_formula_like(value) else value
