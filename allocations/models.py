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
