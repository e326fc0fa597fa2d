"""Issue 11 items 5–8: one workbook layout; the annual report reconciles with the ledger; the
municipal summary; dashboards serve the figures their tables show."""

import datetime
import io
import random
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from openpyxl import load_workbook

from allocations import dashboards
from allocations.reports import municipal_summary
from ledger import reports, selectors, services
from ledger.exports import write_statement
from ledger.models import ZERO, Account, Entity, Entry, Pollutant
from reductions.models import PlanPeriod
from tests.factories import fund

pytestmark = pytest.mark.django_db


def test_statement_workbook_is_laid_out_like_a_bureau_document(tmp_path, pudong, municipal_clerk):
    fund(pudong, "COD", "12.5", user=municipal_clerk)
    path = tmp_path / "s.xlsx"
    write_statement(entity=pudong, date_from=None, date_to=None, path=path)
    sheet = load_workbook(path)["COD"]
    header = sheet[4]
    assert header[0].value == "日期" and header[0].font.b
    assert header[0].fill.fgColor.rgb.endswith("DDEBF7") and header[0].border.left.style == "thin"
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:H7"
    assert sheet.print_title_rows == "$4:$4"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.column_dimensions["D"].width == 28
    entry = sheet[6]
    assert entry[4].value == 12.5 and entry[4].number_format == "0.000"
    assert entry[6].number_format == "0.000"
    opening, closing = sheet[5], sheet[7]
    assert (opening[0].value, opening[6].value) == ("期初余额（吨）", 0)
    assert (closing[0].value, closing[6].value) == ("期末余额（吨）", 12.5)


def random_year(pudong, municipal_clerk, seed=11) -> None:
    """A year (2025) of activity on random dates: allocations, trades in and out, uses; with
    postings before it (the opening balance) and after it (left out)."""
    rng = random.Random(seed)
    pool = services.system_account("ALLOCATION_POOL", "COD")
    counterpart = services.system_account("TRADING", "COD")
    sink = services.system_account("CONSUMPTION", "COD")
    account = services.entity_account(pudong, "COD")

    def post(kind, source, amount, day, key):
        inflow = kind in ("ALLOCATION", "TRADE_IN")
        legs = (
            [services.Leg(source, -amount), services.Leg(account, amount)]
            if inflow
            else [services.Leg(account, -amount), services.Leg(source, amount)]
        )
        services.post(
            kind=kind, legs=legs, idempotency_key=key, user=municipal_clerk, effective_date=day
        )

    post("ALLOCATION", pool, Decimal("200"), datetime.date(2024, 12, 1), "opening")
    days = sorted(
        datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365))
        for _n in range(60)
    )
    for number, day in enumerate(days):
        amount = Decimal(rng.randrange(1, 2000)) / 1000
        kind, source = rng.choice(
            [
                ("ALLOCATION", pool),
                ("TRADE_IN", counterpart),
                ("TRADE_OUT", counterpart),
                ("USE", sink),
            ]
        )
        post(kind, source, amount, day, f"year-{seed}-{number}")
    post("ALLOCATION", pool, Decimal("7"), datetime.date(2026, 1, 5), "next-year")


def test_annual_report_reconciles_with_the_ledger(pudong, municipal_clerk):
    random_year(pudong, municipal_clerk)
    report = reports.annual_report(year=2025, entity=pudong, user=municipal_clerk)
    line = next(line for line in report.lines if line.pollutant == Pollutant.COD)
    account = Account.objects.get(entity=pudong, pollutant="COD")
    assert line.opening == Decimal("200")
    assert line.closing == selectors.balance_as_of(account, datetime.date(2025, 12, 31))
    assert line.opening + line.net_flows == line.closing
    year_legs = Entry.objects.filter(account=account, effective_date__year=2025)
    for key, kind in (("allocated", "ALLOCATION"), ("traded_in", "TRADE_IN")):
        expected = year_legs.filter(transaction__kind=kind).aggregate(s=Sum("amount"))["s"]
        assert line.flows[key] == (expected or ZERO)
    used = year_legs.filter(transaction__kind="USE").aggregate(s=Sum("amount"))["s"]
    assert line.flows["used"] == -(used or ZERO)
    city = reports.annual_report(year=2025, entity=None, user=municipal_clerk)
    city_cod = next(line for line in city.lines if line.pollutant == Pollutant.COD)
    entity_closings = sum(
        (
            selectors.balance_as_of(a, datetime.date(2025, 12, 31))
            for a in Account.objects.filter(entity__isnull=False, pollutant="COD")
        ),
        ZERO,
    )
    assert city_cod.closing == entity_closings
    assert city_cod.opening + city_cod.net_flows == city_cod.closing


def test_annual_report_page_xlsx_and_pdf(client_for, district_clerk, pudong, municipal_clerk):
    fund(pudong, "NOX", "3.25", user=municipal_clerk)
    client = client_for(district_clerk)
    year = datetime.date.today().year
    page = client.get(reverse("reports:annual"), {"year": year})
    assert page.status_code == 200
    body = page.content.decode()
    assert f"{year}年度主要污染物总量指标台账" in body and "3.250" in body
    assert "由 d_clerk 于" in body
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("reports:annual"), {"year": year, "format": "xlsx"}).content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:2] == ("台账主体", "浦东新区")
    nox = next(r for r in rows if r[0] == "氮氧化物（NOx）")
    assert nox[2] == 3.25 and nox[-2] == 3.25  # allocated; closing
    assert any(r[0] == "生成人" and r[1] == "d_clerk" for r in rows)
    pdf = client.get(reverse("reports:annual"), {"year": year, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_district_cannot_read_another_entitys_or_the_citys_report(
    client_for, district_clerk, xuhui
):
    client = client_for(district_clerk)
    assert client.get(reverse("reports:annual"), {"entity": xuhui.code}).status_code == 403
    assert client.get(reverse("reports:annual"), {"entity": "city"}).status_code == 403


def test_municipal_summary_totals_by_kind(client_for, municipal_clerk, pudong, xuhui):
    fund(pudong, "COD", "2", user=municipal_clerk)
    fund(xuhui, "COD", "3", user=municipal_clerk)
    period = PlanPeriod.objects.get(code="14FYP")
    rows, totals = municipal_summary(period=period, as_of=datetime.date.today())
    district_cod = next(t for t in totals if t.kind == "DISTRICT" and t.pollutant == "COD")
    assert district_cod.figures["balance"] == Decimal("5")
    assert sum(r.figures["balance"] for r in rows if r.pollutant == "COD") >= Decimal("5")
    response = client_for(municipal_clerk).get(reverse("reports:summary"))
    assert response.status_code == 200 and "全市汇总表" in response.content.decode()
    xlsx = client_for(municipal_clerk).get(reverse("reports:summary"), {"format": "xlsx"})
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["汇总", "按类型合计"]


def test_the_summary_is_the_municipal_bureaus(client_for, district_clerk):
    assert client_for(district_clerk).get(reverse("reports:summary")).status_code == 403


def test_chart_endpoints_return_the_figures_of_the_tables(
    client_for, municipal_clerk, pudong, municipal_approver
):
    fund(pudong, "COD", "4.5", user=municipal_clerk)
    client = client_for(municipal_approver)
    home = client.get(reverse("home")).content.decode()
    for chart in dashboards.charts_for(municipal_approver):
        name = chart.__name__.replace("_", "-")
        data = client.get(reverse("reports:chart", args=[name])).json()
        assert f'id="chart-{name}-table"' in home
        for series in data["series"]:
            for value in series["data"]:
                assert f'<td class="num">{value}</td>' in home
    city = client.get(reverse("reports:chart", args=["city-totals"])).json()
    allocated = dict(zip(city["categories"], city["series"][0]["data"], strict=True))
    report = reports.annual_report(
        year=datetime.date.today().year, entity=None, user=municipal_clerk
    )
    cod = next(line for line in report.lines if line.pollutant == Pollutant.COD)
    assert Decimal(allocated["COD"]) == cod.flows["allocated"] == Decimal("4.5")
    target = client.get(reverse("reports:chart", args=["target-completion"])).json()
    assert set(target["notes"]) <= {"已完成", "未完成"}


def test_district_and_enterprise_homes_show_their_own_charts(
    client_for, district_clerk, enterprise_user
):
    assert [c.__name__ for c in dashboards.charts_for(district_clerk)] == [
        "entity_totals",
        "waiting",
    ]
    assert "balance_over_time" in [c.__name__ for c in dashboards.charts_for(enterprise_user)]
    client = client_for(district_clerk)
    assert client.get(reverse("reports:chart", args=["city-totals"])).status_code == 404
    assert client.get(reverse("reports:chart", args=["entity-totals"])).status_code == 200
    assert Entity.objects.exists()


def test_city_totals_come_from_stored_balances_and_count_reversals(
    municipal_clerk, municipal_approver, second_approver, pudong, django_assert_max_num_queries
):
    from ledger import services as ledger_services

    posted = fund(pudong, "COD", "4.5", user=municipal_clerk)
    fund(pudong, "NOX", "2", user=municipal_clerk)
    ledger_services.reverse(
        original=posted, reason="录入错误", user=municipal_approver, approver=second_approver
    )
    with django_assert_max_num_queries(2):  # two reads of accounts, whatever the legs
        city = dashboards.city_totals(municipal_approver)
    allocated = dict(zip(city["categories"], city["series"][0]["data"], strict=True))
    assert allocated["COD"] == "0.000" and allocated["NOx"] == "2.000"


def test_quota_totals_add_up_whatever_was_posted(
    client_for, municipal_clerk, municipal_approver, district_clerk, pudong
):
    """allocated + other postings - used = held + available, per pollutant, on the city's
    and on a district's chart, also when quota came by another way than a round (here a
    direct credit, like a certified Micro project's)."""
    fund(pudong, "COD", "4.5", user=municipal_clerk)
    for user, name in ((municipal_approver, "city-totals"), (district_clerk, "entity-totals")):
        data = client_for(user).get(reverse("reports:chart", args=[name])).json()
        series = {s["name"]: [Decimal(v) for v in s["data"]] for s in data["series"]}
        assert list(series) == ["已分配", "其他记账（净额）", "已使用", "预占", "可用"], name
        allocated, other, used, held, available = series.values()
        for i, pollutant in enumerate(data["categories"]):
            assert allocated[i] + other[i] - used[i] == held[i] + available[i], (name, pollutant)
        cod = data["categories"].index("COD")
        assert available[cod] == Decimal("4.5")
