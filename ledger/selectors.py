"""Reads of the ledger: balances, statements, summaries, reconciliation.

Each function runs a bounded number of queries, whatever the number of entries.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    DecimalField,
    F,
    Prefetch,
    QuerySet,
    Sum,
    Value,
    Window,
)

from .models import (
    ZERO,
    Account,
    Correction,
    CorrectionStatus,
    Entity,
    Entry,
    Hold,
    Pollutant,
    Transaction,
    User,
)

AMOUNT = DecimalField(max_digits=18, decimal_places=3)


@dataclass(frozen=True)
class PollutantPosition:
    pollutant: Pollutant
    account: Account | None
    balance: Decimal
    held: Decimal

    @property
    def available(self) -> Decimal:
        return self.balance - self.held


def entity_positions(
    entity: Entity, accounts: list[Account] | None = None
) -> list[PollutantPosition]:
    """Balance, held and available per pollutant, all four shown even without an account."""
    if accounts is None:
        accounts = list(Account.objects.filter(entity=entity))
    by_pollutant = {a.pollutant: a for a in accounts}
    positions = []
    for pollutant in Pollutant:
        account = by_pollutant.get(pollutant.value)
        positions.append(
            PollutantPosition(
                pollutant=pollutant,
                account=account,
                balance=account.balance if account else ZERO,
                held=account.held if account else ZERO,
            )
        )
    return positions


def shown_balance(user: User, entry: Entry) -> Decimal | None:
    """A leg's running balance, for whom may see its account; ``None`` for anyone else —
    a system or another entity's account's balance tells of other entities' quota."""
    return entry.balance_after if user.has_perm("ledger.see_account", entry.account) else None


def latest_legs(ids: QuerySet[Entry], count: int, *, newest_first: bool = True) -> list[Entry]:
    """The first ``count`` legs of ``ids`` (one account's legs, filtered) by id, with their
    transactions. The ids come from a subquery of their own so that PostgreSQL reads them
    from the (account, id) index alone; asked for whole rows ordered by id, it may walk the
    primary key instead, past every later leg of other accounts (measured on 1.9 million
    legs: 86,000 rows skipped, 11–27 ms, against 0.3 ms this way)."""
    order = "-id" if newest_first else "id"
    page = ids.order_by(order).values("id")[:count]
    return list(Entry.objects.filter(id__in=page).select_related("transaction").order_by(order))


def recent_entries(accounts: list[Account], limit: int = 20) -> list[Entry]:
    """The latest legs over these accounts, newest first: each account's latest legs come
    from its (account, id) index, so an entity with no legs costs as little as a busy one
    (one query over all legs ordered by id would scan them all to find nothing)."""
    if not accounts:
        return []
    per_account = [
        Entry.objects.filter(account=account).order_by("-id").values_list("id", flat=True)[:limit]
        for account in accounts
    ]
    if len(per_account) == 1:
        ids = per_account[0]
    elif connection.features.supports_slicing_ordering_in_compound:
        ids = per_account[0].union(*per_account[1:], all=True)
    else:
        # SQLite allows no LIMIT inside a UNION: one small query per account instead.
        ids = [pk for query in per_account for pk in query]
    return list(
        Entry.objects.filter(id__in=list(ids))
        .select_related("account", "transaction__posted_by", "transaction__approved_by")
        .order_by("-id")[:limit]
    )


def entities_with_positions(user: User) -> list[tuple[Entity, list[PollutantPosition]]]:
    """Every entity the user may see, with its positions: two queries in all."""
    entities = Entity.objects.filter(is_active=True).prefetch_related(
        Prefetch("accounts", queryset=Account.objects.order_by("pollutant"))
    )
    if not user.has_perm("ledger.see_all_entities"):
        entities = entities.filter(pk=user.entity_id)
    return [(e, entity_positions(e, list(e.accounts.all()))) for e in entities]


def visible_accounts(user: User) -> QuerySet[Account]:
    accounts = Account.objects.select_related("entity")
    if user.has_perm("ledger.see_all_entities"):
        return accounts
    return accounts.filter(entity_id=user.entity_id) if user.entity_id else accounts.none()


def visible_transactions(user: User) -> QuerySet[Transaction]:
    txns = Transaction.objects.select_related("posted_by", "approved_by")
    if user.has_perm("ledger.see_all_entities"):
        return txns
    if not user.entity_id:
        return txns.none()
    return txns.filter(entries__account__entity_id=user.entity_id).distinct()


def balance_as_of(account: Account, date: datetime.date) -> Decimal:
    """The account's balance at the end of ``date`` (by effective date)."""
    total = Entry.objects.filter(account=account, effective_date__lte=date).aggregate(
        total=Sum("amount")
    )["total"]
    return total if total is not None else ZERO


def statement_entries(
    account: Account,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> tuple[Decimal, QuerySet[Entry]]:
    """Opening balance and the entries between two dates (inclusive), each annotated with
    ``running`` — the balance after it — in effective-date order."""
    opening = balance_as_of(account, date_from - datetime.timedelta(days=1)) if date_from else ZERO
    entries = Entry.objects.filter(account=account)
    if date_from:
        entries = entries.filter(effective_date__gte=date_from)
    if date_to:
        entries = entries.filter(effective_date__lte=date_to)
    entries = (
        entries.select_related("transaction")
        .annotate(
            running=Window(Sum("amount"), order_by=[F("effective_date").asc(), F("id").asc()])
            + Value(opening, output_field=AMOUNT)
        )
        .order_by("effective_date", "id")
    )
    return opening, entries


@dataclass(frozen=True)
class StatementPage:
    """One page of an account's statement in posting order (分录账): each leg with the
    balance stored after it, the balance before the page, and where the neighbours start."""

    entries: list[Entry]
    opening: Decimal
    earlier: int | None  # ?before= for the page before this one
    later: int | None  # ?after= for the page after this one


def statement_page(
    account: Account,
    *,
    before: int | None = None,
    after: int | None = None,
    on_date: datetime.date | None = None,
    size: int = 50,
) -> StatementPage:
    """A page of legs by keyset on the leg id (posting order), never OFFSET and never a sum
    over earlier legs: each leg stores its running balance. With no position, the latest
    page; ``on_date`` starts at the first leg posted with that effective date or later.
    Every query is an index range on (account, id) or (account, effective date, id)."""
    legs = Entry.objects.filter(account=account)
    if on_date is not None:
        first = (
            legs.filter(effective_date__gte=on_date)
            .order_by("effective_date", "id")
            .values_list("id", flat=True)
            .first()
        )
        after = first - 1 if first is not None else None
        if first is None:
            before = None  # past the last leg: the latest page
    if after is not None:
        rows = latest_legs(legs.filter(id__gt=after), size + 1, newest_first=False)
        has_later, rows = len(rows) > size, rows[:size]
        has_earlier = bool(rows) and legs.filter(id__lt=rows[0].pk).exists()
    else:
        newer_first = legs.filter(id__lt=before) if before is not None else legs
        rows = latest_legs(newer_first, size + 1)
        has_earlier, rows = len(rows) > size, rows[:size][::-1]
        has_later = before is not None and bool(rows) and legs.filter(id__gt=rows[-1].pk).exists()
    opening = rows[0].balance_after - rows[0].amount if rows else account.balance
    return StatementPage(
        entries=rows,
        opening=opening,
        earlier=rows[0].pk if rows and has_earlier else None,
        later=rows[-1].pk if rows and has_later else None,
    )


def hold_events(account: Account) -> list[tuple[datetime.date, Decimal]]:
    """(date, change in held quota) for every hold of the account, in date order."""
    events = []
    for created, closed, amount in Hold.objects.filter(account=account).values_list(
        "created_at", "closed_at", "amount"
    ):
        events.append((created.date(), amount))
        if closed is not None:
            events.append((closed.date(), -amount))
    events.sort(key=lambda e: e[0])
    return events


class StatementRow(NamedTuple):
    date: datetime.date
    transaction_id: int
    kind: str
    reference: str
    amount: Decimal
    running: Decimal
    held: Decimal


def statement_rows(
    account: Account,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    chunk_size: int = 5000,
) -> tuple[Decimal, int, Iterator[StatementRow]]:
    """Opening balance, row count and a streaming iterator of rows with the quota held at
    each row's date; used by the Excel export, so it reads plain tuples, not models."""
    opening, entries = statement_entries(account, date_from, date_to)
    events = hold_events(account)
    count = entries.count()
    values = entries.values_list(
        "effective_date",
        "transaction_id",
        "transaction__kind",
        "transaction__reference_text",
        "amount",
        "running",
    )

    def rows() -> Iterator[StatementRow]:
        held = ZERO
        position = 0
        for date, txn_id, kind, reference, amount, running in values.iterator(chunk_size):
            while position < len(events) and events[position][0] <= date:
                held += events[position][1]
                position += 1
            yield StatementRow(date, txn_id, kind, reference, amount, running, held)

    return opening, count, rows()


@dataclass(frozen=True)
class CorrectionBox:
    """What a record's page shows about correcting it: the open proposal, if any, and
    whether this user may propose one or decide the open one."""

    action: object
    open: Correction | None
    may_propose: bool
    may_decide: bool


def correction_box(user: User, record, action) -> CorrectionBox:
    from django.contrib.contenttypes.models import ContentType

    open_correction = (
        Correction.objects.filter(
            reference_type=ContentType.objects.get_for_model(record),
            reference_id=str(record.pk),
            status=CorrectionStatus.PROPOSED,
        )
        .select_related("proposed_by")
        .first()
    )
    return CorrectionBox(
        action=action,
        open=open_correction,
        may_propose=open_correction is None and action.may_propose(user, record),
        may_decide=open_correction is not None
        and open_correction.proposed_by_id != user.pk
        and action.may_approve(user, record),
    )


def corrections_waiting_for(user: User) -> list[Correction]:
    """Open corrections this user may decide, oldest first: the per-action rule
    (``may_approve``) is asked of each open correction's record. The records are read in one
    query per kind of record (a handful), not one per correction."""
    from . import corrections

    if not user.is_authenticated:
        return []
    open_ = list(
        Correction.objects.filter(status=CorrectionStatus.PROPOSED)
        .exclude(proposed_by=user)
        .select_related("proposed_by", "reference_type")
        .order_by("proposed_at", "id")
    )
    wanted: dict[type, set[str]] = {}
    for correction in open_:
        model = correction.reference_type.model_class()
        if model is not None:
            wanted.setdefault(model, set()).add(correction.reference_id)
    records: dict[tuple[type, str], object] = {}
    for model, ids in wanted.items():
        rows = model._default_manager.filter(pk__in=ids)
        owner = next((f for f in model._meta.fields if f.name == "owner" and f.is_relation), None)
        if owner is not None:
            rows = rows.select_related("owner")
        records.update({(model, str(row.pk)): row for row in rows})
    waiting = []
    for correction in open_:
        spec = corrections.get(correction.action)
        model = correction.reference_type.model_class()
        record = records.get((model, correction.reference_id))
        if spec is not None and record is not None and spec.may_approve(user, record):
            waiting.append(correction)
    return waiting
