"""Report pages: the annual ledger report (page, xlsx, PDF) and the municipal summary.
Thin: the form reads the choice, the permission decides, ledger.reports and
allocations.reports compute."""

import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ledger import reports as ledger_reports
from ledger.files import CONTENT_TYPES, XLSX, content_disposition
from ledger.models import Entity
from ledger.views import require
from ledger.widgets import ISODateInput
from reductions.models import PlanPeriod

from . import reports

CITY = "city"


class AnnualForm(forms.Form):
    entity = forms.CharField(label=gettext_lazy("Entity"), required=False, max_length=32)
    year = forms.IntegerField(
        label=gettext_lazy("Year"), required=False, min_value=2000, max_value=2100
    )


def _subject(request, code: str) -> Entity | None:
    """The entity the report is of (None: the city); refused unless the user may see it."""
    user = request.user
    if code == CITY:
        require(user, "ledger.see_all_entities")
        return None
    if not code:
        if user.has_perm("ledger.see_all_entities"):
            return None
        if user.entity_id is None:
            raise PermissionDenied(_("You do not have permission to do this."))
        code = user.entity.code
    entity = Entity.objects.filter(code=code).first()
    if entity is None:
        raise Http404
    require(user, "ledger.see_entity_ledger", entity)
    return entity


@login_required
def annual(request):
    form = AnnualForm(request.GET or None)
    form.is_valid()
    data = form.cleaned_data if form.is_bound else {}
    entity = _subject(request, data.get("entity") or "")
    year = data.get("year") or timezone.localdate().year
    report = ledger_reports.annual_report(year=year, entity=entity, user=request.user)
    name = f"{report.title} {report.subject}"
    output = request.GET.get("format")
    if output == "xlsx":
        response = HttpResponse(
            ledger_reports.report_workbook(report), content_type=CONTENT_TYPES[XLSX]
        )
        response["Content-Disposition"] = content_disposition(f"{name}.xlsx")
        return response
    if output == "pdf":
        response = HttpResponse(ledger_reports.report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition(f"{name}.pdf")
        return response
    entities = (
        Entity.objects.filter(is_active=True).order_by("kind", "code")
        if request.user.has_perm("ledger.see_all_entities")
        else []
    )
    return render(
        request,
        "allocations/annual_report.html",
        {
            "report": report,
            "columns": ledger_reports.report_columns(),
            "form": form,
            "entities": entities,
            "entity_code": entity.code if entity else CITY,
            "year": year,
        },
    )


class SummaryForm(forms.Form):
    period = forms.ModelChoiceField(
        label=gettext_lazy("Plan period"),
        queryset=PlanPeriod.objects.all(),
        required=False,
        to_field_name="code",
    )
    as_of = forms.DateField(label=gettext_lazy("As of"), required=False, widget=ISODateInput())


@login_required
def summary(request):
    require(request.user, "allocations.see_overview")
    form = SummaryForm(request.GET or None)
    form.is_valid()
    data = form.cleaned_data if form.is_bound else {}
    period = data.get("period") or PlanPeriod.objects.order_by("-start_year").first()
    as_of = data.get("as_of") or timezone.localdate()
    if period is None:
        raise Http404
    rows, totals = reports.municipal_summary(period=period, as_of=as_of)
    labels = [str(label) for _key, label in reports.SUMMARY_FIGURES]
    if request.GET.get("format") == "xlsx":
        content = _summary_workbook(period, as_of, rows, totals, labels)
        response = HttpResponse(content, content_type=CONTENT_TYPES[XLSX])
        response["Content-Disposition"] = content_disposition(
            _("Municipal summary %(period)s %(date)s.xlsx")
            % {"period": period.code, "date": as_of.isoformat()}
        )
        return response
    return render(
        request,
        "allocations/summary.html",
        {
            "rows": rows,
            "totals": totals,
            "labels": labels,
            "period": period,
            "as_of": as_of,
            "form": form,
        },
    )


def _summary_workbook(period, as_of, rows, totals, labels) -> bytes:
    from django.utils import translation
    from openpyxl import Workbook

    from ledger.workbooks import DocumentSheet, SheetColumn

    with translation.override("zh-hans"):
        workbook = Workbook()
        columns = [
            SheetColumn(_("Code"), width=10),
            SheetColumn(_("Entity"), width=24),
            SheetColumn(_("Pollutant"), width=8),
            SheetColumn(_("Met"), width=8),
            *[SheetColumn(str(label), amount=True) for _k, label in reports.SUMMARY_FIGURES],
        ]
        lines = [[_("Plan period"), str(period)], [_("As of"), as_of]]
        workbook.active.title = _("Summary")
        sheet = DocumentSheet(
            workbook.active, title=_("Municipal summary"), lines=lines, columns=columns
        )
        for row in rows:
            sheet.row(
                [
                    row.entity.code,
                    row.entity.name_zh,
                    row.symbol,
                    _("met") if row.met else _("not met"),
                    *row.values,
                ]
            )
        sheet.finish()
        kinds = DocumentSheet(
            workbook.create_sheet(_("Totals by kind")),
            title=_("Totals by entity kind"),
            lines=lines,
            columns=[
                SheetColumn(_("Kind"), width=14),
                SheetColumn(_("Pollutant"), width=8),
                SheetColumn(_("Met"), width=10),
                *[SheetColumn(str(label), amount=True) for _k, label in reports.SUMMARY_FIGURES],
            ],
        )
        for total in totals:
            kinds.row(
                [total.label, total.symbol, f"{total.met}/{total.entities}", *total.values],
                bold=False,
            )
        kinds.finish()
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()
