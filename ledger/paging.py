"""Keyset paging for list pages (issue 13): newest first by id, ``?before=<id>`` for older
rows and ``?after=<id>`` for newer ones. A page costs the same at any depth — an index range
on the primary key, never OFFSET — and never counts the whole table."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
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
    return KeysetPage(
        object_list=rows,
        newer_query=_query(params, after=rows[0].pk) if has_newer else None,
        older_query=_query(params, before=rows[-1].pk) if has_older else None,
    )
