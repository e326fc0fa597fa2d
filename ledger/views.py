"""Ledger pages. Thin: check permission, call a selector or service, render."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views import defaults, i18n
from django.views.decorators.http import require_POST

from . import corrections, files, inbox, selectors, services
from .forms import (
    AdjustmentForm,
    DecisionForm,
    ExportForm,
    ReasonForm,
    StatementPositionForm,
)
from .models import (
    Account,
    AdjustmentProposal,
    AdjustmentStatus,
    Correction,
    CorrectionStatus,
    Entity,
    Entry,
    ExportStatus,
    StatementExport,
    Transaction,
)
from .paging import keyset_page
from .tasks import export_statement


def require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("You do not have permission to do this."))


def show_errors(form, error: services.LedgerError) -> None:
    """A domain refusal on the form: each message under its field, the rest above it."""
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)


@login_required
def home(request):
    user = request.user
    positions = None
    if user.entity_id and user.has_perm("ledger.see_entity_ledger", user.entity):
        positions = selectors.entity_positions(user.entity)
    # Higher apps add their panels (dashboards) through a setting: the ledger imports no app.
    charts = [chart for panel in settings.QUOTA_HOME_PANELS for chart in import_string(panel)(user)]
    return render(request, "home.html", {"positions": positions, "charts": charts})


def permission_denied(request, exception=None):
    """The 403 page (``handler403``): what was refused, in the reader's language, and a way
    back — home, and the page the user came from when it is one of ours."""
    if request.path.startswith("/api/"):
        return defaults.permission_denied(request, exception)
    referer = request.META.get("HTTP_REFERER", "")
    back = ""
    if (
        referer
        and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and urlsplit(referer).path != request.path
    ):
        back = referer
    message = str(exception) if exception is not None else ""
    return render(request, "403.html", {"message": message, "back_url": back}, status=403)


@require_POST
def set_language(request):
    """Django's language switch, remembering a signed-in user's choice on the user."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.set_user_language(user=request.user, language=language)
    return response


@login_required
def inbox_page(request):
    """待我处理: every kind of work waiting for this user, oldest first, with its age."""
    return render(
        request,
        "ledger/inbox.html",
        {
            "items": inbox.items(request.user),
            "kind_counts": inbox.counts_for_request(request),
            "limit": inbox.PAGE_LIMIT,
        },
    )


@login_required
def entity_list(request):
    require(request.user, "ledger.see_all_entities")
    rows = selectors.entities_with_positions(request.user)
    return render(request, "ledger/entity_list.html", {"rows": rows})


@login_required
def entity_detail(request, code: str):
    entity = get_object_or_404(Entity, code=code)
    require(request.user, "ledger.see_entity_ledger", entity)
    return _entity_page(request, entity, ExportForm())


def _entity_page(request, entity: Entity, export_form: ExportForm):
    accounts = list(Account.objects.filter(entity=entity))
    positions = selectors.entity_positions(entity, accounts)
    recent = selectors.recent_entries(accounts)
    return render(
        request,
        "ledger/entity_detail.html",
        {
            "entity": entity,
            "positions": positions,
            "recent": recent,
            "export_form": export_form,
            "exports": StatementExport.objects.filter(entity=entity, requested_by=request.user)[:5],
        },
    )


@login_required
def account_statement(request, pk: int):
    account = get_object_or_404(Account.objects.select_related("entity"), pk=pk)
    require(request.user, "ledger.see_account", account)
    form = StatementPositionForm(request.GET or None)
    position = form.cleaned_data if form.is_valid() else {}
    page = selectors.statement_page(
        account,
        before=position.get("before"),
        after=position.get("after"),
        on_date=position.get("date"),
    )
    return render(
        request,
        "ledger/account_statement.html",
        {
            "account": account,
            "form": form,
            "page": page,
            "holds": account.holds.filter(status="ACTIVE").select_related("created_by"),
        },
    )


@login_required
def transaction_detail(request, pk: int):
    txn = get_object_or_404(
        Transaction.objects.select_related(
            "posted_by", "approved_by", "reverses", "reference_type", "paired_with"
        ).prefetch_related(
            Prefetch("entries", queryset=Entry.objects.select_related("account__entity"))
        ),
        pk=pk,
    )
    require(request.user, "ledger.see_transaction", txn)
    owner = services.owning_record(txn)
    return render(
        request,
        "ledger/transaction_detail.html",
        {
            "txn": txn,
            "legs": [(e, selectors.shown_balance(request.user, e)) for e in txn.entries.all()],
            "reversal": Transaction.objects.filter(reverses=txn).first(),
            "owner": owner,
            "owner_action": corrections.owner_action(type(owner)) if owner else None,
            "correction": None
            if owner
            else selectors.correction_box(request.user, txn, services.REVERSE_TRANSACTION),
        },
    )


@login_required
def correction_new(request, action: str, record_id: int):
    """Propose a correction: the record, what approving will post, and the reason."""
    spec = corrections.get(action)
    if spec is None:
        raise Http404
    record = corrections.visible_record(spec, request.user, record_id)
    if record is None:
        raise Http404
    if not spec.may_propose(request.user, record):
        raise PermissionDenied(_("You may not propose this correction."))
    form = ReasonForm(request.POST or None)
    problem = None
    try:
        spec.check(record)
    except services.LedgerError as error:
        problem = str(error)
    if request.method == "POST" and form.is_valid():
        try:
            correction = services.propose_correction(
                action=action, record=record, reason=form.cleaned_data["reason"], user=request.user
            )
        except services.LedgerError as error:
            show_errors(form, error)
        else:
            messages.success(
                request, _("The correction was proposed; another person must approve it.")
            )
            return redirect("ledger:correction", pk=correction.pk)
    return render(
        request,
        "ledger/correction_form.html",
        {
            "spec": spec,
            "record": record,
            "record_url": reverse(spec.url_name, args=[record.pk]) if spec.url_name else "",
            "preview": corrections.preview(spec, record),
            "problem": problem,
            "form": form,
        },
    )


@login_required
def correction_detail(request, pk: int):
    """A proposed correction: what it will post; the decision for whoever may take it."""
    correction = get_object_or_404(
        Correction.objects.select_related("proposed_by", "decided_by", "reference_type"), pk=pk
    )
    spec = corrections.get(correction.action)
    record = correction.reference_type.model_class()._default_manager.get(
        pk=correction.reference_id
    )
    user = request.user
    may_decide = (
        correction.status == CorrectionStatus.PROPOSED
        and correction.proposed_by_id != user.pk
        and spec.may_approve(user, record)
    )
    # Whoever proposed or decided it keeps seeing it (the decider lands here after deciding,
    # when the record may no longer be open to a proposal).
    took_part = user.pk in (correction.proposed_by_id, correction.decided_by_id)
    if not (may_decide or took_part or spec.may_propose(user, record)):
        require(user, "ledger.see_all_entities")
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied(_("You may not decide this correction."))
        if form.is_valid():
            decide = (
                services.approve_correction
                if form.cleaned_data["decision"] == "approve"
                else services.reject_correction
            )
            try:
                decide(correction=correction, user=user, comment=form.cleaned_data["comment"])
            except services.LedgerError as error:
                show_errors(form, error)
            else:
                messages.success(request, _("The correction was decided."))
                return redirect("ledger:correction", pk=pk)
    return render(
        request,
        "ledger/correction_detail.html",
        {
            "correction": correction,
            "spec": spec,
            "record": record,
            "record_url": reverse(spec.url_name, args=[record.pk]) if spec.url_name else "",
            "preview": corrections.preview(spec, record)
            if correction.status == CorrectionStatus.PROPOSED
            else [],
            "may_decide": may_decide,
            "form": form,
        },
    )


@login_required
def correction_list(request):
    require(request.user, "ledger.see_corrections")
    return render(
        request,
        "ledger/correction_list.html",
        {
            "waiting": selectors.corrections_waiting_for(request.user),
            "mine": Correction.objects.filter(proposed_by=request.user).select_related(
                "decided_by"
            )[:50],
        },
    )


def _form_page(request, form_class, template: str, perform):
    """Render a form; on a valid POST call ``perform(cleaned_data)``, turning domain errors
    into form errors so nothing half-done is saved and no error page is shown."""
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            return perform(form.cleaned_data)
        except services.LedgerError as error:
            show_errors(form, error)
    return render(request, template, {"form": form})


@login_required
def adjustment_list(request, *, refused: AdjustmentProposal | None = None, refused_form=None):
    require(request.user, "ledger.see_adjustments")
    proposals = AdjustmentProposal.objects.select_related(
        "account__entity", "proposed_by", "decided_by"
    )
    status = request.GET.get("status")
    if status in AdjustmentStatus.values:
        proposals = proposals.filter(status=status)
    page = keyset_page(request, proposals)
    return render(
        request,
        "ledger/adjustment_list.html",
        {
            "page": page,
            "decision_form": DecisionForm(),
            "statuses": AdjustmentStatus.choices,
            # A refused decision: its row shows the comment as typed and why, under it.
            "refused": refused,
            "refused_form": refused_form,
        },
    )


@login_required
def adjustment_new(request):
    require(request.user, "ledger.propose_adjustment")

    def perform(data):
        services.propose_adjustment(
            account=services.entity_account(data["entity"], data["pollutant"]),
            amount=data["amount"],
            reason=data["reason"],
            user=request.user,
        )
        messages.success(
            request, _("The adjustment was proposed; another municipal approver must approve it.")
        )
        return redirect("ledger:adjustment_list")

    return _form_page(request, AdjustmentForm, "ledger/adjustment_form.html", perform)


@login_required
@require_POST
def adjustment_decide(request, pk: int):
    proposal = get_object_or_404(AdjustmentProposal, pk=pk)
    require(request.user, "ledger.decide_adjustment", proposal)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        if "decision" in form.errors:
            form.add_error(None, _("Choose approve or reject."))
        return adjustment_list(request, refused=proposal, refused_form=form)
    try:
        if form.cleaned_data["decision"] == "approve":
            services.approve_adjustment(
                proposal=proposal, approver=request.user, comment=form.cleaned_data["comment"]
            )
            messages.success(request, _("The adjustment was approved and posted."))
        else:
            services.reject_adjustment(
                proposal=proposal, approver=request.user, comment=form.cleaned_data["comment"]
            )
            messages.success(request, _("The adjustment was rejected."))
    except services.LedgerError as error:
        if not error.field_errors:
            messages.error(request, str(error))
            return redirect("ledger:adjustment_list")
        # The list again, the comment kept and the reason under it in the proposal's row.
        show_errors(form, error)
        return adjustment_list(request, refused=proposal, refused_form=form)
    return redirect("ledger:adjustment_list")


@login_required
@require_POST
def export_start(request, code: str):
    entity = get_object_or_404(Entity, code=code)
    require(request.user, "ledger.export_statement", entity)
    form = ExportForm(request.POST)
    if not form.is_valid():
        # The entity page again, with the dates as typed and each message under its field.
        return _entity_page(request, entity, form)
    job = StatementExport.objects.create(
        entity=entity,
        date_from=form.cleaned_data["date_from"],
        date_to=form.cleaned_data["date_to"],
        requested_by=request.user,
    )
    export_statement.delay(job.pk)
    return redirect("ledger:export", pk=job.pk)


def _own_export(request, pk: int) -> StatementExport:
    """An export is its requester's alone (404 for anyone else, so ids reveal nothing), and
    only while the requester may still export that entity's statement."""
    job = get_object_or_404(StatementExport.objects.select_related("entity"), pk=pk)
    if job.requested_by_id != request.user.pk:
        raise Http404
    require(request.user, "ledger.export_statement", job.entity)
    return job


@login_required
def export_status(request, pk: int):
    job = _own_export(request, pk)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {
                "status": job.status,
                "percent": job.percent,
                "rows_done": job.rows_done,
                "rows_total": job.rows_total,
                "error": job.error,
                "download": reverse("ledger:export_download", args=[job.pk])
                if job.status == ExportStatus.DONE
                else None,
                "expired": job.status == ExportStatus.EXPIRED,
            }
        )
    return render(
        request,
        "ledger/export_status.html",
        {"job": job, "retention_days": settings.EXPORT_RETENTION_DAYS},
    )


@login_required
def export_download(request, pk: int):
    job = _own_export(request, pk)
    if job.status == ExportStatus.EXPIRED:
        messages.info(request, _("This file was deleted after its retention period; export again."))
        return redirect("ledger:export", pk=job.pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    return files.private_file_response(
        job.file,
        filename=job.filename or job.file.name,
        content_type=files.CONTENT_TYPES[files.XLSX],
    )
