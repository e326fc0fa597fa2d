"""Filters of the allocation lists (validated: a bad value is a 400 naming it)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ledger.models import Pollutant
from quota_ledger.api.filters import (
    DATE_FROM_HELP,
    DATE_TO_HELP,
    PLAN_PERIOD_HELP,
    CharInFilter,
    ChoiceInFilter,
    UpdatedSinceFilterSet,
)
from reductions.models import PlanPeriod

from ..models import (
    AllocationRound,
    ConstructionProject,
    ConstructionStatus,
    RecordStatus,
    RoundStatus,
    Target,
    TradeDirection,
    TradeRecord,
)


class TargetFilter(django_filters.FilterSet):
    entity = CharInFilter(field_name="entity__code")
    plan_period = django_filters.ModelChoiceFilter(
        to_field_name="code", queryset=PlanPeriod.objects.all(), help_text=PLAN_PERIOD_HELP
    )
    pollutant = ChoiceInFilter(choices=Pollutant.choices)

    class Meta:
        model = Target
        fields = []


class RoundFilter(UpdatedSinceFilterSet):
    status = ChoiceInFilter(choices=RoundStatus.choices)
    plan_period = django_filters.ModelChoiceFilter(
        to_field_name="code", queryset=PlanPeriod.objects.all(), help_text=PLAN_PERIOD_HELP
    )

    class Meta:
        model = AllocationRound
        fields = []


class ConstructionFilter(UpdatedSinceFilterSet):
    status = ChoiceInFilter(choices=ConstructionStatus.choices)
    owner = CharInFilter(field_name="owner__code")
    eia_number = django_filters.CharFilter(
        max_length=100, help_text=_("The environmental impact assessment approval number.")
    )

    class Meta:
        model = ConstructionProject
        fields = []


class TradeFilter(django_filters.FilterSet):
    status = ChoiceInFilter(choices=RecordStatus.choices)
    entity = CharInFilter(field_name="entity__code")
    direction = ChoiceInFilter(choices=TradeDirection.choices)
    pollutant = ChoiceInFilter(choices=Pollutant.choices)
    date_from = django_filters.DateFilter(
        field_name="trade_date", lookup_expr="gte", help_text=DATE_FROM_HELP
    )
    date_to = django_filters.DateFilter(
        field_name="trade_date", lookup_expr="lte", help_text=DATE_TO_HELP
    )

    class Meta:
        model = TradeRecord
        fields = []
