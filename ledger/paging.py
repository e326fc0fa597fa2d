"""Keyset paging for list pages (issue 13): newest first by id, ``?before=<id>`` for older
rows and ``?after=<id>`` for newer ones. A page costs the same at any depth — an index range
on the primary key, never OFFSET — and never counts the whole table."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict

POSITION_PARAMETERS = ("before", "after", "page")


@dataclass
class KeysetPage:
    """One page of rows, newest first, with the query strings of its neighbours (``None``
    where there is none). Iterating yields the rows, like a Django ``Page``."""

    object_list: list
    newer_query: str | None
    older_query: str | None

    def __iter__(self) -> Iterator:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _position(value: str | None) -> int | None:
    """A page position from the query string; anything but a plausible id is ignored."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def _query(params: QueryDict, **position) -> str:
    query = params.copy()
    for name in POSITION_PARAMETERS:
        query.pop(name, None)
    query.update(position)
    return query.urlencode()


def keyset_page(request: HttpRequest, queryset: QuerySet, *, size: int = 50) -> KeysetPage:
    """The page of ``queryset`` the request asks for, newest (highest id) first."""
    params = request.GET
    before, after = _position(params.get("before")), _position(params.get("after"))
    return _keyset_page(params, queryset, size, before, after)


def _keyset_page(params, queryset, size, before, after) -> KeysetPage:
    if after is not None:
        rows = list(queryset.filter(pk__gt=after).order_by("pk")[: size + 1])
        has_newer, rows = len(rows) > size, rows[:size][::-1]
        has_older = bool(rows) and queryset.filter(pk__lt=rows[-1].pk).exists()
    else:
        older = queryset.filter(pk__lt=before) if before is not None else queryset
        rows = list(older.order_by("-pk")[: size + 1])
        has_older, rows = len(rows) > size, rows[:size]
        has_newer = (
            before is not None and bool(rows) and queryset.filter(pk__gt=rows[0].pk).exists()
        )
    if not rows and (before is not None or after is not None):
        # Nothing beyond that row (a hand-made or stale link): the first page, not a dead end.
        return _keyset_page(params, queryset, size, None, None)
    return KeysetPage(
        object_list=rows,
        newer_query=_query(params, after=rows[0].pk) if has_newer else None,
        older_query=_query(params, before=rows[-1].pk) if has_older else None,
    )


def ordered_keyset_page(
    request: HttpRequest, queryset: QuerySet, *, key: str, descending: bool, size: int = 50
) -> KeysetPage:
    """The page of ``queryset`` ordered by ``key`` (a field, a field across a relation or an
    annotation of the queryset; never NULL), ties broken by id: the keyset is the pair.

    The position stays a row id, as in :func:`keyset_page`: ``?before=<id>`` is the page
    after that row in this order and ``?after=<id>`` the page before it; the row's key is
    read again from the database, so nothing but an id is ever taken from the query string.
    A row that has left the list (filtered out since) starts the list again."""
    params = request.GET
    sign = "-" if descending else ""
    order = (f"{sign}{key}", f"{sign}pk")
    reverse = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in order)

    def beyond(row_id: int, *, following: bool) -> QuerySet | None:
        """The rows after (``following``) or before the row in display order."""
        value = queryset.filter(pk=row_id).values_list(key, flat=True).first()
        if value is None:
            return None
        op = "lt" if descending == following else "gt"
        return queryset.filter(
            Q(**{f"{key}__{op}": value}) | Q(**{key: value, f"pk__{op}": row_id})
        )

    before, after = _position(params.get("before")), _position(params.get("after"))
    rows, has_previous, has_next = _ordered_rows(
        beyond, queryset, order, reverse, size, before, after
    )
    if not rows and (before is not None or after is not None):
        # Nothing beyond that row (a hand-made or stale link): the first page, not a dead end.
        rows, has_previous, has_next = _ordered_rows(
            beyond, queryset, order, reverse, size, None, None
        )
    return KeysetPage(
        object_list=rows,
        newer_query=_query(params, after=rows[0].pk) if has_previous else None,
        older_query=_query(params, before=rows[-1].pk) if has_next else None,
    )


def _ordered_rows(beyond, queryset, order, reverse, size, before, after):
    earlier = beyond(after, following=False) if after is not None else None
    if earlier is not None:
        rows = list(earlier.order_by(*reverse)[: size + 1])
        has_previous, rows = len(rows) > size, rows[:size][::-1]
        has_next = bool(rows) and beyond(rows[-1].pk, following=True).exists()
    else:
        later = beyond(before, following=True) if before is not None else None
        rows = list((queryset if later is None else later).order_by(*order)[: size + 1])
        has_next, rows = len(rows) > size, rows[:size]
        has_previous = (
            later is not None and bool(rows) and beyond(rows[0].pk, following=False).exists()
        )
    return rows, has_previous, has_next


@dataclass
class SortHeader:
    """A column header of a sortable list: the link that sorts by it (the other way round
    when it is the sorted column) and its ``aria-sort`` (``None`` when not sorted by it)."""

    label: str
    query: str | None  # None: the column is not sortable
    aria_sort: str | None = None
    css_class: str = ""


def sort_headers(params: QueryDict, columns, *, order: str, descending: bool) -> list[SortHeader]:
    """Headers for ``columns`` — (``?order=`` name or None, label, css class) — of a list
    sorted by ``order``. A link keeps the filters and starts at the first page."""
    headers = []
    for name, label, css_class in columns:
        if name is None:
            headers.append(SortHeader(label=label, query=None, css_class=css_class))
            continue
        current = name == order
        query = params.copy()
        for position in POSITION_PARAMETERS:
            query.pop(position, None)
        query["order"] = name if current and descending else f"-{name}" if current else name
        headers.append(
            SortHeader(
                label=label,
                query=query.urlencode(),
                aria_sort=("descending" if descending else "ascending") if current else None,
                css_class=css_class,
            )
        )
    return headers
