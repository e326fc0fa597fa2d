"""Targets, progress, allocation rounds, construction projects and trade records as the API
shows and takes them. Amounts are three-place decimal strings (t/a)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ledger.models import AMOUNT_DIGITS, AMOUNT_PLACES, Entity, Pollutant
from quota_ledger.api.fields import CodeField
from reductions.models import Industry, PlanPeriod

from ..models import (
    AllocationLine,
    AllocationRound,
    AreaStatus,
    ConstructionProject,
    NewEmission,
    RoundStep,
    Target,
    TradeDirection,
    TradeRecord,
    UseLine,
)

AMOUNT = {"max_digits": AMOUNT_DIGITS, "decimal_places": AMOUNT_PLACES}


def amount_out(**kwargs):
    return serializers.DecimalField(**AMOUNT, read_only=True, **kwargs)


class PlanPeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanPeriod
        fields = ["id", "code", "name_zh", "name_en", "start_year", "end_year"]


class TargetSerializer(serializers.ModelSerializer):
    entity_code = serializers.CharField(source="entity.code")
    plan_period = serializers.CharField(source="plan_period.code")
    amount = amount_out()
    updated_by = serializers.CharField(source="updated_by.username", default=None, allow_null=True)

    class Meta:
        model = Target
        fields = [
            "id",
            "entity_code",
            "plan_period",
            "pollutant",
            "amount",
            "updated_by",
            "updated_at",
        ]


class ProgressSerializer(serializers.Serializer):
    """目标完成情况 · One entity × pollutant: certified reductions by tier, target, met, due,
    allocated (net of recoveries), still to give and owed."""

    entity_code = serializers.CharField(source="entity.code")
    pollutant = serializers.CharField()
    key = amount_out()
    package = amount_out()
    micro = amount_out()
    voc_mgmt = amount_out()
    target = amount_out(allow_null=True)
    met = serializers.BooleanField()
    due = amount_out()
    allocated = amount_out()
    give = amount_out()
    owed = amount_out()


class ProgressQuerySerializer(serializers.Serializer):
    plan_period = CodeField(queryset=PlanPeriod.objects.all(), required=False)
    as_of = serializers.DateField(required=False)
    entity = CodeField(queryset=Entity.objects.all(), required=False)


class RoundStepSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username")

    class Meta:
        model = RoundStep
        fields = ["action", "actor", "at", "comment"]


class LineSerializer(serializers.ModelSerializer):
    entity_code = serializers.CharField(source="entity.code")
    key_certified = amount_out()
    package_certified = amount_out()
    target = amount_out()
    due = amount_out()
    already_allocated = amount_out()
    available = amount_out(allow_null=True)
    proposed = amount_out()
    adjusted = amount_out(allow_null=True)
    amount = amount_out(help_text=_("What posts: the adjusted amount, else the proposal."))
    owed_after = amount_out()

    class Meta:
        model = AllocationLine
        fields = [
            "id",
            "entity_code",
            "pollutant",
            "kind",
            "key_certified",
            "package_certified",
            "target",
            "due",
            "already_allocated",
            "available",
            "proposed",
            "adjusted",
            "adjust_reason",
            "amount",
            "owed_after",
            "transaction",
        ]


class RoundSerializer(serializers.ModelSerializer):
    plan_period = serializers.CharField(source="plan_period.code")
    created_by = serializers.CharField(source="created_by.username")
    submitted_by = serializers.CharField(
        source="submitted_by.username", default=None, allow_null=True
    )
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    lines = LineSerializer(many=True)
    steps = RoundStepSerializer(many=True)
    changed_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = AllocationRound
        fields = [
            "id",
            "plan_period",
            "as_of",
            "status",
            "created_by",
            "created_at",
            "submitted_by",
            "submitted_at",
            "decided_by",
            "decided_at",
            "comment",
            "changed_at",
            "lines",
            "steps",
        ]


class DraftRoundSerializer(serializers.Serializer):
    plan_period = CodeField(queryset=PlanPeriod.objects.all())
    as_of = serializers.DateField()


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class AdjustLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2**62)
    amount = serializers.DecimalField(**AMOUNT, min_value=0)
    reason = serializers.CharField(max_length=300)


class EmissionSerializer(serializers.ModelSerializer):
    amount = amount_out()

    class Meta:
        model = NewEmission
        fields = ["pollutant", "amount"]


class DrawSerializer(serializers.ModelSerializer):
    """A draw (用量): part of a new emission covered from one account, held until approved."""

    entity_code = serializers.CharField(source="account.entity.code", default=None, allow_null=True)
    emission = amount_out()
    amount = amount_out()
    hold_status = serializers.CharField(source="hold.status")
    approved_by = serializers.CharField(
        source="approved_by.username", default=None, allow_null=True
    )

    class Meta:
        model = UseLine
        fields = [
            "id",
            "attempt",
            "account",
            "entity_code",
            "pollutant",
            "emission",
            "ratio",
            "amount",
            "hold",
            "hold_status",
            "approved_by",
            "approved_at",
            "comment",
        ]


class ConstructionProjectSerializer(serializers.ModelSerializer):
    owner_code = serializers.CharField(source="owner.code")
    industry = serializers.CharField(source="industry.code")
    created_by = serializers.CharField(source="created_by.username")
    emissions = EmissionSerializer(many=True)
    draws = DrawSerializer(source="lines", many=True)
    changed_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = ConstructionProject
        fields = [
            "id",
            "name",
            "builder",
            "eia_number",
            "owner_code",
            "industry",
            "area_status",
            "status",
            "created_by",
            "created_at",
            "requested_at",
            "expires_at",
            "attempt",
            "decided_at",
            "decision_comment",
            "cancel_reason",
            "cancelled_at",
            "changed_at",
            "emissions",
            "draws",
        ]


def _emissions_field():
    return serializers.DictField(
        child=serializers.DecimalField(**AMOUNT, min_value=0),
        help_text=_("New emission (t/a) per pollutant code: NOX, VOCS, COD, NH3N."),
    )


class ConstructionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    builder = serializers.CharField(max_length=200)
    eia_number = serializers.CharField(max_length=100)
    owner = CodeField(queryset=Entity.objects.all(), required=False)
    industry = CodeField(queryset=Industry.objects.all())
    area_status = serializers.ChoiceField(choices=AreaStatus.choices)
    emissions = _emissions_field()

    def validate_emissions(self, value):
        return _known_pollutants(value)


def _known_pollutants(value):
    unknown = sorted(set(value) - set(Pollutant.values))
    if unknown:
        raise serializers.ValidationError(
            _("Unknown pollutant: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    return value


class DrawInputSerializer(serializers.Serializer):
    entity = CodeField(queryset=Entity.objects.all())
    pollutant = serializers.ChoiceField(choices=Pollutant.choices)
    emission = serializers.DecimalField(**AMOUNT, min_value=0)


class RequestUseSerializer(serializers.Serializer):
    draws = DrawInputSerializer(
        many=True,
        help_text=_("Which ledger covers how much of each pollutant's new emission."),
    )


class TradeRecordSerializer(serializers.ModelSerializer):
    entity_code = serializers.CharField(source="entity.code")
    amount = amount_out()
    proposed_by = serializers.CharField(source="proposed_by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)

    class Meta:
        model = TradeRecord
        fields = [
            "id",
            "entity_code",
            "direction",
            "certificate_number",
            "counterparty",
            "trade_date",
            "pollutant",
            "amount",
            "evidence_name",
            "memo",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "transaction",
        ]


class TradeInputSerializer(serializers.Serializer):
    entity = CodeField(queryset=Entity.objects.all(), required=False)
    direction = serializers.ChoiceField(choices=TradeDirection.choices)
    certificate_number = serializers.CharField(max_length=100)
    counterparty = serializers.CharField(max_length=200)
    trade_date = serializers.DateField()
    pollutant = serializers.ChoiceField(choices=Pollutant.choices)
    amount = serializers.DecimalField(**AMOUNT, min_value=0)
    evidence = serializers.FileField(help_text=_("PDF, PNG, JPEG or XLSX."))
    memo = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
