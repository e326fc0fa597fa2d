"""Filters of the project and filing lists (validated: a bad value is a 400 naming it)."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from ledger.models import Pollutant
from quota_ledger.api.filters import (
    PLAN_PERIOD_HELP,
    YEAR_HELP,
    CharInFilter,
    ChoiceInFilter,
    IntegerFilter,
    UpdatedSinceFilterSet,
)

from .. import selectors
from ..models import (
    BundleFiling,
    FilingStatus,
    PlanPeriod,
    Project,
    ProjectAmount,
    ProjectType,
    Status,
    Tier,
)


class ProjectFilter(UpdatedSinceFilterSet):
    status = ChoiceInFilter(choices=Status.choices)
    tier = ChoiceInFilter(choices=Tier.choices)
    owner = CharInFilter(field_name="owner__code")
    project_type = django_filters.ModelChoiceFilter(
        to_field_name="code",
        queryset=ProjectType.objects.all(),
        method="of_type",
        help_text=_("Project type code (Annex 2); a heading type includes its sub-types."),
    )
    plan_period = django_filters.ModelChoiceFilter(
        to_field_name="code", queryset=PlanPeriod.objects.all(), help_text=PLAN_PERIOD_HELP
    )
    year = IntegerFilter(
        field_name="accounting_year", min_value=1900, max_value=2999, help_text=YEAR_HELP
    )
    pollutant = ChoiceInFilter(method="with_pollutant", choices=Pollutant.choices)

    class Meta:
        model = Project
        fields = []

    def of_type(self, queryset, name, value):
        return selectors.of_type(queryset, value.pk)

    def with_pollutant(self, queryset, name, value):
        return queryset.filter(
            Exists(ProjectAmount.objects.filter(project=OuterRef("pk"), pollutant__in=value))
        )


class FilingFilter(django_filters.FilterSet):
    status = ChoiceInFilter(choices=FilingStatus.choices)
    owner = CharInFilter(field_name="owner__code")
    year = IntegerFilter(
        field_name="accounting_year", min_value=1900, max_value=2999, help_text=YEAR_HELP
    )

    class Meta:
        model = BundleFiling
        fields = []
