"""Issue 12 on the reduction pages: input kept on every error with the message under its
field, a confirmation that says what will post, no raw codes in the history, the queue
oldest first with select-all."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from reductions import services
from reductions.models import BundleFiling, Project, Status
from tests.factories import file_bundle, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_language_after():
    """A request in English leaves English active in this thread; later tests expect the
    site's language."""
    yield
    translation.deactivate()


def act(project, user, action, **kwargs):
    return services.act(project=project, user=user, action=action, **kwargs)


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def confirm_of(page: str, label: str) -> str:
    """The data-confirm text of the submit button labelled ``label``."""
    for attrs, text in re.findall(r"<button([^>]*)>([^<]*)</button>", page):
        if text.strip() == label:
            found = re.search(r'data-confirm="([^"]*)"', attrs)
            return found.group(1) if found else ""
    raise AssertionError(f"no button {label!r}")


def field_error(page: str, field: str) -> str:
    """The error shown under a field (templates/_form.html), linked from the input."""
    box = re.search(rf'<div class="field-errors" id="id_{field}_error">(.*?)</div>', page, re.S)
    assert box, f"no error under {field}"
    tag = re.search(rf'<(?:input|textarea|select)[^>]*\bid="id_{field}"[^>]*>', page)
    assert tag and f"id_{field}_error" in tag.group(0), "the input does not name its error"
    return re.sub(r"<[^>]+>", "", box.group(1)).strip()


# Item 2: the user's input is kept, the message is under its field.


def test_a_return_without_reason_keeps_the_amounts_and_says_why_under_the_comment(
    client_for, district_clerk, district_approver
):
    project = make_project(district_clerk, amounts={"COD": "6"})
    response = client_for(district_approver).post(
        reverse("reductions:act", args=[project.pk, "return"]),
        {"comment": "   ", "amount_COD": "5.250"},
    )
    assert response.status_code == 200
    page = page_of(response)
    assert field_error(page, "comment") == "请填写退回的理由。"
    assert 'value="5.250"' in page
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED


def test_a_reviewed_amount_above_the_claim_keeps_the_typed_comment(
    client_for, district_clerk, district_approver
):
    project = make_project(district_clerk, amounts={"COD": "6"})
    response = client_for(district_approver).post(
        reverse("reductions:act", args=[project.pk, "approve"]),
        {"comment": "现场核查：在线监测数据已核对", "amount_COD": "7"},
    )
    assert response.status_code == 200
    page = page_of(response)
    assert "现场核查：在线监测数据已核对</textarea>" in page
    assert "超过" in field_error(page, "amount_COD")
    assert 'value="7"' in page
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED


def test_a_national_result_refused_keeps_number_date_amounts_and_comment(
    client_for, enterprise_user, municipal_approver, municipal_clerk
):
    project = make_project(enterprise_user, amounts={"COD": "9"})
    act(project, municipal_approver, "approve")
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = client_for(municipal_clerk).post(
        reverse("reductions:act", args=[project.pk, "approve"]),
        {
            "comment": "部函已到",
            "document_number": "环办总量函〔2026〕3号",
            "document_date": future,
            "amount_COD": "8.5",
        },
    )
    assert response.status_code == 200
    page = page_of(response)
    assert field_error(page, "document_date") == "国家核定日期不能晚于今天。"
    assert 'value="环办总量函〔2026〕3号"' in page
    assert f'value="{future}"' in page and 'value="8.5"' in page
    assert "部函已到</textarea>" in page


def test_a_missing_national_document_is_said_under_its_field_and_marked_required(
    client_for, enterprise_user, municipal_approver, municipal_clerk
):
    project = make_project(enterprise_user, amounts={"COD": "9"})
    act(project, municipal_approver, "approve")
    client = client_for(municipal_clerk)
    page = page_of(client.get(reverse("reductions:detail", args=[project.pk])))
    # Required for the national result: marked for the eye and as `required` for readers.
    assert re.search(r'国家核定文号<span class="required" aria-hidden="true"> \*</span>', page)
    assert re.search(r'<input[^>]*name="document_number"[^>]*required', page)
    response = client.post(
        reverse("reductions:act", args=[project.pk, "approve"]),
        {"comment": "等文号", "amount_COD": "9"},
    )
    assert response.status_code == 200
    page = page_of(response)
    assert field_error(page, "document_number") == "该字段是必填项。"
    assert "等文号</textarea>" in page


def test_a_refused_submission_keeps_the_enterprise_filing_number(
    client_for, enterprise_user, municipal_approver
):
    project = make_project(enterprise_user, amounts={"COD": "2"}, submit=False)
    assert project.tier == "PACKAGE"
    from tests.factories import attach_evidence

    attach_evidence(project, enterprise_user)
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = client_for(enterprise_user).post(
        reverse("reductions:act", args=[project.pk, "submit"]),
        {"submit-filing_number": "GJ-2025-0042", "submit-filing_date": future},
    )
    assert response.status_code == 200
    page = page_of(response)
    assert 'value="GJ-2025-0042"' in page
    assert field_error(page, "submit-filing_date")


def test_a_filing_number_used_before_is_said_under_it_with_the_date_kept(
    client_for, district_clerk, district_approver
):
    first = act(make_project(district_clerk, amounts={"COD": "2"}), district_approver, "approve")
    file_bundle([first], clerk=district_clerk, approver=district_approver, number="GJ-7")
    other_type = act(
        make_project(district_clerk, code="A_VOC_TREATMENT", amounts={"VOCS": "4"}),
        district_approver,
        "approve",
    )
    from reductions import bundles

    bundle = next(b for b in bundles.bundles(district_clerk) if other_type in b.projects)
    url = f"{reverse('reductions:bundle_file')}?key={bundle.key}"
    response = client_for(district_clerk).post(
        url, {"filing_number": "GJ-7", "filing_date": "2025-08-02"}
    )
    assert response.status_code == 200
    page = page_of(response)
    assert "GJ-7" in field_error(page, "filing_number")
    assert 'value="2025-08-02"' in page and 'value="GJ-7"' in page
    assert BundleFiling.objects.count() == 1


def test_a_filing_rejected_without_reason_is_said_under_the_reason(
    client_for, district_clerk, district_approver
):
    from reductions import bundles

    project = act(make_project(district_clerk, amounts={"COD": "2"}), district_approver, "approve")
    bundle = next(b for b in bundles.bundles(district_clerk) if project in b.projects)
    filing = bundles.record_filing(
        user=district_clerk,
        bundle=bundle,
        filing_number="GJ-9",
        filing_date=datetime.date(2025, 8, 1),
    )
    response = client_for(district_approver).post(
        reverse("reductions:filing_decide", args=[filing.pk, "reject"]), {"reason": ""}
    )
    assert response.status_code == 200
    assert field_error(page_of(response), "reason") == "请填写驳回该填报的理由。"
    filing.refresh_from_db()
    assert filing.status == "PENDING"


def test_a_bad_evidence_file_is_said_under_the_file_field(client_for, district_clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    project = make_project(district_clerk, submit=False)
    response = client_for(district_clerk).post(
        reverse("reductions:attachment", args=[project.pk]),
        {"file": SimpleUploadedFile("脚本.exe", b"MZ...", content_type="application/pdf")},
    )
    assert response.status_code == 200
    assert "脚本.exe" in field_error(page_of(response), "file")


# Item 4: each action that posts or cannot be undone says what it will do.


def test_certifying_a_micro_project_says_which_account_is_credited(
    client_for, district_clerk, district_approver
):
    project = make_project(district_clerk, code="A_VEHICLE_FUEL_OTHER", amounts={"NOX": "0.08"})
    assert project.tier == "MICRO"
    page = page_of(
        client_for(district_approver).get(reverse("reductions:detail", args=[project.pk]))
    )
    text = confirm_of(page, "核定")
    assert "将向浦东新区 NOx 账户入账 0.080 t" in text, text
    assert project.name in text
    # The page fills in the amount as the reviewer types it.
    assert "将向浦东新区 NOx 账户入账 {amount_NOX}" in page


def test_certifying_in_english_says_the_same_in_english(
    en_client, district_clerk, district_approver
):
    from tests.conftest import login

    project = make_project(district_clerk, amounts={"COD": "0.08", "NH3N": "0.02"})
    page = page_of(
        login(en_client, district_approver).get(reverse("reductions:detail", args=[project.pk]))
    )
    text = confirm_of(page, "Certify")
    assert "credit 0.080 t to the COD account of Pudong New Area" in text, text
    assert "credit 0.020 t to the NH3-N account of Pudong New Area" in text, text


def test_recording_a_national_result_says_what_is_certified(
    client_for, enterprise_user, municipal_approver, municipal_clerk
):
    project = make_project(enterprise_user, amounts={"COD": "9"})
    act(project, municipal_approver, "approve", amounts={"COD": "8.5"})
    page = page_of(client_for(municipal_clerk).get(reverse("reductions:detail", args=[project.pk])))
    text = confirm_of(page, "录入国家核定结果")
    assert "COD 8.500 t" in text and "现在不记账" in text, text


def test_an_intermediate_approval_and_a_return_ask_nothing(
    client_for, district_clerk, district_approver
):
    project = make_project(district_clerk, amounts={"COD": "6"})  # KEY: district step first
    page = page_of(
        client_for(district_approver).get(reverse("reductions:detail", args=[project.pk]))
    )
    assert confirm_of(page, "批准") == ""
    assert confirm_of(page, "退回录入人员") == ""


def test_withdrawing_says_it_cannot_be_undone(client_for, district_clerk):
    project = make_project(district_clerk, amounts={"COD": "6"})
    page = page_of(client_for(district_clerk).get(reverse("reductions:detail", args=[project.pk])))
    text = confirm_of(page, "撤回")
    assert project.name in text and "不能再次提交" in text, text


def test_whole_bundle_certification_says_how_many_and_the_totals(
    client_for, district_clerk, district_approver, municipal_approver
):
    a = act(make_project(district_clerk, amounts={"COD": "2"}), district_approver, "approve")
    b = act(
        make_project(district_clerk, amounts={"COD": "3.5", "NH3N": "0.4"}),
        district_approver,
        "approve",
    )
    filing = file_bundle([a, b], clerk=district_clerk, approver=district_approver)
    page = page_of(
        client_for(municipal_approver).get(reverse("reductions:filing", args=[filing.pk]))
    )
    text = confirm_of(page, "整包核定")
    assert "共 2 个项目" in text and "COD 5.500 t、NH3-N 0.400 t" in text, text


def test_bulk_approval_says_how_many_once_chosen(client_for, district_clerk, district_approver):
    make_project(district_clerk, amounts={"COD": "6"})
    page = page_of(client_for(district_approver).get(reverse("reductions:queue")))
    button = re.search(r"<button[^>]*data-confirm-count=\"([^\"]*)\"", page)
    assert button and "{n}" in button.group(1) and "批量通过" in button.group(1)
    assert 'data-select-all="project"' in page


# Item 5 and the queue.


def test_history_names_roles_and_pollutants_in_the_readers_language(
    client_for, district_clerk, district_approver, settings
):
    project = make_project(district_clerk, code="A_VOC_TREATMENT", amounts={"VOCS": "3"})
    act(project, district_approver, "return", comment="补充监测报告")
    url = reverse("reductions:detail", args=[project.pk])
    client = client_for(district_approver)
    timeline = page_of(client.get(url)).split('id="timeline"')[-1]
    assert "DISTRICT_CLERK" not in timeline and "VOCS" not in timeline
    assert "区经办" in timeline and "区审核" in timeline, timeline
    assert "VOCs 3.000 t" in timeline

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    timeline = page_of(client.get(url)).split('id="timeline"')[-1]
    assert "District clerk" in timeline and "District approver" in timeline
    assert "DISTRICT_CLERK" not in timeline and "VOCs 3.000 t" in timeline


def test_queue_is_oldest_first_with_age_and_refuses_an_empty_choice(
    client_for, district_clerk, district_approver
):
    older = make_project(district_clerk, amounts={"COD": "6"}, name="较早的项目")
    newer = make_project(district_clerk, amounts={"COD": "6"}, name="较新的项目")
    Project.objects.filter(pk=older.pk).update(
        updated_at=datetime.datetime(2025, 9, 1, tzinfo=datetime.UTC)
    )
    client = client_for(district_approver)
    page = page_of(client.get(reverse("reductions:queue")))
    assert page.index("较早的项目") < page.index("较新的项目")
    assert "2025-09-01" in page and "前" in page
    response = client.post(reverse("reductions:queue"), {}, follow=True)
    assert "请至少选择一个项目再批准。" in page_of(response)
    response = client.post(
        reverse("reductions:queue"), {"project": [older.pk, newer.pk]}, follow=True
    )
    assert "已通过 2 个项目。" in page_of(response)
    assert set(Project.objects.values_list("status", flat=True)) == {Status.DISTRICT_REVIEWED}


def test_certified_amounts_are_three_decimals_in_the_confirmation(
    client_for, district_clerk, district_approver
):
    project = make_project(district_clerk, code="VOC_MGMT_GENERIC", amounts={"VOCS": "30"})
    page = page_of(
        client_for(district_approver).get(reverse("reductions:detail", args=[project.pk]))
    )
    assert "将向浦东新区 VOCs 账户入账 30.000 t" in confirm_of(page, "核定")
    assert Decimal("30") == project.amounts.get().claimed


# Item 5: the tier reason is stored as a code and worded in the reader's language.


def test_tier_reason_is_a_code_worded_in_the_readers_language(client_for, district_clerk, settings):
    project = make_project(district_clerk, amounts={"COD": "6"})
    assert project.tier_reason_code == "key_ceiling"
    assert project.tier_reason_params == {"p": "COD", "a": "6.000", "limit": "5"}
    client = client_for(district_clerk)
    url = reverse("reductions:detail", args=[project.pk])
    assert "COD 6.000 t 超过“产业结构升级”小额打包上限 5 吨 → 重点工程" in page_of(client.get(url))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = page_of(client.get(url))
    assert (
        "COD 6.000 t exceeds the 5 t small-package ceiling for Structure upgrade (water)"
        " → key project"
    ) in page
    assert "超过" not in page and "重点工程" not in page


def test_english_project_page_has_no_chinese_system_text(
    client_for, district_clerk, district_approver, settings
):
    """Only what people typed (names, comments) and reference names without English stay
    Chinese in English."""
    project = make_project(
        district_clerk,
        code="A_VEHICLE_FUEL_OTHER",
        amounts={"NOX": "0.08"},
        name="Low-NOx burner",
        enterprise_name="Example Co",
        measure="burner",
    )
    act(project, district_approver, "return", comment="more evidence")
    client = client_for(district_clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = page_of(client.get(reverse("reductions:detail", args=[project.pk])))
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", main)
    assert "26 Chemical raw materials and chemical products" in text
    # What people uploaded stays as they named it.
    for typed in project.attachments.values_list("original_name", flat=True):
        text = text.replace(typed, "")
    assert not re.search(r"[\u4e00-\u9fff]", text), re.findall(r"\S*[\u4e00-\u9fff]+\S*", text)


def test_the_migration_gives_existing_projects_their_reason_code(district_clerk):
    import importlib

    from django.apps import apps
    from django.utils import translation

    migration = importlib.import_module("reductions.migrations.0009_project_tier_reason_code")
    key = make_project(district_clerk, amounts={"COD": "6"})
    changed = make_project(district_clerk, amounts={"COD": "2"})
    Project.objects.update(tier_reason_code="", tier_reason_params={}, tier_reason="旧的理由")
    # A stored tier today's rule would not give keeps its stored wording.
    Project.objects.filter(pk=changed.pk).update(tier="KEY", accounting_method="NATIONAL_KEY")
    migration.forward(apps, None)
    key.refresh_from_db()
    changed.refresh_from_db()
    assert key.tier_reason_code == "key_ceiling" and key.tier_reason == "旧的理由"
    with translation.override("en"):
        assert key.tier_reason_text.startswith("COD 6.000 t exceeds the 5 t")
        assert changed.tier_reason_code == "" and changed.tier_reason_text == "旧的理由"


def _main_text_without(page: str, typed) -> str:
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", main)
    for value in typed:
        text = text.replace(value, "")
    return text


def test_bundle_filing_and_queue_pages_in_english_have_no_chinese_system_text(
    client_for, district_clerk, district_approver, municipal_approver, settings
):
    from reductions import bundles

    a = act(make_project(district_clerk, amounts={"COD": "2"}), district_approver, "approve")
    b = act(make_project(district_clerk, amounts={"COD": "3"}), district_approver, "approve")
    with translation.override("zh-hans"):  # recorded in the Chinese interface
        filing = bundles.record_filing(
            user=district_clerk,
            bundle=next(x for x in bundles.bundles(district_clerk) if a in x.projects),
            filing_number="GJ-1",
            filing_date=datetime.date(2025, 8, 1),
        )
    assert "浦东新区" in filing.label
    typed = [a.name, b.name, a.enterprise_name]
    client = client_for(district_approver)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (
        reverse("reductions:bundles"),
        reverse("reductions:filing", args=[filing.pk]),
        reverse("reductions:queue"),
    ):
        text = _main_text_without(page_of(client.get(url)), typed)
        assert not re.search(r"[\u4e00-\u9fff]", text), (
            url,
            re.findall(r"\S*[\u4e00-\u9fff]+\S*", text),
        )
    page = page_of(client.get(reverse("reductions:filing", args=[filing.pk])))
    assert (
        "Pudong New Area · 2025 · Structure upgrade (water) · "
        "26 Chemical raw materials and chemical products"
    ) in page
    assert (
        "Confirm that national filing no. GJ-1 covers 2 project(s), in total COD 5.000 t?" in page
    )


def test_industries_have_english_names_and_the_migration_fills_only_blank_ones():
    import importlib

    from django.apps import apps

    from reductions.models import Industry

    assert not Industry.objects.filter(name_en="").exists()
    migration = importlib.import_module("reductions.migrations.0010_industry_english_names")
    Industry.objects.filter(code="26").update(name_en="")
    Industry.objects.filter(code="17").update(name_en="Textile industry")  # a bureau's own
    migration.forward(apps, None)
    assert Industry.objects.get(code="26").name_en == "Chemical raw materials and chemical products"
    assert Industry.objects.get(code="17").name_en == "Textile industry"


def test_revoking_a_micro_certification_says_which_credit_is_taken_back(
    client_for, district_clerk, district_approver, municipal_approver, second_approver
):
    from ledger import services as ledger_services
    from ledger.models import Transaction

    project = make_project(district_clerk, code="A_VEHICLE_FUEL_OTHER", amounts={"NOX": "0.08"})
    act(project, district_approver, "approve")
    credit = Transaction.objects.get(kind="MICRO_CREDIT")
    correction = ledger_services.propose_correction(
        action="revoke_certification", record=project, reason="数据有误", user=municipal_approver
    )
    page = page_of(
        client_for(second_approver).get(reverse("ledger:correction", args=[correction.pk]))
    )
    expected = f"从浦东新区 NOx 账户收回 0.080 t（冲正 #{credit.pk}）"
    assert expected in page
    assert expected in confirm_of(page, "批准并入账")


def test_revoking_a_key_certification_says_nothing_posts_now(
    client_for, enterprise_user, municipal_approver, municipal_clerk
):
    project = make_project(enterprise_user, amounts={"COD": "9"})
    act(project, municipal_approver, "approve")
    act(
        project,
        municipal_clerk,
        "approve",
        amounts={"COD": "8.5"},
        document_number="环办〔2026〕1号",
        document_date=datetime.date(2026, 1, 5),
    )
    url = reverse("ledger:correction_new", args=["revoke_certification", project.pk])
    page = page_of(client_for(municipal_approver).get(url))
    assert "此时不记账：" in page and "已核定减排量减少 COD 8.500 t；" in page
