"""Every write to reduction projects: save (with the tier), workflow actions, evidence.

Certification of MICRO and VOC_MGMT posts the certified amounts to the owner's ledger in the
same database transaction as the state change; revocation reverses those credits.
"""

import datetime
import os
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import services as ledger_services
from ledger.models import Entity, EntityKind, Pollutant, SystemAccountKind, Transaction, User

from . import tiers, workflow
from .models import (
    ATTACHMENT_TYPES,
    Attachment,
    BundleKey,
    PackageRule,
    Project,
    ProjectAmount,
    ProjectType,
    Review,
    SizeUnit,
    Status,
    Tier,
)
from .validators import validate_credit_code

CREDIT_KIND = {Tier.MICRO: "MICRO_CREDIT", Tier.VOC_MGMT: "VOC_MGMT_CREDIT"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class ProjectError(Exception):
    """A refusal with messages per form field (``None`` for the whole form)."""

    def __init__(self, errors: Mapping[str | None, str] | str):
        self.errors = {None: errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(str(m) for m in self.errors.values()))


class TransitionNotAllowed(ProjectError):
    pass


def rule_in_force(project_type: ProjectType, on: datetime.date) -> PackageRule | None:
    return (
        PackageRule.objects.filter(project_type=project_type, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


def project_flags(data: Mapping) -> frozenset[str]:
    names = (
        tiers.FLAG_VOC_MANAGEMENT,
        tiers.FLAG_NEW_LARGE_SCALE_FARM,
        tiers.FLAG_BELOW_SCALE_CENTRAL,
        tiers.FLAG_GREEN_ISLAND,
    )
    return frozenset(n for n in names if data.get(n))


def _size(rule: PackageRule | None, data: Mapping) -> Decimal | None:
    if rule is None or rule.size_limit is None:
        return None
    field = (
        "boiler_capacity" if rule.size_unit == SizeUnit.STEAM_TONNES_PER_HOUR else "sewage_capacity"
    )
    return data.get(field)


def tier_for(
    *,
    project_type: ProjectType,
    amounts: Mapping[str, Decimal | None],
    data: Mapping,
    completion_date: datetime.date | None,
) -> tuple[tiers.TierResult, PackageRule | None]:
    """The tier from the Annex 2 row in force on the completion date (today if unknown)."""
    rule = rule_in_force(project_type, completion_date or timezone.localdate())
    row = None
    if rule is not None:
        row = tiers.RuleRow(
            floor=rule.floor,
            ceiling=rule.ceiling,
            size_limit=rule.size_limit,
            size_unit_label=rule.get_size_unit_display() if rule.size_unit else "",
            required_flag=rule.required_flag,
        )
    result = tiers.classify(
        type_code=project_type.code,
        type_name=str(project_type),
        amounts={p: a for p, a in amounts.items() if a},
        rule=row,
        flags=project_flags(data),
        size=_size(rule, data),
        micro_threshold=settings.QUOTA_MICRO_THRESHOLD,
    )
    return result, rule


def _validate(
    *, owner: Entity, data: Mapping, amounts: Mapping[str, Decimal | None]
) -> tuple[tiers.TierResult, dict[str, Decimal], dict]:
    """Check the input; return the tier, the amounts and the data with the credit code
    normalised (upper case, trimmed)."""
    errors: dict[str | None, str] = {}
    project_type: ProjectType = data["project_type"]
    try:
        data = {**data, "credit_code": validate_credit_code(data.get("credit_code", ""))}
    except ValidationError as error:
        errors["credit_code"] = error.messages[0]
    clean: dict[str, Decimal] = {}
    for pollutant, value in amounts.items():
        if value in (None, ""):
            continue
        try:
            amount = ledger_services.to_amount(value, allow_zero=True, allow_negative=False)
        except ledger_services.LedgerError as error:
            errors[f"amount_{pollutant}"] = str(error)
            continue
        if amount and pollutant not in project_type.pollutants:
            errors[f"amount_{pollutant}"] = _(
                "%(pollutant)s is not a pollutant of %(type)s; it reduces %(allowed)s."
            ) % {
                "pollutant": Pollutant(pollutant).symbol,
                "type": project_type,
                "allowed": "、".join(Pollutant(p).symbol for p in project_type.pollutants),
            }
        elif amount:
            clean[pollutant] = amount
    if not clean and not any(k.startswith("amount_") for k in errors):
        errors[None] = _("Enter the reduction of at least one pollutant.")
    if owner.kind not in (EntityKind.DISTRICT, EntityKind.COMMITTEE, EntityKind.ENTERPRISE):
        errors[None] = _("Reduction projects belong to a district, committee or enterprise.")
    period = data["plan_period"]
    if not period.start_year <= data["accounting_year"] <= period.end_year:
        errors["accounting_year"] = _("The accounting year must lie within %(period)s.") % {
            "period": period
        }
    result, rule = tier_for(
        project_type=project_type,
        amounts=clean,
        data=data,
        completion_date=data.get("completion_date"),
    )
    if result.excluded:
        errors[None] = result.reason
    if rule is not None and rule.size_limit is not None and _size(rule, data) is None:
        field = (
            "boiler_capacity"
            if rule.size_unit == SizeUnit.STEAM_TONNES_PER_HOUR
            else "sewage_capacity"
        )
        errors[field] = _("%(type)s needs this size to decide its tier.") % {"type": project_type}
    if rule is not None and rule.bundle_key == BundleKey.FUEL and not data.get("fuel_type"):
        errors["fuel_type"] = _("%(type)s is bundled by fuel type; choose one.") % {
            "type": project_type
        }
    if errors:
        raise ProjectError(errors)
    return result, clean, data


PROJECT_FIELDS = (
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
    "voc_management",
)


def save_project(
    *,
    user: User,
    owner: Entity,
    data: Mapping,
    amounts: Mapping[str, Decimal | None],
    project: Project | None = None,
) -> Project:
    """Create or edit a project (DRAFT or RETURNED); the tier is recomputed every time."""
    if project is None:
        if not user.has_perm("reductions.create_project", owner):
            raise TransitionNotAllowed(
                _("You may not enter projects for %(owner)s.") % {"owner": owner}
            )
    elif not user.has_perm("reductions.edit_project", project):
        raise TransitionNotAllowed(_("This project cannot be edited now."))
    result, clean, data = _validate(owner=owner, data=data, amounts=amounts)
    with transaction.atomic():
        if project is None:
            project = Project(owner=owner, created_by=user)
        else:
            project = Project.objects.select_for_update().get(pk=project.pk)
            if not project.is_editable:
                raise TransitionNotAllowed(_("This project cannot be edited now."))
        for field in PROJECT_FIELDS:
            setattr(project, field, data.get(field, getattr(project, field, None)))
        project.fuel_type = project.fuel_type or ""
        project.tier = result.tier
        project.tier_reason = result.reason[:400]
        project.last_edited_by = user
        project.save()
        project.amounts.exclude(pollutant__in=clean).delete()
        for pollutant, amount in clean.items():
            ProjectAmount.objects.update_or_create(
                project=project,
                pollutant=pollutant,
                defaults={"claimed": amount, "certified": None},
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
            }
        )
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ProjectError({"file": _("%(name)s is larger than 10 MB.") % {"name": name}})
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
    """A reviewer may lower an amount, never raise it above the claim."""
    if not reviewed:
        return
    rows = {a.pollutant: a for a in project.amounts.all()}
    for pollutant, value in reviewed.items():
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


def _revoke(project: Project, user: User, reason: str) -> None:
    for txn in Transaction.objects.filter(
        reference_id=str(project.pk),
        reference_type__app_label="reductions",
        reference_type__model="project",
        kind__in=CREDIT_KIND.values(),
        reversed_by__isnull=True,
    ):
        ledger_services.reverse(original=txn, reason=reason, user=user)
    project.amounts.update(certified=None)
    project.certified_at = None
    project.national_document = ""
    project.national_date = None
    project.certification_round += 1


def act(
    *,
    project: Project,
    user: User,
    action: str,
    comment: str = "",
    amounts: Mapping[str, Decimal] | None = None,
    document_number: str = "",
    document_date: datetime.date | None = None,
) -> Project:
    """Take one workflow action, atomically, and record it as a Review."""
    comment = (comment or "").strip()
    with transaction.atomic():
        project = Project.objects.select_for_update().select_related("owner").get(pk=project.pk)
        before = project.status
        step = workflow.next_step(project)
        role = ""
        if action == workflow.SUBMIT:
            if not user.has_perm("reductions.edit_project", project):
                raise TransitionNotAllowed(_("Only the maker can submit this project now."))
            project.status = Status.SUBMITTED
            role = workflow.MAKER_ROLE[project.owner.kind]
        elif action == workflow.WITHDRAW:
            if not user.has_perm("reductions.withdraw_project", project):
                raise TransitionNotAllowed(
                    _("Only the maker can withdraw a project, and only before review.")
                )
            project.status = Status.WITHDRAWN
            role = workflow.MAKER_ROLE[project.owner.kind]
        elif action in (workflow.APPROVE, workflow.RETURN):
            if step is None:
                raise TransitionNotAllowed(_("Nothing waits for a review on this project."))
            if not user.has_perm("reductions.review_project", project):
                if user.pk in (project.created_by_id, project.last_edited_by_id):
                    raise TransitionNotAllowed(
                        _("You entered or last edited this project; another person must review it.")
                    )
                raise TransitionNotAllowed(_("This review step is not yours to take."))
            role = next(r for r in workflow.roles_for(step) if user.has_role(r))
            if action == workflow.RETURN:
                if not comment:
                    raise ProjectError({"comment": _("Say why the project is returned.")})
                project.status = Status.RETURNED
            else:
                _apply_reviewed_amounts(project, amounts)
                if step.records_national_result:
                    document_number = (document_number or "").strip()
                    if not document_number or document_date is None:
                        raise ProjectError(
                            {"document_number": _("Record the national document number and date.")}
                        )
                    project.national_document = document_number
                    project.national_date = document_date
                project.status = step.target
                if step.target == Status.CERTIFIED:
                    _certify(project, user)
        elif action == workflow.REVOKE:
            if not user.has_perm("reductions.revoke_certification", project):
                raise TransitionNotAllowed(
                    _("Only a municipal approver can revoke a certification.")
                )
            if not comment:
                raise ProjectError({"comment": _("Say why the certification is revoked.")})
            _revoke(project, user, comment)
            project.status = Status.RETURNED
            role = "MUNICIPAL_APPROVER"
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
            document_number=project.national_document if action == workflow.APPROVE else "",
            document_date=project.national_date if action == workflow.APPROVE else None,
        )
        from .tasks import notify_project

        transaction.on_commit(lambda: notify_project.delay(project.pk, action))
    return project
