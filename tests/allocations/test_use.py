import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from allocations import services
from allocations.models import ReplacementRatio
from ledger import services as ledger_services
from ledger.models import Hold, Transaction
from reductions.models import Industry
from tests.factories import fund

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def new_project(user, district, area="NON_ATTAINMENT", eia="沪环评〔2026〕1号", **emissions):
    return services.save_construction_project(
        user=user,
        data={
            "name": "新建涂装线",
            "builder": "上海某制造有限公司",
            "eia_number": eia,
            "owner": district,
            "industry": Industry.objects.get(code="36"),
            "area_status": area,
        },
        emissions={p: D(a) for p, a in (emissions or {"NOX": "2"}).items()},
    )


def account(entity, pollutant="NOX"):
    return ledger_services.entity_account(entity, pollutant)


@pytest.fixture
def ratio_nox():
    return ReplacementRatio.objects.create(
        pollutant="NOX",
        area_status="NON_ATTAINMENT",
        effective_from=datetime.date(2025, 1, 1),
        ratio=D("1.5"),
    )


def test_seeded_ratios_are_one_to_one_and_marked_default():
    assert ReplacementRatio.objects.count() == 8
    assert set(ReplacementRatio.objects.values_list("ratio", "is_default")) == {(D("1"), True)}


def test_ratio_applied_per_pollutant_and_consumed_on_approval(
    pudong, district_clerk, district_approver, municipal_clerk, ratio_nox
):
    fund(pudong, "NOX", "10", user=municipal_clerk)
    fund(pudong, "VOCS", "10", user=municipal_clerk)
    project = new_project(district_clerk, pudong, NOX="2", VOCS="3")
    services.request_use(
        project=project,
        user=district_clerk,
        lines=[(pudong, "NOX", D("2")), (pudong, "VOCS", D("3"))],
    )
    nox, vocs = account(pudong), account(pudong, "VOCS")
    assert (nox.held, nox.available) == (D("3"), D("7"))  # 2 t × 1.5
    assert (vocs.held, vocs.available) == (D("3"), D("7"))  # default 1:1
    services.approve_use(project=project, user=district_approver)
    services.approve_use(project=project, user=district_approver)
    nox.refresh_from_db()
    assert (nox.balance, nox.held) == (D("7"), D("0"))
    assert Transaction.objects.filter(kind="USE").count() == 2


def test_insufficient_quota_refused_with_figures_and_no_hold_left(
    pudong, bureau, district_clerk, municipal_clerk
):
    fund(pudong, "NOX", "1", user=municipal_clerk)
    fund(bureau, "NOX", "0.5", user=municipal_clerk)
    project = new_project(district_clerk, pudong, area="ATTAINMENT", NOX="2")
    with pytest.raises(
        ledger_services.InsufficientQuota, match=r"0\.500 t available, 1\.000 t requested"
    ):
        services.request_use(
            project=project,
            user=district_clerk,
            lines=[(pudong, "NOX", D("1")), (bureau, "NOX", D("1"))],
        )
    assert not Hold.objects.exists()
    assert account(pudong).held == 0
    project.refresh_from_db()
    assert project.status == "DRAFT"


def test_drawing_from_district_and_municipal_reserve(
    pudong, bureau, district_clerk, district_approver, municipal_approver, municipal_clerk
):
    fund(pudong, "NOX", "1", user=municipal_clerk)
    fund(bureau, "NOX", "5", user=municipal_clerk)
    project = new_project(district_clerk, pudong, area="ATTAINMENT", NOX="3")
    services.request_use(
        project=project,
        user=district_clerk,
        lines=[(pudong, "NOX", D("1")), (bureau, "NOX", D("2"))],
    )
    assert not services.may_decide_use(
        district_approver, project
    )  # the reserve needs the municipal approver
    services.approve_use(project=project, user=municipal_approver) if services.may_decide_use(
        municipal_approver, project
    ) else None
    project.refresh_from_db()
    assert (
        project.status == "REQUESTED"
    )  # the municipal approver alone cannot decide the district line either


def test_rejection_releases_every_hold(pudong, district_clerk, district_approver, municipal_clerk):
    fund(pudong, "NOX", "5", user=municipal_clerk)
    project = new_project(district_clerk, pudong, area="ATTAINMENT", NOX="2")
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    with pytest.raises(services.AllocationError, match="Say why"):
        services.reject_use(project=project, user=district_approver, comment="")
    services.reject_use(project=project, user=district_approver, comment="总量来源不符")
    nox = account(pudong)
    assert (nox.balance, nox.held) == (D("5"), D("0"))
    assert not Transaction.objects.filter(kind="USE").exists()


def test_maker_cannot_approve_and_can_withdraw(pudong, make_user, municipal_clerk):
    from ledger.models import Role

    both = make_user(Role.DISTRICT_CLERK, pudong)
    ledger_services.set_roles(user=both, roles=[Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER])
    fund(pudong, "NOX", "5", user=municipal_clerk)
    project = new_project(both, pudong, area="ATTAINMENT", NOX="2")
    services.request_use(project=project, user=both, lines=[(pudong, "NOX", D("2"))])
    with pytest.raises(services.MakerCannotDecide, match="another approver must decide"):
        services.approve_use(project=project, user=both)
    services.withdraw_use(project=project, user=both)
    assert account(pudong).held == 0


def test_lines_must_cover_the_new_emission(pudong, xuhui, district_clerk, municipal_clerk):
    fund(pudong, "NOX", "5", user=municipal_clerk)
    project = new_project(district_clerk, pudong, area="ATTAINMENT", NOX="2")
    with pytest.raises(services.AllocationError, match="must match"):
        services.request_use(
            project=project, user=district_clerk, lines=[(pudong, "NOX", D("1.5"))]
        )
    with pytest.raises(services.AllocationError, match="cannot be drawn"):
        services.request_use(project=project, user=district_clerk, lines=[(xuhui, "NOX", D("2"))])
    assert not Hold.objects.exists()


def test_eia_number_is_unique_and_other_district_refused(
    pudong, xuhui, district_clerk, municipal_clerk
):
    new_project(district_clerk, pudong)
    with pytest.raises(services.AllocationError, match="already registered"):
        new_project(district_clerk, pudong)
    with pytest.raises(services.AllocationError, match="may not enter"):
        new_project(district_clerk, xuhui, eia="X-2")
    assert new_project(municipal_clerk, xuhui, eia="X-3").owner == xuhui


def test_waiting_requests_match_who_decides(
    pudong,
    xuhui,
    bureau,
    district_clerk,
    district_approver,
    municipal_approver,
    municipal_clerk,
    make_user,
):
    from allocations.selectors import use_requests_waiting_for
    from ledger.models import Role

    fund(pudong, "NOX", "5", user=municipal_clerk)
    fund(bureau, "NOX", "5", user=municipal_clerk)
    district_only = new_project(district_clerk, pudong, area="ATTAINMENT", eia="W-1", NOX="1")
    services.request_use(
        project=district_only, user=district_clerk, lines=[(pudong, "NOX", D("1"))]
    )
    mixed = new_project(district_clerk, pudong, area="ATTAINMENT", eia="W-2", NOX="2")
    services.request_use(
        project=mixed, user=district_clerk, lines=[(pudong, "NOX", D("1")), (bureau, "NOX", D("1"))]
    )
    new_project(district_clerk, pudong, area="ATTAINMENT", eia="W-3", NOX="1")  # not requested
    xuhui_approver = make_user(Role.DISTRICT_APPROVER, xuhui)
    assert set(use_requests_waiting_for(district_approver)) == {district_only, mixed}
    assert set(use_requests_waiting_for(municipal_approver)) == {mixed}
    assert not use_requests_waiting_for(xuhui_approver).exists()
    services.approve_use(project=mixed, user=district_approver)
    assert set(use_requests_waiting_for(district_approver)) == {district_only}
    assert set(use_requests_waiting_for(municipal_approver)) == {mixed}
    for project in use_requests_waiting_for(district_approver):
        assert services.may_decide_use(district_approver, project)
