"""Small-package bundles (小额打包): PACKAGE projects of a district grouped for filing.

The key is (district, accounting year, category, type, dimension value), the dimension
being what the type's Annex 2 row bundles by: industry major category, fuel type, project
type, or the district alone. A VOCs green-island cluster is a bundle of its own; its
enterprise (the cluster operator) names it — an interpretation, stated in the README.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Prefetch
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from ledger.models import Pollutant, User

from . import services, workflow
from .models import BundleKey, PackageRule, Project, ProjectAmount, Status, Tier
from .selectors import visible_projects

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

    @property
    def totals(self) -> dict[str, Decimal]:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for project in self.projects:
            for row in project.amounts.all():
                sums[row.pollutant] += row.claimed
        return {p.value: sums[p.value] for p in Pollutant if p.value in sums}

    @property
    def total_rows(self) -> list[tuple[str, Decimal]]:
        return [(Pollutant(p).symbol, a) for p, a in self.totals.items()]


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


def bundles(user: User, statuses: tuple[str, ...] = (Status.DISTRICT_REVIEWED,)) -> list[Bundle]:
    """Bundles of the district PACKAGE projects the user may see, in the given states."""
    projects = (
        visible_projects(user)
        .filter(tier=Tier.PACKAGE, status__in=statuses, owner__kind__in=("DISTRICT", "COMMITTEE"))
        .prefetch_related(Prefetch("amounts", queryset=ProjectAmount.objects.order_by("pollutant")))
        .order_by("owner__code", "accounting_year", "project_type_id", "id")
    )
    rules = _rules_by_type()
    grouped: dict[str, Bundle] = {}
    for project in projects:
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
        bundle.projects.append(project)
    return list(grouped.values())


def find_bundle(user: User, key: str, statuses=(Status.DISTRICT_REVIEWED,)) -> Bundle | None:
    return next((b for b in bundles(user, statuses) if b.key == key), None)


def certify_bundle(*, user: User, bundle: Bundle) -> list[Project]:
    """Certify every project of the bundle, or none of them."""
    with transaction.atomic():
        return [
            services.act(project=project, user=user, action=workflow.APPROVE)
            for project in bundle.projects
        ]


def write_bundle_sheet(bundle: Bundle, path: Path) -> None:
    """The bundle sheet for filing in the national system (one row per project, totals)."""
    with translation.override("zh-hans"):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "小额打包"
        pollutants = [Pollutant(p) for p in bundle.project_type.pollutants]
        sheet.append([_("Small-package bundle"), bundle.label])
        sheet.append([_("District"), bundle.owner.name_zh, bundle.owner.code])
        sheet.append([_("Accounting year"), bundle.year])
        sheet.append([_("Project type"), str(bundle.project_type)])
        sheet.append(
            [
                _("No."),
                _("Project"),
                _("Enterprise"),
                _("Unified social credit code"),
                _("Industry code"),
                _("Industry"),
                _("Fuel type"),
                _("Completion date"),
                *[_("%(p)s (t/a)") % {"p": p.symbol} for p in pollutants],
            ]
        )
        for number, project in enumerate(bundle.projects, start=1):
            amounts = {a.pollutant: a.claimed for a in project.amounts.all()}
            sheet.append(
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
        sheet.append(
            [_("Total"), "", "", "", "", "", "", "", *[totals.get(p.value) for p in pollutants]]
        )
        workbook.save(path)
