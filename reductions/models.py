"""Reference data for reduction projects: industries, project types (Annex 1), small-package
rules (Annex 2), plan periods; reduction projects with their amounts, reviews and evidence."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ledger.models import BilingualName, Pollutant, PollutantCategory


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


class Tier(models.TextChoices):
    KEY = "KEY", _("Key project")
    PACKAGE = "PACKAGE", _("Small package")
    MICRO = "MICRO", _("Micro")
    VOC_MGMT = "VOC_MGMT", _("VOCs management")


class Status(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    SUBMITTED = "SUBMITTED", _("Submitted")
    DISTRICT_REVIEWED = "DISTRICT_REVIEWED", _("District reviewed")
    MUNICIPAL_REVIEWED = "MUNICIPAL_REVIEWED", _("Municipal reviewed")
    CERTIFIED = "CERTIFIED", _("Certified")
    RETURNED = "RETURNED", _("Returned")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn")


class FuelType(models.TextChoices):
    COAL = "COAL", _("Coal")
    OIL = "OIL", _("Oil")
    GAS = "GAS", _("Natural gas")
    BIOMASS = "BIOMASS", _("Biomass")
    ELECTRIC = "ELECTRIC", _("Electricity")
    OTHER = "OTHER", _("Other")


class Project(models.Model):
    """A reduction project (减排项目) of a district/committee or a municipal enterprise."""

    owner = models.ForeignKey(
        "ledger.Entity",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="reduction_projects",
    )
    name = models.CharField(_("project name"), max_length=200)
    enterprise_name = models.CharField(_("enterprise that carried it out"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry major category"), on_delete=models.PROTECT
    )
    project_type = models.ForeignKey(
        ProjectType, verbose_name=_("project type"), on_delete=models.PROTECT
    )
    measure = models.TextField(_("measure description"))
    plan_period = models.ForeignKey(
        PlanPeriod, verbose_name=_("plan period"), on_delete=models.PROTECT
    )
    accounting_year = models.PositiveSmallIntegerField(_("accounting year"))
    completion_date = models.DateField(_("completion date"))
    boiler_capacity = models.DecimalField(
        _("boiler size (t/h steam)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    sewage_capacity = models.DecimalField(
        _("treatment capacity (t/d)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    fuel_type = models.CharField(
        _("fuel type"), max_length=10, choices=FuelType.choices, blank=True
    )
    below_scale_central_treatment = models.BooleanField(
        _("below-scale farm, well managed, central treatment"), default=False
    )
    new_large_scale_farm = models.BooleanField(_("new large-scale farm"), default=False)
    green_island = models.BooleanField(_("VOCs green-island cluster"), default=False)
    voc_management = models.BooleanField(
        _("VOCs management measure under the Shanghai guide"), default=False
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    tier_reason = models.CharField(_("why this tier"), max_length=400)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    certified_at = models.DateTimeField(_("certified at"), null=True, blank=True)
    national_document = models.CharField(_("national document no."), max_length=100, blank=True)
    national_date = models.DateField(_("national certification date"), null=True, blank=True)
    # Incremented on every revocation so a re-certification posts under fresh keys.
    certification_round = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("reduction project")
        verbose_name_plural = _("reduction projects")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status", "tier"]),
            models.Index(fields=["plan_period", "tier", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="CERTIFIED", certified_at__isnull=False)
                | ~Q(status="CERTIFIED"),
                name="certified_project_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status in (Status.DRAFT, Status.RETURNED)


class ProjectAmount(models.Model):
    """Reduction of one pollutant (t/a): claimed by the maker, certified at the end."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="amounts")
    pollutant = models.CharField(_("pollutant"), max_length=8)
    claimed = models.DecimalField(_("claimed (t/a)"), max_digits=15, decimal_places=3)
    certified = models.DecimalField(
        _("certified (t/a)"), max_digits=15, decimal_places=3, null=True, blank=True
    )

    class Meta:
        ordering = ["pollutant"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "pollutant"], name="one_amount_per_pollutant"
            ),
            models.CheckConstraint(condition=Q(claimed__gte=0), name="claimed_not_negative"),
            models.CheckConstraint(
                condition=Q(certified__isnull=True) | Q(certified__gte=0),
                name="certified_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.pollutant} {self.claimed}"

    @property
    def symbol(self) -> str:
        return Pollutant(self.pollutant).symbol


class Review(models.Model):
    """One step of the workflow: who, which role, when, decision, comment, amounts."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reviews")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=32)
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    comment = models.TextField(_("comment"), blank=True)
    amounts = models.JSONField(_("amounts as reviewed"), default=dict)
    document_number = models.CharField(_("document no."), max_length=100, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.action}"


ATTACHMENT_TYPES = {".pdf", ".png", ".jpg", ".jpeg", ".xlsx"}


class Attachment(models.Model):
    """Evidence stored with the project (PDF, images, xlsx; size-limited)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name
