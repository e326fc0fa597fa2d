from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from ledger.admin import ReadOnlyAdmin

from .models import (
    BundleFiling,
    EvidencePolicy,
    FilingItem,
    Industry,
    IndustrySection,
    PackageRule,
    PlanPeriod,
    Project,
    ProjectAmount,
    ProjectType,
    RetierRecord,
    Review,
)


@admin.register(IndustrySection)
class IndustrySectionAdmin(ImportExportModelAdmin):
    list_display = ["letter", "name_zh", "name_en"]


@admin.register(Industry)
class IndustryAdmin(ImportExportModelAdmin):
    list_display = ["code", "name_zh", "section"]
    list_filter = ["section"]
    search_fields = ["code", "name_zh"]


@admin.register(ProjectType)
class ProjectTypeAdmin(ImportExportModelAdmin):
    """Annex 1 types and the bureau's VOCs management measures (kind), maintained as rows."""

    list_display = [
        "code",
        "name_zh",
        "name_en",
        "kind",
        "category",
        "parent",
        "pollutants",
        "is_seed",
    ]
    list_filter = ["kind", "category", "is_seed"]
    list_select_related = ["parent"]


@admin.register(EvidencePolicy)
class EvidencePolicyAdmin(admin.ModelAdmin):
    list_display = ["tier", "evidence_required", "note"]


@admin.register(PackageRule)
class PackageRuleAdmin(ImportExportModelAdmin):
    list_display = [
        "project_type",
        "effective_from",
        "floor",
        "ceiling",
        "size_limit",
        "size_unit",
        "required_flag",
        "bundle_key",
    ]
    list_filter = ["project_type__category", "bundle_key"]
    list_select_related = ["project_type__parent"]


@admin.register(PlanPeriod)
class PlanPeriodAdmin(ImportExportModelAdmin):
    list_display = ["code", "name_zh", "name_en", "start_year", "end_year"]


class AmountInline(admin.TabularInline):
    model = ProjectAmount
    fields = ["pollutant", "claimed", "district_reviewed", "certified"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class ReviewInline(admin.TabularInline):
    model = Review
    fields = ["created_at", "actor", "role", "action", "from_status", "to_status", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    """Projects change only through the workflow; the admin shows them."""

    list_display = [
        "id",
        "name",
        "owner",
        "project_type",
        "tier",
        "accounting_method",
        "status",
        "accounting_year",
    ]
    list_filter = ["status", "tier", "owner__kind", "project_type"]
    search_fields = ["name", "enterprise_name", "credit_code"]
    list_select_related = ["owner", "project_type__parent"]
    inlines = [AmountInline, ReviewInline]


class FilingItemInline(admin.TabularInline):
    model = FilingItem
    fields = ["project", "amounts"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(BundleFiling)
class BundleFilingAdmin(ReadOnlyAdmin):
    """Filings change only through the bundle pages; the admin shows them."""

    list_display = ["id", "filing_number", "filing_date", "owner", "label", "status", "self_filed"]
    list_filter = ["status", "self_filed"]
    search_fields = ["filing_number", "label"]
    list_select_related = ["owner"]
    inlines = [FilingItemInline]


@admin.register(RetierRecord)
class RetierRecordAdmin(ReadOnlyAdmin):
    """What the upgrades re-tiered, and what they kept for the bureau to review
    (``manage.py tier_review``)."""

    list_display = ["id", "project", "migration", "action", "old_tier", "new_tier", "resolved_at"]
    list_filter = ["action", "migration"]
    list_select_related = ["project"]
