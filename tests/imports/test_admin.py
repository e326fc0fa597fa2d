"""Issue 11 item 1: django-import-export resources over the importers, from the admin and
from code: the same reader, checks, permissions and services as the pages; nothing imported
when any row errs; every import kept as a job of whoever imported it."""

import datetime
import io
from decimal import Decimal

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from allocations.imports import ProjectResource, TargetResource
from allocations.models import ImportJob, ImportStatus, Target
from reductions.models import Project, Review

from .test_imports import HEADERS, project_row, xlsx

pytestmark = pytest.mark.django_db

TARGET_HEADERS = ["主体代码", "规划期", "氮氧化物目标（吨）", "化学需氧量目标（吨）", "变更原因"]


def staff(user):
    """A user of the admin: staff with Django's model permissions, and the business role
    they had (which alone decides what they may import)."""
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def admin_import(client, model: str, file, resource: int = 0):
    return client.post(
        reverse(f"admin:allocations_{model}_import"),
        {"import_file": file, "format": "0", "resource": str(resource)},
    )


def confirm(client, model: str, preview):
    form = preview.context["confirm_form"]
    data = {name: form.initial[name] for name in form.fields}
    return client.post(reverse(f"admin:allocations_{model}_process_import"), data, follow=True)


def texts(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_targets_imported_from_the_admin_through_set_target_recording_who(
    client_for, municipal_clerk, pudong
):
    client = client_for(staff(municipal_clerk))
    changelist = client.get(reverse("admin:allocations_target_changelist")).content.decode()
    assert reverse("admin:allocations_target_import") in changelist
    file = xlsx([[pudong.code, "14FYP", "12.345", "3", ""]], headers=TARGET_HEADERS)
    preview = admin_import(client, "target", file)
    assert preview.status_code == 200
    assert preview.context["confirm_form"] is not None
    result = preview.context["result"]
    assert result.totals["new"] == 1 and not Target.objects.exists()
    assert "主体代码" in result.diff_headers

    done = confirm(client, "target", preview)
    assert done.status_code == 200
    assert Target.objects.get(entity=pudong, pollutant="NOX").amount == Decimal("12.345")
    target = Target.objects.get(entity=pudong, pollutant="COD")
    assert target.updated_by == municipal_clerk and target.changes.count() == 1
    job = ImportJob.objects.get()
    assert (job.kind, job.requested_by, job.status, job.imported) == (
        "targets",
        municipal_clerk,
        ImportStatus.DONE,
        1,
    )
    assert job.filename == "projects.xlsx" and job.file.name

    # The same file again changes nothing.
    again = admin_import(
        client, "target", xlsx([[pudong.code, "14FYP", "12.345", "3", ""]], headers=TARGET_HEADERS)
    )
    assert again.context["result"].totals["skip"] == 1
    confirm(client, "target", again)
    assert Target.objects.get(entity=pudong, pollutant="COD").changes.count() == 1


def test_a_row_in_error_shows_its_message_and_nothing_is_imported(
    client_for, municipal_clerk, pudong
):
    client = client_for(staff(municipal_clerk))
    rows = [[pudong.code, "14FYP", "12", "3", ""], ["999999", "14FYP", "两吨", "", ""]]
    preview = admin_import(client, "target", xlsx(rows, headers=TARGET_HEADERS))
    page = preview.content.decode()
    assert preview.context.get("confirm_form") is None
    assert "“999999”不是区或市管企业。" in page
    assert "“两吨”不是数字；请填写吨数，如 1.234。" in page
    (invalid,) = preview.context["result"].invalid_rows
    assert invalid.number == 3

    # A forged confirmation of the same file imports nothing either.
    forged = client.post(
        reverse("admin:allocations_target_import"),
        {
            "import_file": xlsx([[pudong.code, "14FYP", "12", "3", ""]], headers=TARGET_HEADERS),
            "format": "0",
        },
    )
    data = {k: forged.context["confirm_form"].initial[k] for k in ("import_file_name", "format")}
    # Replace the stored file's content with the erring rows.
    from import_export.tmp_storages import TempFolderStorage

    bad = xlsx(rows, headers=TARGET_HEADERS).read()
    storage = TempFolderStorage(name=data["import_file_name"], read_mode="rb")
    with open(storage.get_full_path(), "wb") as handle:
        handle.write(bad)
    response = client.post(
        reverse("admin:allocations_target_process_import"),
        {**data, "original_file_name": "bad.xlsx", "resource": "0"},
        follow=True,
    )
    assert "预览后数据已变化；未导入任何数据。" in texts(response)
    assert not Target.objects.exists()
    job = ImportJob.objects.get()
    assert job.requested_by == municipal_clerk and job.imported == 0
    assert job.counts["error"] == 1


def test_a_file_refused_as_a_whole_says_why(client_for, municipal_clerk):
    client = client_for(staff(municipal_clerk))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(TARGET_HEADERS)
    sheet.append(["310115", "14FYP", "1", "1", ""])
    sheet.append(["310104", "14FYP", "1", "1", ""])
    sheet.merge_cells("B2:B3")
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = admin_import(client, "target", SimpleUploadedFile("m.xlsx", buffer.getvalue()))
    assert "合并单元格" in response.content.decode()
    wrong = admin_import(client, "target", xlsx([["x"]], headers=["编号"]))
    assert "未知的列：编号" in wrong.content.decode()
    assert wrong.context.get("confirm_form") is None
    assert not ImportJob.objects.exists()


def test_gbk_csv_projects_in_the_admin_for_a_district_clerk(client_for, district_clerk, xuhui):
    """The import-job admin offers the kinds the user's role may import; a district clerk
    imports its own projects and a row of another district is refused as on the page."""
    client = client_for(staff(district_clerk))
    form = client.get(reverse("admin:allocations_importjob_import")).context["form"]
    offered = [label for _value, label in form.fields["resource"].choices]
    assert offered == ["减排项目", "排污权交易记录"]

    text = io.StringIO()
    text.write(",".join([*HEADERS, "所属主体"]) + "\n")
    for n, owner in ((1, ""), (2, xuhui.code)):
        row = project_row(n)
        row[8] = row[8].isoformat()
        text.write(",".join(str(v) for v in [*row, owner]) + "\n")
    file = SimpleUploadedFile("项目.csv", text.getvalue().encode("gbk"))
    preview = admin_import(client, "importjob", file, resource=0)
    assert "您不能导入徐汇区的项目。" in preview.content.decode()
    assert preview.context.get("confirm_form") is None
    assert not Project.objects.exists()


def test_a_user_without_an_importing_role_has_no_admin_import(client_for, auditor):
    client = client_for(staff(auditor))
    changelist = client.get(reverse("admin:allocations_importjob_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:allocations_importjob_import") not in changelist.content.decode()
    assert client.get(reverse("admin:allocations_importjob_import")).status_code == 403
    assert client.get(reverse("admin:allocations_target_import")).status_code == 403


def test_the_resource_from_code_previews_then_imports_through_the_services(district_clerk, pudong):
    dataset = tablib.Dataset(headers=HEADERS)
    for n in (1, 2):
        dataset.append(project_row(n))
    resource = ProjectResource()
    preview = resource.import_data(dataset, dry_run=True, user=district_clerk)
    assert preview.totals["new"] == 2 and not preview.has_validation_errors()
    assert not Project.objects.exists() and not ImportJob.objects.exists()

    result = resource.import_data(dataset, dry_run=False, user=district_clerk)
    assert result.totals["new"] == 2 and not result.has_errors()
    assert set(Project.objects.values_list("number", flat=True)) == {"PD-00001", "PD-00002"}
    assert Review.objects.filter(actor=district_clerk, action="create").count() == 2
    job = ImportJob.objects.get()
    assert job.requested_by == district_clerk and job.status == ImportStatus.DONE
    assert job.filename == "projects.xlsx"

    again = resource.import_data(dataset, dry_run=False, user=district_clerk)
    assert again.totals["skip"] == 2 and Project.objects.count() == 2


def test_the_resource_refuses_a_user_who_may_not_import(auditor):
    dataset = tablib.Dataset(headers=["主体代码", "规划期"])
    dataset.append(["310115", "14FYP"])
    result = TargetResource().import_data(dataset, dry_run=True, user=auditor)
    assert result.has_errors()
    assert str(result.base_errors[0].error) == "您无权进行此项导入。"
    assert not ImportJob.objects.exists()


def test_dates_survive_a_dataset_built_in_code(district_clerk):
    dataset = tablib.Dataset(headers=HEADERS)
    dataset.append(project_row(1, **{"完成日期": datetime.date(2025, 3, 31)}))
    ProjectResource().import_data(dataset, dry_run=False, user=district_clerk)
    assert Project.objects.get().completion_date == datetime.date(2025, 3, 31)


def test_the_projects_admin_imports_projects_and_national_results(
    client_for, municipal_clerk, district_clerk
):
    client = client_for(staff(municipal_clerk))
    changelist = client.get(reverse("admin:reductions_project_changelist")).content.decode()
    assert reverse("admin:reductions_project_import") in changelist
    form = client.get(reverse("admin:reductions_project_import")).context["form"]
    offered = [label for _value, label in form.fields["resource"].choices]
    assert offered == ["减排项目", "国家核定结果"]

    client = client_for(staff(district_clerk))
    preview = client.post(
        reverse("admin:reductions_project_import"),
        {"import_file": xlsx([project_row(1)]), "format": "0", "resource": "0"},
    )
    assert preview.context["result"].totals["new"] == 1
    form = preview.context["confirm_form"]
    client.post(
        reverse("admin:reductions_project_process_import"),
        {name: form.initial[name] for name in form.fields},
    )
    assert Project.objects.get().number == "PD-00001"


def test_trades_from_the_admin_keep_the_workbook_as_evidence(client_for, district_clerk, pudong):
    from allocations.models import RecordStatus, TradeRecord

    from .test_imports import TRADE_HEADERS

    client = client_for(staff(district_clerk))
    rows = [["SH-PQ-2025-009", "买入", "上海某化工厂", datetime.date(2025, 3, 1), "COD", "1.5"]]
    preview = client.post(
        reverse("admin:allocations_traderecord_import"),
        {"import_file": xlsx(rows, headers=TRADE_HEADERS, name="平台清单.xlsx"), "format": "0"},
    )
    assert preview.context["result"].totals["new"] == 1
    form = preview.context["confirm_form"]
    client.post(
        reverse("admin:allocations_traderecord_process_import"),
        {name: form.initial[name] for name in form.fields},
    )
    record = TradeRecord.objects.get()
    assert (record.entity, record.status, record.amount) == (
        pudong,
        RecordStatus.PROPOSED,
        Decimal("1.500"),
    )
    assert record.evidence_name == "平台清单.xlsx" and record.proposed_by == district_clerk


def test_the_size_cap_holds_in_the_admin(client_for, municipal_clerk, settings):
    settings.IMPORT_MAX_BYTES = 1024
    client = client_for(staff(municipal_clerk))
    rows = [["310115", "14FYP", str(n), "1", ""] for n in range(200)]
    response = admin_import(client, "target", xlsx(rows, headers=TARGET_HEADERS))
    assert "MB" in response.content.decode() and "最多" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_large_file_from_the_admin_is_checked_in_the_background_with_progress(
    client_for, district_clerk, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_ROWS = 3
    client = client_for(staff(district_clerk))
    rows = [project_row(n) for n in range(1, 6)]

    def admin_project_import(file):
        return client.post(
            reverse("admin:reductions_project_import"),
            {"import_file": file, "format": "0", "resource": "0"},
        )

    with django_capture_on_commit_callbacks(execute=True) as started:
        response = admin_project_import(xlsx(rows))
    assert len(started) >= 1  # the check was handed to Celery at commit
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:job", args=[job.pk])
    # The page the admin lands on polls the job; Celery ran the check (eagerly in tests).
    page = client.get(response.url)
    assert "文件共 5 行，正在后台检查。" in texts(page)
    progress = client.get(response.url, headers={"Accept": "application/json"}).json()
    assert (progress["rows_done"], progress["rows_total"]) == (5, 5)
    job.refresh_from_db()
    assert (job.requested_by, job.status) == (district_clerk, ImportStatus.CHECKED)
    assert not Project.objects.exists()  # nothing written before the confirmation

    # A small file stays in the admin's own preview.
    small = admin_project_import(xlsx(rows[:2]))
    assert small.status_code == 200 and small.context["confirm_form"] is not None


def test_confirming_an_admin_import_twice_imports_once_and_explains(
    client_for, municipal_clerk, pudong
):
    client = client_for(staff(municipal_clerk))
    preview = admin_import(
        client, "target", xlsx([[pudong.code, "14FYP", "1", "2", ""]], headers=TARGET_HEADERS)
    )
    confirm(client, "target", preview)
    again = confirm(client, "target", preview)  # a double click, or the back button
    assert again.status_code == 200
    assert "这份上传已经导入过或已不再保存，本次没有再导入任何内容。" in texts(again)
    assert Target.objects.filter(entity=pudong).count() == 2
    assert ImportJob.objects.count() == 1


def test_the_import_job_admin_reads_in_chinese(client_for, district_clerk):
    from allocations import imports

    client = client_for(staff(district_clerk))
    job = imports.import_now(user=district_clerk, kind="projects", upload=xlsx([project_row(1)]))
    listing = client.get(reverse("admin:allocations_importjob_changelist")).content.decode()
    detail = client.get(
        reverse("admin:allocations_importjob_change", args=[job.pk])
    ).content.decode()
    for text in ("导入内容", "导入人", "上传时间", "导入行数", "完成时间", "导入记录"):
        assert text in listing, text
    assert "新增 1" in detail and "各结果行数" in detail
    for raw in ("Requested by", "Rows total", "Kind", '{"new"'):
        assert raw not in listing + detail, raw
