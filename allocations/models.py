"""Five-year targets, allocation policy and allocation rounds (分配批次).

Surplus certified reductions become quota: DESIGN.md §5. Amounts are tonnes per year,
``Decimal`` with three places.
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ledger.files import RandomName
from ledger.models import ZERO, Pollutant, amount_field


class Target(models.Model):
    """A five-year reduction target (五年规划目标) of an entity for one pollutant."""

    entity = models.ForeignKey(
        "ledger.Entity", verbose_name=_("entity"), on_delete=models.PROTECT, related_name="+"
    )
    plan_period = models.ForeignKey(
        "reductions.PlanPeriod", verbose_name=_("plan period"), on_delete=models.PROTECT
    )
    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    amount = amount_field(verbose_name=_("target (t)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("reduction target")
        verbose_name_plural = _("reduction targets")
        ordering = ["plan_period", "entity__code", "pollutant"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "plan_period", "pollutant"], name="one_target_per_entity"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.plan_period} {self.pollutant} {self.amount}"


class TargetChange(models.Model):
    """History of a target: who changed it, when, from what to what, and why."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="changes")
    old_amount = amount_field(verbose_name=_("old value"), null=True)
    new_amount = amount_field(verbose_name=_("new value"))
    # Empty for a first entry: the page says "first entry" in the reader's language.
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.target_id}: {self.old_amount} → {self.new_amount}"

    @property
    def reason_text(self) -> str:
        """The reason, or "first entry" (in the reader's language) for a first entry."""
        if not self.reason and self.old_amount is None:
            return gettext("first entry")
        return self.reason


class AllocationPolicy(models.Model):
    """The §5 interpretations as data with an effective date (分配口径)."""

    effective_from = models.DateField(_("effective from"), unique=True)
    met_counts_package = models.BooleanField(
        _("“target met” counts small-package reductions too"), default=False
    )
    all_pollutants_must_be_met = models.BooleanField(
        _("every pollutant with a target must be met"), default=False
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("allocation policy")
        verbose_name_plural = _("allocation policies")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return str(self.effective_from)


class RoundStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    SUBMITTED = "SUBMITTED", _("Submitted")
    APPROVED = "APPROVED", _("Approved")
    REVOKED = "REVOKED", _("Revoked")


class AllocationRound(models.Model):
    """A round of allocations for a plan period as of a date."""

    plan_period = models.ForeignKey(
        "reductions.PlanPeriod", verbose_name=_("plan period"), on_delete=models.PROTECT
    )
    as_of = models.DateField(_("as of"))
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    policy = models.ForeignKey(AllocationPolicy, verbose_name=_("policy"), on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("allocation round")
        verbose_name_plural = _("allocation rounds")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_period"],
                condition=Q(status__in=["DRAFT", "SUBMITTED"]),
                name="one_open_round_per_period",
                violation_error_message=_("A round of this plan period is still open."),
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("created_by")),
                name="round_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(decided_by=models.F("submitted_by")),
                name="round_submitter_does_not_approve",
            ),
        ]

    def __str__(self) -> str:
        return _("Allocation round #%(id)s") % {"id": self.pk}


class RoundAction(models.TextChoices):
    DRAFT = "DRAFT", _("Drafted")
    ADJUST = "ADJUST", _("Lowered a line")
    SUBMIT = "SUBMIT", _("Submitted")
    RETURN = "RETURN", _("Returned")
    APPROVE = "APPROVE", _("Approved")


# Steps whose actor may never approve the round (maker–checker over the whole path).
MAKER_ACTIONS = (RoundAction.DRAFT, RoundAction.ADJUST, RoundAction.SUBMIT)


class RoundStep(models.Model):
    """Who took which step of a round, when: the maker–checker rule is checked from these."""

    round = models.ForeignKey(AllocationRound, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=10, choices=RoundAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.round_id} {self.action} {self.actor_id}"


class LineKind(models.TextChoices):
    ALLOCATION = "ALLOCATION", _("Allocation")
    RECOVERY = "RECOVERY", _("Recovery")


class AllocationLine(models.Model):
    """One entity × pollutant of a round: the formula's proposal, the clerk's adjustment.

    An ALLOCATION line gives what is still due; a RECOVERY line (追回) takes back what was
    allocated beyond what is due, up to the entity's available quota at drafting (it may be
    0 when nothing is available: the line then only records what stays owed).
    ``already_allocated`` is the net of earlier allocations and recoveries.
    """

    round = models.ForeignKey(AllocationRound, on_delete=models.CASCADE, related_name="lines")
    entity = models.ForeignKey("ledger.Entity", on_delete=models.PROTECT, related_name="+")
    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    kind = models.CharField(
        _("kind"), max_length=10, choices=LineKind.choices, default=LineKind.ALLOCATION
    )
    key_certified = amount_field(verbose_name=_("key certified"))
    package_certified = amount_field(verbose_name=_("package certified"))
    target = amount_field(verbose_name=_("target"))
    due = amount_field(verbose_name=_("due"))
    already_allocated = amount_field(verbose_name=_("allocated before"))
    available = amount_field(verbose_name=_("available at drafting"), null=True, blank=True)
    proposed = amount_field(verbose_name=_("proposed"))
    adjusted = amount_field(verbose_name=_("adjusted"), null=True, blank=True)
    adjust_reason = models.CharField(_("reason for adjustment"), max_length=300, blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["entity__kind", "entity__code", "pollutant"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "entity", "pollutant"], name="one_line_per_entity_pollutant"
            ),
            models.CheckConstraint(
                condition=Q(proposed__gt=0) | (Q(kind="RECOVERY") & Q(proposed__gte=0)),
                name="line_proposed_positive",
            ),
            models.CheckConstraint(
                condition=Q(adjusted__isnull=True)
                | (Q(adjusted__gte=0) & Q(adjusted__lte=models.F("proposed"))),
                name="line_adjusted_within_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.entity_id} {self.pollutant} {self.amount}"

    @property
    def amount(self):
        return self.proposed if self.adjusted is None else self.adjusted

    @property
    def is_recovery(self) -> bool:
        return self.kind == LineKind.RECOVERY

    @property
    def owed_after(self):
        """What the entity still owes once this line is posted as it stands."""
        if not self.is_recovery:
            return ZERO
        return max(ZERO, self.already_allocated - self.due - self.amount)


class AreaStatus(models.TextChoices):
    ATTAINMENT = "ATTAINMENT", _("Meets the quality standard")
    NON_ATTAINMENT = "NON_ATTAINMENT", _("Does not meet the quality standard")


class ReplacementRatio(models.Model):
    """Replacement ratio (替代比例) under 沪环规〔2023〕4号: pollutant × area status × date."""

    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    area_status = models.CharField(_("area status"), max_length=16, choices=AreaStatus.choices)
    effective_from = models.DateField(_("effective from"))
    ratio = models.DecimalField(_("ratio"), max_digits=6, decimal_places=3)
    is_default = models.BooleanField(
        _("seeded default (1:1) — replace with the bureau's own ratio"), default=False
    )

    class Meta:
        verbose_name = _("replacement ratio")
        verbose_name_plural = _("replacement ratios")
        ordering = ["pollutant", "area_status", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["pollutant", "area_status", "effective_from"], name="one_ratio_per_date"
            ),
            models.CheckConstraint(condition=Q(ratio__gt=0), name="ratio_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.pollutant} {self.area_status} {self.ratio} ({self.effective_from})"


class HoldPolicy(models.Model):
    """How long quota stays held for a construction project's request (预占有效期), dated."""

    effective_from = models.DateField(_("effective from"), unique=True)
    lifetime_days = models.PositiveSmallIntegerField(_("hold lifetime (days)"))
    is_default = models.BooleanField(
        _("seeded default (90 days) — replace with the bureau's own setting"), default=False
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hold lifetime policy")
        verbose_name_plural = _("hold lifetime policies")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(lifetime_days__gt=0), name="hold_lifetime_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.effective_from}: {self.lifetime_days}"


class ConstructionStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    REQUESTED = "REQUESTED", _("Quota requested")
    APPROVED = "APPROVED", _("Approved (quota used)")
    REJECTED = "REJECTED", _("Rejected")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn")
    EXPIRED = "EXPIRED", _("Expired (quota released)")
    CANCELLED = "CANCELLED", _("Cancelled (use reversed)")


class ConstructionProject(models.Model):
    """A construction project (建设项目) whose new emissions draw quota. It belongs to a
    district / management committee or to a municipal enterprise (its ``owner``)."""

    name = models.CharField(_("project name"), max_length=200)
    builder = models.CharField(_("builder"), max_length=200)
    eia_number = models.CharField(_("EIA approval number"), max_length=100, unique=True)
    owner = models.ForeignKey(
        "ledger.Entity",
        verbose_name=_("district or municipal enterprise"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    industry = models.ForeignKey(
        "reductions.Industry", verbose_name=_("industry"), on_delete=models.PROTECT
    )
    area_status = models.CharField(_("area status"), max_length=16, choices=AreaStatus.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConstructionStatus.choices,
        default=ConstructionStatus.DRAFT,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The latest request: who made it, when, until when its holds last (预占截止).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    requested_at = models.DateTimeField(_("requested at"), null=True)
    expires_at = models.DateTimeField(_("held until"), null=True, blank=True)
    # Incremented by every request, so a request made again after expiry holds under new keys.
    attempt = models.PositiveSmallIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    decided_at = models.DateTimeField(null=True)
    decision_comment = models.TextField(blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True)

    class Meta:
        verbose_name = _("construction project")
        verbose_name_plural = _("construction projects")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | (
                    ~Q(decided_by=models.F("created_by"))
                    & (Q(requested_by__isnull=True) | ~Q(decided_by=models.F("requested_by")))
                ),
                name="construction_maker_does_not_decide",
            ),
            models.CheckConstraint(
                condition=~Q(status="REQUESTED") | Q(requested_by__isnull=False),
                name="construction_request_has_requester",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class NewEmission(models.Model):
    project = models.ForeignKey(
        ConstructionProject, on_delete=models.CASCADE, related_name="emissions"
    )
    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    amount = amount_field(verbose_name=_("new emission (t/a)"))

    class Meta:
        ordering = ["pollutant"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "pollutant"], name="one_emission_per_pollutant"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="emission_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.pollutant} {self.amount}"


class UseLine(models.Model):
    """Part of a project's new emission covered from one account: emission × ratio is held.
    The holding entity's approver approves the line; the holds are consumed together when
    the last line of the request is approved."""

    project = models.ForeignKey(ConstructionProject, on_delete=models.CASCADE, related_name="lines")
    attempt = models.PositiveSmallIntegerField(default=1)
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    emission = amount_field(verbose_name=_("emission covered (t/a)"))
    ratio = models.DecimalField(_("ratio"), max_digits=6, decimal_places=3)
    amount = amount_field(verbose_name=_("quota drawn (t/a)"))
    hold = models.OneToOneField("ledger.Hold", on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    approved_at = models.DateTimeField(_("approved at"), null=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-attempt", "pollutant", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(emission__gt=0), name="use_emission_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.account_id} {self.amount}"


def evidence_path(instance, filename: str) -> str:
    """A random stored name: nothing guessable, nothing of the uploader's name in the path.
    The original name is kept on the record for the download."""
    extension = os.path.splitext(filename)[1].lower()[:10]
    return f"allocations/evidence/{uuid.uuid4().hex}{extension}"


class RecordStatus(models.TextChoices):
    PROPOSED = "PROPOSED", _("Awaiting confirmation")
    CONFIRMED = "CONFIRMED", _("Confirmed (posted)")
    REJECTED = "REJECTED", _("Rejected")
    REVERSED = "REVERSED", _("Reversed")


# A certificate number stays taken while its record is open or posted.
LIVE_STATUSES = (RecordStatus.PROPOSED, RecordStatus.CONFIRMED)


class ConfirmedRecord(models.Model):
    """A record one person enters and a municipal approver — another person — confirms,
    which posts it to the ledger in the same database transaction."""

    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    amount = amount_field(verbose_name=_("amount (t/a)"))
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, max_length=200)
    evidence_name = models.CharField(_("evidence file name"), max_length=255)
    memo = models.TextField(_("memo"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True)
    decision_comment = models.TextField(_("comment"), blank=True)
    transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        abstract = True


class TradeDirection(models.TextChoices):
    ACQUIRED = "ACQUIRED", _("Acquired (bought)")
    SOLD = "SOLD", _("Sold")


class TradeRecord(ConfirmedRecord):
    """Quota a district or municipal enterprise acquired or sold through emission-rights
    trading (排污权交易, 四(三)), recorded in its own ledger. One certificate number records
    one acquisition and one sale (the two sides of a trade)."""

    entity = models.ForeignKey(
        "ledger.Entity", verbose_name=_("ledger"), on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(_("direction"), max_length=10, choices=TradeDirection.choices)
    certificate_number = models.CharField(_("trade certificate or contract number"), max_length=100)
    counterparty = models.CharField(_("counterparty"), max_length=200)
    trade_date = models.DateField(_("trade date"))

    class Meta:
        verbose_name = _("trade record")
        verbose_name_plural = _("trade records")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate_number", "direction"],
                condition=Q(status__in=["PROPOSED", "CONFIRMED"]),
                name="trade_certificate_recorded_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="trade_amount_positive"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="trade_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(status="CONFIRMED") | Q(transaction__isnull=False),
                name="confirmed_trade_is_posted",
            ),
        ]

    def __str__(self) -> str:
        return _("Trade record #%(id)s (%(number)s)") % {
            "id": self.pk,
            "number": self.certificate_number,
        }


class ReserveSource(models.TextChoices):
    SHUTDOWN = "SHUTDOWN", _("Recovered from shutdown or relocation")
    GOVERNMENT = "GOVERNMENT", _("Government-funded treatment")
    BUY_BACK = "BUY_BACK", _("Buy-back")
    OTHER = "OTHER", _("Other")


class ReserveIntake(ConfirmedRecord):
    """Quota entering the municipal reserve (储备库, 沪环规〔2023〕4号): the bureau entity's
    accounts, credited from the reserve-intake issuance account once confirmed."""

    source = models.CharField(_("source"), max_length=12, choices=ReserveSource.choices)
    source_other = models.CharField(_("source (other)"), max_length=200, blank=True)
    intake_date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("reserve intake")
        verbose_name_plural = _("reserve intakes")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="intake_amount_positive"),
            models.CheckConstraint(
                condition=~Q(source="OTHER") | ~Q(source_other=""),
                name="intake_other_source_named",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="intake_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(status="CONFIRMED") | Q(transaction__isnull=False),
                name="confirmed_intake_is_posted",
            ),
        ]

    def __str__(self) -> str:
        return _("Reserve intake #%(id)s") % {"id": self.pk}

    @property
    def source_label(self) -> str:
        if self.source == ReserveSource.OTHER and self.source_other:
            return f"{self.get_source_display()}：{self.source_other}"
        return self.get_source_display()


class ImportStatus(models.TextChoices):
    CHECKING = "CHECKING", _("Checking")
    CHECKED = "CHECKED", _("Checked")
    IMPORTING = "IMPORTING", _("Importing")
    DONE = "DONE", _("Imported")
    FAILED = "FAILED", _("Failed")


class ImportJob(models.Model):
    """A spreadsheet being imported (导入): the uploaded file, the preview of every row and
    the progress of the check or the import, which a Celery task runs for large files.

    It lives in the top app because it dispatches to every app's importer
    (``allocations.imports.IMPORTERS``). The file is private and seen only by its requester.
    """

    kind = models.CharField(_("what is imported"), max_length=32)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("imported by"),
    )
    requested_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    file = models.FileField(_("file"), upload_to=RandomName("imports"))
    filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    # One entry per data row: {"row", "status", "label", "errors": [{"column", "message"}]}.
    preview = models.JSONField(_("row-by-row result"), default=list, blank=True)
    counts = models.JSONField(_("rows by result"), default=dict, blank=True)
    imported = models.PositiveIntegerField(_("rows imported"), default=0)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind_label} {self.get_status_display()}"

    @property
    def kind_label(self) -> str:
        from .imports import IMPORTERS  # the importers import this module

        importer = IMPORTERS.get(self.kind)
        return str(importer.title) if importer else self.kind

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.DONE, ImportStatus.CHECKED):
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))

    @property
    def has_errors(self) -> bool:
        return bool(self.counts.get("error"))
