"""Filters of the ledger's API lists (validated: a bad value is a 400 naming it)."""

import django_filters
from django.db.models import Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from quota_ledger.api.filters import (
    DATE_FROM_HELP,
    DATE_TO_HELP,
    CharInFilter,
    ChoiceInFilter,
    IntegerFilter,
    UpdatedSinceFilterSet,
)

from ..models import (
    ZERO,
    Account,
    Entity,
    EntityKind,
    Entry,
    Hold,
    HoldStatus,
    Pollutant,
    Transaction,
    TransactionKind,
)
from ..selectors import AMOUNT


class EntityFilter(django_filters.FilterSet):
    code = CharInFilter(field_name="code")
    kind = ChoiceInFilter(choices=EntityKind.choices)
    is_active = django_filters.BooleanFilter(help_text=_("Active entities (true) or not."))

    class Meta:
        model = Entity
        fields = []


class AccountFilter(django_filters.FilterSet):
    entity = CharInFilter(field_name="entity__code", help_text=_("Entity codes, comma-separated."))
    pollutant = ChoiceInFilter(choices=Pollutant.choices)
    system = django_filters.BooleanFilter(
        field_name="entity", lookup_expr="isnull", help_text=_("Only system accounts (true).")
    )
    as_of = django_filters.DateFilter(
        method="position_as_of",
        help_text=_("Balance and held quota at the end of this day (YYYY-MM-DD)."),
    )

    class Meta:
        model = Account
        fields = []

    def position_as_of(self, queryset, name, value):
        legs = (
            Entry.objects.filter(account=OuterRef("pk"), effective_date__lte=value)
            .order_by()
            .values("account")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        holds = (
            Hold.objects.filter(account=OuterRef("pk"), created_at__date__lte=value)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__date__gt=value))
            .order_by()
            .values("account")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return queryset.annotate(
            balance_as_of=Coalesce(Subquery(legs, output_field=AMOUNT), Value(ZERO)),
            held_as_of=Coalesce(Subquery(holds, output_field=AMOUNT), Value(ZERO)),
            as_of=Value(value),
        )


class TransactionFilter(django_filters.FilterSet):
    entity = CharInFilter(
        method="with_leg_of_entity", help_text=_("Transactions with a leg of these entities.")
    )
    pollutant = ChoiceInFilter(method="with_leg_of_pollutant", choices=Pollutant.choices)
    kind = ChoiceInFilter(choices=TransactionKind.choices)
    account = IntegerFilter(
        method="with_leg_of_account",
        min_value=1,
        max_value=2**62,
        help_text=_("Transactions with a leg on this account id."),
    )
    date_from = django_filters.DateFilter(
        field_name="effective_date", lookup_expr="gte", help_text=DATE_FROM_HELP
    )
    date_to = django_filters.DateFilter(
        field_name="effective_date", lookup_expr="lte", help_text=DATE_TO_HELP
    )
    reference = django_filters.CharFilter(
        field_name="reference_text",
        lookup_expr="icontains",
        max_length=200,
        help_text=_("Part of the reference text."),
    )
    reference_type = django_filters.CharFilter(
        method="with_reference_type",
        max_length=100,
        help_text=_("What caused the posting, as app_label.model (e.g. reductions.project)."),
    )
    reference_id = django_filters.CharFilter(
        max_length=64, help_text=_("The id of the record that caused the posting.")
    )
    after_seq = IntegerFilter(
        method="committed_after",
        min_value=0,
        max_value=2**62,
        help_text=_(
            "Incremental sync: transactions committed after this sequence number, in commit "
            "order. Resume with the last `seq` you received."
        ),
    )

    class Meta:
        model = Transaction
        fields = []

    @staticmethod
    def _with_leg(queryset, **lookups):
        return queryset.filter(Exists(Entry.objects.filter(transaction=OuterRef("pk"), **lookups)))

    def with_leg_of_entity(self, queryset, name, value):
        return self._with_leg(queryset, account__entity__code__in=value)

    def with_leg_of_pollutant(self, queryset, name, value):
        return self._with_leg(queryset, pollutant__in=value)

    def with_leg_of_account(self, queryset, name, value):
        return self._with_leg(queryset, account_id=value)

    def with_reference_type(self, queryset, name, value):
        app_label, _dot, model = value.lower().partition(".")
        return queryset.filter(reference_type__app_label=app_label, reference_type__model=model)

    def committed_after(self, queryset, name, value):
        return queryset.filter(seq__gt=value)


class HoldFilter(UpdatedSinceFilterSet):
    entity = CharInFilter(field_name="account__entity__code")
    pollutant = ChoiceInFilter(field_name="account__pollutant", choices=Pollutant.choices)
    status = ChoiceInFilter(choices=HoldStatus.choices)

    class Meta:
        model = Hold
        fields = []
