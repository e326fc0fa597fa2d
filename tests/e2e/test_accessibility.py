"""axe-core finds no serious or critical violation on any main page, for every role."""

from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations import services as allocation_services
from ledger import services as ledger_services
from reductions import bundles
from reductions import services as reduction_services
from reductions.models import PlanPeriod
from tests.conftest import _skip_or_fail
from tests.factories import fund, make_project

from .axe import AXE_JS, axe_violations, describe
from .conftest import ROLES
from .helpers import visit

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _axe_installed():
    if not AXE_JS.exists():
        _skip_or_fail(f"axe-core is not installed at {AXE_JS}: run make install (npm ci)")


@dataclass
class World:
    """One record of each kind the main pages show."""

    key_project: object
    package_project: object
    draft: object
    bundle_key: str
    round_: object
    construction: object
    statement: object
    transaction: object


@pytest.fixture
def world(pudong, district_clerk, district_approver, municipal_clerk, municipal_approver) -> World:
    act = reduction_services.act
    period = PlanPeriod.objects.get(code="14FYP")
    key = make_project(district_clerk, amounts={"COD": "12"})
    key = act(project=key, user=district_approver, action="approve")
    key = act(project=key, user=municipal_approver, action="approve")
    key = act(
        project=key,
        user=municipal_clerk,
        action="approve",
        document_number="环减排〔2025〕1号",
        document_date=timezone.localdate(),
    )
    package = make_project(district_clerk, amounts={"COD": "2"})
    package = act(project=package, user=district_approver, action="approve")
    allocation_services.set_target(
        entity=pudong,
        plan_period=period,
        pollutant="COD",
        amount="10",
        reason="",
        user=municipal_clerk,
    )
    round_ = allocation_services.draft_round(
        plan_period=period, as_of=timezone.localdate(), user=municipal_clerk
    )
    posting = fund(pudong, "NOX", "5", user=municipal_clerk)
    construction = allocation_services.save_construction_project(
        user=district_clerk,
        data={
            "name": "新建涂装线",
            "builder": "上海示例汽车零部件有限公司",
            "eia_number": "沪环评〔2025〕7号",
            "owner": pudong,
            "industry": key.industry,
            "area_status": "ATTAINMENT",
        },
        emissions={"NOX": "1.2"},
    )
    ledger_services.propose_adjustment(
        account=ledger_services.entity_account(pudong, "VOCS"),
        amount="1.5",
        reason="期初余额",
        user=municipal_clerk,
    )
    return World(
        key_project=key,
        package_project=package,
        draft=make_project(district_clerk, submit=False, amounts={"NH3N": "0.5"}),
        bundle_key=bundles.bundles(district_approver)[0].key,
        round_=round_,
        construction=construction,
        statement=ledger_services.entity_account(pudong, "NOX"),
        transaction=posting,
    )


def pages_for(role: str, w: World, user) -> list[str]:
    """The main pages each role works with (every link of its navigation and more)."""
    bundle = f"{reverse('reductions:bundle')}?{urlencode({'key': w.bundle_key})}"
    own_ledger = reverse("ledger:entity", args=[user.entity.code])
    common = [reverse("home"), reverse("reductions:list"), reverse("reductions:bundles")]
    district = [
        own_ledger,
        reverse("ledger:account", args=[w.statement.pk]),
        reverse("ledger:transaction", args=[w.transaction.pk]),
        reverse("reductions:detail", args=[w.key_project.pk]),
        reverse("reductions:detail", args=[w.package_project.pk]),
        bundle,
        reverse("allocations:progress", args=[user.entity.code]),
        reverse("allocations:constructions"),
        reverse("allocations:construction", args=[w.construction.pk]),
        reverse("allocations:trades"),
        reverse("ledger:corrections"),
    ]
    municipal = [
        reverse("ledger:entity_list"),
        reverse("ledger:entity", args=[w.statement.entity.code]),
        reverse("ledger:account", args=[w.statement.pk]),
        reverse("ledger:transaction", args=[w.transaction.pk]),
        reverse("reductions:detail", args=[w.key_project.pk]),
        bundle,
        reverse("allocations:rounds"),
        reverse("allocations:round", args=[w.round_.pk]),
        reverse("allocations:targets"),
        reverse("allocations:overview"),
        reverse("allocations:constructions"),
        reverse("allocations:construction", args=[w.construction.pk]),
        reverse("ledger:adjustment_list"),
        reverse("allocations:trades"),
        reverse("allocations:reserve"),
    ]
    return (
        common
        + {
            "district_clerk": [
                *district,
                reverse("allocations:trade_new"),
                reverse("reductions:new"),
                reverse("reductions:edit", args=[w.draft.pk]),
                reverse("allocations:construction_new"),
            ],
            "district_approver": [*district, reverse("reductions:queue")],
            "municipal_clerk": [
                *municipal,
                reverse("reductions:queue"),
                reverse("allocations:construction_new"),
                reverse("allocations:trade_new"),
                reverse("allocations:reserve_intake_new"),
                reverse("ledger:adjustment_new"),
                reverse("ledger:corrections"),
            ],
            "municipal_approver": [*municipal, reverse("reductions:queue")],
            "enterprise_user": [
                own_ledger,
                reverse("allocations:constructions"),
                reverse("allocations:construction_new"),
                reverse("allocations:trades"),
                reverse("allocations:trade_new"),
            ],
            "auditor": municipal,
        }[role]
    )


@pytest.mark.parametrize("role", ROLES)
def test_main_pages_have_no_serious_accessibility_violation(role, request, world, page_as):
    user = request.getfixturevalue(role)
    page = page_as(user)
    found = []
    for path in pages_for(role, world, user):
        visit(page, path)
        found.extend(describe(path, v) for v in [axe_violations(page)] if v)
    assert not found, "\n".join(found)


def test_login_page_has_no_serious_accessibility_violation(anonymous_page):
    visit(anonymous_page, reverse("login"))
    assert axe_violations(anonymous_page) == []


def test_form_errors_pass_axe_and_are_linked_to_their_fields(district_clerk_page):
    page = district_clerk_page
    visit(page, reverse("reductions:new"))
    # Skip the browser's own checks so that the server's messages come back.
    page.locator("#project-form").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("load")
    name = page.locator("#id_name")
    assert name.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{name.get_attribute('aria-describedby')}")
    assert error.is_visible() and "必填" in error.inner_text()
    assert axe_violations(page) == []
