"""Small-package bundles (小额打包): PACKAGE projects of a district grouped for filing, and
their national filing (国家减排信息系统填报, notice 三(二)).

The key is (district, accounting year, category, type, dimension value), the dimension
being what the type's Annex 2 row bundles by: industry major category, fuel type, project
type, or the district alone. A VOCs green-island cluster is a bundle of its own; its
enterprise (the cluster operator) names it — an interpretation, stated in the README.

An open bundle holds the district-reviewed projects not yet filed. A district clerk records
its national filing (number, date); the set of projects is frozen then, so projects reviewed
later with the same key form a new bundle. A different district approver confirms the filing
(FILED) or rejects it (the projects are open again). The municipal approver certifies only
projects of a FILED filing — the whole filing at once, or one project from its page.
Bundle pages and the sheet show the amounts as the district reviewed them.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from ledger.models import Pollutant, User
from ledger.workbooks import DocumentSheet, SheetColumn

from . import services, workflow
from .models import (
    BundleFiling,
    BundleKey,
    FilingStatus,
    FuelType,
    Industry,
    PackageRule,
    Project,
    ProjectAmount,
    Status,
    Tier,
)
from .selectors import DISTRICT_KINDS, visible_filings, visible_projects

GREEN_ISLAND = "GREEN_ISLAND"


@dataclass
class Bundle:
    key: str
    owner: object
    year: int
    project_type: object
    dimension: str
    value: str
    label: str
    projects: list[Project] = field(default_factory=list)
    # Per project id: pollutant → amount as the district reviewed it.
    reviewed: dict[int, dict[str, Decimal]] = field(default_factory=dict)

    def add(self, project: Project, amounts: dict[str, Decimal]) -> None:
        self.projects.append(project)
        self.reviewed[project.pk] = amounts

    @property
    def totals(self) -> dict[str, Decimal]:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for amounts in self.reviewed.values():
            for pollutant, amount in amounts.items():
                if amount is not None:
                    sums[pollutant] += amount
        return {p.value: sums[p.value] for p in Pollutant if p.value in sums}

    @property
    def total_rows(self) -> list[tuple[str, Decimal]]:
        return [(Pollutant(p).symbol, a) for p, a in self.totals.items()]

    @property
    def rows(self) -> list[tuple[Project, list[tuple[str, Decimal]]]]:
        """Each project with its district-reviewed amounts, for the bundle page."""
        return [
            (
                p,
                [
                    (Pollutant(k).symbol, v)
                    for k, v in sorted(self.reviewed[p.pk].items(), key=_pollutant_order)
                ],
            )
            for p in self.projects
        ]


def _pollutant_order(item) -> int:
    return Pollutant.values.index(item[0])


def _district_reviewed(project: Project) -> dict[str, Decimal | None]:
    return {a.pollutant: a.district_reviewed for a in project.amounts.all()}


def _rules_by_type() -> dict[int, list[PackageRule]]:
    rules = defaultdict(list)
    for rule in PackageRule.objects.order_by("-effective_from"):
        rules[rule.project_type_id].append(rule)
    return rules


def _dimension(project: Project, rule: PackageRule | None) -> tuple[str, str, str]:
    """(dimension, value, label) of the project's bundle."""
    if project.green_island and rule is not None and rule.green_island_bundle:
        return (
            GREEN_ISLAND,
            project.enterprise_name,
            _("green island: %(name)s") % {"name": project.enterprise_name},
        )
    dimension = rule.bundle_key if rule else BundleKey.NONE
    if dimension == BundleKey.INDUSTRY:
        return dimension, project.industry_id, str(project.industry)
    if dimension == BundleKey.FUEL:
        return dimension, project.fuel_type, project.get_fuel_type_display()
    if dimension == BundleKey.PROJECT_TYPE:
        return dimension, str(project.project_type_id), str(project.project_type)
    return BundleKey.NONE, "", _("whole district")


def _open_projects(user: User):
    return (
        visible_projects(user)
        .filter(
            tier=Tier.PACKAGE,
            status=Status.DISTRICT_REVIEWED,
            owner__kind__in=DISTRICT_KINDS,
            filing__isnull=True,
        )
        .prefetch_related(Prefetch("amounts", queryset=ProjectAmount.objects.order_by("pollutant")))
        .order_by("owner__code", "accounting_year", "project_type_id", "id")
    )


def bundles(user: User) -> list[Bundle]:
    """Open bundles: the district-reviewed PACKAGE projects the user may see that wait for
    their national filing, grouped by bundle key."""
    rules = _rules_by_type()
    grouped: dict[str, Bundle] = {}
    for project in _open_projects(user):
        rule = next(
            (
                r
                for r in rules.get(project.project_type_id, [])
                if r.effective_from <= project.completion_date
            ),
            None,
        )
        dimension, value, value_label = _dimension(project, rule)
        key = ":".join(
            [
                project.owner.code,
                str(project.accounting_year),
                project.project_type.code,
                dimension,
                value,
            ]
        )
        bundle = grouped.get(key)
        if bundle is None:
            bundle = grouped[key] = Bundle(
                key=key,
                owner=project.owner,
                year=project.accounting_year,
                project_type=project.project_type,
                dimension=dimension,
                value=value,
                label=f"{project.owner.name} · {project.accounting_year} · "
                f"{project.project_type} · {value_label}",
            )
        bundle.add(project, _district_reviewed(project))
    return list(grouped.values())


def find_bundle(user: User, key: str) -> Bundle | None:
    return next((b for b in bundles(user) if b.key == key), None)


def filing_label(filing: BundleFiling) -> str:
    """The filing's bundle named in the reader's language, from its key (the stored label is
    worded in the language of whoever recorded it). A self-filed project's label is its
    name; a key this code does not know keeps the stored label."""
    parts = filing.bundle_key.split(":", 4)
    if filing.self_filed or len(parts) != 5:
        return filing.label
    dimension, value = parts[3], parts[4]
    if dimension == GREEN_ISLAND:
        value_label = _("green island: %(name)s") % {"name": value}
    elif dimension == BundleKey.INDUSTRY:
        industry = Industry.objects.filter(pk=value).first()
        value_label = str(industry) if industry else value
    elif dimension == BundleKey.FUEL and value in FuelType.values:
        value_label = str(FuelType(value).label)
    elif dimension == BundleKey.PROJECT_TYPE:
        value_label = str(filing.project_type)
    elif dimension == BundleKey.NONE:
        value_label = _("whole district")
    else:
        return filing.label
    return f"{filing.owner.name} · {filing.accounting_year} · {filing.project_type} · {value_label}"


def filing_bundle(filing: BundleFiling) -> Bundle:
    """A filing as a bundle: its frozen projects with the amounts as filed."""
    bundle = Bundle(
        key=filing.bundle_key,
        owner=filing.owner,
        year=filing.accounting_year,
        project_type=filing.project_type,
        dimension="",
        value="",
        label=filing_label(filing),
    )
    items = filing.items.select_related("project__industry", "project__owner").order_by(
        "project_id"
    )
    for item in items:
        bundle.add(item.project, {p: Decimal(a) for p, a in item.amounts.items()})
    return bundle


def waiting_filings(user: User):
    """District filings the user may see that still hold a project to confirm or certify."""
    return (
        visible_filings(user)
        .filter(self_filed=False, status__in=[FilingStatus.PENDING, FilingStatus.FILED])
        .filter(projects__status=Status.DISTRICT_REVIEWED)
        .distinct()
        .order_by("status", "-id")
    )


def record_filing(*, user: User, bundle: Bundle, filing_number: str, filing_date) -> BundleFiling:
    """A district clerk records the national filing of an open bundle; the set of projects is
    frozen with the amounts the district reviewed. A district approver confirms it next."""
    if not user.has_perm("reductions.record_filing", bundle.owner):
        raise services.NotPermittedForUser(
            _("Only a district clerk of %(owner)s records its national filings.")
            % {"owner": bundle.owner}
        )
    number = (filing_number or "").strip()
    if not number:
        raise services.FilingRefused({"filing_number": _("Enter the national filing number.")})
    with transaction.atomic():
        projects = list(
            Project.objects.select_for_update()
            .filter(pk__in=[p.pk for p in bundle.projects])
            .order_by("pk")
        )
        if len(projects) != len(bundle.projects) or any(
            p.filing_id or p.status != Status.DISTRICT_REVIEWED for p in projects
        ):
            raise services.FilingRefused(
                _("This bundle changed while you were looking at it; open it again."),
                code="bundle_changed",
            )
        services.check_filing_date(filing_date, projects)
        filing = services.create_filing(
            number=number,
            projects=projects,
            owner=bundle.owner,
            bundle_key=bundle.key,
            label=bundle.label[:400],
            project_type=bundle.project_type,
            accounting_year=bundle.year,
            filing_date=filing_date,
            status=FilingStatus.PENDING,
            recorded_by=user,
        )
        Project.objects.filter(pk__in=[p.pk for p in projects]).update(filing=filing)
    return filing


def _locked_pending(filing: BundleFiling, user: User) -> BundleFiling:
    filing = BundleFiling.objects.select_for_update().get(pk=filing.pk)
    if filing.status != FilingStatus.PENDING:
        raise services.TransitionNotAllowed(
            _("This filing is already %(status)s.") % {"status": filing.get_status_display()}
        )
    if user.pk == filing.recorded_by_id:
        raise services.NotYourStep(
            _("You recorded this filing; another person (a district approver) must confirm it.")
        )
    if not user.has_perm("reductions.decide_filing", filing):
        raise services.NotPermittedForUser(
            _("Only a district approver of %(owner)s confirms its national filings.")
            % {"owner": filing.owner}
        )
    return filing


def confirm_filing(*, user: User, filing: BundleFiling) -> BundleFiling:
    """A district approver who did not record the filing confirms it: the bundle is FILED."""
    with transaction.atomic():
        filing = _locked_pending(filing, user)
        if not filing.projects.exists():
            raise services.FilingRefused(
                _("Every project of this filing was returned; reject it instead."),
                code="filing_empty",
            )
        filing.status = FilingStatus.FILED
        filing.confirmed_by = user
        filing.confirmed_at = timezone.now()
        filing.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return filing


def reject_filing(*, user: User, filing: BundleFiling, reason: str) -> BundleFiling:
    """The district approver rejects a recorded filing (wrong number or date, say): its
    projects are open again and its number may be recorded anew."""
    reason = (reason or "").strip()
    if not reason:
        raise services.FilingRefused({"reason": _("Say why the filing is rejected.")})
    with transaction.atomic():
        filing = _locked_pending(filing, user)
        filing.status = FilingStatus.REJECTED
        filing.confirmed_by = user
        filing.confirmed_at = timezone.now()
        filing.rejection_reason = reason
        filing.save(update_fields=["status", "confirmed_by", "confirmed_at", "rejection_reason"])
        Project.objects.filter(filing=filing).update(filing=None)
    return filing


def certify_filing(*, user: User, filing: BundleFiling) -> list[Project]:
    """Certify every project of the filing still waiting for it, or none of them."""
    with transaction.atomic():
        projects = list(filing.projects.filter(status=Status.DISTRICT_REVIEWED).order_by("pk"))
        if not projects:
            raise services.TransitionNotAllowed(
                _("No project of this filing waits for certification.")
            )
        return [
            services.act(project=project, user=user, action=workflow.APPROVE)
            for project in projects
        ]


def write_bundle_sheet(bundle: Bundle, path: Path) -> None:
    """The bundle sheet for filing in the national system (one row per project, totals)."""
    with translation.override("zh-hans"):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "小额打包"
        pollutants = [Pollutant(p) for p in bundle.project_type.pollutants]
        document = DocumentSheet(
            sheet,
            title=_("Small-package bundle") + f" — {bundle.label}",
            lines=[
                [_("District"), bundle.owner.name_zh, bundle.owner.code],
                [_("Accounting year"), bundle.year],
                [_("Project type"), str(bundle.project_type)],
            ],
            columns=[
                SheetColumn(_("No."), width=6),
                SheetColumn(_("Project"), width=28),
                SheetColumn(_("Enterprise"), width=24),
                SheetColumn(_("Unified social credit code"), width=20),
                SheetColumn(_("Industry code"), width=8),
                SheetColumn(_("Industry"), width=20),
                SheetColumn(_("Fuel type"), width=10),
                SheetColumn(_("Completion date"), width=12, date=True),
                *[SheetColumn(_("%(p)s (t/a)") % {"p": p.symbol}, amount=True) for p in pollutants],
            ],
        )
        for number, project in enumerate(bundle.projects, start=1):
            amounts = bundle.reviewed[project.pk]
            document.row(
                [
                    number,
                    project.name,
                    project.enterprise_name,
                    project.credit_code,
                    project.industry_id,
                    project.industry.name_zh,
                    project.get_fuel_type_display() if project.fuel_type else "",
                    project.completion_date,
                    *[amounts.get(p.value) for p in pollutants],
                ]
            )
        totals = bundle.totals
        document.row(
            [_("Total"), "", "", "", "", "", "", "", *[totals.get(p.value) for p in pollutants]],
            bold=True,
        )
        document.finish()
        workbook.save(path)
