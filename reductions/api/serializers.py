"""Reduction projects, national filings and bundles as the API shows and takes them."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ledger.models import Entity, Pollutant
from quota_ledger.api.fields import CodeField

from ..models import (
    Action,
    BundleFiling,
    FilingItem,
    FuelType,
    Industry,
    PlanPeriod,
    Project,
    ProjectAmount,
    ProjectType,
    Review,
)

AMOUNT = {"max_digits": 15, "decimal_places": 3}
# Free text has a bound: a description of the measure, and comments and reasons (the
# browser's reason and comment fields take 1,000 characters).
MAX_MEASURE = 2000
MAX_TEXT = 1000


class AmountSerializer(serializers.ModelSerializer):
    claimed = serializers.DecimalField(**AMOUNT, read_only=True)
    district_reviewed = serializers.DecimalField(**AMOUNT, read_only=True, allow_null=True)
    certified = serializers.DecimalField(**AMOUNT, read_only=True, allow_null=True)

    class Meta:
        model = ProjectAmount
        fields = ["pollutant", "claimed", "district_reviewed", "certified"]


class ReviewSerializer(serializers.ModelSerializer):
    """One step of the review timeline: who, which role, when, decision, comment, amounts."""

    actor = serializers.CharField(source="actor.username")

    class Meta:
        model = Review
        fields = [
            "created_at",
            "actor",
            "role",
            "action",
            "from_status",
            "to_status",
            "comment",
            "amounts",
            "document_number",
            "document_date",
        ]


class FilingRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = BundleFiling
        fields = ["id", "filing_number", "filing_date", "status"]


class ProjectSerializer(serializers.ModelSerializer):
    owner_code = serializers.CharField(source="owner.code")
    project_type = serializers.CharField(source="project_type.code")
    industry = serializers.CharField(source="industry_id")  # an industry's key is its code
    plan_period = serializers.CharField(source="plan_period.code")
    amounts = AmountSerializer(many=True)
    reviews = ReviewSerializer(many=True, help_text=_("The review timeline, oldest first."))
    filing = FilingRefSerializer(allow_null=True)
    changed_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "owner_code",
            "enterprise_name",
            "credit_code",
            "industry",
            "project_type",
            "measure",
            "plan_period",
            "accounting_year",
            "completion_date",
            "boiler_capacity",
            "sewage_capacity",
            "fuel_type",
            "below_scale_central_treatment",
            "new_large_scale_farm",
            "green_island",
            "tier",
            "tier_reason",
            "accounting_method",
            "status",
            "created_at",
            "updated_at",
            "changed_at",
            "certified_at",
            "national_document",
            "national_date",
            "filing",
            "amounts",
            "reviews",
        ]


class ProjectInputSerializer(serializers.Serializer):
    """A draft project as a district system sends it; the service validates the rules
    (tier, sub-types, sizes, credit code) and answers field by field."""

    owner = CodeField(
        queryset=Entity.objects.all(),
        required=False,
        help_text=_("Entity code; the user's own entity when left out."),
    )
    name = serializers.CharField(max_length=200)
    enterprise_name = serializers.CharField(max_length=200)
    credit_code = serializers.CharField(max_length=18)
    industry = CodeField(queryset=Industry.objects.all())
    project_type = CodeField(queryset=ProjectType.objects.all())
    measure = serializers.CharField(max_length=MAX_MEASURE)
    plan_period = CodeField(queryset=PlanPeriod.objects.all())
    accounting_year = serializers.IntegerField(min_value=2000, max_value=2100)
    completion_date = serializers.DateField()
    boiler_capacity = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    sewage_capacity = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    fuel_type = serializers.ChoiceField(
        choices=FuelType.choices, required=False, allow_blank=True, default=""
    )
    below_scale_central_treatment = serializers.BooleanField(required=False, default=False)
    new_large_scale_farm = serializers.BooleanField(required=False, default=False)
    green_island = serializers.BooleanField(required=False, default=False)
    amounts = serializers.DictField(
        child=serializers.DecimalField(**AMOUNT, min_value=0),
        help_text=_("Claimed reduction (t/a) per pollutant code: NOX, VOCS, COD, NH3N."),
    )

    def validate_amounts(self, value):
        unknown = sorted(set(value) - set(Pollutant.values))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown pollutant: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        return value


class ProjectActionSerializer(serializers.Serializer):
    """What a workflow action may carry. ``amounts`` are the amounts as reviewed."""

    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_TEXT
    )
    amounts = serializers.DictField(
        child=serializers.DecimalField(**AMOUNT, min_value=0), required=False, allow_null=True
    )
    document_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100
    )
    document_date = serializers.DateField(required=False, allow_null=True, default=None)
    filing_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100
    )
    filing_date = serializers.DateField(required=False, allow_null=True, default=None)


class EvidenceSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("PDF, PNG, JPEG or XLSX, at most 10 MB."))


class FilingItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = FilingItem
        fields = ["project", "amounts"]


class FilingSerializer(serializers.ModelSerializer):
    """A national filing of a small-package bundle (国家系统填报), with its projects."""

    owner_code = serializers.CharField(source="owner.code")
    project_type = serializers.CharField(source="project_type.code")
    recorded_by = serializers.CharField(source="recorded_by.username")
    confirmed_by = serializers.CharField(
        source="confirmed_by.username", default=None, allow_null=True
    )
    items = FilingItemSerializer(many=True)

    class Meta:
        model = BundleFiling
        fields = [
            "id",
            "owner_code",
            "bundle_key",
            "label",
            "project_type",
            "accounting_year",
            "filing_number",
            "filing_date",
            "status",
            "self_filed",
            "recorded_by",
            "recorded_at",
            "confirmed_by",
            "confirmed_at",
            "rejection_reason",
            "items",
        ]


class FilingActionSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_TEXT
    )


class RecordFilingSerializer(serializers.Serializer):
    bundle_key = serializers.CharField(max_length=300)
    filing_number = serializers.CharField(max_length=100)
    filing_date = serializers.DateField()


class BundleSerializer(serializers.Serializer):
    """An open small-package bundle (小额打包): district-reviewed projects waiting to be filed."""

    key = serializers.CharField()
    owner_code = serializers.CharField(source="owner.code")
    year = serializers.IntegerField()
    project_type = serializers.CharField(source="project_type.code")
    dimension = serializers.CharField()
    value = serializers.CharField()
    label = serializers.CharField()
    projects = serializers.SerializerMethodField()
    totals = serializers.DictField(child=serializers.DecimalField(**AMOUNT))

    def get_projects(self, bundle) -> list[int]:
        return [p.pk for p in bundle.projects]


ACTIONS = [str(a) for a in (Action.SUBMIT, Action.WITHDRAW, Action.APPROVE, Action.RETURN)]
