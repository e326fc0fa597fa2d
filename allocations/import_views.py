"""Import pages (导入): template download, upload → preview → confirm, progress. Thin: the
importer decides who may import what, the runner checks and writes through the services."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ledger import imports as sheet
from ledger.errors import DomainError
from ledger.files import CONTENT_TYPES, XLSX, content_disposition

from . import imports
from .models import ImportJob, ImportStatus

PREVIEW_ROWS = 500


class UploadForm(forms.Form):
    # An empty file reaches the reader, which says so in the import's own words.
    file = forms.FileField(
        allow_empty_file=True,
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _importer_or_404(request, kind: str):
    importer = imports.importer_for(kind, request.user)
    if importer is None:
        raise Http404
    return importer


@login_required
def import_list(request):
    available = [
        importer(request.user)
        for importer in imports.IMPORTERS.values()
        if importer.may_use(request.user)
    ]
    if not available:
        raise Http404
    jobs = ImportJob.objects.filter(requested_by=request.user)[:10]
    return render(
        request,
        "allocations/import_list.html",
        {"importers": available, "form": UploadForm(), "jobs": jobs},
    )


@login_required
def import_template(request, kind: str):
    importer = _importer_or_404(request, kind)
    content = sheet.template_workbook(importer.columns, title=str(importer.title))
    response = HttpResponse(content, content_type=CONTENT_TYPES[XLSX])
    response["Content-Disposition"] = content_disposition(
        _("Import template %(title)s.xlsx") % {"title": importer.title}
    )
    return response


@login_required
@require_POST
def import_upload(request, kind: str):
    _importer_or_404(request, kind)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to import."))
        return redirect("imports:list")
    try:
        job = imports.start_import(user=request.user, kind=kind, upload=form.cleaned_data["file"])
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("imports:list")
    return redirect("imports:job", pk=job.pk)


def _own_job(request, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    if job.requested_by_id != request.user.pk:
        raise Http404
    _importer_or_404(request, job.kind)
    return job


@login_required
def import_job(request, pk: int):
    job = _own_job(request, pk)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {
                "status": job.status,
                "percent": job.percent,
                "rows_done": job.rows_done,
                "rows_total": job.rows_total,
                "counts": job.counts,
                "error": job.error,
                "settled": job.status not in (ImportStatus.CHECKING, ImportStatus.IMPORTING),
            }
        )
    rows = job.preview
    errors = [r for r in rows if r["status"] == sheet.RowStatus.ERROR]
    shown = errors[:PREVIEW_ROWS] if errors else rows[:PREVIEW_ROWS]
    for row in shown:
        row["status_label"] = sheet.RowStatus.LABELS[row["status"]]
    return render(
        request,
        "allocations/import_job.html",
        {
            "job": job,
            "importer": imports.importer_for(job.kind, request.user),
            "rows": shown,
            "hidden": len(errors or rows) - len(shown),
            "only_errors": bool(errors),
            "counts": [
                (sheet.RowStatus.LABELS[key], job.counts.get(key, 0))
                for key in sheet.RowStatus.LABELS
            ],
            "running": job.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING),
        },
    )


@login_required
@require_POST
def import_confirm(request, pk: int):
    job = _own_job(request, pk)
    try:
        job = imports.confirm_import(job=job, user=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("imports:job", pk=job.pk)
    if job.status == ImportStatus.DONE:
        messages.success(request, _("Imported: %(count)s rows written.") % {"count": job.imported})
    return redirect("imports:job", pk=job.pk)
