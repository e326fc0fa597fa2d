"""Cursor pagination (游标分页): no COUNT(*), stable under concurrent inserts, and the next
and previous pages also in a ``Link`` header (RFC 8288)."""

from base64 import b64decode
from urllib import parse

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response


def link_header(links: dict[str, str | None]) -> str:
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)


class CursorPagination(pagination.CursorPagination):
    """Pages of ``page_size`` rows (50, at most ``API_MAX_PAGE_SIZE`` = 500) in the view's
    ``ordering``, whose last field must be unique (``id``) so the order is total."""

    page_size_query_param = "page_size"
    ordering = ("-id",)

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        return tuple(getattr(view, "ordering", None) or self.ordering)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            # A cursor whose position does not fit the ordering field: edited by hand.
            raise self.bad_cursor() from None

    def bad_cursor(self) -> ValidationError:
        return ValidationError(
            {self.cursor_query_param: [_("This cursor is not one the API gave out.")]}
        )

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            querystring = b64decode(encoded.encode("ascii")).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True)
            offset = int(tokens.get("o", ["0"])[0])
            if offset < 0 or offset > self.offset_cutoff:
                raise ValueError
            reverse = bool(int(tokens.get("r", ["0"])[0]))
            position = tokens.get("p", [None])[0]
        except (TypeError, ValueError, UnicodeError):
            raise self.bad_cursor() from None
        return pagination.Cursor(offset=offset, reverse=reverse, position=position)

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
