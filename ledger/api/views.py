"""Ledger endpoints: entities, accounts, transactions with legs (and the commit-sequence
sync), holds. Every queryset comes from a ``visible_*`` selector through ``ScopedViewSet``."""

from django.db.models import F, Prefetch, Subquery
from django.db.models.functions import Coalesce

from api.base import ScopedReadOnlyViewSet

from .. import selectors, services
from ..models import Account, Entity, Entry, Hold, Transaction
from .filters import AccountFilter, EntityFilter, HoldFilter, TransactionFilter
from .serializers import (
    AccountSerializer,
    EntitySerializer,
    HoldSerializer,
    TransactionSerializer,
)


class EntityViewSet(ScopedReadOnlyViewSet):
    """Entities (台账主体): every one for municipal roles, auditors and reporting clients;
    the user's own otherwise."""

    model = Entity
    serializer_class = EntitySerializer
    filterset_class = EntityFilter
    ordering = ("id",)
    ordering_fields = ("code", "kind")

    def scoped_queryset(self, user):
        entities = Entity.objects.all()
        if user.has_perm("ledger.see_all_entities"):
            return entities
        return entities.filter(pk=user.entity_id) if user.entity_id else entities.none()


class AccountViewSet(ScopedReadOnlyViewSet):
    """Quota accounts (账户) with balance, held and available quota; ``as_of`` gives the
    position at the end of a day."""

    model = Account
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering = ("id",)
    ordering_fields = ("pollutant",)

    def scoped_queryset(self, user):
        return selectors.visible_accounts(user)


class TransactionViewSet(ScopedReadOnlyViewSet):
    """Transactions (交易) with their legs. ``after_seq=N`` lists what committed after
    sequence number N, in commit order: a reader that resumes from the last ``seq`` it got
    never misses or repeats a transaction, even while postings run."""

    model = Transaction
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    ordering = ("-id",)
    ordering_fields = ("effective_date", "posted_at")

    def scoped_queryset(self, user):
        legs = Entry.objects.select_related("account__entity").order_by("id")
        return (
            selectors.visible_transactions(user)
            .annotate(seq=F("commit__seq"))
            .prefetch_related(Prefetch("entries", queryset=legs))
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if "after_seq" in self.request.query_params and self.action == "list":
            # Transactions that committed but wait for their number get it now, each above
            # every number handed out before: a reader resuming after N misses none.
            services.number_commits()
            self.ordering = ("seq",)
        return queryset


class HoldViewSet(ScopedReadOnlyViewSet):
    """Holds (预占): quota reserved for a construction request until consumed, released or
    expired. ``updated_since`` lists those created or resolved since a moment."""

    model = Hold
    serializer_class = HoldSerializer
    filterset_class = HoldFilter
    ordering = ("-id",)
    ordering_fields = ("created_at", "expires_at")

    def scoped_queryset(self, user):
        accounts = selectors.visible_accounts(user).values("pk")
        return (
            Hold.objects.filter(account_id__in=Subquery(accounts))
            .select_related("account__entity", "created_by")
            .annotate(changed_at=Coalesce("closed_at", "created_at"))
        )
