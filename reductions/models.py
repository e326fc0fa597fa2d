"""Reference data for reduction projects: industries, project types (Annex 1), small-package
rules (Annex 2) and plan periods. Projects, the tier engine and the workflow come later."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ledger.models import BilingualName, PollutantCategory


class IndustrySection(BilingualName):
    """A section (门类, letter A–T) of GB/T 4754-2017."""

    letter = models.CharField(_("letter"), max_length=1, primary_key=True)

    class Meta:
        verbose_name = _("industry section")
        verbose_name_plural = _("industry sections")
        ordering = ["letter"]

    def __str__(self) -> str:
        return f"{self.letter} {self.name}"


class Industry(BilingualName):
    """A major category (大类, two-digit code) of GB/T 4754-2017."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    section = models.ForeignKey(
        IndustrySection, verbose_name=_("section"), on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("industry major category")
        verbose_name_plural = _("industry major categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectType(BilingualName):
    """A reduction project type of Annex 1 (or a sub-type of one)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=8, choices=PollutantCategory.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subtypes",
    )
    # Pollutant codes (ledger.Pollutant) whose reductions this type may claim.
    pollutants = models.JSONField(_("pollutants"), default=list)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("project type")
        verbose_name_plural = _("project types")
        ordering = ["category", "sort_order", "code"]

    def __str__(self) -> str:
        if self.parent_id:
            return f"{self.parent.name} — {self.name}"
        return self.name


class BundleKey(models.TextChoices):
    INDUSTRY = "INDUSTRY", _("Industry major category")
    FUEL = "FUEL", _("Fuel type")
    PROJECT_TYPE = "PROJECT_TYPE", _("Project type")
    NONE = "NONE", _("District only")


class SizeUnit(models.TextChoices):
    STEAM_TONNES_PER_HOUR = "T_H", _("t/h steam")
    TONNES_PER_DAY = "T_D", _("t/d")


class PackageRule(models.Model):
    """A small-package row of Annex 2 (小额打包核算适用范围), effective from a date.

    Bounds are per single project and per pollutant, in tonnes: ``floor`` is exclusive,
    ``ceiling`` inclusive. No floor means no MICRO tier for the type; ``required_flag`` names
    a project flag the row needs (e.g. a below-scale farm with central treatment).
    """

    project_type = models.ForeignKey(
        ProjectType,
        verbose_name=_("project type"),
        on_delete=models.PROTECT,
        related_name="package_rules",
    )
    effective_from = models.DateField(_("effective from"))
    floor = models.DecimalField(
        _("floor (t, exclusive)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    ceiling = models.DecimalField(
        _("ceiling (t, inclusive)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    size_limit = models.DecimalField(
        _("size limit"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    size_unit = models.CharField(_("size unit"), max_length=4, choices=SizeUnit.choices, blank=True)
    required_flag = models.CharField(_("required flag"), max_length=40, blank=True)
    bundle_key = models.CharField(_("bundle key"), max_length=16, choices=BundleKey.choices)
    green_island_bundle = models.BooleanField(_("green-island cluster may be one bundle"))
    note = models.TextField(_("note (notice text)"), blank=True)

    class Meta:
        verbose_name = _("small-package rule")
        verbose_name_plural = _("small-package rules")
        ordering = ["project_type__category", "project_type__sort_order", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["project_type", "effective_from"], name="one_rule_per_type_and_date"
            ),
            models.CheckConstraint(
                condition=Q(floor__isnull=True)
                | Q(ceiling__isnull=True)
                | Q(floor__lt=models.F("ceiling")),
                name="package_floor_below_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(size_limit__isnull=True) | ~Q(size_unit=""),
                name="package_size_limit_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_type} ({self.effective_from})"


class PlanPeriod(BilingualName):
    """A five-year plan period (e.g. 十四五, 2021–2025)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))

    class Meta:
        verbose_name = _("plan period")
        verbose_name_plural = _("plan periods")
        ordering = ["start_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")), name="plan_period_years"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_year}–{self.end_year})"
