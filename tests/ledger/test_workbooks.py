"""Formula injection (issue 9 item 6): user text never becomes a live formula in a workbook."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from ledger import services
from ledger.exports import write_statement
from ledger.workbooks import append_row, safe_value

DANGEROUS = [
    '=HYPERLINK("http://evil.example/x","点击查看")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def reopen(workbook: Workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return load_workbook(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("write_only", [True, False])
def test_formula_like_text_is_written_as_text_and_numbers_keep_their_type(write_only):
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("s") if write_only else workbook.active
    append_row(
        sheet, [*DANGEROUS, "普通文字", 7, Decimal("1.250"), datetime.date(2026, 1, 2), None, "末"]
    )
    cells = reopen(workbook).worksheets[-1][1]
    for cell, text in zip(cells, DANGEROUS, strict=False):
        assert cell.data_type == "s"
        assert cell.quotePrefix
        assert cell.value.lstrip("\r\n") == text.lstrip("\r")
    plain, number, decimal, date, empty, _last = cells[len(DANGEROUS) :]
    assert (plain.value, plain.data_type, plain.quotePrefix) == ("普通文字", "s", False)
    assert (number.value, number.data_type) == (7, "n")
    assert (decimal.value, decimal.data_type) == (1.25, "n")
    assert date.data_type == "d" and date.value.date() == datetime.date(2026, 1, 2)
    assert empty.value is None


def test_safe_value_leaves_ordinary_values_alone():
    sheet = Workbook(write_only=True).create_sheet("s")
    for value in ("台账", "1-2", 0, -5, Decimal("-0.5"), datetime.date(2026, 1, 1), None):
        assert safe_value(sheet, value) == value


@pytest.mark.django_db
def test_statement_writes_a_formula_like_reference_as_text(tmp_path, pudong, municipal_clerk):
    account = services.entity_account(pudong, "COD")
    pool = services.system_account("ALLOCATION_POOL", "COD")
    services.post(
        kind="ALLOCATION",
        legs=[services.Leg(pool, Decimal("-5")), services.Leg(account, Decimal("5"))],
        idempotency_key="formula",
        user=municipal_clerk,
        effective_date=datetime.date(2026, 1, 10),
        reference_text=DANGEROUS[0],
    )
    path = tmp_path / "statement.xlsx"
    write_statement(entity=pudong, date_from=None, date_to=None, path=path)
    row = load_workbook(path)["COD"][6]
    date, number, _kind, reference, credit, _debit, balance, _held = row
    assert (reference.value, reference.data_type) == (DANGEROUS[0], "s")
    assert reference.quotePrefix
    assert (credit.value, credit.data_type) == (5, "n")
    assert (balance.value, balance.data_type) == (5, "n")
    assert date.data_type == "d" and number.data_type == "n"
