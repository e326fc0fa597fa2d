"""Allocation pages: targets, progress, rounds. Thin: permission, service/selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ledger import services as ledger_services
from ledger.models import Entity, Pollutant, Role
from ledger.views import require
from reductions.models import PlanPeriod

from . import selectors, services
from .forms import (
    AdjustForm,
    CommentForm,
    ConstructionForm,
    ProgressForm,
    RoundForm,
    TargetForm,
    UseRequestForm,
)
from .models import AllocationLine, AllocationRound, ConstructionProject, Target


def _period_and_date(request):
    form = ProgressForm(request.GET or None)
    period = as_of = None
    if form.is_valid():
        period, as_of = form.cleaned_data["plan_period"], form.cleaned_data["as_of"]
    period = period or PlanPeriod.objects.filter(start_year__lte=timezone.localdate().year).last()
    return form, period, as_of or timezone.localdate()


@login_required
def overview(request):
    """Every entity, the four pollutants, target met or not (municipal and auditors)."""
    require(request.user, "allocations.see_overview")
    form, period, as_of = _period_and_date(request)
    rows = selectors.progress(period=period, as_of=as_of)
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
    entity = get_object_or_404(Entity, code=code)
    require(request.user, "allocations.see_progress", entity)
    form, period, as_of = _period_and_date(request)
    rows = selectors.progress(period=period, as_of=as_of, entities=[entity])
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
            except services.AllocationError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The target was saved."))
                return redirect("allocations:targets")
    rows = Target.objects.select_related("entity", "plan_period", "updated_by").prefetch_related(
        "changes"
    )
    return render(request, "allocations/targets.html", {"form": form, "targets": rows})


@login_required
def round_list(request):
    require(request.user, "allocations.see_rounds")
    form = RoundForm(request.POST or None)
    if request.method == "POST":
        require(request.user, "allocations.draft_round")
        if form.is_valid():
            try:
                round_ = services.draft_round(user=request.user, **form.cleaned_data)
            except services.AllocationError as error:
                form.add_error(None, str(error))
            else:
                return redirect("allocations:round", pk=round_.pk)
    rounds = AllocationRound.objects.select_related("plan_period", "created_by", "decided_by")
    return render(request, "allocations/round_list.html", {"form": form, "rounds": rounds})


@login_required
def round_detail(request, pk: int):
    require(request.user, "allocations.see_rounds")
    round_ = get_object_or_404(
        AllocationRound.objects.select_related("plan_period", "policy", "created_by", "decided_by"),
        pk=pk,
    )
    lines = round_.lines.select_related("entity", "transaction")
    return render(
        request,
        "allocations/round_detail.html",
        {
            "round": round_,
            "lines": lines,
            "total": sum((line.amount for line in lines), start=0),
            "adjust_form": AdjustForm(),
            "comment_form": CommentForm(),
            "can_draft": request.user.has_perm("allocations.draft_round"),
            "can_decide": request.user.has_perm("allocations.decide_round")
            and round_.created_by_id != request.user.pk,
        },
    )


@login_required
@require_POST
def line_adjust(request, pk: int):
    line = get_object_or_404(AllocationLine.objects.select_related("round"), pk=pk)
    require(request.user, "allocations.draft_round")
    form = AdjustForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            services.adjust_line(line=line, user=request.user, **form.cleaned_data)
            messages.success(request, _("The line was lowered."))
        except services.AllocationError as error:
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
    "revoke": (
        "allocations.decide_round",
        lambda r, u, c: services.revoke_round(round_=r, user=u, reason=c),
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
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        round_ = perform(round_, request.user, comment)
    except services.AllocationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Done: the round is now %(status)s.") % {"status": round_.get_status_display()},
        )
    return redirect("allocations:round", pk=pk)


# --- Construction projects and use ---------------------------------------------------------


def _visible_construction(user):
    projects = ConstructionProject.objects.select_related("district", "industry", "created_by")
    if user.has_perm("allocations.see_rounds"):
        return projects
    return projects.filter(district_id=user.entity_id) if user.entity_id else projects.none()


@login_required
def construction_list(request):
    projects = _visible_construction(request.user).prefetch_related("emissions")
    waiting = request.GET.get("waiting") == "1"
    if waiting:
        projects = projects.filter(pk__in=selectors.use_requests_waiting_for(request.user))
    return render(
        request,
        "allocations/construction_list.html",
        {
            "projects": projects,
            "waiting": waiting,
            "can_create": request.user.has_role(Role.DISTRICT_CLERK, Role.MUNICIPAL_CLERK),
        },
    )


@login_required
def construction_new(request):
    if not request.user.has_role(Role.DISTRICT_CLERK, Role.MUNICIPAL_CLERK):
        raise PermissionDenied(_("You do not have permission to do this."))
    form = ConstructionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.save_construction_project(
                user=request.user, data=form.project_data(), emissions=form.emissions()
            )
        except ledger_services.LedgerError as error:
            form.add_error(None, str(error))
        else:
            return redirect("allocations:construction", pk=project.pk)
    return render(request, "allocations/construction_form.html", {"form": form})


@login_required
def construction_detail(request, pk: int):
    project = get_object_or_404(_visible_construction(request.user), pk=pk)
    user = request.user
    sources = services.drawable_accounts(project)
    form = UseRequestForm(request.POST or None, project=project, sources=sources)
    may_request = services.may_request_use(user, project)
    if request.method == "POST":
        if not may_request:
            raise PermissionDenied(_("You do not have permission to do this."))
        if form.is_valid():
            try:
                services.request_use(project=project, user=user, lines=form.lines())
            except ledger_services.LedgerError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The quota is held until the request is decided."))
                return redirect("allocations:construction", pk=pk)
    return render(
        request,
        "allocations/construction_detail.html",
        {
            "project": project,
            "emissions": project.emissions.all(),
            "lines": project.lines.select_related("account__entity", "hold"),
            "form": form,
            "may_request": may_request,
            "may_decide": services.may_decide_use(user, project),
            "may_withdraw": services.may_withdraw_use(user, project),
            "comment_form": CommentForm(),
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
    project = get_object_or_404(_visible_construction(request.user), pk=pk)
    if action not in USE_ACTIONS:
        raise PermissionDenied(_("Unknown action."))
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        project = USE_ACTIONS[action](project, request.user, comment)
    except ledger_services.LedgerError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Done: the project is now %(status)s.") % {"status": project.get_status_display()},
        )
    return redirect("allocations:construction", pk=pk)
