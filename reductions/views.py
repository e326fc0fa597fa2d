"""Reduction project pages. Thin: permission, service or selector, render."""

import tempfile
from pathlib import Path
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ledger.models import Pollutant
from ledger.views import require

from . import bundles, selectors, services, workflow
from .forms import AMOUNT_FIELDS, AttachmentForm, ProjectFilterForm, ProjectForm, ReviewForm
from .models import Project, ProjectAmount, Review, Status, Tier


def _add_errors(form, error: services.ProjectError) -> None:
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)


@login_required
def project_list(request):
    user = request.user
    projects = selectors.visible_projects(user).prefetch_related(
        Prefetch("amounts", queryset=ProjectAmount.objects.order_by("pollutant"))
    )
    form = ProjectFilterForm(request.GET or None)
    if form.is_valid():
        params = {k: v for k, v in form.cleaned_data.items() if v}
        if params.get("project_type"):
            params["project_type"] = params["project_type"].pk
        projects = selectors.filter_projects(projects, params)
    counts = selectors.status_counts(projects)
    page = Paginator(projects, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reductions/project_list.html",
        {
            "form": form,
            "page": page,
            "counts": [(Status(s).label, s, n) for s, n in counts.items()],
            "query": query.urlencode(),
            "can_create": user.entity_id
            and user.has_perm("reductions.create_project", user.entity),
        },
    )


def _save(request, project: Project | None):
    owner = project.owner if project else request.user.entity
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_project(
                user=request.user,
                owner=owner,
                data=form.project_data(),
                amounts=form.amounts(),
                project=project,
            )
        except services.ProjectError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Saved. Tier: %(tier)s — %(reason)s")
                % {"tier": saved.get_tier_display(), "reason": saved.tier_reason},
            )
            return redirect("reductions:detail", pk=saved.pk)
    return render(
        request,
        "reductions/project_form.html",
        {
            "form": form,
            "project": project,
            "owner": owner,
            "amount_fields": list(AMOUNT_FIELDS.values()),
        },
    )


@login_required
def project_new(request):
    entity = request.user.entity
    if entity is None or not request.user.has_perm("reductions.create_project", entity):
        raise PermissionDenied(_("You do not have permission to do this."))
    return _save(request, None)


@login_required
def project_edit(request, pk: int):
    project = get_object_or_404(Project.objects.select_related("owner"), pk=pk)
    require(request.user, "reductions.edit_project", project)
    return _save(request, project)


@login_required
@require_GET
def tier_preview(request):
    """The tier as the clerk types: the same rule the service applies on save."""
    form = ProjectForm(request.GET)
    form.is_valid()
    data = {k: v for k, v in form.cleaned_data.items() if k in ProjectForm.Meta.fields}
    project_type = data.get("project_type")
    if project_type is None:
        return JsonResponse({"tier": None, "label": "", "reason": _("Choose a project type.")})
    amounts = {p: form.cleaned_data.get(f) for p, f in AMOUNT_FIELDS.items()}
    result, _rule = services.tier_for(
        project_type=project_type,
        amounts={p: a for p, a in amounts.items() if a},
        data=data,
        completion_date=data.get("completion_date"),
    )
    return JsonResponse(
        {
            "tier": result.tier,
            "label": str(Tier(result.tier).label) if result.tier else _("Excluded"),
            "reason": result.reason,
            "pollutants": project_type.pollutants,
        }
    )


@login_required
def project_detail(request, pk: int):
    project = get_object_or_404(
        Project.objects.select_related(
            "owner", "project_type__parent", "industry", "plan_period", "created_by"
        ),
        pk=pk,
    )
    require(request.user, "reductions.see_project", project)
    step = workflow.next_step(project)
    user = request.user
    return render(
        request,
        "reductions/project_detail.html",
        {
            "project": project,
            "amounts": [(Pollutant(a.pollutant).label, a) for a in project.amounts.all()],
            "reviews": Review.objects.filter(project=project).select_related("actor"),
            "attachments": project.attachments.all(),
            "step": step,
            "can_edit": user.has_perm("reductions.edit_project", project),
            "can_review": user.has_perm("reductions.review_project", project),
            "can_withdraw": user.has_perm("reductions.withdraw_project", project),
            "can_revoke": user.has_perm("reductions.revoke_certification", project),
            "review_form": ReviewForm(
                project=project, national=bool(step and step.records_national_result)
            ),
            "attachment_form": AttachmentForm(),
        },
    )


@login_required
@require_POST
def project_act(request, pk: int, action: str):
    project = get_object_or_404(Project, pk=pk)
    require(request.user, "reductions.see_project", project)
    step = workflow.next_step(project)
    form = ReviewForm(
        request.POST, project=project, national=bool(step and step.records_national_result)
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("reductions:detail", pk=pk)
    try:
        project = services.act(
            project=project,
            user=request.user,
            action=action,
            comment=form.cleaned_data.get("comment", ""),
            amounts=form.amounts() if action == workflow.APPROVE else None,
            document_number=form.cleaned_data.get("document_number", ""),
            document_date=form.cleaned_data.get("document_date"),
        )
    except services.ProjectError as error:
        for message in error.errors.values():
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Done: the project is now %(status)s.") % {"status": project.get_status_display()},
        )
    return redirect("reductions:detail", pk=pk)


@login_required
@require_POST
def attachment_add(request, pk: int):
    project = get_object_or_404(Project, pk=pk)
    require(request.user, "reductions.see_project", project)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("reductions:detail", pk=pk)
    try:
        services.add_attachment(
            project=project, upload=form.cleaned_data["file"], user=request.user
        )
    except services.ProjectError as error:
        for message in error.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, _("The evidence was added."))
    return redirect("reductions:detail", pk=pk)


@login_required
def my_queue(request):
    projects = selectors.queue(request.user).prefetch_related("amounts")
    if request.method == "POST":
        chosen = projects.filter(pk__in=request.POST.getlist("project"))
        done = 0
        for project in chosen:
            try:
                services.act(project=project, user=request.user, action=workflow.APPROVE)
                done += 1
            except services.ProjectError as error:
                messages.error(request, f"{project.name}: {error}")
        if done:
            messages.success(request, _("%(n)s project(s) approved.") % {"n": done})
        return redirect("reductions:queue")
    page = Paginator(projects, 100).get_page(request.GET.get("page"))
    return render(request, "reductions/queue.html", {"page": page})


@login_required
def bundle_list(request):
    return render(
        request, "reductions/bundle_list.html", {"bundles": bundles.bundles(request.user)}
    )


def _bundle_or_404(request) -> bundles.Bundle:
    bundle = bundles.find_bundle(request.user, request.GET.get("key", ""))
    if bundle is None:
        raise Http404
    return bundle


@login_required
def bundle_detail(request):
    bundle = _bundle_or_404(request)
    user = request.user
    can_certify = all(user.has_perm("reductions.review_project", p) for p in bundle.projects)
    return render(
        request,
        "reductions/bundle_detail.html",
        {"bundle": bundle, "can_certify": can_certify, "key": bundle.key},
    )


@login_required
def bundle_export(request):
    bundle = _bundle_or_404(request)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.xlsx"
        bundles.write_bundle_sheet(bundle, path)
        content = path.read_bytes()
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"bundle-{bundle.owner.code}-{bundle.year}-{bundle.project_type.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def bundle_certify(request):
    bundle = _bundle_or_404(request)
    if not all(request.user.has_perm("reductions.review_project", p) for p in bundle.projects):
        raise PermissionDenied(_("You do not have permission to do this."))
    try:
        certified = bundles.certify_bundle(user=request.user, bundle=bundle)
    except services.ProjectError as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('reductions:bundle')}?{urlencode({'key': bundle.key})}")
    messages.success(request, _("%(n)s project(s) certified.") % {"n": len(certified)})
    return redirect("reductions:bundles")
