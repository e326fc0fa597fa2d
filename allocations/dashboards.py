"""Home-page dashboards: each chart is one dict (categories, series, a link per category) that
the page renders both as an ECharts chart and as a table, and that ``chart_data`` serves as
JSON, so the chart and its table can never show different figures.

Shanghai district boundaries ship in no package of the registries we use, so the districts
are a sorted bar chart, not a map.
"""

import datetime
from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q, Sum
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.inbox import cached_for_user
from ledger.models import (
    ZERO,
    Account,
    Entity,
    EntityKind,
    Entry,
    HoldStatus,
    Pollutant,
    SystemAccountKind,
    User,
)
from reductions.models import PlanPeriod, ProjectAmount, Status, Tier
from reductions.selectors import status_counts, visible_projects

from . import selectors
from .models import (
    ConstructionStatus,
    RecordStatus,
    RoundStatus,
    UseLine,
)


def _number(value) -> str:
    """Amounts travel as exact decimal strings (0.000), never floats."""
    return f"{Decimal(value or 0):.3f}"


def _chart(
    name, title, categories, series, links, *, unit="t", kind="bar", horizontal=False
) -> dict:
    """``kind``: bar, stacked or line; ``horizontal`` puts the categories (long Chinese
    names of districts) on the vertical axis where they can be read."""
    return {
        "name": name,
        "title": str(title),
        "kind": kind,
        "horizontal": horizontal,
        "unit": unit,
        "categories": [str(c) for c in categories],
        "series": [{"name": str(n), "data": data} for n, data in series],
        "links": links,
    }


def _flows(entity_ids: list[int]) -> dict[tuple[int, str], tuple]:
    """(entity, pollutant) → (allocated net of recoveries, used), from the records that
    posted them: lines of approved rounds (a revoked round's postings were reversed) and the
    consumed holds of uses not cancelled. Two small aggregates over those records, not a sum
    over every leg of the ledger (a million legs took a second per home page)."""
    flows: dict[tuple[int, str], list] = defaultdict(lambda: [ZERO, ZERO])
    for key, total in selectors.allocated_net(owners=entity_ids).items():
        flows[key][0] = total or ZERO
    uses = (
        UseLine.objects.filter(hold__status=HoldStatus.CONSUMED, account__entity_id__in=entity_ids)
        .exclude(project__status=ConstructionStatus.CANCELLED)
        .values_list("account__entity", "pollutant")
        .annotate(total=Sum("hold__amount"))
        .order_by()
    )
    for entity, pollutant, total in uses:
        flows[(entity, pollutant)][1] = total or ZERO
    return {key: tuple(value) for key, value in flows.items()}


def _positions(accounts) -> dict[str, dict[str, Decimal]]:
    """Held and available per pollutant over these entity accounts, zero flows to fill."""
    figures = {
        p.value: dict.fromkeys(("allocated", "used", "held", "available"), ZERO) for p in Pollutant
    }
    for pollutant, balance, held in accounts.values_list("pollutant", "balance", "held"):
        figures[pollutant]["held"] += held
        figures[pollutant]["available"] += balance - held
    return figures


def _entity_accounts(entity_ids: list[int]) -> dict[str, dict[str, Decimal]]:
    """Per pollutant, over these entities: allocated (net of recoveries), used, held and
    available."""
    figures = _positions(Account.objects.filter(entity_id__in=entity_ids))
    for (_entity, pollutant), (allocated, used) in _flows(entity_ids).items():
        figures[pollutant]["allocated"] += allocated
        figures[pollutant]["used"] += used
    return figures


def _city_accounts() -> dict[str, dict[str, Decimal]]:
    """The whole city, from stored balances alone: what the national allocation pool gave
    out net (allocations less recoveries and reversals) and what the consumption sink took
    in net (uses less cancelled ones), beside every entity account's held and available."""
    figures = _positions(Account.objects.filter(entity__isnull=False))
    for kind, pollutant, balance in Account.objects.filter(
        system_kind__in=[SystemAccountKind.ALLOCATION_POOL, SystemAccountKind.CONSUMPTION]
    ).values_list("system_kind", "pollutant", "balance"):
        if kind == SystemAccountKind.ALLOCATION_POOL:
            figures[pollutant]["allocated"] += -balance
        else:
            figures[pollutant]["used"] += balance
    return figures


def _totals_chart(name: str, title: str, figures: dict, link: str) -> dict:
    """Allocated, other postings, used, held and available per pollutant, each pollutant
    linking to ``link``. "Other" is every posting that is neither an allocation nor a use
    (certified Micro and VOCs-management credits, trades, reserve intakes, adjustments), net:
    without it the columns did not add up once such a credit posted, and with it they
    always do (allocated + other - used = held + available)."""
    labels = (
        ("allocated", _("Allocated")),
        ("other", _("Other postings, net")),
        ("used", _("Used")),
        ("held", _("Held")),
        ("available", _("Available")),
    )
    for row in figures.values():
        row["other"] = row["held"] + row["available"] - row["allocated"] + row["used"]
    pollutants = list(Pollutant)
    return _chart(
        name,
        title,
        [p.symbol for p in pollutants],
        [(label, [_number(figures[p.value][key]) for p in pollutants]) for key, label in labels],
        [link for _p in pollutants],
    )


def city_totals(user: User) -> dict:
    return _totals_chart(
        "city-totals",
        _("City totals per pollutant"),
        _city_accounts(),
        reverse("reports:annual") + "?" + urlencode({"entity": "city"}),
    )


def entity_totals(user: User) -> dict:
    entity = user.entity
    return _totals_chart(
        "entity-totals",
        _("Our quota per pollutant"),
        _entity_accounts([entity.pk]),
        reverse("ledger:entity", args=[entity.code]),
    )


def _certified_by_year_and_tier(user: User) -> list[tuple[int, str, Decimal]]:
    return list(
        ProjectAmount.objects.filter(
            project__in=visible_projects(user), project__status=Status.CERTIFIED
        )
        .values_list("project__accounting_year", "project__tier")
        .annotate(total=Sum("certified"))
        .order_by("project__accounting_year")
    )


def certified_by_tier(user: User) -> dict:
    # Grouping every certified amount took ~80 ms at 100,000 projects on each home page:
    # cached until a project (or any workflow record) changes, like the inbox counts.
    rows = cached_for_user(user, "certified-by-tier", lambda: _certified_by_year_and_tier(user))
    years = sorted({year for year, _tier, _total in rows})
    totals = {(year, tier): total for year, tier, total in rows}
    return _chart(
        "certified-by-tier",
        _("Certified reductions by tier and year (all pollutants)"),
        [str(y) for y in years],
        [(Tier(t).label, [_number(totals.get((y, t))) for y in years]) for t in Tier.values],
        [
            reverse("reductions:list") + "?" + urlencode({"status": Status.CERTIFIED, "year": y})
            for y in years
        ],
        kind="stacked",
    )


def _districts():
    return Entity.objects.filter(
        kind__in=[EntityKind.DISTRICT, EntityKind.COMMITTEE], is_active=True
    )


def district_use(user: User) -> dict:
    """Allocated vs used per district, sorted by what is still available (most first)."""
    districts = list(_districts())
    flows = _flows([d.pk for d in districts])
    available = {
        e: total or ZERO
        for e, total in Account.objects.filter(entity__in=districts)
        .values_list("entity")
        .annotate(total=Sum("balance") - Sum("held"))
        .order_by()
    }
    districts.sort(key=lambda d: (-available.get(d.pk, ZERO), d.code))
    allocated = [
        sum((flows.get((d.pk, p), (ZERO, ZERO))[0] for p in Pollutant.values), ZERO)
        for d in districts
    ]
    used = [
        sum((flows.get((d.pk, p), (ZERO, ZERO))[1] for p in Pollutant.values), ZERO)
        for d in districts
    ]
    return _chart(
        "district-use",
        _("Allocated and used quota per district (all pollutants, sorted by available)"),
        [d.name for d in districts],
        [
            (_("Allocated"), [_number(v) for v in allocated]),
            (_("Used"), [_number(v) for v in used]),
            (_("Available"), [_number(available.get(d.pk)) for d in districts]),
        ],
        [reverse("ledger:entity", args=[d.code]) for d in districts],
        horizontal=True,
    )


def target_completion(user: User) -> dict:
    period = PlanPeriod.objects.order_by("-start_year").first()
    districts = list(_districts().order_by("code"))
    if period is None:
        return _chart("target-completion", _("Target completion per district"), [], [], [])
    rows = selectors.progress(period=period, as_of=timezone.localdate(), entities=districts)
    met = {d.pk: 0 for d in districts}
    with_target = {d.pk: 0 for d in districts}
    for row in rows:
        if row.target is not None:
            with_target[row.entity.pk] += 1
            met[row.entity.pk] += row.met
    chart = _chart(
        "target-completion",
        _("Target completion per district (pollutants met / with a target)"),
        [d.name for d in districts],
        [
            (_("Pollutants met"), [met[d.pk] for d in districts]),
            (_("Pollutants not met"), [with_target[d.pk] - met[d.pk] for d in districts]),
        ],
        [reverse("allocations:progress", args=[d.code]) for d in districts],
        unit="",
        kind="stacked",
        horizontal=True,
    )
    # Text, not only colour: each district says met or not met in words.
    chart["notes"] = [
        _("met") if with_target[d.pk] and met[d.pk] == with_target[d.pk] else _("not met")
        for d in districts
    ]
    return chart


def waiting(user: User) -> dict:
    """What waits at each workflow step, among what the user may see."""
    # From the per-owner status counts the database keeps, not a count of the projects.
    counts = status_counts(user, visible_projects(user), filtered=False)
    steps = [
        (
            Status.SUBMITTED.label,
            counts.get(Status.SUBMITTED, 0),
            reverse("reductions:list") + "?status=SUBMITTED",
        ),
        (
            Status.DISTRICT_REVIEWED.label,
            counts.get(Status.DISTRICT_REVIEWED, 0),
            reverse("reductions:list") + "?status=DISTRICT_REVIEWED",
        ),
        (
            Status.MUNICIPAL_REVIEWED.label,
            counts.get(Status.MUNICIPAL_REVIEWED, 0),
            reverse("reductions:list") + "?status=MUNICIPAL_REVIEWED",
        ),
        (
            _("Use requests"),
            selectors.visible_construction_projects(user)
            .filter(status=ConstructionStatus.REQUESTED)
            .count(),
            reverse("allocations:constructions"),
        ),
        (
            _("Trade records to confirm"),
            selectors.visible_trade_records(user).filter(status=RecordStatus.PROPOSED).count(),
            reverse("allocations:trades"),
        ),
    ]
    if user.has_perm("allocations.see_rounds"):
        from .models import AllocationRound

        steps.append(
            (
                _("Rounds to approve"),
                AllocationRound.objects.filter(status=RoundStatus.SUBMITTED).count(),
                reverse("allocations:rounds"),
            )
        )
    return _chart(
        "waiting",
        _("What waits at each step"),
        [label for label, _n, _url in steps],
        [(_("Records"), [n for _label, n, _url in steps])],
        [url for _label, _n, url in steps],
        unit="",
    )


def balance_over_time(user: User) -> dict:
    """The entity's closing balance per pollutant at the end of each of the last 12 months."""
    entity = user.entity
    today = timezone.localdate()
    months = []
    year, month = today.year, today.month
    for _i in range(12):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    months.reverse()
    ends = [
        (datetime.date(y + (m == 12), m % 12 + 1, 1) - datetime.timedelta(days=1))
        for y, m in months
    ]
    aggregates = {
        f"m{i}": Sum("amount", filter=Q(effective_date__lte=end)) for i, end in enumerate(ends)
    }
    rows = {
        r["pollutant"]: r
        for r in Entry.objects.filter(account__entity=entity)
        .values("pollutant")
        .annotate(**aggregates)
        .order_by()
    }
    return _chart(
        "balance-over-time",
        _("Our balance at each month's end"),
        [f"{y}-{m:02d}" for y, m in months],
        [
            (p.symbol, [_number(rows.get(p.value, {}).get(f"m{i}")) for i in range(len(ends))])
            for p in Pollutant
        ],
        [reverse("ledger:entity", args=[entity.code]) for _m in months],
        kind="line",
    )


MUNICIPAL_CHARTS = (city_totals, certified_by_tier, district_use, target_completion, waiting)
ENTITY_CHARTS = (entity_totals, waiting)
ENTERPRISE_CHARTS = (entity_totals, balance_over_time, waiting)
CHARTS = {f.__name__.replace("_", "-"): f for f in (*MUNICIPAL_CHARTS, *ENTERPRISE_CHARTS)}


def charts_for(user: User) -> list:
    """The chart functions of the user's home page: the city for municipal users and
    auditors; its own figures and queue for a district; its balance over time for an
    enterprise."""
    if user.has_perm("allocations.see_overview"):
        return list(MUNICIPAL_CHARTS)
    if user.entity_id is None or not user.has_perm("ledger.see_entity_ledger", user.entity):
        return []
    if user.entity.kind == EntityKind.ENTERPRISE:
        return list(ENTERPRISE_CHARTS)
    return list(ENTITY_CHARTS)


@login_required
def chart_data(request, name: str):
    chart = CHARTS.get(name)
    if chart is None or chart not in charts_for(request.user):
        raise Http404
    return JsonResponse(chart(request.user))


def home_charts(user: User) -> list[dict]:
    """The charts of the user's home page (``QUOTA_HOME_PANELS`` names this function: the
    ledger's home view cannot import the allocations app), each with its table's rows."""
    return [_with_rows(chart(user)) for chart in charts_for(user)]


def _with_rows(chart: dict) -> dict:
    """The chart's table, a row per category: its link, one figure per series and its note.
    Made here, not by the template looking each figure up by index (quadratic: 2,900 tag
    evaluations a home page)."""
    columns = [series["data"] for series in chart["series"]]
    links, notes = chart["links"], chart.get("notes") or []
    rows = [
        {
            "category": category,
            "link": links[i] if i < len(links) else None,
            "values": [column[i] for column in columns],
            "note": notes[i] if i < len(notes) else "",
        }
        for i, category in enumerate(chart["categories"])
    ]
    return {**chart, "rows": rows}
