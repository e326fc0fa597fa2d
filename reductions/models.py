"""Reference data for reduction projects: industries, project types (Annex 1 and the bureau's
VOCs management measures), small-package rules (Annex 2), plan periods, evidence policy;
reduction projects with their amounts, reviews, evidence and national filings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ledger.files import RandomName
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


class TypeKind(models.TextChoices):
    """What kind of reduction a project type is: it decides which accounting method applies."""

    ANNEX_1 = "ANNEX_1", _("Annex 1 key-project type (national accounting method)")
    VOC_MANAGEMENT = "VOC_MGMT", _("VOCs management measure (Shanghai VOCs guide)")


class ProjectTypeManager(models.Manager):
    def get_by_natural_key(self, code: str) -> "ProjectType":
        return self.get(code=code)


class ProjectType(BilingualName):
    """A reduction project type: an Annex 1 type (or a sub-type of one), or a VOCs management
    measure (挥发性有机物管理减排措施) the bureau maintains, accounted under the Shanghai
    VOCs guide because the Ministry has no method for it (notice 三(四)).

    A type with sub-types is a heading: projects pick one of its sub-types.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=TypeKind.choices, default=TypeKind.ANNEX_1
    )
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
    is_seed = models.BooleanField(
        _("seed data"),
        default=False,
        help_text=_("A placeholder row shipped with the system; replace it with the bureau's own."),
    )

    objects = ProjectTypeManager()

    class Meta:
        verbose_name = _("project type")
        verbose_name_plural = _("project types")
        ordering = ["kind", "category", "sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=TypeKind.ANNEX_1) | Q(category=PollutantCategory.AIR),
                name="voc_management_type_is_air",
            ),
        ]

    def __str__(self) -> str:
        if self.parent_id:
            return f"{self.parent.name} — {self.name}"
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    @property
    def is_voc_management(self) -> bool:
        return self.kind == TypeKind.VOC_MANAGEMENT

    def clean(self) -> None:
        errors = {}
        if self.is_voc_management and self.pollutants != [Pollutant.VOCS]:
            errors["pollutants"] = _("A VOCs management measure claims VOCs only.")
        if self.parent_id and self.parent.kind != self.kind:
            errors["kind"] = _("A sub-type has the kind of its parent type.")
        if self.parent_id and self.parent.parent_id:
            errors["parent"] = _("Sub-types go one level deep.")
        if errors:
            raise ValidationError(errors)


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

    def clean(self) -> None:
        if self.project_type_id and self.project_type.is_voc_management:
            raise ValidationError(
                {
                    "project_type": _(
                        "Annex 2 rows belong to Annex 1 types; a VOCs management measure has none."
                    )
                }
            )


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


class AccountingMethod(models.TextChoices):
    """The accounting method a tier implies (notice 三(一)–(四)); ``tiers.METHOD`` maps them."""

    NATIONAL_KEY = (
        "NATIONAL_KEY",
        _(
            "National key-project accounting method (MEE technical guide for emission reduction "
            "accounting)"
        ),
    )
    NATIONAL_PACKAGE = (
        "NATIONAL_PACKAGE",
        _("National small-package accounting, filed in the national reduction information system"),
    )
    SHANGHAI_VOC_GUIDE = (
        "SHANGHAI_VOC_GUIDE",
        _("Shanghai technical guide for VOCs deep-treatment reductions in key industries (trial)"),
    )


class EvidencePolicy(models.Model):
    """Whether a project of a tier needs evidence (证明材料) before it is submitted."""

    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, unique=True)
    evidence_required = models.BooleanField(_("evidence required before submission"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("evidence policy")
        verbose_name_plural = _("evidence policies")
        ordering = ["tier"]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}: {self.evidence_required}"


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


def _choice_label(choices: type[models.Choices], value) -> str:
    """A choice's label, or the stored value itself if it is not a choice (as Django does)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class Project(models.Model):
    """A reduction project (减排项目) of a district/committee or a municipal enterprise."""

    owner = models.ForeignKey(
        "ledger.Entity",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="reduction_projects",
    )
    # The district's or enterprise's own number, which spreadsheets and the national system's
    # results name a project by; blank for projects entered before numbers were kept.
    number = models.CharField(_("project number"), max_length=40, blank=True, default="")
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
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    # The tier's reason as worded when it was decided (kept for the API and old rows) and as a
    # code with language-neutral parameters (reductions.tiers), which pages word in the
    # reader's language: see ``tier_reason_text``.
    tier_reason = models.CharField(_("why this tier"), max_length=400)
    tier_reason_code = models.CharField(max_length=40, blank=True)
    tier_reason_params = models.JSONField(default=dict, blank=True)
    accounting_method = models.CharField(
        _("accounting method"), max_length=20, choices=AccountingMethod.choices
    )
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
    # The national filing a small-package project is waiting in; cleared when it is returned.
    filing = models.ForeignKey(
        "BundleFiling",
        verbose_name=_("national filing"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )

    class Meta:
        verbose_name = _("reduction project")
        verbose_name_plural = _("reduction projects")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status", "tier"]),
            models.Index(fields=["plan_period", "tier", "status"]),
            # The API's orderings and updated_since page by (field, id): without these, each
            # page sorted all projects (70 ms at 100,000).
            models.Index(fields=["updated_at", "id"], name="project_updated_at_id"),
            models.Index(fields=["completion_date", "id"], name="project_completion_id"),
            models.Index(fields=["accounting_year", "id"], name="project_year_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="CERTIFIED", certified_at__isnull=False)
                | ~Q(status="CERTIFIED"),
                name="certified_project_has_date",
            ),
            models.CheckConstraint(
                condition=Q(tier__in=["KEY", "MICRO"], accounting_method="NATIONAL_KEY")
                | Q(tier="PACKAGE", accounting_method="NATIONAL_PACKAGE")
                | Q(tier="VOC_MGMT", accounting_method="SHANGHAI_VOC_GUIDE"),
                name="project_method_follows_tier",
            ),
            models.CheckConstraint(
                condition=Q(filing__isnull=True) | Q(tier="PACKAGE"),
                name="only_packages_are_filed",
            ),
            models.UniqueConstraint(
                fields=["number"],
                condition=~Q(number=""),
                name="project_number_unique",
                violation_error_message=_("Another project already has this number."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # Django's get_FOO_display() builds a dict of every choice on each call, hashing every
    # lazy label (a translation lookup each): 23,000 lookups for one page of 50 projects.
    def get_status_display(self) -> str:
        return _choice_label(Status, self.status)

    def get_tier_display(self) -> str:
        return _choice_label(Tier, self.tier)

    @property
    def tier_reason_text(self) -> str:
        """Why this tier, in the reader's language (the stored wording for rows without a
        reason code)."""
        if not self.tier_reason_code:
            return self.tier_reason
        from .tiers import reason_text

        return reason_text(
            self.tier_reason_code, self.tier_reason_params, type_name=str(self.project_type)
        )

    @property
    def is_editable(self) -> bool:
        return self.status in (Status.DRAFT, Status.RETURNED)


class ProjectStatusCount(models.Model):
    """How many projects each owner has in each status, kept by database triggers on every
    insert, status change and delete of a project (migration 0008), so the project list's
    status counts read a handful of rows instead of grouping every project (issue 13)."""

    owner = models.ForeignKey("ledger.Entity", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=24)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("project count by status")
        constraints = [
            models.UniqueConstraint(fields=["owner", "status"], name="one_count_per_owner_status")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.status}: {self.count}"


class ProjectAmount(models.Model):
    """Reduction of one pollutant (t/a): claimed by the maker, certified at the end."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="amounts")
    pollutant = models.CharField(_("pollutant"), max_length=8)
    claimed = models.DecimalField(_("claimed (t/a)"), max_digits=15, decimal_places=3)
    certified = models.DecimalField(
        _("certified (t/a)"), max_digits=15, decimal_places=3, null=True, blank=True
    )
    # As the district approver passed it; the bundle pages and sheet show this amount.
    district_reviewed = models.DecimalField(
        _("district-reviewed (t/a)"), max_digits=15, decimal_places=3, null=True, blank=True
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
            models.CheckConstraint(
                condition=Q(district_reviewed__isnull=True)
                | (Q(district_reviewed__gte=0) & Q(district_reviewed__lte=models.F("claimed"))),
                name="district_reviewed_within_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.pollutant} {self.claimed}"

    @property
    def symbol(self) -> str:
        return Pollutant(self.pollutant).symbol


class Action(models.TextChoices):
    """Steps recorded in a project's history (``reductions.workflow`` names them)."""

    CREATE = "create", _("Entered")
    EDIT = "edit", _("Edited")
    SUBMIT = "submit", _("Submitted")
    WITHDRAW = "withdraw", _("Withdrawn")
    APPROVE = "approve", _("Approved")
    RETURN = "return", _("Returned")
    REVOKE = "revoke", _("Revoked")


class Review(models.Model):
    """One step of the project's history: who, which role, when, decision, comment, amounts.
    Entering and editing are steps too, so maker–checker can be checked from the data."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reviews")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=32)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
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
    """Evidence stored with the project (PDF, images, xlsx; size-limited, type checked from
    the bytes). Stored under a random name; ``original_name`` is the name the uploader gave
    and the name of the download, which only users who may see the project get
    (``reductions.views.attachment_download``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=RandomName("evidence"))
    original_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class FilingStatus(models.TextChoices):
    PENDING = "PENDING", _("Recorded, waiting for the district approver")
    FILED = "FILED", _("Filed")
    REJECTED = "REJECTED", _("Rejected by the district approver")


class BundleFiling(models.Model):
    """The filing of a small-package bundle in the national reduction information system
    (国家减排信息系统填报, notice 三(二)): its national filing number and date, and the projects
    it covers, frozen when recorded.

    A district clerk records it and a different district approver confirms it (then it is
    FILED). A municipal enterprise files its own PACKAGE project when submitting it: that
    filing is FILED at once (``self_filed``), the municipal review being its check.
    """

    owner = models.ForeignKey(
        "ledger.Entity", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    bundle_key = models.CharField(_("bundle key"), max_length=300)
    label = models.CharField(_("bundle"), max_length=400)
    project_type = models.ForeignKey(
        ProjectType, verbose_name=_("project type"), on_delete=models.PROTECT, related_name="+"
    )
    accounting_year = models.PositiveSmallIntegerField(_("accounting year"))
    filing_number = models.CharField(_("national filing no."), max_length=100)
    filing_date = models.DateField(_("national filing date"))
    status = models.CharField(
        _("status"), max_length=10, choices=FilingStatus.choices, default=FilingStatus.PENDING
    )
    self_filed = models.BooleanField(_("filed by the enterprise itself"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        verbose_name = _("national filing")
        verbose_name_plural = _("national filings")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["filing_number"],
                condition=~Q(status="REJECTED"),
                name="filing_number_used_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="FILED")
                | Q(self_filed=True)
                | (Q(confirmed_by__isnull=False) & ~Q(confirmed_by=models.F("recorded_by"))),
                name="filing_confirmed_by_another_person",
            ),
            models.CheckConstraint(
                condition=~Q(status="PENDING") | Q(confirmed_by__isnull=True),
                name="pending_filing_unconfirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filing_number} · {self.label}"


class FilingItem(models.Model):
    """A project as it was filed: the amounts the district reviewed, frozen at filing."""

    filing = models.ForeignKey(BundleFiling, on_delete=models.CASCADE, related_name="items")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="filing_items")
    amounts = models.JSONField(_("amounts as filed"), default=dict)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "project"], name="project_once_per_filing"),
        ]

    def __str__(self) -> str:
        return f"{self.filing_id} {self.project_id}"


class RetierAction(models.TextChoices):
    RETIERED = "RETIERED", _("Re-tiered")
    KEPT_FOR_REVIEW = "KEPT", _("Kept as it was, for the bureau to review")


class RetierRecord(models.Model):
    """A project an upgrade touched when tier rules changed (the VOCs management flag became
    a type kind; Annex 2 rows took effect from 2021): re-tiered, or — when certified or
    otherwise not safe to change — kept as it was and listed for the bureau to review
    (``manage.py tier_review``)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="retier_records")
    migration = models.CharField(_("upgrade step"), max_length=100)
    action = models.CharField(_("action"), max_length=10, choices=RetierAction.choices)
    old_tier = models.CharField(_("tier before"), max_length=10, choices=Tier.choices)
    new_tier = models.CharField(_("tier after"), max_length=10, choices=Tier.choices, blank=True)
    note = models.TextField(_("note"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    resolution = models.TextField(_("review outcome"), blank=True)

    class Meta:
        verbose_name = _("upgrade re-tiering record")
        verbose_name_plural = _("upgrade re-tiering records")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.action} {self.old_tier}→{self.new_tier}"
