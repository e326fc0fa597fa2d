"""Ledger pages. Thin: check permission, call a selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import (
    AcquireForm,
    AdjustmentForm,
    DecisionForm,
    ExportForm,
    ReasonForm,
    StatementFilterForm,
    TransferForm,
)
from .models import (
    Account,
    AdjustmentProposal,
    AdjustmentStatus,
    Entity,
    Entry,
    ExportStatus,
    StatementExport,
    Transaction,
)
from .tasks import export_statement


def require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("You do not have permission to do this."))


@login_required
def home(request):
    user = request.user
    positions = None
    if user.entity_id and user.has_perm("ledger.see_entity_ledger", user.entity):
        positions = selectors.entity_positions(user.entity)
    return render(request, "home.html", {"positions": positions})


@login_required
def entity_list(request):
    require(request.user, "ledger.see_all_entities")
    rows = selectors.entities_with_positions(request.user)
    return render(request, "ledger/entity_list.html", {"rows": rows})


@login_required
def entity_detail(request, code: str):
    entity = get_object_or_404(Entity, code=code)
    require(request.user, "ledger.see_entity_ledger", entity)
    positions = selectors.entity_positions(entity)
    recent = (
        selectors.visible_transactions(request.user)
        .filter(entries__account__entity=entity)
        .distinct()
        .order_by("-id")[:20]
    )
    return render(
        request,
        "ledger/entity_detail.html",
        {
            "entity": entity,
            "positions": positions,
            "recent": recent,
            "export_form": ExportForm(),
            "exports": StatementExport.objects.filter(entity=entity, requested_by=request.user)[:5],
        },
    )


@login_required
def account_statement(request, pk: int):
    account = get_object_or_404(Account.objects.select_related("entity"), pk=pk)
    require(request.user, "ledger.see_account", account)
    form = StatementFilterForm(request.GET or None)
    date_from = date_to = None
    if form.is_valid():
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    opening, entries = selectors.statement_entries(account, date_from, date_to)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ledger/account_statement.html",
        {
            "account": account,
            "form": form,
            "opening": opening,
            "page": page,
            "query": query.urlencode(),
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
    reversal = Transaction.objects.filter(reverses=txn).first()
    can_reverse = (
        request.user.has_perm("ledger.reverse_transaction", txn)
        and reversal is None
        and txn.kind != "REVERSAL"
    )
    return render(
        request,
        "ledger/transaction_detail.html",
        {
            "txn": txn,
            "reversal": reversal,
            "can_reverse": can_reverse,
            "reason_form": ReasonForm(),
        },
    )


@login_required
@require_POST
def reverse_transaction(request, pk: int):
    txn = get_object_or_404(Transaction, pk=pk)
    require(request.user, "ledger.reverse_transaction", txn)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reversal needs a reason."))
        return redirect("ledger:transaction", pk=pk)
    try:
        reversal = services.reverse(
            original=txn, reason=form.cleaned_data["reason"], user=request.user
        )
    except services.LedgerError as error:
        messages.error(request, str(error))
        return redirect("ledger:transaction", pk=pk)
    messages.success(request, _("Transaction #%(id)s was reversed.") % {"id": txn.pk})
    return redirect("ledger:transaction", pk=reversal.pk)


def _form_page(request, form_class, template: str, perform):
    """Render a form; on a valid POST call ``perform(cleaned_data)``, turning domain errors
    into form errors so nothing half-done is saved and no error page is shown."""
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            return perform(form.cleaned_data)
        except services.LedgerError as error:
            form.add_error(None, str(error))
    return render(request, template, {"form": form})


@login_required
def acquire(request):
    require(request.user, "ledger.record_trade")

    def perform(data):
        txn = services.acquire_from_exchange(
            entity=data["entity"],
            pollutant=data["pollutant"],
            amount=data["amount"],
            certificate_number=data["certificate_number"],
            user=request.user,
            effective_date=data["effective_date"],
            memo=data["memo"],
        )
        messages.success(request, _("The trade acquisition was recorded."))
        return redirect("ledger:transaction", pk=txn.pk)

    return _form_page(request, AcquireForm, "ledger/acquire_form.html", perform)


@login_required
def transfer(request):
    require(request.user, "ledger.record_trade")

    def perform(data):
        out, _into = services.transfer(
            seller=data["seller"],
            buyer=data["buyer"],
            pollutant=data["pollutant"],
            amount=data["amount"],
            idempotency_key=f"transfer:{data['contract_number'].strip()}:{data['pollutant']}",
            user=request.user,
            reference_text=data["contract_number"].strip(),
            memo=data["memo"],
            effective_date=data["effective_date"],
        )
        messages.success(request, _("The transfer was recorded."))
        return redirect("ledger:transaction", pk=out.pk)

    return _form_page(request, TransferForm, "ledger/transfer_form.html", perform)


@login_required
def adjustment_list(request):
    require(request.user, "ledger.see_adjustments")
    proposals = AdjustmentProposal.objects.select_related(
        "account__entity", "proposed_by", "decided_by"
    )
    status = request.GET.get("status")
    if status in AdjustmentStatus.values:
        proposals = proposals.filter(status=status)
    page = Paginator(proposals, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/adjustment_list.html",
        {"page": page, "decision_form": DecisionForm(), "statuses": AdjustmentStatus.choices},
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
        messages.error(request, _("Choose approve or reject."))
        return redirect("ledger:adjustment_list")
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
        messages.error(request, str(error))
    return redirect("ledger:adjustment_list")


@login_required
@require_POST
def export_start(request, code: str):
    entity = get_object_or_404(Entity, code=code)
    require(request.user, "ledger.export_statement", entity)
    form = ExportForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("ledger:entity", code=code)
    job = StatementExport.objects.create(
        entity=entity,
        date_from=form.cleaned_data["date_from"],
        date_to=form.cleaned_data["date_to"],
        requested_by=request.user,
    )
    export_statement.delay(job.pk)
    return redirect("ledger:export", pk=job.pk)


def _own_export(request, pk: int) -> StatementExport:
    job = get_object_or_404(StatementExport.objects.select_related("entity"), pk=pk)
    if job.requested_by_id != request.user.pk:
        raise Http404
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
            }
        )
    return render(request, "ledger/export_status.html", {"job": job})


@login_required
def export_download(request, pk: int):
    job = _own_export(request, pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1]
    )
