"""Writing cells into the Excel workbooks we hand out (statements, bundle sheets).

Every value that goes into a workbook passes through :func:`safe_value` (usually by way of
:func:`append_row`), so that user text can never become a live formula: a project named
``=HYPERLINK(…)`` must show as that text in Excel, not run. Numbers, decimals and dates
keep their type so the sheet still sums and sorts.
"""

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
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


def csv_safe(value: Any) -> Any:
    """A value for a CSV cell: formula-like text gets a leading apostrophe (OWASP), which
    spreadsheet programs show as text instead of evaluating."""
    return "'" + value if is_formula_like(value) else value
