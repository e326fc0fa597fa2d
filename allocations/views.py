"""Allocation pages: targets, progress, rounds, construction projects, trade records and the
municipal reserve. Thin: permission, service/selector, render; domain refusals become form
errors or messages, never error pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ledger import files
from ledger import selectors as ledger_selectors
from ledger.errors import DomainError
from ledger.models import Entity, HoldStatus, Pollutant
from ledger.paging import keyset_page
from ledger.views import require
from reductions.models import PlanPeriod

from . import corrections, selectors, services, trades
from .forms import (
    AdjustForm,
    CommentForm,
    ConstructionForm,
    DecideForm,
    ProgressForm,
    ReserveIntakeForm,
    RoundForm,
    TargetForm,
    TradeRecordForm,
    UseRequestForm,
)
from .models import (
    AllocationLine,
    AllocationRound,
    ConstructionStatus,
    LineKind,
    RecordStatus,
    Target,
)


def _show_errors(form, error: DomainError) -> None:
    """A domain refusal on the form: at its field when the form has it, else on top."""
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _form_messages(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else error)


def _posted_comment(request) -> str | None:
    """The comment of a decision, or None (with the reason shown) when it is not acceptable."""
    form = CommentForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["comment"]
    _form_messages(request, form)
    return None


def _entity_or_404(code: str) -> Entity:
    if "\x00" in code:
        raise Http404
    return get_object_or_404(Entity, code=code)


def _evidence(record) -> HttpResponse:
    """Trade and reserve evidence, served like project evidence (after the visibility check
    of the caller's selector)."""
    if not record.evidence or not record.evidence.storage.exists(record.evidence.name):
        raise Http404
    return files.private_file_response(record.evidence, filename=record.evidence_name)


# --- Progress and targets ----------------------------------------------------------------


def _period_and_date(request):
    form = ProgressForm(request.GET or None)
    period = as_of = None
    if form.is_valid():
        period, as_of = form.cleaned_data["plan_period"], form.cleaned_data["as_of"]
    period = period or PlanPeriod.objects.filter(start_year__lte=timezone.localdate().year).last()
    return form, period, as_of or timezone.localdate()


def _progress(form, **kwargs) -> list:
    try:
        return selectors.progress(**kwargs)
    except DomainError as error:
        _show_errors(form, error)
        return []


@login_required
def overview(request):
    """Every entity, the four pollutants, target met or not (municipal and auditors)."""
    require(request.user, "allocations.see_overview")
    form, period, as_of = _period_and_date(request)
    rows = _progress(form, period=period, as_of=as_of)
    table: dict = {}
    for row in rows:
        table.setdefault(row.entity, []).append(row)
    return render(
        request,
        "allocations/overview.html",
        {
            "form": form,
            "period": period,
            "as_of": as_of,
            "table": table.items(),
            "pollutants": list(Pollutant),
        },
    )


@login_required
def entity_progress(request, code: str):
    entity = _entity_or_404(code)
    require(request.user, "allocations.see_progress", entity)
    form, period, as_of = _period_and_date(request)
    rows = _progress(form, period=period, as_of=as_of, entities=[entity])
    return render(
        request,
        "allocations/entity_progress.html",
        {"form": form, "entity": entity, "period": period, "as_of": as_of, "rows": rows},
    )


@login_required
def targets(request):
    require(request.user, "allocations.see_overview")
    form = TargetForm(request.POST or None)
    if request.method == "POST":
        require(request.user, "allocations.set_target")
        if form.is_valid():
            try:
                services.set_target(user=request.user, **form.cleaned_data)
            except DomainError as error:
                _show_errors(form, error)
            else:
                messages.success(request, _("The target was saved."))
                return redirect("allocations:targets")
    rows = Target.objects.select_related("entity", "plan_period", "updated_by").prefetch_related(
        "changes"
    )
    return render(request, "allocations/targets.html", {"form": form, "targets": rows})


# --- Rounds ------------------------------------------------------------------------------


@login_required
def round_list(request):
    require(request.user, "allocations.see_rounds")
    form = RoundForm(request.POST or None)
    if request.method == "POST":
        require(request.user, "allocations.draft_round")
        if form.is_valid():
            try:
                round_ = services.draft_round(user=request.user, **form.cleaned_data)
            except DomainError as error:
                _show_errors(form, error)
            else:
                return redirect("allocations:round", pk=round_.pk)
    rounds = AllocationRound.objects.select_related(
        "plan_period", "created_by", "submitted_by", "decided_by"
    )
    return render(request, "allocations/round_list.html", {"form": form, "rounds": rounds})


@login_required
def round_detail(request, pk: int):
    require(request.user, "allocations.see_rounds")
    round_ = get_object_or_404(
        AllocationRound.objects.select_related(
            "plan_period", "policy", "created_by", "submitted_by", "decided_by"
        ),
        pk=pk,
    )
    lines = list(round_.lines.select_related("entity", "transaction", "adjusted_by"))
    allocations = [line for line in lines if line.kind == LineKind.ALLOCATION]
    recoveries = [line for line in lines if line.kind == LineKind.RECOVERY]
    return render(
        request,
        "allocations/round_detail.html",
        {
            "round": round_,
            "lines": lines,
            "total_allocated": sum((line.amount for line in allocations), start=0),
            "total_recovered": sum((line.amount for line in recoveries), start=0),
            "owed": [line for line in recoveries if line.owed_after > 0],
            "steps": round_.steps.select_related("actor"),
            "adjust_form": AdjustForm(),
            "can_draft": request.user.has_perm("allocations.draft_round"),
            "can_decide": services.may_decide_round(request.user, round_),
            "correction": ledger_selectors.correction_box(
                request.user, round_, corrections.REVOKE_ROUND
            ),
        },
    )


@login_required
@require_POST
def line_adjust(request, pk: int):
    line = get_object_or_404(AllocationLine.objects.select_related("round"), pk=pk)
    require(request.user, "allocations.draft_round")
    form = AdjustForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
    else:
        try:
            services.adjust_line(line=line, user=request.user, **form.cleaned_data)
            messages.success(request, _("The line was lowered."))
        except DomainError as error:
            messages.error(request, str(error))
    return redirect("allocations:round", pk=line.round_id)


ROUND_ACTIONS = {
    "submit": ("allocations.draft_round", lambda r, u, c: services.submit_round(round_=r, user=u)),
    "approve": (
        "allocations.decide_round",
        lambda r, u, c: services.approve_round(round_=r, approver=u, comment=c),
    ),
    "return": (
        "allocations.decide_round",
        lambda r, u, c: services.return_round(round_=r, approver=u, comment=c),
    ),
}


@login_required
@require_POST
def round_act(request, pk: int, action: str):
    round_ = get_object_or_404(AllocationRound, pk=pk)
    if action not in ROUND_ACTIONS:
        raise PermissionDenied(_("Unknown action."))
    perm, perform = ROUND_ACTIONS[action]
    require(request.user, perm)
    comment = _posted_comment(request)
    if comment is None:
        return redirect("allocations:round", pk=pk)
    try:
        round_ = perform(round_, request.user, comment)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Done: the round is now %(status)s.") % {"status": round_.get_status_display()},
        )
    return redirect("allocations:round", pk=pk)


# --- Construction projects and use ---------------------------------------------------------


@login_required
def construction_list(request):
    user = request.user
    projects = selectors.visible_construction_projects(user).prefetch_related("emissions")
    waiting = request.GET.get("waiting") == "1"
    if waiting:
        projects = projects.filter(pk__in=selectors.use_requests_waiting_for(user))
    page = keyset_page(request, projects)
    return render(
        request,
        "allocations/construction_list.html",
        {
            "page": page,
            "waiting": waiting,
            "can_create": user.has_perm("allocations.enter_construction"),
        },
    )


@login_required
def construction_new(request):
    require(request.user, "allocations.enter_construction")
    form = ConstructionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.save_construction_project(
                user=request.user, data=form.project_data(), emissions=form.emissions()
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            return redirect("allocations:construction", pk=project.pk)
    return render(request, "allocations/construction_form.html", {"form": form})


def _line_state(project, line) -> str:
    if line.attempt != project.attempt:
        return line.hold.get_status_display()
    if project.status == ConstructionStatus.CANCELLED and line.hold.status == HoldStatus.CONSUMED:
        return _("Cancelled")
    if line.hold.status == HoldStatus.CONSUMED:
        return _("Used")
    if line.hold.status == HoldStatus.ACTIVE and line.approved_by_id:
        return _("Approved; waiting for the other lines")
    return line.hold.get_status_display()


@login_required
def construction_detail(request, pk: int):
    user = request.user
    project = get_object_or_404(selectors.visible_construction_projects(user), pk=pk)
    sources = services.drawable_accounts(project)
    available = services.source_positions(project)
    form = UseRequestForm(
        request.POST or None, project=project, sources=sources, available=available
    )
    may_request = services.may_request_use(user, project)
    if request.method == "POST":
        if not may_request:
            raise PermissionDenied(_("You do not have permission to do this."))
        if form.is_valid():
            try:
                services.request_use(project=project, user=user, lines=form.lines())
            except DomainError as error:
                _show_errors(form, error)
            else:
                messages.success(request, _("The quota is held until the request is decided."))
                return redirect("allocations:construction", pk=pk)
    lines = list(project.lines.select_related("account__entity", "hold", "approved_by"))
    for line in lines:
        line.state = _line_state(project, line)
    return render(
        request,
        "allocations/construction_detail.html",
        {
            "project": project,
            "emissions": project.emissions.all(),
            "lines": lines,
            "sources": [
                (entity, [available[(entity.pk, p.value)] for p in Pollutant]) for entity in sources
            ],
            "pollutants": list(Pollutant),
            "form": form,
            "may_request": may_request,
            "may_decide": services.may_decide_use(user, project),
            "may_withdraw": services.may_withdraw_use(user, project),
            "past_deadline": project.status == ConstructionStatus.REQUESTED
            and services.is_past_deadline(project),
            "correction": ledger_selectors.correction_box(user, project, corrections.CANCEL_USE),
        },
    )


USE_ACTIONS = {
    "approve": lambda p, u, c: services.approve_use(project=p, user=u, comment=c),
    "reject": lambda p, u, c: services.reject_use(project=p, user=u, comment=c),
    "withdraw": lambda p, u, c: services.withdraw_use(project=p, user=u),
}


@login_required
@require_POST
def construction_act(request, pk: int, action: str):
    project = get_object_or_404(selectors.visible_construction_projects(request.user), pk=pk)
    if action not in USE_ACTIONS:
        raise PermissionDenied(_("Unknown action."))
    comment = _posted_comment(request)
    if comment is None:
        return redirect("allocations:construction", pk=pk)
    try:
        project = USE_ACTIONS[action](project, request.user, comment)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Done: the project is now %(status)s.") % {"status": project.get_status_display()},
        )
    return redirect("allocations:construction", pk=pk)


# --- Trade records ----------------------------------------------------------------------


@login_required
def trade_list(request):
    user = request.user
    records = selectors.visible_trade_records(user)
    waiting = request.GET.get("waiting") == "1"
    if waiting:
        records = selectors.trade_records_waiting_for(user)
    page = keyset_page(request, records)
    return render(
        request,
        "allocations/trade_list.html",
        {
            "page": page,
            "waiting": waiting,
            "can_record": user.has_perm("allocations.record_trade"),
            "can_confirm": user.has_perm("allocations.confirm_trade"),
        },
    )


@login_required
def trade_new(request):
    user = request.user
    require(user, "allocations.record_trade")
    form = TradeRecordForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            record = trades.record_trade(user=user, **form.cleaned_data)
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request, _("The trade was recorded; a municipal approver must confirm it.")
            )
            return redirect("allocations:trade", pk=record.pk)
    positions = None
    if user.entity_id and user.has_perm("ledger.see_entity_ledger", user.entity):
        positions = ledger_selectors.entity_positions(user.entity)
    return render(request, "allocations/trade_form.html", {"form": form, "positions": positions})


def _may_confirm(user, record) -> bool:
    return (
        record.status == RecordStatus.PROPOSED
        and user.has_perm("allocations.confirm_trade")
        and record.proposed_by_id != user.pk
    )


@login_required
def trade_detail(request, pk: int):
    record = get_object_or_404(selectors.visible_trade_records(request.user), pk=pk)
    return render(
        request,
        "allocations/trade_detail.html",
        {
            "record": record,
            "may_decide": _may_confirm(request.user, record),
            "decide_form": DecideForm(),
            "correction": ledger_selectors.correction_box(
                request.user, record, corrections.REVERSE_TRADE_RECORD
            ),
        },
    )


TRADE_ACTIONS = {
    "confirm": lambda r, u, c: trades.confirm_trade(record=r, user=u, comment=c),
    "reject": lambda r, u, c: trades.reject_trade(record=r, user=u, comment=c),
}


def _record_act(request, record, actions, action: str, perm: str, url: str):
    if action not in actions:
        raise PermissionDenied(_("Unknown action."))
    require(request.user, perm)
    comment = _posted_comment(request)
    if comment is not None:
        try:
            record = actions[action](record, request.user, comment)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Done: the record is now %(status)s.") % {"status": record.get_status_display()},
            )
    return redirect(url, pk=record.pk)


@login_required
@require_POST
def trade_act(request, pk: int, action: str):
    record = get_object_or_404(selectors.visible_trade_records(request.user), pk=pk)
    return _record_act(
        request, record, TRADE_ACTIONS, action, "allocations.confirm_trade", "allocations:trade"
    )


@login_required
def trade_evidence(request, pk: int):
    return _evidence(get_object_or_404(selectors.visible_trade_records(request.user), pk=pk))


# --- The municipal reserve (储备库) --------------------------------------------------------


@login_required
def reserve(request):
    require(request.user, "allocations.see_reserve")
    page = keyset_page(request, selectors.visible_reserve_intakes(request.user))
    bureau = Entity.objects.filter(kind="BUREAU").first()
    return render(
        request,
        "allocations/reserve.html",
        {
            "bureau": bureau,
            "positions": ledger_selectors.entity_positions(bureau) if bureau else [],
            "by_source": selectors.reserve_intake_by_source(),
            "pollutants": list(Pollutant),
            "page": page,
            "can_record": request.user.has_perm("allocations.record_reserve_intake"),
        },
    )


@login_required
def reserve_intake_new(request):
    require(request.user, "allocations.record_reserve_intake")
    form = ReserveIntakeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = trades.record_reserve_intake(user=request.user, **form.cleaned_data)
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request, _("The intake was recorded; another municipal approver must confirm it.")
            )
            return redirect("allocations:reserve_intake", pk=record.pk)
    return render(request, "allocations/reserve_intake_form.html", {"form": form})


@login_required
def reserve_intake_detail(request, pk: int):
    record = get_object_or_404(selectors.visible_reserve_intakes(request.user), pk=pk)
    user = request.user
    return render(
        request,
        "allocations/reserve_intake_detail.html",
        {
            "record": record,
            "may_decide": record.status == RecordStatus.PROPOSED
            and user.has_perm("allocations.confirm_reserve_intake")
            and record.proposed_by_id != user.pk,
            "decide_form": DecideForm(),
            "correction": ledger_selectors.correction_box(
                user, record, corrections.REVERSE_RESERVE_INTAKE
            ),
        },
    )


INTAKE_ACTIONS = {
    "confirm": lambda r, u, c: trades.confirm_reserve_intake(record=r, user=u, comment=c),
    "reject": lambda r, u, c: trades.reject_reserve_intake(record=r, user=u, comment=c),
}


@login_required
@require_POST
def reserve_intake_act(request, pk: int, action: str):
    record = get_object_or_404(selectors.visible_reserve_intakes(request.user), pk=pk)
    return _record_act(
        request,
        record,
        INTAKE_ACTIONS,
        action,
        "allocations.confirm_reserve_intake",
        "allocations:reserve_intake",
    )


@login_required
def reserve_intake_evidence(request, pk: int):
    return _evidence(get_object_or_404(selectors.visible_reserve_intakes(request.user), pk=pk))
