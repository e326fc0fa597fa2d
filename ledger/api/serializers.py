"""Ledger resources as the API shows them: snake_case, amounts as three-place strings."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import selectors
from ..models import (
    AMOUNT_DIGITS,
    AMOUNT_PLACES,
    Account,
    Correction,
    Entity,
    Entry,
    Hold,
    Transaction,
)


def amount_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, read_only=True, **kwargs
    )


class EntitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entity
        fields = ["id", "code", "kind", "name_zh", "name_en", "is_active"]


class AccountSerializer(serializers.ModelSerializer):
    entity_code = serializers.CharField(
        source="entity.code", default=None, allow_null=True, read_only=True
    )
    balance = amount_field(help_text=_("Sum of the account's legs (as of `as_of` when given)."))
    held = amount_field(help_text=_("Quota held by active holds (as of `as_of` when given)."))
    available = amount_field(help_text=_("Balance minus held."))
    as_of = serializers.DateField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Account
        fields = [
            "id",
            "entity_id",
            "entity_code",
            "system_kind",
            "pollutant",
            "balance",
            "held",
            "available",
            "as_of",
            "is_active",
        ]

    def to_representation(self, instance):
        # ``as_of=`` annotates the position on that day (``AccountFilter``).
        if hasattr(instance, "balance_as_of"):
            instance.balance = instance.balance_as_of
            instance.held = instance.held_as_of
        return super().to_representation(instance)


class LegSerializer(serializers.ModelSerializer):
    entity_code = serializers.CharField(source="account.entity.code", default=None, allow_null=True)
    system_kind = serializers.CharField(source="account.system_kind")
    amount = amount_field(help_text=_("Signed: a credit is positive, a debit negative."))
    balance_after = amount_field(
        allow_null=True,
        help_text=_(
            "The account's balance after this leg; null where you may not see the account."
        ),
    )

    class Meta:
        model = Entry
        fields = [
            "id",
            "account",
            "entity_code",
            "system_kind",
            "pollutant",
            "amount",
            "balance_after",
        ]

    def to_representation(self, entry):
        data = super().to_representation(entry)
        request = self.context.get("request")
        if request is not None and selectors.shown_balance(request.user, entry) is None:
            data["balance_after"] = None
        return data


class TransactionSerializer(serializers.ModelSerializer):
    seq = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=_("Gap-free commit sequence number: resume a sync with `after_seq`."),
    )
    posted_by = serializers.CharField(source="posted_by.username")
    approved_by = serializers.CharField(
        source="approved_by.username", default=None, allow_null=True
    )
    reference_type = serializers.SerializerMethodField()
    legs = LegSerializer(source="entries", many=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "seq",
            "kind",
            "effective_date",
            "posted_at",
            "reference_type",
            "reference_id",
            "reference_text",
            "memo",
            "idempotency_key",
            "posted_by",
            "approved_by",
            "reverses",
            "paired_with",
            "legs",
        ]

    def get_reference_type(self, txn) -> str | None:
        """What caused the posting, as ``app_label.model`` (e.g. ``reductions.project``)."""
        if not txn.reference_type_id:
            return None
        # ContentType's own cache: no query per row.
        ct = ContentType.objects.get_for_id(txn.reference_type_id)
        return f"{ct.app_label}.{ct.model}"


class HoldSerializer(serializers.ModelSerializer):
    entity_code = serializers.CharField(source="account.entity.code", default=None, allow_null=True)
    pollutant = serializers.CharField(source="account.pollutant")
    amount = amount_field()
    created_by = serializers.CharField(source="created_by.username")
    changed_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Hold
        fields = [
            "id",
            "account",
            "entity_code",
            "pollutant",
            "amount",
            "status",
            "reason",
            "reference_id",
            "reference_text",
            "created_by",
            "created_at",
            "expires_at",
            "closed_at",
            "consumed_by",
            "changed_at",
        ]


class CorrectionSerializer(serializers.ModelSerializer):
    """A four-eyes correction (更正申请): proposed with a reason, decided by another person."""

    reference_type = serializers.SerializerMethodField()
    proposed_by = serializers.CharField(source="proposed_by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)

    class Meta:
        model = Correction
        fields = [
            "id",
            "action",
            "reference_type",
            "reference_id",
            "reference_text",
            "reason",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_comment",
        ]

    def get_reference_type(self, correction) -> str:
        ct = ContentType.objects.get_for_id(correction.reference_type_id)
        return f"{ct.app_label}.{ct.model}"


class ProposeCorrectionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=(),
        help_text=_(
            "revoke_certification (a project), revoke_round, cancel_use (a construction "
            "project), reverse_trade_record, reverse_reserve_intake, reverse_transaction."
        ),
    )
    record_id = serializers.IntegerField(min_value=1, max_value=2**62)
    reason = serializers.CharField(max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .. import corrections

        self.fields["action"].choices = sorted(corrections.ACTIONS)


class DecideCorrectionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
