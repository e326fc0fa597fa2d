"""One inbox per user (待我处理): every kind of work waiting for this user's decision or action.

The ledger imports no higher app, so each kind is an ``InboxKind`` that its app provides and
settings list (``QUOTA_INBOX_KINDS``, dotted paths of lists of kinds, like the home page's
panels). The ledger's own kinds — adjustments and corrections waiting for a second person —
are defined here. Who may act is decided by each app's permission rules and existing
"waiting for" selectors, never by a copy of them here.

``counts(user)`` is what the navigation shows on every page: one cheap query per kind the
user's roles can have (a kind whose roles the user lacks costs nothing), never one per row.
``items(user)`` is the inbox page: every kind's waiting work merged, oldest first, with age.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import AdjustmentProposal, AdjustmentStatus, Pollutant, Role, User
from .permissions import is_municipal_approver

# At most this many items of one kind on the inbox page (the oldest); the kind's own list
# page, linked beside its count, shows the rest.
PAGE_LIMIT = 100


def amount_text(pollutant: str, amount, *, signed: bool = False) -> str:
    """ "NOx 1.500 t": a pollutant's symbol and an amount in 3 decimals."""
    return f"{Pollutant(pollutant).symbol} {amount:{'+' if signed else ''}.3f} t"


@dataclass(frozen=True)
class Item:
    kind: "InboxKind"
    title: str
    url: str
    since: datetime.datetime
    entity: str = ""
    detail: str = ""

    @property
    def age_days(self) -> int:
        return max((timezone.now() - self.since).days, 0)

    @property
    def age(self) -> str:
        days = self.age_days
        if days == 0:
            return gettext("today")
        if days == 1:
            return gettext("%(n)s day") % {"n": days}
        return gettext("%(n)s days") % {"n": days}


@dataclass(frozen=True)
class InboxKind:
    """One kind of waiting work.

    ``applies(user)`` answers from the user's roles alone (no query): a user it refuses never
    costs a query for this kind. ``count(user)`` is one query (or a few, never one per row);
    ``items(user, limit)`` lists the oldest ``limit`` waiting items as ``Item``s.
    ``list_url`` names the existing page of this kind (e.g. the reductions queue with its
    bulk approval), linked from the inbox.
    """

    code: str
    label: str | Promise
    applies: Callable[[User], bool]
    count: Callable[[User], int]
    items: Callable[[User, int], list[Item]]
    list_url: str = ""
    list_query: str = ""

    @property
    def url(self) -> str:
        return reverse(self.list_url) + self.list_query if self.list_url else ""


@dataclass(frozen=True)
class KindCount:
    kind: InboxKind
    count: int


@cache
def kinds() -> tuple[InboxKind, ...]:
    found: list[InboxKind] = []
    for path in settings.QUOTA_INBOX_KINDS:
        found.extend(import_string(path))
    return tuple(found)


def _active(user: User) -> list[InboxKind]:
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    return [kind for kind in kinds() if kind.applies(user)]


def counts(user: User) -> list[KindCount]:
    """Waiting items per kind (kinds with none left out), in the order of ``kinds()``."""
    result = []
    for kind in _active(user):
        n = kind.count(user)
        if n:
            result.append(KindCount(kind, n))
    return result


def total(kind_counts: list[KindCount]) -> int:
    return sum(c.count for c in kind_counts)


def counts_for_request(request) -> list[KindCount]:
    """``counts(request.user)`` for the navigation of every page, cached until anything in the
    workflow apps changes (``workflow_changed``) and at most ``COUNTS_SECONDS``; computed
    once per request."""
    if not hasattr(request, "_inbox_counts"):
        request._inbox_counts = cached_counts(getattr(request, "user", None))
    return request._inbox_counts


# --- The navigation's counts, cached ----------------------------------------------------
# Counting waiting work means checking maker-checker row by row: ~20 ms at 100,000 projects
# with thousands waiting, on every page. The counts are cached per user under a generation
# number that every saved or deleted record of the workflow apps moves on (once at once, for
# the writer's own next page, and again at commit, so that a count computed from the old
# state meanwhile is stored under a generation no one asks for again).
COUNTS_CACHE = "inbox"
COUNTS_SECONDS = 60
WORKFLOW_APPS = frozenset({"ledger", "reductions", "allocations"})


def _namespace() -> str:
    # Several databases may share one cache server (the test workers do).
    return connection.settings_dict["NAME"]


def _generation() -> int:
    store = caches[COUNTS_CACHE]
    key = f"{_namespace()}:generation"
    generation = store.get(key)
    if generation is None:
        store.add(key, 1, timeout=None)
        generation = store.get(key, 1)
    return generation


def _next_generation(namespace: str) -> None:
    store = caches[COUNTS_CACHE]
    key = f"{namespace}:generation"
    try:
        store.incr(key)
    except ValueError:  # not there (evicted or never read): any new value will do
        store.set(key, int(timezone.now().timestamp() * 1000), timeout=None)


def workflow_changed(sender, **kwargs) -> None:
    """post_save / post_delete of any model: a workflow record changed, so may any inbox."""
    if sender._meta.app_label not in WORKFLOW_APPS:
        return
    namespace = _namespace()
    _next_generation(namespace)
    transaction.on_commit(lambda: _next_generation(namespace))


def cached_for_user(user: User, name: str, compute):
    """What ``compute()`` returns (plain, picklable data; never ``None``), cached for this
    user under the workflow generation: recomputed once any workflow record changed, and at
    least every ``COUNTS_SECONDS``. Only for figures that change with workflow records
    saved through the models (not with ledger postings, which save no model)."""
    key = f"{_namespace()}:{_generation()}:{user.pk}:{name}"
    store = caches[COUNTS_CACHE]
    stored = store.get(key)
    if stored is None:
        stored = compute()
        store.set(key, stored, timeout=COUNTS_SECONDS)
    return stored


def cached_counts(user: User | None) -> list[KindCount]:
    active = _active(user)
    if not active:
        return []
    codes = ",".join(kind.code for kind in active)
    stored = cached_for_user(
        user, f"counts:{codes}", lambda: [(c.kind.code, c.count) for c in counts(user)]
    )
    by_code = {kind.code: kind for kind in active}
    return [KindCount(by_code[code], n) for code, n in stored if code in by_code]


def items(user: User, limit: int = PAGE_LIMIT) -> list[Item]:
    """Every kind's oldest waiting items, merged oldest first."""
    found = [item for kind in _active(user) for item in kind.items(user, limit)]
    return sorted(found, key=lambda item: item.since)


# --- The ledger's own kinds ---------------------------------------------------------------


def _open_adjustments(user: User) -> list[AdjustmentProposal]:
    """Proposed adjustments the user may decide: ``ledger.decide_adjustment`` asked of each
    open proposal (a rule on its fields alone, so no query per proposal)."""
    proposals = AdjustmentProposal.objects.filter(status=AdjustmentStatus.PROPOSED).order_by(
        "proposed_at", "pk"
    )
    proposals = proposals.select_related("account__entity")
    return [p for p in proposals if user.has_perm("ledger.decide_adjustment", p)]


def _adjustment_items(user: User, limit: int) -> list[Item]:
    return [
        Item(
            kind=ADJUSTMENTS,
            title=str(_("Adjustment #%(id)s") % {"id": p.pk}),
            url=reverse("ledger:adjustment_list") + "?status=PROPOSED",
            since=p.proposed_at,
            entity=p.account.entity.name if p.account.entity_id else "",
            detail=amount_text(p.account.pollutant, p.amount, signed=True),
        )
        for p in _open_adjustments(user)[:limit]
    ]


def _corrections(user: User):
    from .selectors import corrections_waiting_for

    return corrections_waiting_for(user)


def _correction_items(user: User, limit: int) -> list[Item]:
    return [
        Item(
            kind=CORRECTIONS,
            title=f"{c.action_label}: {c.reference_text}",
            url=reverse("ledger:correction", args=[c.pk]),
            since=c.proposed_at,
            detail=c.reason,
        )
        for c in _corrections(user)[:limit]
    ]


# Only approvers decide corrections (the per-action rules in ``ledger.corrections`` ask for a
# district or municipal approver); the rule itself is asked of each open correction.
_DECIDES_CORRECTIONS = (Role.DISTRICT_APPROVER, Role.MUNICIPAL_APPROVER)

ADJUSTMENTS = InboxKind(
    code="adjustments",
    label=_("Adjustments to approve"),
    applies=lambda user: is_municipal_approver.test(user),
    count=lambda user: len(_open_adjustments(user)),
    items=_adjustment_items,
    list_url="ledger:adjustment_list",
    list_query="?status=PROPOSED",
)
CORRECTIONS = InboxKind(
    code="corrections",
    label=_("Corrections and reversals to approve"),
    applies=lambda user: user.has_role(*_DECIDES_CORRECTIONS),
    count=lambda user: len(_corrections(user)),
    items=_correction_items,
    list_url="ledger:corrections",
)
LEDGER_KINDS = [ADJUSTMENTS, CORRECTIONS]
