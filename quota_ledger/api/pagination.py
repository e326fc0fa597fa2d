"""Cursor pagination (游标分页): no COUNT(*), stable under concurrent inserts, and the next
and previous pages also in a ``Link`` header (RFC 8288)."""

import binascii
import datetime
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from decimal import Decimal
from functools import reduce
from operator import and_, or_
from urllib import parse

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import F, Q
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


def link_header(links: dict[str, str | None]) -> str:
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)


class CursorPagination(pagination.CursorPagination):
    """Pages of ``page_size`` rows (50, at most ``API_MAX_PAGE_SIZE`` = 500) in the view's
    ``ordering``, whose last field must be unique (``id``) so the order is total.

    A keyset on every field of the ordering: the cursor holds the values of the row it
    continues from, and the next page starts strictly after that row. DRF's own cursor keeps
    only the first field and an offset within its ties, so a list sorted by a field that
    a thousand rows share (``?ordering=accounting_year``) broke off with a refused cursor,
    and its "previous" link on an ascending order gave an empty page. NULL sorts above
    every value (last ascending, first descending) on every database."""

    page_size_query_param = "page_size"
    ordering = ("-id",)

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        return tuple(getattr(view, "ordering", None) or self.ordering)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return self._paginate(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            # A cursor whose position does not fit the ordering's fields: edited by hand.
            raise self.bad_cursor() from None

    def _paginate(self, queryset, request, view):
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        reverse, position = self.decode_cursor(request) or (False, None)
        fields = [
            (
                name.lstrip("-"),
                name.startswith("-") != reverse,
                _nullable(queryset, name.lstrip("-")),
            )
            for name in self.ordering
        ]
        queryset = queryset.order_by(
            *(
                F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True)
                for name, descending, _nullable_field in fields
            )
        )
        if position is not None:
            if len(position) != len(fields):
                raise ValueError
            queryset = queryset.filter(_beyond(fields, position))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if reverse:
            self.page.reverse()
        # Coming back (reverse) from a row, there are rows after this page; going forward
        # from one, there are rows before it.
        self.has_next = more if not reverse else position is not None
        self.has_previous = more if reverse else position is not None
        return self.page

    def _link(self, reverse: bool, row) -> str | None:
        values = [_json_value(_value(row, name.lstrip("-"))) for name in self.ordering]
        token = json.dumps({"r": int(reverse), "p": values}, separators=(",", ":"))
        encoded = urlsafe_b64encode(token.encode()).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def get_next_link(self):
        return self._link(False, self.page[-1]) if self.has_next and self.page else None

    def get_previous_link(self):
        return self._link(True, self.page[0]) if self.has_previous and self.page else None

    def bad_cursor(self) -> ValidationError:
        return ValidationError(
            {self.cursor_query_param: [_("This cursor is not one the API gave out.")]}
        )

    def decode_cursor(self, request):
        """(reverse, position values) of the ``cursor`` parameter, or None without one."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            text = urlsafe_b64decode(encoded.encode("ascii") + b"==").decode("utf-8")
            if text.startswith("{"):
                token = json.loads(text)
                reverse, position = bool(int(token["r"])), token["p"]
                if not isinstance(position, list):
                    raise ValueError
                return reverse, position
            # A cursor in DRF's own form (``p=<id>``, as the API gave out before): the rows
            # after that position of a one-field ordering.
            tokens = parse.parse_qs(text, keep_blank_values=True)
            if int(tokens.get("o", ["0"])[0]) != 0 or len(self.ordering or ()) > 1:
                raise ValueError
            return bool(int(tokens.get("r", ["0"])[0])), [tokens["p"][0]]
        except (TypeError, ValueError, KeyError, IndexError, UnicodeError, binascii.Error):
            raise self.bad_cursor() from None

    def get_paginated_response(self, data):
        links = {"next": self.get_next_link(), "prev": self.get_previous_link()}
        return Response(
            {"next": links["next"], "previous": links["prev"], "results": data},
            headers={"Link": link_header(links)} if any(links.values()) else None,
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


def _value(row, name: str):
    for part in name.split("__"):
        row = None if row is None else getattr(row, part)
    return getattr(row, "pk", row)


def _json_value(value):
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _nullable(queryset, name: str) -> bool:
    """Whether the ordering field may be NULL: a model field says so; an annotation's output
    field does (``changed_at`` never is; a Coalesce over a nullable field may be)."""
    try:
        return queryset.model._meta.get_field(name).null
    except FieldDoesNotExist:
        expression = queryset.query.annotations.get(name)
        return getattr(getattr(expression, "output_field", None), "null", True)


def _step(name: str, value, descending: bool, nullable: bool) -> Q:
    """Rows strictly beyond ``value`` in this field's direction, NULL above every value."""
    if descending:
        return Q(**{f"{name}__isnull": False}) if value is None else Q(**{f"{name}__lt": value})
    if value is None:
        return Q(pk__in=[])
    beyond = Q(**{f"{name}__gt": value})
    return beyond | Q(**{f"{name}__isnull": True}) if nullable else beyond


def _from(name: str, value, descending: bool, nullable: bool) -> Q:
    """Rows at or beyond ``value``: one range an index can start from."""
    if value is None:
        return Q() if descending else Q(**{f"{name}__isnull": True})
    bound = Q(**{f"{name}__lte" if descending else f"{name}__gte": value})
    return bound | Q(**{f"{name}__isnull": True}) if nullable and not descending else bound


def _same(name: str, value) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def _beyond(fields: list[tuple[str, bool, bool]], position: list) -> Q:
    """Rows after ``position`` in the ordering ``fields`` ((name, descending, nullable)):
    beyond it in the first field, or equal there and beyond in the next, and so on. The
    first field's range stands alone too, so that PostgreSQL starts an index scan there
    instead of reading every row before it."""
    terms = []
    for i, ((name, descending, nullable), value) in enumerate(zip(fields, position, strict=True)):
        ties = [_same(n, v) for (n, _d, _n), v in zip(fields[:i], position[:i], strict=True)]
        terms.append(reduce(and_, [*ties, _step(name, value, descending, nullable)]))
    if len(terms) == 1:
        return terms[0]
    name, descending, nullable = fields[0]
    return _from(name, position[0], descending, nullable) & reduce(or_, terms)
