from rest_framework import serializers

from ..models import Project, ProjectAmount, Review


class AmountSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectAmount
        fields = ["pollutant", "claimed", "certified"]


class ReviewSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username")

    class Meta:
        model = Review
        fields = ["created_at", "actor", "role", "action", "from_status", "to_status", "comment"]


class ProjectSerializer(serializers.ModelSerializer):
    owner_code = serializers.CharField(source="owner.code")
    project_type = serializers.CharField(source="project_type.code")
    plan_period = serializers.CharField(source="plan_period.code")
    amounts = AmountSerializer(many=True)
    reviews = ReviewSerializer(many=True)

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
            "plan_period",
            "accounting_year",
            "completion_date",
            "tier",
            "tier_reason",
            "status",
            "certified_at",
            "national_document",
            "national_date",
            "amounts",
            "reviews",
        ]
