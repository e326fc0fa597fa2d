from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from .models import (
    Account,
    AdjustmentProposal,
    Correction,
    Entity,
    Entry,
    Hold,
    RoleAssignment,
    Transaction,
    User,
)


@admin.register(Entity)
class EntityAdmin(ImportExportModelAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "is_active", "is_demo"]
    list_filter = ["kind", "is_active", "is_demo"]
    search_fields = ["code", "name_zh", "name_en"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "entity", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "entity__kind", "role_assignments__role"]
    list_select_related = ["entity"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Entity"), {"fields": ["entity"]}),
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is changed only through its services: the admin shows, never edits."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "entity", "system_kind", "pollutant", "balance", "held", "is_active"]
    list_filter = ["pollutant", "system_kind", "entity__kind"]
    list_select_related = ["entity"]


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "pollutant", "amount", "balance_after"]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "effective_date", "reference_text", "posted_by", "posted_at"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "reference_text", "memo"]
    list_select_related = ["posted_by"]
    inlines = [EntryInline]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "amount", "status", "reason", "created_at"]
    list_filter = ["status"]
    list_select_related = ["account__entity"]


@admin.register(AdjustmentProposal)
class AdjustmentProposalAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "amount", "status", "proposed_by", "decided_by"]
    list_select_related = ["account__entity", "proposed_by", "decided_by"]


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyAdmin):
    list_display = ["id", "action", "reference_text", "status", "proposed_by", "decided_by"]
    list_filter = ["status", "action"]
    list_select_related = ["proposed_by", "decided_by"]
