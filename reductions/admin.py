from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from .models import Industry, IndustrySection, PackageRule, PlanPeriod, ProjectType


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
    list_display = ["code", "name_zh", "name_en", "category", "parent", "pollutants"]
    list_filter = ["category"]


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
