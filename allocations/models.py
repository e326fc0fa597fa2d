"""Five-year targets, allocation policy and allocation rounds (分配批次).

Surplus certified reductions become quota: DESIGN.md §5. Amounts are tonnes per year,
``Decimal`` with three places.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Pollutant, amount_field


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
    reason = models.CharField(_("reason"), max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.target_id}: {self.old_amount} → {self.new_amount}"


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
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.plan_period} {self.as_of}"


class AllocationLine(models.Model):
    """One entity × pollutant of a round: the formula's proposal, the clerk's adjustment."""

    round = models.ForeignKey(AllocationRound, on_delete=models.CASCADE, related_name="lines")
    entity = models.ForeignKey("ledger.Entity", on_delete=models.PROTECT, related_name="+")
    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    key_certified = amount_field(verbose_name=_("key certified"))
    package_certified = amount_field(verbose_name=_("package certified"))
    target = amount_field(verbose_name=_("target"))
    already_allocated = amount_field(verbose_name=_("allocated before"))
    proposed = amount_field(verbose_name=_("proposed"))
    adjusted = amount_field(verbose_name=_("adjusted"), null=True, blank=True)
    adjust_reason = models.CharField(_("reason for adjustment"), max_length=300, blank=True)
    transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["entity__kind", "entity__code", "pollutant"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "entity", "pollutant"], name="one_line_per_entity_pollutant"
            ),
            models.CheckConstraint(condition=Q(proposed__gt=0), name="line_proposed_positive"),
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


class ConstructionStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    REQUESTED = "REQUESTED", _("Quota requested")
    APPROVED = "APPROVED", _("Approved (quota used)")
    REJECTED = "REJECTED", _("Rejected")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn")


class ConstructionProject(models.Model):
    """A construction project (建设项目) whose new emissions draw quota."""

    name = models.CharField(_("project name"), max_length=200)
    builder = models.CharField(_("builder"), max_length=200)
    eia_number = models.CharField(_("EIA approval number"), max_length=100, unique=True)
    district = models.ForeignKey(
        "ledger.Entity", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
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
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    decided_at = models.DateTimeField(null=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("construction project")
        verbose_name_plural = _("construction projects")
        ordering = ["-id"]

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
    """Part of a project's new emission covered from one account: emission × ratio is held."""

    project = models.ForeignKey(ConstructionProject, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    emission = amount_field(verbose_name=_("emission covered (t/a)"))
    ratio = models.DecimalField(_("ratio"), max_digits=6, decimal_places=3)
    amount = amount_field(verbose_name=_("quota drawn (t/a)"))
    hold = models.OneToOneField("ledger.Hold", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pollutant", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(emission__gt=0), name="use_emission_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.account_id} {self.amount}"
