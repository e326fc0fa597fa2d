"""The municipal summary (汇总表): per entity and pollutant, certified reductions by tier,
target, met, surplus, allocated, used, held and balance; totals by entity kind.

Built on ``selectors.progress`` (the figures the allocation rounds use) and one aggregate of
the ledger for use, held and balance, so the summary never disagrees with the rounds.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from ledger.models import ZERO, Account, Entity, EntityKind, Entry, Pollutant, TransactionKind
from reductions.models import PlanPeriod

from . import selectors

SUMMARY_FIGURES = (
    ("key", _("KEY certified")),
    ("package", _("PACKAGE certified")),
    ("micro", _("MICRO certified")),
    ("voc_mgmt", _("VOC_MGMT certified")),
    ("target", _("Target")),
    ("surplus", _("Surplus over target")),
    ("allocated", _("Allocated (net)")),
    ("used", _("Used")),
    ("held", _("Held")),
    ("balance", _("Balance")),
)


@dataclass
class SummaryRow:
    entity: Entity
    pollutant: str
    met: bool
    figures: dict[str, Decimal | None]

    @property
    def symbol(self) -> str:
        return Pollutant(self.pollutant).symbol

    @property
    def values(self) -> list[Decimal | None]:
        return [self.figures[key] for key, _label in SUMMARY_FIGURES]


@dataclass
class KindTotal:
    kind: str
    label: str
    pollutant: str
    figures: dict[str, Decimal] = field(
        default_factory=lambda: dict.fromkeys((k for k, _l in SUMMARY_FIGURES), ZERO)
    )
    met: int = 0
    entities: int = 0

    @property
    def symbol(self) -> str:
        return Pollutant(self.pollutant).symbol

    @property
    def values(self) -> list[Decimal]:
        return [self.figures[key] for key, _label in SUMMARY_FIGURES]


def _usage() -> dict[tuple[int, str], tuple[Decimal, Decimal, Decimal]]:
    """(used, held, balance) per entity account: one aggregate of USE legs beside the
    stored balances (which always equal the sum of legs)."""
    used = {
        (e, p): -(total or ZERO)
        for e, p, total in Entry.objects.filter(
            account__entity__isnull=False, transaction__kind=TransactionKind.USE
        )
        .values_list("account__entity", "pollutant")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    return {
        (e, p): (used.get((e, p), ZERO), held, balance)
        for e, p, held, balance in Account.objects.filter(entity__isnull=False).values_list(
            "entity", "pollutant", "held", "balance"
        )
    }


def municipal_summary(
    *, period: PlanPeriod, as_of: datetime.date
) -> tuple[list[SummaryRow], list[KindTotal]]:
    usage = _usage()
    rows = []
    totals: dict[tuple[str, str], KindTotal] = {}
    for progress in selectors.progress(period=period, as_of=as_of):
        used, held, balance = usage.get((progress.entity.pk, progress.pollutant), (ZERO,) * 3)
        figures = {
            "key": progress.key,
            "package": progress.package,
            "micro": progress.micro,
            "voc_mgmt": progress.voc_mgmt,
            "target": progress.target,
            "surplus": progress.surplus,
            "allocated": progress.allocated,
            "used": used,
            "held": held,
            "balance": balance,
        }
        rows.append(SummaryRow(progress.entity, progress.pollutant, progress.met, figures))
        kind = progress.entity.kind
        total = totals.setdefault(
            (kind, progress.pollutant),
            KindTotal(kind, str(EntityKind(kind).label), progress.pollutant),
        )
        total.entities += 1
        total.met += progress.met
        for key, value in figures.items():
            total.figures[key] += value or ZERO
    return rows, list(totals.values())


def entity_filter(rows: list[SummaryRow], *, kind: str | None = None, met: bool | None = None):
    return [
        r for r in rows if (kind is None or r.entity.kind == kind) and (met is None or r.met == met)
    ]
