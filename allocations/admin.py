from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from ledger.admin import ReadOnlyAdmin

from .models import (
    AllocationPolicy,
    AllocationRound,
    ConstructionProject,
    ReplacementRatio,
    Target,
)


@admin.register(ReplacementRatio)
class ReplacementRatioAdmin(ImportExportModelAdmin):
    """Ratios are the bureau's data; the seeded 1:1 rows say they are defaults."""

    list_display = ["pollutant", "area_status", "effective_from", "ratio", "is_default"]
    list_filter = ["pollutant", "area_status", "is_default"]


@admin.register(AllocationPolicy)
class AllocationPolicyAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "met_counts_package", "all_pollutants_must_be_met", "note"]


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    """Targets change through the targets page, which keeps their history."""

    list_display = ["entity", "plan_period", "pollutant", "amount", "updated_by", "updated_at"]
    list_filter = ["plan_period", "pollutant"]
    list_select_related = ["entity", "plan_period", "updated_by"]


@admin.register(AllocationRound)
class AllocationRoundAdmin(ReadOnlyAdmin):
    list_display = ["id", "plan_period", "as_of", "status", "created_by", "decided_by"]
    list_select_related = ["plan_period", "created_by", "decided_by"]


@admin.register(ConstructionProject)
class ConstructionProjectAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "eia_number", "district", "status"]
    list_select_related = ["district"]
