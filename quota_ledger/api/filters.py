"""Query filters (django-filter), validated: a bad value is a 400 naming the parameter.

Multi-value filters take a comma-separated list (``?pollutant=COD,NOX``). ``ordering`` is
checked against the view's ``ordering_fields``; ``updated_since`` orders by the change time.
"""

from datetime import UTC

import django_filters
from django import forms
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

BAD_ORDERING = _("Order by one of: %(fields)s.")
MULTI_HELP = _("One or more values, separated by commas.")
PLAN_PERIOD_HELP = _("Plan period code (14FYP).")
YEAR_HELP = _("Accounting year (YYYY).")
DATE_FROM_HELP = _("On or after this date (YYYY-MM-DD).")
DATE_TO_HELP = _("On or before this date (YYYY-MM-DD).")
OUT_OF_RANGE = _("This date-time is out of range once converted to UTC.")


class ValidatingFilterBackend(DjangoFilterBackend):
    """django-filter's backend (it raises a 400 with the form's errors), then the order of a
    list: ``updated_since`` → change time then id; else ``ordering`` (``-`` descending,
    checked against ``ordering_fields``) then id; else the view's default."""

    def filter_queryset(self, request, queryset, view):
        queryset = super().filter_queryset(request, queryset, view)
        if getattr(view, "action", None) != "list":
            return queryset
        params = request.query_params
        allowed = getattr(view, "ordering_fields", ())
        ordering = params.get("ordering")
        if ordering:
            fields = [name.strip() for name in ordering.split(",") if name.strip()]
            if not fields or any(name.lstrip("-") not in allowed for name in fields):
                raise ValidationError(
                    {"ordering": [BAD_ORDERING % {"fields": ", ".join(allowed) or "—"}]}
                )
            view.ordering = (*fields, "-id" if fields[-1].startswith("-") else "id")
        filterset = self.get_filterset_class(view, queryset)
        if params.get("updated_since") and "updated_since" in getattr(
            filterset, "base_filters", {}
        ):
            # Only where the list offers updated_since (and so carries changed_at): elsewhere
            # the parameter is unknown and ignored, as any other.
            view.ordering = ("changed_at", "id")
        return queryset


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """One or more of the choices: ``?kind=USE,ALLOCATION``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", MULTI_HELP)
        super().__init__(*args, **kwargs)


class CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """One or more codes: ``?entity=310115,310104``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", MULTI_HELP)
        super().__init__(*args, **kwargs)


class UpdatedSinceFilterSet(django_filters.FilterSet):
    """``updated_since`` (ISO 8601 date-time): rows changed at or after it, oldest change
    first with ``id`` as tiebreak, so a client pages through changes and resumes from the
    last ``changed_at`` it saw. The queryset carries a ``changed_at`` annotation."""

    updated_since = django_filters.IsoDateTimeFilter(
        method="filter_updated_since",
        help_text=_("Rows changed at or after this ISO 8601 date-time, oldest change first."),
    )

    def filter_updated_since(self, queryset, name, value):
        try:
            value.astimezone(UTC)
        except (OverflowError, ValueError):
            # 0001-01-01T00:00+14:00 is before the first instant a database stores.
            raise ValidationError({"updated_since": [OUT_OF_RANGE]}) from None
        return queryset.filter(changed_at__gte=value)


def changed_at(first: str, *others: str):
    """The latest of the timestamp fields (null ones ignored); ``first`` is never null."""
    if not others:
        return F(first)
    return Greatest(F(first), *(Coalesce(F(name), F(first)) for name in others))


class IntegerFilter(django_filters.NumberFilter):
    """A whole number within the column's range (a bigger one is a 400, not a database
    error): pass ``min_value`` / ``max_value``."""

    field_class = forms.IntegerField
