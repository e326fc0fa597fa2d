"""Ledger endpoints: entities, accounts, transactions with legs (and the commit-sequence
sync), holds. Every queryset comes from a ``visible_*`` selector through ``ScopedViewSet``."""

from django.db.models import F, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from quota_ledger.api.base import ScopedReadOnlyViewSet
from quota_ledger.api.idempotency import idempotent
from quota_ledger.api.schema import ERROR_RESPONSES, IDEMPOTENCY_HEADER

from .. import corrections, selectors, services
from ..models import Account, Correction, Entity, Entry, Hold, Transaction
from .filters import AccountFilter, EntityFilter, HoldFilter, TransactionFilter
from .serializers import (
    AccountSerializer,
    CorrectionSerializer,
    DecideCorrectionSerializer,
    EntitySerializer,
    HoldSerializer,
    ProposeCorrectionSerializer,
    TransactionSerializer,
)


class EntityViewSet(ScopedReadOnlyViewSet):
    schema_description = gettext_lazy(
        "Entities: every one for municipal roles, auditors and reporting clients; the user's "
        "own otherwise."
    )

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
    schema_description = gettext_lazy(
        "Quota accounts with balance, held and available quota; as_of gives the position at "
        "the end of a day."
    )

    model = Account
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering = ("id",)
    ordering_fields = ("pollutant",)

    def scoped_queryset(self, user):
        return selectors.visible_accounts(user)


class TransactionViewSet(ScopedReadOnlyViewSet):
    schema_description = gettext_lazy(
        "Transactions with their legs. after_seq=N lists what committed after sequence number "
        "N, in commit order: a reader that resumes from the last seq it got never misses or "
        "repeats a transaction, even while postings run."
    )

    model = Transaction
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    primary_params = ("after_seq",)
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
    schema_description = gettext_lazy(
        "Holds: quota reserved for a construction request until consumed, released or "
        "expired. updated_since lists those created or resolved since a moment."
    )

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


class CorrectionViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    schema_description = gettext_lazy(
        "Four-eyes corrections through the record that caused the postings: revoke a "
        "certification or a round, cancel a use, reverse a trade record or a reserve intake, "
        "or a bare transaction. One person proposes with a reason; another approves (which "
        "carries it out in the same database transaction) or rejects with a comment. A user "
        "sees every correction when it sees every entity; otherwise its own proposals and "
        "those it may decide."
    )
    schema_descriptions = {
        "actions": gettext_lazy(
            "approve (carries the correction out) or reject (with a comment), by another "
            "person than the proposer."
        )
    }

    model = Correction
    serializer_class = CorrectionSerializer
    ordering = ("-id",)
    permission_required = "ledger.see_corrections"

    def scoped_queryset(self, user):
        corrections = Correction.objects.select_related("proposed_by", "decided_by")
        if user.has_perm("ledger.see_all_entities"):
            return corrections
        waiting = [c.pk for c in selectors.corrections_waiting_for(user)]
        return corrections.filter(Q(proposed_by=user) | Q(pk__in=waiting))

    def _show(self, pk, code=status.HTTP_200_OK):
        correction = Correction.objects.select_related("proposed_by", "decided_by").get(pk=pk)
        return Response(
            CorrectionSerializer(correction, context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(
        request=ProposeCorrectionSerializer,
        responses={201: CorrectionSerializer, **ERROR_RESPONSES},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        given = ProposeCorrectionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        spec = corrections.get(given.validated_data["action"])
        record = corrections.visible_record(spec, request.user, given.validated_data["record_id"])
        if record is None:
            raise NotFound(_("No such record."))
        correction = services.propose_correction(
            action=spec.code,
            record=record,
            reason=given.validated_data["reason"],
            user=request.user,
        )
        return self._show(correction.pk, status.HTTP_201_CREATED)

    DECISIONS = ("approve", "reject")

    @extend_schema(
        request=DecideCorrectionSerializer,
        responses={200: CorrectionSerializer, **ERROR_RESPONSES},
        parameters=[
            IDEMPOTENCY_HEADER,
            OpenApiParameter(
                "action_name",
                str,
                OpenApiParameter.PATH,
                enum=list(DECISIONS),
                description=gettext_lazy("approve or reject."),
            ),
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_name>[a-z_]+)",
        serializer_class=DecideCorrectionSerializer,
    )
    @idempotent
    def actions(self, request, pk=None, action_name=None):
        if action_name not in self.DECISIONS:
            raise NotFound(
                _("Unknown action: use one of %(actions)s.")
                % {"actions": ", ".join(self.DECISIONS)}
            )
        correction = self.get_object()
        given = DecideCorrectionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        comment = given.validated_data["comment"]
        if action_name == "approve":
            services.approve_correction(correction=correction, user=request.user, comment=comment)
        else:
            services.reject_correction(correction=correction, user=request.user, comment=comment)
        return self._show(correction.pk)
