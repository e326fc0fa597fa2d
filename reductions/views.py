"""Reduction project pages. Thin: permission, service or selector, render."""

import tempfile
from pathlib import Path
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ledger import files
from ledger import selectors as ledger_selectors
from ledger.models import EntityKind, Pollutant
from ledger.paging import (
    POSITION_PARAMETERS,
    KeysetPage,
    keyset_page,
    ordered_keyset_page,
    sort_headers,
)
from ledger.views import require

from . import bundles, confirm, corrections, selectors, services, workflow
from .forms import (
    AMOUNT_FIELDS,
    AttachmentForm,
    FilingForm,
    ProjectFilterForm,
    ProjectForm,
    RejectFilingForm,
    ReviewForm,
    SubmitForm,
)
from .models import Attachment, FilingStatus, Project, ProjectAmount, Review, Status, Tier


def _add_errors(form, error: services.ProjectError) -> None:
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _flash(request, error: services.ProjectError) -> None:
    for message in error.errors.values():
        messages.error(request, message)


def _files_itself(project: Project) -> bool:
    """An enterprise records the national filing of its own small package when submitting."""
    return project.tier == Tier.PACKAGE and project.owner.kind == EntityKind.ENTERPRISE


# The project list's columns: the ``?order=`` name that sorts by it (None: not sortable).
PROJECT_COLUMNS = (
    ("id", "#", ""),
    ("name", gettext_lazy("Project"), ""),
    ("owner", gettext_lazy("Entity"), ""),
    (None, gettext_lazy("Type"), ""),
    ("year", gettext_lazy("Year"), "num"),
    ("tier", gettext_lazy("Tier"), ""),
    ("status", gettext_lazy("Status"), ""),
    (None, gettext_lazy("Reductions (t/a)"), "num"),
)


def _status_query(params, status: str) -> str:
    """The list with the same filters and this status, from its first page: a badge counts
    the filtered projects, so its link must show the same ones."""
    query = params.copy()
    for name in POSITION_PARAMETERS:
        query.pop(name, None)
    query["status"] = status
    return query.urlencode()


LIST_COLUMNS = (
    *("name", "accounting_year", "tier", "status"),
    *("owner__name_zh", "owner__name_en", "project_type__name_zh", "project_type__name_en"),
    *("project_type__parent__name_zh", "project_type__parent__name_en"),
)


@login_required
def project_list(request):
    user = request.user
    projects = (
        selectors.visible_projects(user)
        # Only the columns the table shows: all columns of the joined tables cost PostgreSQL
        # more planning than the page's query takes to run (bench/pages.py, projects).
        .select_related(None)
        .select_related("owner", "project_type__parent")
        .only(*LIST_COLUMNS)
        .prefetch_related(Prefetch("amounts", queryset=ProjectAmount.objects.order_by("pollutant")))
    )
    form = ProjectFilterForm(request.GET or None)
    params = form.params()
    if params:
        projects = selectors.filter_projects(projects, params)
    counts = selectors.status_counts(user, projects, filtered=bool(params))
    order, descending = selectors.project_order(request.GET.get("order"))
    if (order, descending) == selectors.DEFAULT_PROJECT_ORDER:
        page = keyset_page(request, projects)
    else:
        projects, key = selectors.ordered_projects(projects, order)
        page = ordered_keyset_page(request, projects, key=key, descending=descending)
    return render(
        request,
        "reductions/project_list.html",
        {
            "form": form,
            "page": page,
            "sorted": (order, descending) != selectors.DEFAULT_PROJECT_ORDER,
            "headers": sort_headers(
                request.GET, PROJECT_COLUMNS, order=order, descending=descending
            ),
            "counts": None
            if counts is None
            else [
                (Status(s).label, s, n, _status_query(request.GET, s)) for s, n in counts.items()
            ],
            "count_limit": selectors.FILTERED_COUNT_LIMIT,
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
                % {"tier": saved.get_tier_display(), "reason": saved.tier_reason_text},
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
    if entity is None:
        raise PermissionDenied(_("You do not have permission to do this."))
    require(request.user, "reductions.create_project", entity)
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


def _detail_page(request, project: Project, **forms):
    """The project page; ``forms`` are bound forms to show again with the user's input and
    their errors (review_form, submit_form, attachment_form)."""
    step = workflow.next_step(project)
    user = request.user
    filing = project.filing
    submit_initial = (
        {"filing_number": filing.filing_number, "filing_date": filing.filing_date}
        if filing is not None and filing.self_filed
        else {}
    )
    reviews = list(Review.objects.filter(project=project).select_related("actor"))
    return render(
        request,
        "reductions/project_detail.html",
        {
            "project": project,
            "amounts": [(Pollutant(a.pollutant).label, a) for a in project.amounts.all()],
            "timeline": selectors.timeline(reviews),
            "attachments": project.attachments.all(),
            "step": step,
            "can_edit": user.has_perm("reductions.edit_project", project),
            "can_review": user.has_perm("reductions.review_project", project),
            "can_withdraw": user.has_perm("reductions.withdraw_project", project),
            "correction": ledger_selectors.correction_box(
                user, project, corrections.REVOKE_CERTIFICATION
            ),
            "needs_filing": bool(
                step
                and project.tier == Tier.PACKAGE
                and step.target == Status.CERTIFIED
                and (filing is None or filing.status != FilingStatus.FILED)
            ),
            "review_form": forms.get("review_form")
            or ReviewForm(project=project, national=bool(step and step.records_national_result)),
            "submit_form": forms.get("submit_form")
            or SubmitForm(filing=_files_itself(project), initial=submit_initial, prefix="submit"),
            "attachment_form": forms.get("attachment_form") or AttachmentForm(),
            "approve_confirm": confirm.review_step(project, step),
            "approve_confirm_template": confirm.review_step_template(project, step),
            "withdraw_confirm": confirm.withdraw(project),
        },
    )


def _project_or_404(pk: int) -> Project:
    return get_object_or_404(
        Project.objects.select_related(
            "owner", "project_type__parent", "industry", "plan_period", "created_by", "filing"
        ),
        pk=pk,
    )


@login_required
def project_detail(request, pk: int):
    project = _project_or_404(pk)
    require(request.user, "reductions.see_project", project)
    return _detail_page(request, project)


def _done(request, project) -> None:
    messages.success(
        request,
        _("Done: the project is now %(status)s.") % {"status": project.get_status_display()},
    )


@login_required
@require_POST
def project_act(request, pk: int, action: str):
    """A workflow action. A refusal shows the page again with what the user typed (comment,
    amounts, document number and dates) and the message under its field."""
    project = _project_or_404(pk)
    require(request.user, "reductions.see_project", project)
    step = workflow.next_step(project)
    if action == workflow.WITHDRAW:
        # Nothing is typed for a withdrawal: a refusal is a message on the page.
        try:
            project = services.act(project=project, user=request.user, action=action)
        except services.ProjectError as error:
            _flash(request, error)
        else:
            _done(request, project)
        return redirect("reductions:detail", pk=pk)
    if action == workflow.SUBMIT:
        form = SubmitForm(request.POST, filing=_files_itself(project), prefix="submit")
        form_name = "submit_form"
    else:
        form = ReviewForm(
            request.POST,
            project=project,
            national=bool(step and step.records_national_result),
            action=action,
        )
        form_name = "review_form"
    if form.is_valid():
        try:
            project = services.act(
                project=project,
                user=request.user,
                action=action,
                comment=form.cleaned_data.get("comment", ""),
                amounts=form.amounts() if action == workflow.APPROVE else None,
                document_number=form.cleaned_data.get("document_number", ""),
                document_date=form.cleaned_data.get("document_date"),
                filing_number=form.cleaned_data.get("filing_number", ""),
                filing_date=form.cleaned_data.get("filing_date"),
            )
        except services.ProjectError as error:
            _add_errors(form, error)
        else:
            _done(request, project)
            return redirect("reductions:detail", pk=pk)
    shown = "reductions.edit_project" if form_name == "submit_form" else "reductions.review_project"
    if not request.user.has_perm(shown, project):
        # The page does not show this form to the user (not their step, or no longer): the
        # refusal is a message on the page.
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("reductions:detail", pk=pk)
    return _detail_page(request, project, **{form_name: form})


@login_required
@require_POST
def attachment_add(request, pk: int):
    project = _project_or_404(pk)
    require(request.user, "reductions.see_project", project)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_attachment(
                project=project, upload=form.cleaned_data["file"], user=request.user
            )
        except services.ProjectError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The evidence was added."))
            return redirect("reductions:detail", pk=pk)
    return _detail_page(request, project, attachment_form=form)


@login_required
@require_GET
def attachment_download(request, pk: int, attachment_id: int):
    """Evidence, only for users who may see the project; downloaded under its own name."""
    project = get_object_or_404(Project, pk=pk)
    require(request.user, "reductions.see_project", project)
    attachment = get_object_or_404(Attachment, pk=attachment_id, project=project)
    if not attachment.file or not attachment.file.storage.exists(attachment.file.name):
        raise Http404
    return files.private_file_response(attachment.file, filename=attachment.original_name)


QUEUE_SIZE = 200


@login_required
def my_queue(request):
    """待我处理: the projects whose review step waits for this user, oldest first, with how
    long each has waited; several can be approved as claimed at once."""
    if request.method == "POST":
        # Every chosen project goes to the service, which says why one cannot be approved
        # (not filed yet, maker–checker…) rather than skipping it silently.
        chosen = selectors.visible_projects(request.user).filter(
            pk__in=[pk for pk in request.POST.getlist("project") if pk.isdigit()]
        )
        done = 0
        for project in chosen:
            try:
                services.act(project=project, user=request.user, action=workflow.APPROVE)
                done += 1
            except services.ProjectError as error:
                messages.error(request, f"{project.name}: {error}")
        if done:
            messages.success(request, _("%(n)s project(s) approved.") % {"n": done})
        elif not chosen:
            messages.error(request, _("Choose at least one project to approve."))
        return redirect("reductions:queue")
    waiting = selectors.queue(request.user).prefetch_related("amounts")
    projects = list(waiting.order_by("updated_at", "pk")[: QUEUE_SIZE + 1])
    return render(
        request,
        "reductions/queue.html",
        {
            "page": KeysetPage(projects[:QUEUE_SIZE], newer_query=None, older_query=None),
            "more": len(projects) > QUEUE_SIZE,
            "size": QUEUE_SIZE,
            "bulk_confirm": confirm.bulk_approve(),
        },
    )


@login_required
def bundle_list(request):
    return render(
        request,
        "reductions/bundle_list.html",
        {
            "bundles": bundles.bundles(request.user),
            "filings": [
                (f, bundles.filing_label(f)) for f in bundles.waiting_filings(request.user)
            ],
        },
    )


def _bundle_or_404(request) -> bundles.Bundle:
    bundle = bundles.find_bundle(request.user, request.GET.get("key", ""))
    if bundle is None:
        raise Http404
    return bundle


def _bundle_url(key: str) -> str:
    return f"{reverse('reductions:bundle')}?{urlencode({'key': key})}"


def _bundle_page(request, bundle: bundles.Bundle, filing_form=None):
    return render(
        request,
        "reductions/bundle_detail.html",
        {
            "bundle": bundle,
            "key": bundle.key,
            "can_record": request.user.has_perm("reductions.record_filing", bundle.owner),
            "filing_form": filing_form or FilingForm(),
        },
    )


@login_required
def bundle_detail(request):
    return _bundle_page(request, _bundle_or_404(request))


def _sheet_response(bundle: bundles.Bundle):
    """The bundle sheet, written for this request and streamed; never stored."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
        path = Path(handle.name)
    try:
        bundles.write_bundle_sheet(bundle, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    with translation.override("zh-hans"):
        # Named in Chinese, like the sheet itself, which the district files as it is.
        name = _("Small-package bundle %(owner)s %(year)s %(type)s.xlsx") % {
            "owner": bundle.owner.name_zh,
            "year": bundle.year,
            "type": bundle.project_type.name_zh,
        }
    return files.generated_file_response(
        path, filename=name, content_type=files.CONTENT_TYPES[files.XLSX]
    )


@login_required
def bundle_export(request):
    """The bundle is found among the projects the user may see: another district's key is a
    404."""
    return _sheet_response(_bundle_or_404(request))


@login_required
@require_POST
def bundle_record_filing(request):
    """Record a bundle's national filing; a refusal shows the bundle again with the number
    and date typed and the message under its field."""
    bundle = _bundle_or_404(request)
    require(request.user, "reductions.record_filing", bundle.owner)
    form = FilingForm(request.POST)
    if form.is_valid():
        try:
            filing = bundles.record_filing(
                user=request.user,
                bundle=bundle,
                filing_number=form.cleaned_data["filing_number"],
                filing_date=form.cleaned_data["filing_date"],
            )
        except services.ProjectError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("The filing was recorded; a district approver confirms it next."),
            )
            return redirect("reductions:filing", pk=filing.pk)
    return _bundle_page(request, bundle, form)


def _filing_or_404(request, pk: int):
    return get_object_or_404(selectors.visible_filings(request.user), pk=pk)


def _filing_page(request, filing, reject_form=None):
    user = request.user
    waiting = list(
        filing.projects.filter(status=Status.DISTRICT_REVIEWED)
        .select_related("owner")
        .prefetch_related("amounts")
    )
    bundle = bundles.filing_bundle(filing)
    return render(
        request,
        "reductions/filing_detail.html",
        {
            "filing": filing,
            "bundle": bundle,
            "current": {p.pk: p for p in filing.projects.all()},
            "can_decide": user.has_perm("reductions.decide_filing", filing),
            "can_certify": filing.status == FilingStatus.FILED
            and bool(waiting)
            and all(user.has_perm("reductions.review_project", p) for p in waiting),
            "reject_form": reject_form or RejectFilingForm(),
            "certify_confirm": confirm.whole_bundle(waiting),
            "filing_confirm": confirm.confirm_filing(filing, bundle),
        },
    )


@login_required
def filing_detail(request, pk: int):
    return _filing_page(request, _filing_or_404(request, pk))


@login_required
def filing_export(request, pk: int):
    filing = _filing_or_404(request, pk)
    return _sheet_response(bundles.filing_bundle(filing))


@login_required
@require_POST
def filing_decide(request, pk: int, decision: str):
    filing = _filing_or_404(request, pk)
    if decision == "confirm":
        try:
            bundles.confirm_filing(user=request.user, filing=filing)
        except services.ProjectError as error:
            _flash(request, error)
        else:
            messages.success(request, _("The filing is confirmed: the bundle is filed."))
        return redirect("reductions:filing", pk=filing.pk)
    if decision != "reject":
        raise Http404
    # A refusal of the rejection shows the reason typed again, with the message under it.
    form = RejectFilingForm(request.POST)
    if form.is_valid():
        try:
            bundles.reject_filing(
                user=request.user, filing=filing, reason=form.cleaned_data["reason"]
            )
        except services.ProjectError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The filing was rejected; its projects wait for filing."))
            return redirect("reductions:filing", pk=filing.pk)
    return _filing_page(request, filing, form)


@login_required
@require_POST
def filing_certify(request, pk: int):
    filing = _filing_or_404(request, pk)
    try:
        certified = bundles.certify_filing(user=request.user, filing=filing)
    except services.ProjectError as error:
        messages.error(request, str(error))
        return redirect("reductions:filing", pk=filing.pk)
    messages.success(request, _("%(n)s project(s) certified.") % {"n": len(certified)})
    return redirect("reductions:bundles")
