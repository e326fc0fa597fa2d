from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin, ImportMixin

from ledger.admin import ReadOnlyAdmin
from ledger.errors import DomainError
from ledger.imports import RowStatus, SpreadsheetFormat
from reductions.admin import ProjectAdmin
from reductions.models import Project

from . import imports, services
from .models import (
    AllocationPolicy,
    AllocationRound,
    ConstructionProject,
    HoldPolicy,
    ImportJob,
    ReplacementRatio,
    ReserveIntake,
    Target,
    TradeRecord,
)


class SheetImportMixin(ImportMixin):
    """The admin's Import through ``allocations.imports`` resources: the same reader, checks,
    permissions and services as the import pages (a role that may not import a kind is not
    offered it; a user without any such role has no Import), nothing imported when any row
    errs, and every import kept as an ImportJob of whoever imported it (the admin's own
    per-object log is not written: the services record each step's actor)."""

    import_formats = [SpreadsheetFormat]
    skip_admin_log = True

    def import_action(self, request, **kwargs):
        # A large file goes to the import pages' flow (a Celery task with progress) instead
        # of being checked, then checked and written again, inside two admin requests.
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_import_form(request)
            if form.is_valid():
                resource = self.choose_import_resource_class(form, request)
                upload = form.cleaned_data["import_file"]
                try:
                    job = imports.start_large_import(
                        user=request.user, kind=resource.kind, upload=upload
                    )
                except DomainError:  # not this user's kind: the admin's own run refuses it
                    job = None
                if job is not None:
                    messages.info(
                        request,
                        _(
                            "The file has %(rows)s rows: it is checked in the background. "
                            "This page shows the progress; confirm the import here when "
                            "the check is done."
                        )
                        % {"rows": job.rows_total},
                    )
                    return HttpResponseRedirect(reverse("imports:job", args=[job.pk]))
                upload.seek(0)
        return super().import_action(request, **kwargs)

    def process_import(self, request, **kwargs):
        # The confirmation reads the file the preview kept aside and deletes it once imported:
        # a second confirmation (a double click, the back button) finds nothing to read.
        try:
            return super().process_import(request, **kwargs)
        except FileNotFoundError:
            messages.error(
                request,
                _(
                    "This upload was already imported or is no longer kept; nothing more "
                    "was imported. Upload the file again if it is still needed."
                ),
            )
            return HttpResponseRedirect(self._changelist_url())

    def _changelist_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def get_import_resource_classes(self, request):
        return [r for r in self.resource_classes if r.may_use(request.user)]

    def has_import_permission(self, request) -> bool:
        return bool(self.get_import_resource_classes(request))

    def add_data_read_fail_error_to_form(self, form, e):
        # A file refused as a whole says why in the import pages' words.
        if isinstance(e, DomainError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            for error in result.base_errors:
                messages.error(request, str(error.error))
            if not result.base_errors:
                messages.error(
                    request,
                    _(
                        "The file has rows with errors; correct them and upload it again. "
                        "Nothing was imported."
                    ),
                )
            return HttpResponseRedirect(self._changelist_url())
        return super().process_result(result, request)


@admin.register(ImportJob)
class ImportJobAdmin(SheetImportMixin, ReadOnlyAdmin):
    """Who imported what and when, from the import pages or the admin (the uploaded file is
    deleted after IMPORT_UPLOAD_RETENTION_DAYS, the row stays). Import offers every kind the
    user's role may import."""

    resource_classes = imports.RESOURCES
    list_display = [
        "id",
        "kind_label",
        "filename",
        "requested_by",
        "requested_at",
        "status",
        "imported",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["requested_by"]
    search_fields = ["filename", "requested_by__username"]
    fields = [
        "kind_label",
        "filename",
        "requested_by",
        "requested_at",
        "status",
        "rows_total",
        "rows_by_result",
        "imported",
        "error",
        "finished_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("what is imported"), ordering="kind")
    def kind_label(self, job: ImportJob) -> str:
        return job.kind_label

    @admin.display(description=_("rows by result"))
    def rows_by_result(self, job: ImportJob) -> str:
        labels = RowStatus.LABELS
        return ", ".join(f"{labels[key]} {n}" for key, n in job.counts.items() if key in labels)


# Projects are registered by reductions; the import (whose jobs live in this app) adds its
# button here, so that reductions imports nothing of allocations.
admin.site.unregister(Project)


@admin.register(Project)
class ProjectImportAdmin(SheetImportMixin, ProjectAdmin):
    """Projects as reductions shows them, with Import: reduction projects (a district its
    own) and the national certification results, through the import pages' importers."""

    resource_classes = [imports.ProjectResource, imports.NationalResultResource]


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
class TargetAdmin(SheetImportMixin, admin.ModelAdmin):
    """Saving goes through set_target, so the admin keeps the history like the page does;
    Import takes the targets grid through the same importer as the import page."""

    resource_classes = [imports.TargetResource]
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
class TradeRecordAdmin(SheetImportMixin, ReadOnlyAdmin):
    """Trades are recorded through record_trade (the page, or Import: the platform's list,
    kept as each record's evidence) and confirmed as usual; the admin shows them."""

    resource_classes = [imports.TradeResource]
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
