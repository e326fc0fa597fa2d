"""The inbox kinds (``ledger.inbox``) of reduction projects, filings, rounds, construction
projects' use of quota, trade records and the municipal reserve.

They live here because allocations is the app that may import both reductions and the
ledger. Each kind reuses the selector of its own list page ("my queue", "waiting for me") or
asks the app's permission rule of each open record; none restates who may act.
"""

from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ledger.inbox import InboxKind, Item, amount_text
from ledger.models import Role, User
from ledger.permissions import is_municipal_approver
from reductions import selectors as reduction_selectors
from reductions.models import FilingStatus, Status

from . import selectors, services
from .models import (
    AllocationRound,
    RecordStatus,
    ReserveIntake,
    RoundAction,
    RoundStatus,
    RoundStep,
)


def _amounts(amounts) -> str:
    """甲、乙 in Chinese, "a, b" in English."""
    separator = "、" if (get_language() or "zh").startswith("zh") else ", "
    return separator.join(amount_text(a.pollutant, a.claimed) for a in amounts)


# --- Reduction projects awaiting this user's review step (the reductions queue) ----------


def _review_items(user: User, limit: int) -> list[Item]:
    projects = reduction_selectors.queue(user).prefetch_related("amounts")[:limit]
    return [
        Item(
            kind=REVIEWS,
            title=p.name,
            url=reverse("reductions:detail", args=[p.pk]),
            since=p.updated_at,
            entity=p.owner.name,
            detail=f"{p.get_tier_display()} · {_amounts(p.amounts.all())}",
        )
        for p in projects
    ]


REVIEWS = InboxKind(
    code="reviews",
    label=gettext_lazy("Reduction projects to review"),
    applies=lambda user: user.has_role(
        Role.DISTRICT_APPROVER, Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER
    ),
    count=lambda user: reduction_selectors.queue(user).count(),
    items=_review_items,
    list_url="reductions:queue",
)


# --- Projects returned to their maker -----------------------------------------------------


def _returned(user: User):
    """Returned projects of the user's entity, when the user is its maker
    (``reductions.create_project`` of the own entity: the maker role of its kind)."""
    if not user.entity_id or not user.has_perm("reductions.create_project", user.entity):
        return reduction_selectors.visible_projects(user).none()
    return (
        reduction_selectors.visible_projects(user)
        .filter(status=Status.RETURNED, owner_id=user.entity_id)
        .order_by("updated_at", "pk")
    )


def _returned_items(user: User, limit: int) -> list[Item]:
    return [
        Item(
            kind=RETURNED,
            title=p.name,
            url=reverse("reductions:detail", args=[p.pk]),
            since=p.updated_at,
            entity=p.owner.name,
            detail=p.get_tier_display(),
        )
        for p in _returned(user)[:limit]
        if user.has_perm("reductions.edit_project", p)
    ]


RETURNED = InboxKind(
    code="returned",
    label=gettext_lazy("Returned projects to correct"),
    applies=lambda user: user.has_role(Role.DISTRICT_CLERK, Role.ENTERPRISE_USER),
    count=lambda user: _returned(user).count(),
    items=_returned_items,
    list_url="reductions:list",
)


# --- National filings of bundles to confirm (district approver) ---------------------------


def _filings(user: User) -> list:
    pending = (
        reduction_selectors.visible_filings(user)
        .filter(status=FilingStatus.PENDING)
        .order_by("recorded_at", "pk")
    )
    return [f for f in pending if user.has_perm("reductions.decide_filing", f)]


def _filing_items(user: User, limit: int) -> list[Item]:
    return [
        Item(
            kind=FILINGS,
            title=f.label,
            url=reverse("reductions:filing", args=[f.pk]),
            since=f.recorded_at,
            entity=f.owner.name,
            detail=_("National filing no. %(number)s") % {"number": f.filing_number},
        )
        for f in _filings(user)[:limit]
    ]


FILINGS = InboxKind(
    code="filings",
    label=gettext_lazy("National filings to confirm"),
    applies=lambda user: user.has_role(Role.DISTRICT_APPROVER),
    count=lambda user: len(_filings(user)),
    items=_filing_items,
    list_url="reductions:bundles",
)


# --- Allocation rounds to approve, and rounds returned to the municipal clerk --------------


def _rounds_to_decide(user: User) -> list[AllocationRound]:
    """Submitted rounds this user may decide (``services.may_decide_round``). A plan period
    has at most one open round, so these are few."""
    submitted = AllocationRound.objects.filter(status=RoundStatus.SUBMITTED).select_related(
        "plan_period"
    )
    return [
        r for r in submitted.order_by("submitted_at", "pk") if services.may_decide_round(user, r)
    ]


def _round_title(round_: AllocationRound) -> str:
    return _("Allocation round #%(id)s") % {"id": round_.pk}


def _round_items(user: User, limit: int) -> list[Item]:
    return [
        Item(
            kind=ROUNDS,
            title=_round_title(r),
            url=reverse("allocations:round", args=[r.pk]),
            since=r.submitted_at or r.created_at,
            detail=f"{r.plan_period} · {r.as_of:%Y-%m-%d}",
        )
        for r in _rounds_to_decide(user)[:limit]
    ]


ROUNDS = InboxKind(
    code="rounds",
    label=gettext_lazy("Allocation rounds to approve"),
    applies=lambda user: is_municipal_approver.test(user),
    count=lambda user: len(_rounds_to_decide(user)),
    items=_round_items,
    list_url="allocations:rounds",
)


def _returned_rounds(user: User):
    """Draft rounds a municipal approver returned, for the municipal clerks who draft and
    submit rounds (``allocations.draft_round``), with when they were returned."""
    if not user.has_perm("allocations.draft_round"):
        return AllocationRound.objects.none()
    returns = RoundStep.objects.filter(round=OuterRef("pk"), action=RoundAction.RETURN)
    return (
        AllocationRound.objects.filter(status=RoundStatus.DRAFT)
        .filter(Exists(returns))
        .select_related("plan_period")
        .annotate(returned_at=Max("steps__at", filter=Q(steps__action=RoundAction.RETURN)))
        .order_by("returned_at", "pk")
    )


def _returned_round_items(user: User, limit: int) -> list[Item]:
    return [
        Item(
            kind=RETURNED_ROUNDS,
            title=_round_title(r),
            url=reverse("allocations:round", args=[r.pk]),
            since=r.returned_at,
            detail=r.comment,
        )
        for r in _returned_rounds(user)[:limit]
    ]


RETURNED_ROUNDS = InboxKind(
    code="returned_rounds",
    label=gettext_lazy("Returned allocation rounds"),
    applies=lambda user: user.has_role(Role.MUNICIPAL_CLERK),
    count=lambda user: _returned_rounds(user).count(),
    items=_returned_round_items,
    list_url="allocations:rounds",
)


# --- Construction projects' use of quota to approve ---------------------------------------


def _use_requests(user: User):
    return (
        selectors.visible_construction_projects(user)
        .filter(pk__in=selectors.use_requests_waiting_for(user))
        .order_by("requested_at", "pk")
    )


def _use_items(user: User, limit: int) -> list[Item]:
    return [
        Item(
            kind=USE_REQUESTS,
            title=p.name,
            url=reverse("allocations:construction", args=[p.pk]),
            since=p.requested_at or p.created_at,
            entity=p.owner.name,
            detail=p.builder,
        )
        for p in _use_requests(user)[:limit]
    ]


USE_REQUESTS = InboxKind(
    code="use_requests",
    label=gettext_lazy("Use of quota to approve"),
    applies=lambda user: user.has_role(Role.DISTRICT_APPROVER, Role.MUNICIPAL_APPROVER),
    count=lambda user: _use_requests(user).count(),
    items=_use_items,
    list_url="allocations:constructions",
    list_query="?waiting=1",
)


# --- Trade records and reserve intakes to confirm -----------------------------------------


def _trades(user: User):
    return selectors.trade_records_waiting_for(user).order_by("proposed_at", "pk")


def _trade_items(user: User, limit: int) -> list[Item]:
    return [
        Item(
            kind=TRADES,
            title=str(t),
            url=reverse("allocations:trade", args=[t.pk]),
            since=t.proposed_at,
            entity=t.entity.name,
            detail=f"{t.get_direction_display()} · {amount_text(t.pollutant, t.amount)}",
        )
        for t in _trades(user)[:limit]
    ]


TRADES = InboxKind(
    code="trades",
    label=gettext_lazy("Trade records to confirm"),
    applies=lambda user: is_municipal_approver.test(user),
    count=lambda user: _trades(user).count(),
    items=_trade_items,
    list_url="allocations:trades",
    list_query="?waiting=1",
)


def _intakes(user: User):
    """Proposed intakes for whoever may confirm them (``allocations.confirm_reserve_intake``),
    never the recorder's own (the four-eyes rule of the record)."""
    if not user.has_perm("allocations.confirm_reserve_intake"):
        return ReserveIntake.objects.none()
    return (
        selectors.visible_reserve_intakes(user)
        .filter(status=RecordStatus.PROPOSED)
        .exclude(proposed_by=user)
        .order_by("proposed_at", "pk")
    )


def _intake_items(user: User, limit: int) -> list[Item]:
    return [
        Item(
            kind=INTAKES,
            title=str(r),
            url=reverse("allocations:reserve_intake", args=[r.pk]),
            since=r.proposed_at,
            detail=f"{r.source_label} · {amount_text(r.pollutant, r.amount)}",
        )
        for r in _intakes(user)[:limit]
    ]


INTAKES = InboxKind(
    code="reserve_intakes",
    label=gettext_lazy("Reserve intakes to confirm"),
    applies=lambda user: is_municipal_approver.test(user),
    count=lambda user: _intakes(user).count(),
    items=_intake_items,
    list_url="allocations:reserve",
)

KINDS = [REVIEWS, RETURNED, FILINGS, USE_REQUESTS, ROUNDS, RETURNED_ROUNDS, TRADES, INTAKES]
