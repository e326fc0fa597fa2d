"""Allocation pages: targets, progress, rounds, construction projects, trade records and the
municipal reserve. Thin: permission, service/selector, render; domain refusals become form
errors or messages, never error pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ledger import files
from ledger import selectors as ledger_selectors
from ledger.errors import DomainError
from ledger.models import Entity, HoldStatus, Pollutant
from ledger.paging import keyset_page, ordered_keyset_page
from ledger.views import require
from reductions.models import PlanPeriod, Status, Tier

from . import corrections, selectors, services, trades
from .forms import (
    AdjustForm,
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
    RecordStatus,
    RoundStatus,
    Target,
    TargetChange,
)


def _show_errors(form, error: DomainError) -> None:
    """A domain refusal on the form: at its field when the form has it, else on top."""
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)


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


def _current_period(today):
    return PlanPeriod.objects.filter(start_year__lte=today.year).last()


def _period_and_date(request):
    """The plan period and as-of date asked for; by default the current period and today,
    shown in the form (never a blank date field)."""
    today = timezone.localdate()
    if not request.GET:
        default = _current_period(today)
        form = ProgressForm(initial={"plan_period": default, "as_of": today})
        return form, default, today
    data = request.GET.copy()
    if not data.get("as_of"):
        data["as_of"] = today.isoformat()
    form = ProgressForm(data)
    period = as_of = None
    if form.is_valid():
        period, as_of = form.cleaned_data["plan_period"], form.cleaned_data["as_of"]
    return form, period or _current_period(today), as_of or today


# Which certified projects stand behind each figure of a progress row (the project list's
# filters: owner, pollutant, tier, status).
DRILL_TIERS = {
    "key": Tier.KEY,
    "package": Tier.PACKAGE,
    "micro": Tier.MICRO,
    "voc_mgmt": Tier.VOC_MGMT,
}


def _with_links(rows: list, period) -> list:
    projects = reverse("reductions:list")
    for row in rows:
        query = {
            "period": period.code,
            "owner": row.entity.code,
            "pollutant": row.pollutant,
            "status": Status.CERTIFIED,
        }
        # Encoded once per row: a tier is a plain code (hundreds of rows on the overview).
        base = urlencode(query)
        row.links = {name: f"{projects}?{base}&tier={tier}" for name, tier in DRILL_TIERS.items()}
        row.links["allocated"] = reverse("ledger:entity", args=[row.entity.code])
    return rows


def _progress(form, **kwargs) -> list:
    try:
        return _with_links(selectors.progress(**kwargs), kwargs["period"])
    except DomainError as error:
        _show_errors(form, error)
        return []


OVERVIEW_ENTITIES = 25


@login_required
def overview(request):
    """Every entity, the four pollutants, target met or not (municipal and auditors)."""
    require(request.user, "allocations.see_overview")
    form, period, as_of = _period_and_date(request)
    # A page of entities at a time: every enterprise of the city in one table took ~100 ms
    # to render at a hundred enterprises (issue 13), and was long to read.
    page = ordered_keyset_page(
        request,
        selectors.progress_entities(),
        key="kind_code",
        descending=False,
        size=OVERVIEW_ENTITIES,
    )
    rows = _progress(form, period=period, as_of=as_of, entities=page.object_list)
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
            "page": page,
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
        Prefetch("changes", queryset=TargetChange.objects.select_related("changed_by"))
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


def _decision_error(form, error: DomainError) -> None:
    """A refused decision on its form: a missing or over-long comment under the comment,
    anything else on top."""
    if error.code in ("reason_required", "comment_too_long") and not error.field_errors:
        form.add_error("comment", str(error))
    else:
        _show_errors(form, error)


def _adjust_form(line, data=None) -> AdjustForm:
    return AdjustForm(data, line=line, auto_id=f"id_line{line.pk}_%s")


def _round_page(request, round_, *, adjusted=None, decide_form=None):
    """The round, its lines (each with its form to lower it) and the decision form. After a
    refused step the same page shows again with what the user typed and the reason under the
    field: ``adjusted`` is the bound form of the line that was refused."""
    round_ = AllocationRound.objects.select_related(
        "plan_period", "policy", "created_by", "submitted_by", "decided_by"
    ).get(pk=round_.pk)
    lines = list(round_.lines.select_related("entity", "transaction", "adjusted_by"))
    can_draft = request.user.has_perm("allocations.draft_round")
    for line in lines:
        line.symbol = Pollutant(line.pollutant).symbol
        if adjusted is not None and adjusted.line.pk == line.pk:
            line.adjust_form = adjusted
        else:
            line.adjust_form = _adjust_form(line)
    totals = selectors.round_totals(lines)
    can_adjust = can_draft and round_.status == RoundStatus.DRAFT
    show_posted = any(line.transaction_id for line in lines)
    tail_columns = 2 + show_posted + can_adjust  # after "Adjusted": reason, still owed, …
    return render(
        request,
        "allocations/round_detail.html",
        {
            "round": round_,
            "lines": lines,
            "totals": totals,
            "owed": [line for line in lines if line.is_recovery and line.owed_after > 0],
            "steps": round_.steps.select_related("actor"),
            "can_draft": can_draft,
            "can_adjust": can_adjust,
            "show_posted": show_posted,
            "tail_columns": tail_columns,
            "columns": 10 + tail_columns,
            "can_decide": services.may_decide_round(request.user, round_),
            "decide_form": decide_form or DecideForm(auto_id="id_decide_%s"),
            "confirm": {
                "approve": selectors.round_approval_text(round_, lines),
                "return": selectors.round_return_text(round_),
                "submit": selectors.round_submit_text(round_, lines),
            },
            "correction": ledger_selectors.correction_box(
                request.user, round_, corrections.REVOKE_ROUND
            ),
        },
    )


@login_required
def round_detail(request, pk: int):
    require(request.user, "allocations.see_rounds")
    return _round_page(request, get_object_or_404(AllocationRound, pk=pk))


@login_required
@require_POST
def line_adjust(request, pk: int):
    line = get_object_or_404(AllocationLine.objects.select_related("round"), pk=pk)
    require(request.user, "allocations.draft_round")
    form = _adjust_form(line, request.POST)
    if form.is_valid():
        try:
            services.adjust_line(line=line, user=request.user, **form.cleaned_data)
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("The line was lowered."))
            return redirect("allocations:round", pk=line.round_id)
    return _round_page(request, line.round, adjusted=form)


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
    form = DecideForm(request.POST, auto_id="id_decide_%s")
    if form.is_valid():
        try:
            round_ = perform(round_, request.user, form.cleaned_data["comment"])
        except DomainError as error:
            _decision_error(form, error)
        else:
            messages.success(
                request,
                _("Done: the round is now %(status)s.") % {"status": round_.get_status_display()},
            )
            return redirect("allocations:round", pk=pk)
    return _round_page(request, round_, decide_form=form)


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


def _construction_page(request, project, *, form=None, decide_form=None):
    user = request.user
    sources = services.drawable_accounts(project)
    available = services.source_positions(project)
    if form is None:
        form = UseRequestForm(project=project, sources=sources, available=available)
    lines = list(project.lines.select_related("account__entity", "hold", "approved_by"))
    for line in lines:
        line.state = _line_state(project, line)
    held = [
        line
        for line in lines
        if line.attempt == project.attempt and line.hold.status == HoldStatus.ACTIVE
    ]
    mine = [
        line
        for line in held
        if line.approved_by_id is None and services.may_decide_line(user, line)
    ]
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
            "decide_form": decide_form or DecideForm(auto_id="id_decide_%s"),
            "confirm": selectors.use_decision_texts(project, held, mine),
            "may_request": services.may_request_use(user, project),
            "may_decide": services.may_decide_use(user, project),
            "may_withdraw": services.may_withdraw_use(user, project),
            "past_deadline": project.status == ConstructionStatus.REQUESTED
            and services.is_past_deadline(project),
            "correction": ledger_selectors.correction_box(user, project, corrections.CANCEL_USE),
        },
    )


@login_required
def construction_detail(request, pk: int):
    user = request.user
    project = get_object_or_404(selectors.visible_construction_projects(user), pk=pk)
    form = None
    if request.method == "POST":
        if not services.may_request_use(user, project):
            raise PermissionDenied(_("You do not have permission to do this."))
        form = UseRequestForm(
            request.POST,
            project=project,
            sources=services.drawable_accounts(project),
            available=services.source_positions(project),
        )
        if form.is_valid():
            try:
                services.request_use(project=project, user=user, lines=form.lines())
            except DomainError as error:
                _show_errors(form, error)
            else:
                messages.success(request, _("The quota is held until the request is decided."))
                return redirect("allocations:construction", pk=pk)
    return _construction_page(request, project, form=form)


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
    form = DecideForm(request.POST, auto_id="id_decide_%s")
    if form.is_valid():
        try:
            project = USE_ACTIONS[action](project, request.user, form.cleaned_data["comment"])
        except DomainError as error:
            _decision_error(form, error)
        else:
            messages.success(
                request,
                _("Done: the project is now %(status)s.")
                % {"status": project.get_status_display()},
            )
            return redirect("allocations:construction", pk=pk)
    project = get_object_or_404(selectors.visible_construction_projects(request.user), pk=pk)
    return _construction_page(request, project, decide_form=form)


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


def _trade_page(request, record, decide_form=None):
    return render(
        request,
        "allocations/trade_detail.html",
        {
            "record": record,
            "may_decide": _may_confirm(request.user, record),
            "decide_form": decide_form or DecideForm(auto_id="id_decide_%s"),
            "confirm": selectors.trade_decision_texts(record),
            "correction": ledger_selectors.correction_box(
                request.user, record, corrections.REVERSE_TRADE_RECORD
            ),
        },
    )


@login_required
def trade_detail(request, pk: int):
    return _trade_page(
        request, get_object_or_404(selectors.visible_trade_records(request.user), pk=pk)
    )


TRADE_ACTIONS = {
    "confirm": lambda r, u, c: trades.confirm_trade(record=r, user=u, comment=c),
    "reject": lambda r, u, c: trades.reject_trade(record=r, user=u, comment=c),
}


def _record_act(request, record, actions, action: str, perm: str, url: str, page):
    """Confirm or reject a maker–checker record; a refusal shows the page again with the
    comment typed and the reason under it (``page(request, record, form)``)."""
    if action not in actions:
        raise PermissionDenied(_("Unknown action."))
    require(request.user, perm)
    form = DecideForm(request.POST, auto_id="id_decide_%s")
    if form.is_valid():
        try:
            record = actions[action](record, request.user, form.cleaned_data["comment"])
        except DomainError as error:
            _decision_error(form, error)
        else:
            messages.success(
                request,
                _("Done: the record is now %(status)s.") % {"status": record.get_status_display()},
            )
            return redirect(url, pk=record.pk)
    record.refresh_from_db()
    return page(request, record, form)


@login_required
@require_POST
def trade_act(request, pk: int, action: str):
    record = get_object_or_404(selectors.visible_trade_records(request.user), pk=pk)
    return _record_act(
        request,
        record,
        TRADE_ACTIONS,
        action,
        "allocations.confirm_trade",
        "allocations:trade",
        _trade_page,
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


def _intake_page(request, record, decide_form=None):
    user = request.user
    return render(
        request,
        "allocations/reserve_intake_detail.html",
        {
            "record": record,
            "may_decide": record.status == RecordStatus.PROPOSED
            and user.has_perm("allocations.confirm_reserve_intake")
            and record.proposed_by_id != user.pk,
            "decide_form": decide_form or DecideForm(auto_id="id_decide_%s"),
            "confirm": selectors.intake_decision_texts(
                record, Entity.objects.filter(kind="BUREAU").first()
            ),
            "correction": ledger_selectors.correction_box(
                user, record, corrections.REVERSE_RESERVE_INTAKE
            ),
        },
    )


@login_required
def reserve_intake_detail(request, pk: int):
    return _intake_page(
        request, get_object_or_404(selectors.visible_reserve_intakes(request.user), pk=pk)
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
        _intake_page,
    )


@login_required
def reserve_intake_evidence(request, pk: int):
    return _evidence(get_object_or_404(selectors.visible_reserve_intakes(request.user), pk=pk))
