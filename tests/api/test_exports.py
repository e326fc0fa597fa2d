"""CSV and XLSX exports of the API lists: same filters and scope as the list, streamed,
formula-safe."""

import csv
import io

import pytest
from openpyxl import load_workbook

from allocations.models import TradeRecord

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_a_list_exports_as_csv_with_its_filters_and_scope(world, token_for, district_clerk):
    response = token_for(district_clerk).get("/api/v1/accounts/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.streaming
    header, *rows = csv_rows(response)
    assert header[:3] == ["id", "entity_id", "entity_code"]
    assert {row[2] for row in rows} == {"310115"}
    filtered = token_for(district_clerk).get(
        "/api/v1/transactions/", {"entity": "310104"}, HTTP_ACCEPT="text/csv"
    )
    assert csv_rows(filtered)[1:] == []


def test_text_that_looks_like_a_formula_stays_text(world, token_for, reporter):
    TradeRecord.objects.update(counterparty='=HYPERLINK("http://evil","x")')
    client = token_for(reporter)
    header, *rows = csv_rows(client.get("/api/v1/trade-records/?format=csv"))
    column = header.index("counterparty")
    assert all(row[column].startswith("'=") for row in rows)
    response = client.get("/api/v1/trade-records/?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [cell.value for cell in sheet[2]]
    cell = sheet.cell(row=2, column=column + 1)
    assert cell.data_type == "s" and values[column].startswith("=HYPERLINK")


def test_a_detail_or_a_bad_filter_answers_json(world, token_for, reporter):
    client = token_for(reporter)
    project = world["P_project"]
    detail = client.get(f"/api/v1/projects/{project.pk}/?format=csv")
    assert detail.status_code == 406 and detail.json()["code"] == "not_acceptable"
    bad = client.get("/api/v1/projects/?format=csv&status=NOPE")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["status"]
