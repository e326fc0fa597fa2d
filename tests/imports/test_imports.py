"""Issue 11 items 1–4: spreadsheet imports through the services, two steps, all or nothing."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from allocations import imports
from allocations.models import ImportJob, ImportStatus, Target
from ledger.imports import DATA_SHEET, LISTS_SHEET, NOTES_SHEET
from reductions import workflow
from reductions.imports import ProjectImporter
from reductions.models import Project, ProjectAmount, Review, Status
from tests.factories import VALID_CREDIT_CODE

pytestmark = pytest.mark.django_db

HEADERS = [
    "项目编号",
    "项目名称",
    "实施企业名称",
    "统一社会信用代码",
    "行业大类代码",
    "项目类型",
    "减排措施",
    "核算年度",
    "完成日期",
    "化学需氧量减排量（吨/年）",
    "氨氮减排量（吨/年）",
]
ENGLISH = [
    "project number",
    "project name",
    "enterprise",
    "credit code",
    "industry code",
    "project type",
    "measure",
    "accounting year",
    "completion date",
    "COD reduction (t/a)",
    "NH3-N reduction (t/a)",
]


def project_row(number: int, cod="2.125", nh3="0.375", **overrides) -> list:
    row = {
        "项目编号": f"PD-{number:05d}",
        "项目名称": f"污水深度处理 {number}",
        "实施企业名称": "上海示例化工有限公司",
        "统一社会信用代码": VALID_CREDIT_CODE,
        "行业大类代码": "26",
        "项目类型": "W_STRUCTURE",
        "减排措施": "污水深度处理改造",
        "核算年度": 2025,
        "完成日期": datetime.date(2025, 6, 30),
        "化学需氧量减排量（吨/年）": cod,
        "氨氮减排量（吨/年）": nh3,
    }
    row.update(overrides)
    return [row[h] for h in HEADERS]


def xlsx(rows, headers=HEADERS, name="projects.xlsx", extra_sheet=False) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        workbook.create_sheet("Sheet2").append(["x"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(rows, encoding="utf-8-sig", headers=HEADERS) -> SimpleUploadedFile:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([v.isoformat() if isinstance(v, datetime.date) else v for v in row])
    return SimpleUploadedFile("projects.csv", text.getvalue().encode(encoding))


def upload(client, kind, file):
    return client.post(reverse("imports:upload", args=[kind]), {"file": file}, follow=True)


def last_job() -> ImportJob:
    return ImportJob.objects.order_by("-id").first()


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(r["row"], e["column"], e["message"]) for r in job.preview for e in r["errors"]]


def test_template_has_chinese_headers_notes_and_lists(client_for, district_clerk):
    response = client_for(district_clerk).get(reverse("imports:template", args=["projects"]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [DATA_SHEET, NOTES_SHEET, LISTS_SHEET]
    headers = [c.value for c in workbook[DATA_SHEET][1]]
    assert headers[:3] == ["项目编号", "所属主体", "项目名称"]
    assert workbook[DATA_SHEET].freeze_panes == "A2"
    notes = [row[0] for row in workbook[NOTES_SHEET].iter_rows(values_only=True)]
    assert set(headers) <= set(notes)
    validations = workbook[DATA_SHEET].data_validations.dataValidation
    assert {v.formula1.split("!")[0].strip("'") for v in validations} == {LISTS_SHEET}
    assert len(validations) >= 4  # owner, industry, type, period, fuel, flags
    lists = [c.value for c in workbook[LISTS_SHEET][1]]
    assert {"所属主体", "行业大类代码", "项目类型"} <= set(lists)


def test_upload_preview_confirm_and_the_same_file_again_changes_nothing(
    client_for, district_clerk, pudong
):
    client = client_for(district_clerk)
    file = xlsx([project_row(1), project_row(2, cod="0.5", nh3="")])
    response = upload(client, "projects", file)
    job = last_job()
    assert job.status == ImportStatus.CHECKED
    assert job.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    assert "确认导入" in response.content.decode()
    assert Project.objects.count() == 0  # the preview writes nothing

    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.imported == 2
    first = Project.objects.get(number="PD-00001")
    assert first.owner == pudong and first.status == Status.DRAFT
    assert {a.pollutant: a.claimed for a in first.amounts.all()} == {
        "COD": Decimal("2.125"),
        "NH3N": Decimal("0.375"),
    }
    reviews = Review.objects.count()

    file.seek(0)
    upload(client, "projects", xlsx([project_row(1), project_row(2, cod="0.5", nh3="")]))
    again = last_job()
    assert again.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 0}
    client.post(reverse("imports:confirm", args=[again.pk]))
    assert Project.objects.count() == 2 and Review.objects.count() == reviews


def test_a_changed_row_updates_the_draft_through_the_service(client_for, district_clerk):
    client = client_for(district_clerk)
    upload(client, "projects", xlsx([project_row(1)]))
    client.post(reverse("imports:confirm", args=[last_job().pk]))
    upload(client, "projects", xlsx([project_row(1, cod="3.000")]))
    job = last_job()
    assert job.counts["update"] == 1
    client.post(reverse("imports:confirm", args=[job.pk]))
    project = Project.objects.get(number="PD-00001")
    assert project.amounts.get(pollutant="COD").claimed == Decimal("3.000")
    assert project.reviews.filter(action=workflow.EDIT).count() == 1


def test_english_headers_and_gbk_csv_are_accepted(client_for, district_clerk):
    client = client_for(district_clerk)
    upload(client, "projects", csv_file([project_row(1)], encoding="gbk", headers=ENGLISH))
    job = last_job()
    assert job.counts["new"] == 1, errors_of(job)
    client.post(reverse("imports:confirm", args=[job.pk]))
    assert Project.objects.get(number="PD-00001").name == "污水深度处理 1"


def refused_file_message(client, file) -> str:
    response = upload(client, "projects", file)
    return " ".join(str(m) for m in response.context["messages"])


def test_bad_files_are_refused_with_a_message_and_import_nothing(
    client_for, district_clerk, settings
):
    client = client_for(district_clerk)
    wrong = ["编号", *HEADERS[1:]]
    assert "未知的列：编号" in refused_file_message(client, xlsx([project_row(1)], headers=wrong))
    assert "缺少的列：项目编号" in refused_file_message(
        client, xlsx([project_row(1)], headers=wrong)
    )
    assert "文件是空的" in refused_file_message(client, SimpleUploadedFile("empty.xlsx", b""))
    big = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"0" * (50 * 1024 * 1024))
    assert "50.0 MB" in refused_file_message(client, big)
    two = xlsx([project_row(1)], extra_sheet=True)
    assert "多个工作表" in refused_file_message(client, two)
    assert Project.objects.count() == 0 and ImportJob.objects.count() == 0


def test_a_formula_without_a_value_is_refused_naming_its_cell(client_for, district_clerk):
    rows = [project_row(1, cod="=1+1")]
    message = refused_file_message(client_for(district_clerk), xlsx(rows))
    assert "J2" in message and "公式" in message
    assert Project.objects.count() == 0


def test_merged_cells_are_refused(client_for, district_clerk):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(project_row(1))
    sheet.append(project_row(2))
    sheet.merge_cells("C2:C3")
    buffer = io.BytesIO()
    workbook.save(buffer)
    message = refused_file_message(
        client_for(district_clerk), SimpleUploadedFile("m.xlsx", buffer.getvalue())
    )
    assert "合并单元格" in message and "C2:C3" in message


def test_row_errors_name_row_column_and_reason_and_nothing_is_imported(
    client_for, district_clerk, other_district_clerk, xuhui
):
    client = client_for(district_clerk)
    rows = [
        project_row(1),
        project_row(2, cod="两吨"),
        project_row(3, **{"行业大类代码": "99"}),
        project_row(1, nh3="0.1"),
    ]
    upload(client, "projects", xlsx(rows))
    job = last_job()
    errors = errors_of(job)
    assert (3, "化学需氧量减排量（吨/年）", "“两吨”不是数字；请填写吨数，如 1.234。") in errors
    assert any(row == 4 and column == "行业大类代码" for row, column, _m in errors)
    assert (5, "项目编号", "项目编号 PD-00001 也出现在第 2 行。") in errors
    response = client.post(reverse("imports:confirm", args=[job.pk]), follow=True)
    assert "有错误" in response.content.decode()
    assert Project.objects.count() == 0


def test_a_district_cannot_import_another_districts_projects(client_for, district_clerk, xuhui):
    client = client_for(district_clerk)
    header = [*HEADERS, "所属主体"]
    upload(client, "projects", xlsx([[*project_row(1), xuhui.code]], headers=header))
    job = last_job()
    assert errors_of(job) == [(2, "所属主体", "您不能导入徐汇区的项目。")]


def test_a_number_of_another_districts_project_is_refused(
    client_for, district_clerk, other_district_clerk
):
    upload(client_for(other_district_clerk), "projects", xlsx([project_row(1)]))
    client_for(other_district_clerk).post(reverse("imports:confirm", args=[last_job().pk]))
    client = client_for(district_clerk)
    upload(client, "projects", xlsx([project_row(1)]))
    assert errors_of(last_job())[0][1] == "项目编号"


def test_only_its_uploader_sees_or_confirms_a_job(client_for, district_clerk, district_approver):
    upload(client_for(district_clerk), "projects", xlsx([project_row(1)]))
    job = last_job()
    other = client_for(district_approver)
    assert other.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert other.post(reverse("imports:confirm", args=[job.pk])).status_code == 404
    assert Project.objects.count() == 0


def test_an_auditor_has_no_import(client_for, auditor):
    assert client_for(auditor).get(reverse("imports:list")).status_code == 404
    response = client_for(auditor).get(reverse("imports:template", args=["projects"]))
    assert response.status_code == 404


def test_round_trip_of_5000_rows_through_the_template(
    client_for, district_clerk, pudong, django_capture_on_commit_callbacks
):
    """Issue 11's round trip: the template, filled with 5,000 generated rows, imports every
    row with exact decimals (a Celery task, eager here); the same file again changes nothing."""
    client = client_for(district_clerk)
    template = client.get(reverse("imports:template", args=["projects"])).content
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook[DATA_SHEET]
    headers = [c.value for c in sheet[1]]
    amounts = {}
    for number in range(1, 5001):
        cod = Decimal(number % 4000 + 101) / 1000  # 0.101 … 4.100: PACKAGE, three decimals
        amounts[f"PD-{number:05d}"] = cod
        values = dict(zip(HEADERS, project_row(number, cod=str(cod), nh3=""), strict=True))
        values["所属主体"] = pudong.code
        sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()

    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "projects", SimpleUploadedFile("round.xlsx", content))
    job = last_job()
    assert job.counts == {"new": 5000, "update": 0, "unchanged": 0, "error": 0}, errors_of(job)[:3]
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.imported == 5000
    stored = dict(
        ProjectAmount.objects.filter(pollutant="COD").values_list("project__number", "claimed")
    )
    assert stored == amounts

    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "projects", SimpleUploadedFile("round.xlsx", content))
    again = last_job()
    assert again.counts["unchanged"] == 5000
    client.post(reverse("imports:confirm", args=[again.pk]))
    assert Project.objects.count() == 5000 and Review.objects.count() == 5000


def test_progress_is_served_as_json(
    client_for, district_clerk, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_ROWS = 1
    client = client_for(district_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "projects", xlsx([project_row(1), project_row(2)]))
    job = last_job()
    data = client.get(
        reverse("imports:job", args=[job.pk]), headers={"Accept": "application/json"}
    ).json()
    assert data["settled"] and data["rows_total"] == 2 and data["counts"]["new"] == 2


# --- targets and national results -------------------------------------------------------


def test_targets_grid_goes_through_set_target_with_history(client_for, municipal_clerk, pudong):
    client = client_for(municipal_clerk)
    headers = ["主体代码", "规划期", "氮氧化物目标（吨）", "化学需氧量目标（吨）", "变更原因"]
    upload(client, "targets", xlsx([[pudong.code, "14FYP", "12.345", "3", ""]], headers=headers))
    job = last_job()
    assert job.counts["new"] == 1, errors_of(job)
    client.post(reverse("imports:confirm", args=[job.pk]))
    assert Target.objects.get(entity=pudong, pollutant="NOX").amount == Decimal("12.345")
    upload(client, "targets", xlsx([[pudong.code, "14FYP", "13", "3", ""]], headers=headers))
    assert errors_of(last_job())[0][1] == "氮氧化物目标（吨）"  # a change needs a reason
    upload(client, "targets", xlsx([[pudong.code, "14FYP", "13", "3", "复核"]], headers=headers))
    job = last_job()
    assert job.counts["update"] == 1
    client.post(reverse("imports:confirm", args=[job.pk]))
    target = Target.objects.get(entity=pudong, pollutant="NOX")
    assert target.amount == Decimal("13") and target.changes.count() == 2


def test_national_results_are_recorded_as_the_workflow_step(
    client_for, district_clerk, district_approver, municipal_approver, municipal_clerk
):
    from reductions import services
    from tests.factories import make_project

    project = make_project(district_clerk, amounts={"COD": "8"}, number="KEY-1")
    assert project.tier == "KEY"
    services.act(project=project, user=district_approver, action="approve")
    services.act(project=project, user=municipal_approver, action="approve")
    client = client_for(municipal_clerk)
    headers = ["项目编号", "核定文号", "核定日期", "化学需氧量核定量（吨/年）"]
    row = ["KEY-1", "环办核〔2025〕12号", datetime.date(2025, 9, 1), "7.5"]
    upload(client, "national-results", xlsx([row], headers=headers))
    job = last_job()
    assert job.counts["update"] == 1, errors_of(job)
    client.post(reverse("imports:confirm", args=[job.pk]))
    project.refresh_from_db()
    assert project.status == Status.CERTIFIED
    assert project.national_document == "环办核〔2025〕12号"
    assert project.amounts.get(pollutant="COD").certified == Decimal("7.5")
    upload(client, "national-results", xlsx([row], headers=headers))
    assert last_job().counts["unchanged"] == 1


def test_importer_check_uses_the_service_rules(district_clerk):
    """A heading type is refused by save_project's own rule, named at its column."""
    from ledger.imports import read_rows

    importer = ProjectImporter(district_clerk)
    file = xlsx([project_row(1, **{"项目类型": "A_CLEAN_ENERGY"})])
    results = importer.check(read_rows(file, importer.columns))
    assert results[0].status == "error"
    assert results[0].errors[0][0] == "项目类型"


def test_start_import_refuses_a_user_without_the_role(auditor):
    with pytest.raises(imports.ImportRefused):
        imports.start_import(user=auditor, kind="projects", upload=xlsx([project_row(1)]))


# --- trade records ----------------------------------------------------------------------

TRADE_HEADERS = ["交易凭证编号", "方向", "交易对方", "交易日期", "污染物", "数量（吨）"]


def test_trades_are_recorded_through_the_service_with_the_workbook_as_evidence(
    client_for, district_clerk, municipal_approver, pudong
):
    from allocations import trades
    from allocations.models import RecordStatus, TradeRecord

    client = client_for(district_clerk)
    rows = [["SH-PQ-2025-001", "买入", "上海某化工厂", datetime.date(2025, 3, 1), "COD", "1.250"]]
    upload(client, "trades", xlsx(rows, headers=TRADE_HEADERS, name="交易清单.xlsx"))
    job = last_job()
    assert job.counts["new"] == 1, errors_of(job)
    client.post(reverse("imports:confirm", args=[job.pk]))
    record = TradeRecord.objects.get()
    assert (record.entity, record.status, record.amount) == (
        pudong,
        RecordStatus.PROPOSED,
        Decimal("1.250"),
    )
    assert record.evidence_name == "交易清单.xlsx"
    trades.confirm_trade(record=record, user=municipal_approver)
    upload(client, "trades", xlsx(rows, headers=TRADE_HEADERS, name="交易清单.xlsx"))
    assert last_job().counts["unchanged"] == 1
    changed = [[*rows[0][:5], "2"]]
    upload(client, "trades", xlsx(changed, headers=TRADE_HEADERS, name="交易清单.xlsx"))
    assert "SH-PQ-2025-001" in errors_of(last_job())[0][2]


def test_trades_from_csv_are_refused_as_a_whole(client_for, district_clerk):
    from allocations.models import TradeRecord

    client = client_for(district_clerk)
    rows = [["SH-PQ-2025-002", "买入", "上海某化工厂", datetime.date(2025, 3, 1), "COD", "1"]]
    upload(client, "trades", csv_file(rows, headers=TRADE_HEADERS))
    job = last_job()
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and ".xlsx" in job.error
    assert not TradeRecord.objects.exists()


# --- speed: reference rows read once, numbers in one query ------------------------------


def test_rules_read_once_answer_as_the_query_does():
    """The import's cached Annex 2 rows give the rule the per-row query gives, for every
    type and date (before, between and after effective dates)."""
    from reductions import services
    from reductions.models import PackageRule, ProjectType

    dates = {datetime.date(2015, 1, 1), datetime.date(2030, 12, 31)}
    for effective in PackageRule.objects.values_list("effective_from", flat=True):
        dates |= {effective, effective - datetime.timedelta(days=1)}
    types = list(ProjectType.objects.all())
    expected = {(t.pk, d): services.rule_in_force(t, d) for t in types for d in dates}
    assert any(expected.values())
    with services.rules_read_once():
        got = {(t.pk, d): services.rule_in_force(t, d) for t in types for d in dates}
    assert got == expected


def test_the_preview_asks_a_fixed_number_of_queries(district_clerk, django_assert_max_num_queries):
    from ledger.imports import read_rows

    importer = ProjectImporter(district_clerk)
    rows = read_rows(xlsx([project_row(n) for n in range(1, 201)]), importer.columns)
    with django_assert_max_num_queries(20):
        results = importer.check(rows)
    assert [r.status for r in results] == ["new"] * 200


def test_status_counts_follow_a_bulk_import_and_later_changes(district_clerk, pudong):
    """create_projects inserts in bulk; the kept counts per owner and status (one statement
    trigger on PostgreSQL, row triggers on SQLite) equal a recount after the import and after
    a status change."""
    from django.db.models import Count

    from ledger.imports import read_rows
    from reductions.models import ProjectStatusCount

    def kept():
        return {
            (c.owner_id, c.status): c.count for c in ProjectStatusCount.objects.exclude(count=0)
        }

    def recount():
        return {
            (r["owner_id"], r["status"]): r["n"]
            for r in Project.objects.values("owner_id", "status").annotate(n=Count("id"))
        }

    importer = ProjectImporter(district_clerk)
    importer.apply(
        importer.check(read_rows(xlsx([project_row(n) for n in range(1, 8)]), importer.columns))
    )
    assert kept() == recount() == {(pudong.pk, Status.DRAFT): 7}
    first = Project.objects.order_by("pk").first()
    Project.objects.filter(pk=first.pk).update(status=Status.SUBMITTED)
    assert kept() == recount() == {(pudong.pk, Status.DRAFT): 6, (pudong.pk, Status.SUBMITTED): 1}


@pytest.mark.postgres
def test_a_batch_of_project_numbers_is_looked_up_through_the_index():
    """PostgreSQL proves the partial unique index's condition (number <> '') from an IN list
    of at most 100 values; the import's batches of 500 say it outright."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reductions import services

    numbers = [f"PD-{n:05d}" for n in range(500)]
    with CaptureQueriesContext(connection) as captured:
        assert services.taken_numbers(numbers) == {}
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "project_number_unique" in plan, plan


def _listed(response, header: str) -> list:
    lists = load_workbook(io.BytesIO(response.content))[LISTS_SHEET]
    column = [c.value for c in lists[1]].index(header) + 1
    return [
        row[0]
        for row in lists.iter_rows(min_row=2, min_col=column, max_col=column, values_only=True)
        if row[0]
    ]


def test_a_template_lists_only_the_entities_its_user_may_import_for(
    client_for, district_clerk, enterprise_user, pudong, xuhui, enterprise
):
    template = reverse("imports:template", args=["projects"])
    assert _listed(client_for(district_clerk).get(template), "所属主体") == [pudong.code]
    trades = reverse("imports:template", args=["trades"])
    assert _listed(client_for(enterprise_user).get(trades), "台账主体") == [enterprise.code]
