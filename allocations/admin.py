from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from ledger.admin import ReadOnlyAdmin

from . import services
from .models import (
    AllocationPolicy,
    AllocationRound,
    ConstructionProject,
    HoldPolicy,
    ReplacementRatio,
    ReserveIntake,
    Target,
    TradeRecord,
)


@admin.register(ReplacementRatio)
class ReplacementRatioAdmin(ImportExportModelAdmin):
    """Ratios are the bureau's data; the seeded 1:1 rows say they are defaults."""

    list_display = ["pollutant", "area_status", "effective_from", "ratio", "is_default"]
    list_filter = ["pollutant", "area_status", "is_default"]


@admin.register(AllocationPolicy)
class AllocationPolicyAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "met_counts_package", "all_pollutants_must_be_met", "note"]


class TargetAdminForm(forms.ModelForm):
    reason = forms.CharField(label=_("Reason for a change"), required=False, max_length=300)

    class Meta:
        model = Target
        fields = ["entity", "plan_period", "pollutant", "amount"]

    def clean(self):
        data = super().clean()
        changed = self.instance.pk and data.get("amount") != self.instance.amount
        if changed and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the target changes."))
        return data


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    """Saving goes through set_target, so the admin keeps the history like the page does."""

    form = TargetAdminForm
    list_display = ["entity", "plan_period", "pollutant", "amount", "updated_by", "updated_at"]
    list_filter = ["plan_period", "pollutant"]
    list_select_related = ["entity", "plan_period", "updated_by"]

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm("allocations.set_target")

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("allocations.set_target")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        saved = services.set_target(
            entity=form.cleaned_data["entity"],
            plan_period=form.cleaned_data["plan_period"],
            pollutant=form.cleaned_data["pollutant"],
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            user=request.user,
        )
        obj.pk = saved.pk


@admin.register(AllocationRound)
class AllocationRoundAdmin(ReadOnlyAdmin):
    list_display = ["id", "plan_period", "as_of", "status", "created_by", "decided_by"]
    list_select_related = ["plan_period", "created_by", "decided_by"]


@admin.register(HoldPolicy)
class HoldPolicyAdmin(admin.ModelAdmin):
    """The hold lifetime is the bureau's setting; the seeded 90-day row says it is a default."""

    list_display = ["effective_from", "lifetime_days", "is_default", "note"]


@admin.register(ConstructionProject)
class ConstructionProjectAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "eia_number", "owner", "status", "expires_at"]
    list_filter = ["status"]
    list_select_related = ["owner"]


@admin.register(TradeRecord)
class TradeRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "entity",
        "direction",
        "certificate_number",
        "pollutant",
        "amount",
        "trade_date",
        "status",
    ]
    list_filter = ["status", "direction", "pollutant"]
    list_select_related = ["entity"]
    search_fields = ["certificate_number", "counterparty"]


@admin.register(ReserveIntake)
class ReserveIntakeAdmin(ReadOnlyAdmin):
    list_display = ["id", "source", "pollutant", "amount", "intake_date", "status"]
    list_filter = ["status", "source", "pollutant"]
