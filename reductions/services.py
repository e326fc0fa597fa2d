"""Every write to reduction projects: save (with the tier), workflow actions, evidence, and
the enterprise's own national filing of a small package.

Certification of MICRO and VOC_MGMT posts the certified amounts to the owner's ledger in the
same database transaction as the state change; revocation reverses those credits.
Permissions are asked through ``User.has_perm`` (the rules alone, no superuser bypass).
"""

import datetime
import os
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import files
from ledger import services as ledger_services
from ledger.errors import DomainError
from ledger.models import Entity, EntityKind, Pollutant, SystemAccountKind, User

from . import tiers, workflow
from .models import (
    ATTACHMENT_TYPES,
    Attachment,
    BundleFiling,
    BundleKey,
    EvidencePolicy,
    FilingItem,
    FilingStatus,
    PackageRule,
    Project,
    ProjectAmount,
    ProjectType,
    RetierAction,
    RetierRecord,
    Review,
    Status,
    Tier,
)
from .permissions import holds_waiting_role
from .validators import validate_credit_code

CREDIT_KIND = {Tier.MICRO: "MICRO_CREDIT", Tier.VOC_MGMT: "VOC_MGMT_CREDIT"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class ProjectError(DomainError):
    """A refusal with messages per form field (``None`` for the whole form)."""

    code = "project_invalid"
    kind = "invalid"

    def __init__(self, errors: Mapping[str | None, str] | str, *, code: str | None = None):
        errors = {None: errors} if isinstance(errors, str) else dict(errors)
        super().__init__(errors.pop(None, ""), code=code, field_errors=errors)


class TransitionNotAllowed(ProjectError):
    code = "transition_not_allowed"
    kind = "conflict"


class NotPermittedForUser(TransitionNotAllowed):
    """The user's role (or entity) does not allow this step, whatever the record's state: a
    403 in the API, with the same code; a state conflict stays :class:`TransitionNotAllowed`
    (409)."""

    kind = "forbidden"


class NotYourStep(TransitionNotAllowed):
    """Maker–checker: the user took an earlier step on this record."""

    code = "maker_checker"
    kind = "forbidden"


class FilingRefused(ProjectError):
    """A national filing that cannot be recorded, confirmed or relied on."""

    code = "filing_refused"
    kind = "refused"


# Within rules_read_once(): every PackageRule by type id, newest first (an import checks
# thousands of rows against the same few dozen rules).
_RULES_READ: ContextVar[dict[int, list[PackageRule]] | None] = ContextVar(
    "package_rules_read", default=None
)


@contextmanager
def rules_read_once():
    """Inside, :func:`rule_in_force` answers from the Annex 2 rows read once on entry."""
    if _RULES_READ.get() is not None:
        yield
        return
    by_type: dict[int, list[PackageRule]] = {}
    for rule in PackageRule.objects.order_by("-effective_from", "-pk"):
        by_type.setdefault(rule.project_type_id, []).append(rule)
    token = _RULES_READ.set(by_type)
    try:
        yield
    finally:
        _RULES_READ.reset(token)


def rule_in_force(
    project_type: ProjectType, on: datetime.date, *, rules=None
) -> PackageRule | None:
    """The Annex 2 row of the type in force on a date; ``rules`` is a manager of
    ``PackageRule`` (the current model by default, a historical one in migrations)."""
    read = _RULES_READ.get() if rules is None else None
    if read is not None:
        return next((r for r in read.get(project_type.pk, ()) if r.effective_from <= on), None)
    rules = PackageRule.objects if rules is None else rules
    return (
        rules.filter(project_type=project_type, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


def tier_for(
    *,
    project_type: ProjectType,
    amounts: Mapping[str, Decimal | None],
    data: Mapping,
    completion_date: datetime.date | None,
) -> tuple[tiers.TierResult, PackageRule | None]:
    """The tier from the Annex 2 row in force on the completion date (today if unknown)."""
    rule = rule_in_force(project_type, completion_date or timezone.localdate())
    result = tiers.project_tier(
        project_type=project_type,
        type_name=str(project_type),
        rule=rule,
        amounts=amounts,
        data=data,
        micro_threshold=settings.QUOTA_MICRO_THRESHOLD,
    )
    return result, rule


SIZE_MESSAGES = {
    "boiler_capacity": lambda: _("The boiler size must be greater than 0 t/h."),
    "sewage_capacity": lambda: _("The treatment capacity must be greater than 0 t/d."),
}


def _positive_sizes(data: Mapping) -> tuple[dict, dict[str, str]]:
    """Sizes as Decimals; a size given must be greater than 0 (a negative boiler would pass
    any small-package limit)."""
    errors: dict[str, str] = {}
    clean = dict(data)
    for field, message in SIZE_MESSAGES.items():
        if field not in data:
            continue
        value = data[field]
        if value in (None, ""):
            clean[field] = None
            continue
        try:
            size = Decimal(str(value))
        except InvalidOperation:
            errors[field] = message()
            continue
        if not size.is_finite() or size <= 0:
            errors[field] = message()
        clean[field] = size
    return clean, errors


def _completion_errors(data: Mapping) -> dict[str, str]:
    completion = data.get("completion_date")
    period = data["plan_period"]
    if completion is None:
        return {"completion_date": _("Enter the completion date.")}
    if completion > timezone.localdate():
        return {"completion_date": _("The completion date cannot be in the future.")}
    if not period.start_year <= completion.year <= period.end_year:
        return {
            "completion_date": _("The completion date must lie within %(period)s.")
            % {"period": period}
        }
    return {}


def _amount_errors(
    project_type: ProjectType, amounts: Mapping[str, Decimal | None]
) -> tuple[dict[str, Decimal], dict[str, str]]:
    errors: dict[str, str] = {}
    clean: dict[str, Decimal] = {}
    for pollutant, value in amounts.items():
        if value in (None, ""):
            continue
        try:
            amount = ledger_services.to_amount(value, allow_zero=True, allow_negative=False)
        except ledger_services.LedgerError as error:
            errors[f"amount_{pollutant}"] = str(error)
            continue
        if not amount:
            continue
        if project_type.is_voc_management and pollutant != Pollutant.VOCS:
            errors[f"amount_{pollutant}"] = _(
                "%(type)s is a VOCs management measure under the Shanghai VOCs guide; it may "
                "claim VOCs only, not %(pollutant)s."
            ) % {"type": project_type, "pollutant": Pollutant(pollutant).symbol}
        elif pollutant not in project_type.pollutants:
            errors[f"amount_{pollutant}"] = _(
                "%(pollutant)s is not a pollutant of %(type)s; it reduces %(allowed)s."
            ) % {
                "pollutant": Pollutant(pollutant).symbol,
                "type": project_type,
                "allowed": "、".join(Pollutant(p).symbol for p in project_type.pollutants),
            }
        else:
            clean[pollutant] = amount
    return clean, errors


def _validate(
    *, owner: Entity, data: Mapping, amounts: Mapping[str, Decimal | None]
) -> tuple[tiers.TierResult, dict[str, Decimal], dict]:
    """Check the input; return the tier, the amounts and the data with the credit code
    normalised (upper case, trimmed) and sizes as Decimals."""
    errors: dict[str | None, str] = {}
    project_type: ProjectType = data["project_type"]
    try:
        data = {**data, "credit_code": validate_credit_code(data.get("credit_code", ""))}
    except ValidationError as error:
        errors["credit_code"] = error.messages[0]
    subtypes = list(project_type.subtypes.all())
    if subtypes:
        errors["project_type"] = _(
            "%(type)s is a heading; choose one of its sub-types: %(subtypes)s."
        ) % {"type": project_type, "subtypes": "、".join(t.name for t in subtypes)}
    data, size_errors = _positive_sizes(data)
    errors.update(size_errors)
    clean, amount_errors = _amount_errors(project_type, amounts)
    errors.update(amount_errors)
    if not clean and not amount_errors:
        errors[None] = _("Enter the reduction of at least one pollutant.")
    if owner.kind not in (EntityKind.DISTRICT, EntityKind.COMMITTEE, EntityKind.ENTERPRISE):
        errors[None] = _("Reduction projects belong to a district, committee or enterprise.")
    period = data["plan_period"]
    if not period.start_year <= data["accounting_year"] <= period.end_year:
        errors["accounting_year"] = _("The accounting year must lie within %(period)s.") % {
            "period": period
        }
    errors.update(_completion_errors(data))
    result, rule = tier_for(
        project_type=project_type,
        amounts=clean,
        data=data,
        completion_date=data.get("completion_date"),
    )
    if result.excluded:
        errors[None] = result.reason
    size_field = tiers.size_field(rule)
    if size_field and data.get(size_field) is None and size_field not in errors:
        errors[size_field] = _("%(type)s needs this size to decide its tier.") % {
            "type": project_type
        }
    if rule is not None and rule.bundle_key == BundleKey.FUEL and not data.get("fuel_type"):
        errors["fuel_type"] = _("%(type)s is bundled by fuel type; choose one.") % {
            "type": project_type
        }
    if errors:
        raise ProjectError(errors)
    return result, clean, data


PROJECT_FIELDS = (
    "number",
    "name",
    "enterprise_name",
    "credit_code",
    "industry",
    "project_type",
    "measure",
    "plan_period",
    "accounting_year",
    "completion_date",
    "boiler_capacity",
    "sewage_capacity",
    "fuel_type",
    "below_scale_central_treatment",
    "new_large_scale_farm",
    "green_island",
)


def _free_number(
    number: str | None, project: Project | None, *, taken: Mapping[str, int] | None = None
) -> str:
    """The project number, trimmed; refused when another project has it (imports and the
    national results name projects by it). ``taken`` (number → project id, read in one query
    for every number of a batch) answers instead of a query per number."""
    number = (number or "").strip()
    if number:
        if taken is not None:
            used = number in taken and (project is None or taken[number] != project.pk)
        else:
            other = Project.objects.filter(number=number)
            if project is not None:
                other = other.exclude(pk=project.pk)
            used = other.exists()
        if used:
            raise ProjectError(
                {"number": _("Project number %(number)s is already used.") % {"number": number}},
                code="duplicate_project_number",
            )
    return number


def validate_project(
    *,
    owner: Entity,
    data: Mapping,
    amounts: Mapping[str, Decimal | None],
    project=None,
    taken: Mapping[str, int] | None = None,
) -> tiers.TierResult:
    """The checks :func:`save_project` makes, without saving: an import previews every row
    with them (``taken``: see :func:`taken_numbers`). Returns the tier result; raises
    ProjectError."""
    result, _clean, data = _validate(owner=owner, data=data, amounts=amounts)
    _free_number(data.get("number"), project, taken=taken)
    return result


def taken_numbers(numbers: Iterable[str]) -> dict[str, int]:
    """The projects already holding these numbers (number → id), in one query. ``number <>
    ''`` is said outright: PostgreSQL proves a partial index's condition from an IN list of
    at most 100 values, so without it a batch of 500 numbers reads the whole table."""
    wanted = {n.strip() for n in numbers if n and n.strip()}
    return dict(
        Project.objects.filter(number__in=wanted)
        .exclude(number="")
        .order_by()
        .values_list("number", "pk")
    )


def _fill(project: Project, data: Mapping, result: tiers.TierResult, user: User) -> None:
    """Set a project's fields from checked input, with the tier and method it implies."""
    for field in PROJECT_FIELDS:
        setattr(project, field, data.get(field, getattr(project, field, None)))
    project.fuel_type = project.fuel_type or ""
    project.tier = result.tier
    project.tier_reason = result.reason[:400]
    project.tier_reason_code = result.code
    project.tier_reason_params = result.params
    project.accounting_method = result.method
    if project.tier != Tier.PACKAGE:
        project.filing = None
    project.last_edited_by = user


def create_projects(
    *, user: User, items: Iterable[tuple[Entity, Mapping, Mapping[str, Decimal | None]]]
) -> list[Project]:
    """Enter many new projects at once (a spreadsheet import): each (owner, data, amounts)
    passes the same permission and checks as :func:`save_project`; the projects, their
    amounts and their CREATE steps are then written in three bulk inserts, all or nothing."""
    items = list(items)
    taken = taken_numbers(data.get("number") or "" for _owner, data, _amounts in items)
    prepared, allowed = [], {}
    with rules_read_once():
        for owner, data, amounts in items:
            if owner.pk not in allowed:  # one answer per owner of the batch
                allowed[owner.pk] = user.has_perm("reductions.create_project", owner)
            if not allowed[owner.pk]:
                raise NotPermittedForUser(
                    _("You may not enter projects for %(owner)s.") % {"owner": owner}
                )
            result, clean, data = _validate(owner=owner, data=data, amounts=amounts)
            data = {**data, "number": _free_number(data.get("number"), None, taken=taken)}
            project = Project(owner=owner, created_by=user)
            _fill(project, data, result, user)
            prepared.append((project, clean))
    with transaction.atomic():
        projects = Project.objects.bulk_create([project for project, _clean in prepared])
        ProjectAmount.objects.bulk_create(
            ProjectAmount(project=project, pollutant=pollutant, claimed=amount)
            for project, clean in prepared
            for pollutant, amount in clean.items()
        )
        Review.objects.bulk_create(
            Review(
                project=project,
                actor=user,
                role=workflow.MAKER_ROLE[project.owner.kind],
                action=workflow.CREATE,
                from_status=project.status,
                to_status=project.status,
                amounts={p: str(a) for p, a in clean.items()},
            )
            for project, clean in prepared
        )
    return projects


def save_project(
    *,
    user: User,
    owner: Entity,
    data: Mapping,
    amounts: Mapping[str, Decimal | None],
    project: Project | None = None,
) -> Project:
    """Create or edit a project (DRAFT or RETURNED); the tier and the accounting method it
    implies are recomputed every time, and the step is recorded in the project's history."""
    if project is None:
        if not user.has_perm("reductions.create_project", owner):
            raise NotPermittedForUser(
                _("You may not enter projects for %(owner)s.") % {"owner": owner}
            )
    elif not user.has_perm("reductions.edit_project", project):
        refusal = NotPermittedForUser if project.is_editable else TransitionNotAllowed
        raise refusal(_("This project cannot be edited now."))
    result, clean, data = _validate(owner=owner, data=data, amounts=amounts)
    data = {**data, "number": _free_number(data.get("number"), project)}
    with transaction.atomic():
        if project is None:
            action = workflow.CREATE
            project = Project(owner=owner, created_by=user)
        else:
            action = workflow.EDIT
            project = Project.objects.select_for_update().get(pk=project.pk)
            if not project.is_editable:
                raise TransitionNotAllowed(_("This project cannot be edited now."))
        _fill(project, data, result, user)
        project.save()
        project.amounts.exclude(pollutant__in=clean).delete()
        for pollutant, amount in clean.items():
            ProjectAmount.objects.update_or_create(
                project=project,
                pollutant=pollutant,
                defaults={"claimed": amount, "certified": None, "district_reviewed": None},
            )
        Review.objects.create(
            project=project,
            actor=user,
            role=workflow.MAKER_ROLE[owner.kind],
            action=action,
            from_status=project.status,
            to_status=project.status,
            amounts={p: str(a) for p, a in clean.items()},
        )
    return project


def add_attachment(*, project: Project, upload, user: User) -> Attachment:
    name = os.path.basename(upload.name or "")
    extension = os.path.splitext(name)[1].lower()
    if extension not in ATTACHMENT_TYPES:
        raise ProjectError(
            {
                "file": _("%(name)s: only PDF, PNG, JPG and XLSX files are accepted.")
                % {"name": name}
            },
            code="attachment_type",
        )
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ProjectError(
            {"file": _("%(name)s is larger than 10 MB.") % {"name": name}},
            code="attachment_too_large",
        )
    # The extension is only a claim: the bytes must be that kind of file (a script renamed
    # to .pdf is refused), so what reviewers open is what it says it is.
    if files.detected_type(upload) != files.kind_for_extension(name):
        raise ProjectError(
            {
                "file": _(
                    "%(name)s is not really a %(kind)s file (its content was checked). "
                    "Please upload the original PDF, PNG, JPG or XLSX file."
                )
                % {"name": name, "kind": extension.lstrip(".").upper()}
            },
            code="attachment_type_mismatch",
        )
    if not user.has_perm("reductions.edit_project", project):
        raise TransitionNotAllowed(_("Evidence can be added only while the project is editable."))
    return Attachment.objects.create(
        project=project, file=upload, original_name=name[:255], uploaded_by=user
    )


def _amounts_snapshot(project: Project) -> dict[str, str]:
    return {
        a.pollutant: str(a.certified if a.certified is not None else a.claimed)
        for a in project.amounts.all()
    }


def _apply_reviewed_amounts(project: Project, reviewed: Mapping[str, Decimal] | None) -> None:
    """A reviewer may lower an amount, never raise it above the claim, and never lower every
    amount to 0 (that is a return, with a reason)."""
    rows = {a.pollutant: a for a in project.amounts.all()}
    for pollutant, value in (reviewed or {}).items():
        if value in (None, ""):
            continue
        amount = ledger_services.to_amount(value, allow_zero=True, allow_negative=False)
        row = rows.get(pollutant)
        if row is None:
            raise ProjectError(
                _("%(p)s was not claimed by this project.") % {"p": Pollutant(pollutant).symbol}
            )
        if amount > row.claimed:
            raise ProjectError(
                {
                    f"amount_{pollutant}": _(
                        "%(p)s: the reviewed amount %(a)s t exceeds the claim of %(c)s t."
                    )
                    % {"p": Pollutant(pollutant).symbol, "a": amount, "c": row.claimed}
                }
            )
        row.certified = amount
        row.save(update_fields=["certified"])
    if not any(a.certified if a.certified is not None else a.claimed for a in rows.values()):
        raise ProjectError(
            _(
                "A review cannot lower every reduction to 0. Return the project to its maker "
                "with a reason instead."
            ),
            code="review_lowers_all_to_zero",
        )


def _record_district_review(project: Project) -> None:
    for row in project.amounts.all():
        row.district_reviewed = row.certified if row.certified is not None else row.claimed
        row.save(update_fields=["district_reviewed"])


def _certify(project: Project, user: User) -> None:
    for row in project.amounts.all():
        if row.certified is None:
            row.certified = row.claimed
            row.save(update_fields=["certified"])
    project.certified_at = timezone.now()
    kind = CREDIT_KIND.get(project.tier)
    if kind is None:
        return
    for row in project.amounts.all():
        if row.certified:
            ledger_services.credit_entity(
                kind=kind,
                source=SystemAccountKind.CERTIFIED,
                entity=project.owner,
                pollutant=row.pollutant,
                amount=row.certified,
                idempotency_key=f"project:{project.pk}:r{project.certification_round}:{row.pollutant}",
                user=user,
                reference=project,
                reference_text=project.name[:200],
            )


def _check_evidence(project: Project) -> None:
    """KEY and PACKAGE projects (as the policy rows say) need evidence before submission."""
    policy = EvidencePolicy.objects.filter(tier=project.tier).first()
    if policy and policy.evidence_required and not project.attachments.exists():
        raise ProjectError(
            {
                "file": _(
                    "A %(tier)s project needs at least one evidence file before it is "
                    "submitted. Add the evidence on the project page, then submit."
                )
                % {"tier": project.get_tier_display()}
            },
            code="evidence_required",
        )


def _reviewer_role(user: User, project: Project, step: workflow.ReviewStep) -> str:
    """The role in which the user takes the waiting step, or a clear refusal."""
    if user.pk in (project.created_by_id, project.last_edited_by_id):
        raise NotYourStep(
            _("You entered or last edited this project; another person must review it.")
        )
    if not (user.is_active and holds_waiting_role.test(user, project)):
        raise NotPermittedForUser(_("This review step is not yours to take."))
    if user.pk in workflow.earlier_actor_ids(project, step):
        raise NotYourStep(
            _(
                "You took an earlier step on this project (entered, edited, submitted or "
                "reviewed it); another person must take this step."
            )
        )
    return next(r for r in sorted(workflow.roles_for(step)) if user.has_role(r))


def _check_national_date(project: Project, number: str, date: datetime.date | None) -> None:
    if not number or date is None:
        raise ProjectError({"document_number": _("Record the national document number and date.")})
    if date > timezone.localdate():
        raise ProjectError(
            {"document_date": _("The national certification date cannot be in the future.")}
        )
    if date < project.completion_date:
        raise ProjectError(
            {
                "document_date": _(
                    "The national certification date cannot be before the project's "
                    "completion date (%(date)s)."
                )
                % {"date": project.completion_date.isoformat()}
            }
        )


def check_filing_date(date: datetime.date | None, projects: Iterable[Project]) -> None:
    """A filing date is not in the future and not before any filed project was completed."""
    if date is None:
        raise FilingRefused({"filing_date": _("Enter the national filing date.")})
    if date > timezone.localdate():
        raise FilingRefused({"filing_date": _("The filing date cannot be in the future.")})
    for project in projects:
        if date < project.completion_date:
            raise FilingRefused(
                {
                    "filing_date": _(
                        "The filing date cannot be before %(project)s was completed (%(date)s)."
                    )
                    % {"project": project.name, "date": project.completion_date.isoformat()}
                }
            )


def _number_used(number: str, earlier: BundleFiling) -> FilingRefused:
    return FilingRefused(
        {
            "filing_number": _(
                "National filing no. %(number)s was already used by filing #%(id)s "
                "(%(label)s), recorded on %(date)s by %(who)s."
            )
            % {
                "number": number,
                "id": earlier.pk,
                "label": earlier.label,
                "date": timezone.localtime(earlier.recorded_at).date().isoformat(),
                "who": earlier.recorded_by.get_username(),
            }
        },
        code="filing_number_used",
    )


def earlier_filing(number: str) -> BundleFiling | None:
    return (
        BundleFiling.objects.select_related("recorded_by")
        .filter(filing_number=number)
        .exclude(status=FilingStatus.REJECTED)
        .first()
    )


def create_filing(*, number: str, projects: list[Project], **fields) -> BundleFiling:
    """Insert a filing and its frozen items; a number used before is refused, naming the
    earlier filing (the database's partial unique index settles a race)."""
    earlier = earlier_filing(number)
    if earlier is not None:
        raise _number_used(number, earlier)
    try:
        with transaction.atomic():
            filing = BundleFiling.objects.create(filing_number=number, **fields)
    except IntegrityError:
        earlier = earlier_filing(number)
        if earlier is None:
            raise
        raise _number_used(number, earlier) from None
    FilingItem.objects.bulk_create(
        FilingItem(filing=filing, project=project, amounts=filed_amounts(project))
        for project in projects
    )
    return filing


def filed_amounts(project: Project) -> dict[str, str]:
    """The amounts a filing records: district-reviewed for a district's project, claimed for
    an enterprise's own filing (no district reviews it)."""
    if project.owner.kind == EntityKind.ENTERPRISE:
        return {a.pollutant: str(a.claimed) for a in project.amounts.all()}
    return {
        a.pollutant: str(a.district_reviewed)
        for a in project.amounts.all()
        if a.district_reviewed is not None
    }


def _self_file(
    project: Project, user: User, number: str, date: datetime.date | None
) -> BundleFiling:
    """A municipal enterprise files its own PACKAGE project in the national system and records
    the filing when it submits the project; the municipal review is the check (notice 三(二))."""
    number = (number or "").strip()
    if not number:
        raise FilingRefused(
            {
                "filing_number": _(
                    "Record the national filing number and date of this small-package project "
                    "(filed in the national reduction information system) to submit it."
                )
            },
            code="filing_missing",
        )
    check_filing_date(date, [project])
    earlier = earlier_filing(number)
    if earlier is not None:
        own = earlier.self_filed and earlier.items.filter(project=project).exists()
        if not own:
            raise _number_used(number, earlier)
        # The enterprise re-submits a returned project under its own filing.
        earlier.filing_date = date
        earlier.save(update_fields=["filing_date"])
        earlier.items.filter(project=project).update(amounts=filed_amounts(project))
        return earlier
    return create_filing(
        number=number,
        projects=[project],
        owner=project.owner,
        bundle_key=f"{project.owner.code}:project:{project.pk}",
        label=project.name[:400],
        project_type=project.project_type,
        accounting_year=project.accounting_year,
        filing_date=date,
        status=FilingStatus.FILED,
        self_filed=True,
        recorded_by=user,
    )


def _check_filed(project: Project) -> None:
    """Only a small package filed in the national system is certified (notice 三(二))."""
    if project.filing is not None and project.filing.status == FilingStatus.FILED:
        return
    if project.owner.kind == EntityKind.ENTERPRISE:
        message = _(
            "This small-package project has no national filing recorded. Return it so that "
            "the enterprise records its filing when it submits again."
        )
    else:
        message = _(
            "This small-package project must first be filed in the national system with its "
            "bundle: the district clerk records the filing and the district approver confirms "
            "it. Certify it after that."
        )
    raise FilingRefused(message, code="package_not_filed")


def act(
    *,
    project: Project,
    user: User,
    action: str,
    comment: str = "",
    amounts: Mapping[str, Decimal] | None = None,
    document_number: str = "",
    document_date: datetime.date | None = None,
    filing_number: str = "",
    filing_date: datetime.date | None = None,
) -> Project:
    """Take one workflow action, atomically, and record it as a Review. ``filing_number`` and
    ``filing_date`` are the national filing an enterprise records when it submits its own
    small-package project."""
    comment = (comment or "").strip()
    with transaction.atomic():
        project = (
            Project.objects.select_for_update(of=("self",))
            .select_related("owner", "filing")
            .get(pk=project.pk)
        )
        before = project.status
        step = workflow.next_step(project)
        role = ""
        document = ("", None)
        if action == workflow.SUBMIT:
            if not user.has_perm("reductions.edit_project", project):
                # The maker's, when the project may be submitted; else a state conflict.
                refusal = NotPermittedForUser if project.is_editable else TransitionNotAllowed
                raise refusal(_("Only the maker can submit this project now."))
            _check_evidence(project)
            if project.tier == Tier.PACKAGE and project.owner.kind == EntityKind.ENTERPRISE:
                filing = _self_file(project, user, filing_number, filing_date)
                project.filing = filing
                document = (filing.filing_number, filing.filing_date)
            elif project.filing is not None:
                # Back from a return or revocation: its bundle is filed again after review.
                project.filing = None
            project.status = Status.SUBMITTED
            role = workflow.MAKER_ROLE[project.owner.kind]
        elif action == workflow.WITHDRAW:
            if not user.has_perm("reductions.withdraw_project", project):
                submitted = project.status == Status.SUBMITTED
                raise (NotPermittedForUser if submitted else TransitionNotAllowed)(
                    _("Only the maker can withdraw a project, and only before review.")
                )
            project.status = Status.WITHDRAWN
            role = workflow.MAKER_ROLE[project.owner.kind]
        elif action in (workflow.APPROVE, workflow.RETURN):
            if step is None:
                raise TransitionNotAllowed(_("Nothing waits for a review on this project."))
            role = _reviewer_role(user, project, step)
            if action == workflow.RETURN:
                if not comment:
                    raise ProjectError({"comment": _("Say why the project is returned.")})
                project.status = Status.RETURNED
                if project.filing is not None and not project.filing.self_filed:
                    # The rest of its bundle stays filed; this project is filed again later.
                    project.filing = None
            else:
                if project.tier == Tier.PACKAGE and step.target == Status.CERTIFIED:
                    _check_filed(project)
                _apply_reviewed_amounts(project, amounts)
                if step.target == Status.DISTRICT_REVIEWED:
                    _record_district_review(project)
                if step.records_national_result:
                    document_number = (document_number or "").strip()
                    _check_national_date(project, document_number, document_date)
                    project.national_document = document_number
                    project.national_date = document_date
                    document = (document_number, document_date)
                project.status = step.target
                if step.target == Status.CERTIFIED:
                    _certify(project, user)
        else:
            raise TransitionNotAllowed(_("Unknown action."))
        project.save()
        Review.objects.create(
            project=project,
            actor=user,
            role=role,
            action=action,
            from_status=before,
            to_status=project.status,
            comment=comment,
            amounts=_amounts_snapshot(project),
            document_number=document[0],
            document_date=document[1],
        )
        from .tasks import notify_project

        transaction.on_commit(lambda: notify_project.delay(project.pk, action))
    return project


def resolve_retier_record(*, record: RetierRecord, user: User, resolution: str) -> RetierRecord:
    """A municipal approver records the outcome of reviewing what an upgrade kept as it was."""
    resolution = (resolution or "").strip()
    if not user.has_perm("reductions.resolve_retier_record", record):
        raise NotPermittedForUser(_("Only a municipal approver records this review."))
    if not resolution:
        raise ProjectError({"resolution": _("Say what the review found.")})
    with transaction.atomic():
        record = RetierRecord.objects.select_for_update().get(pk=record.pk)
        if record.action != RetierAction.KEPT_FOR_REVIEW or record.resolved_at is not None:
            raise TransitionNotAllowed(_("This record is not waiting for a review."))
        record.resolved_by = user
        record.resolved_at = timezone.now()
        record.resolution = resolution
        record.save(update_fields=["resolved_by", "resolved_at", "resolution"])
    return record
