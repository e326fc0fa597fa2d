"""The ledger (台账): entities, their users, quota accounts, transactions, legs and holds.

Amounts are tonnes per year as ``Decimal`` with three places (kilogram precision). Legs are
signed: a credit (quota coming in) is positive, a debit (quota going out) is negative.

This is the lowest app: it imports no other app. What caused a transaction is stored as a
generic reference (content type + id) plus a display text, so higher apps can render it.
"""

from decimal import Decimal
from functools import cached_property

import rules
from django.conf import settings
from django.contrib.auth.models import AbstractUser, _user_has_perm
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .files import RandomName

AMOUNT_DIGITS = 18
AMOUNT_PLACES = 3
ZERO = Decimal("0.000")
QUANTUM = Decimal("0.001")


def exact_amount(value) -> Decimal:
    """A stored amount as an exact three-place Decimal. SQLite keeps decimals with REAL
    affinity and returns sums of them as binary floats; this undoes that."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(QUANTUM)


def amount_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs)


class PollutantCategory(models.TextChoices):
    AIR = "AIR", _("Air")
    WATER = "WATER", _("Water")


class Pollutant(models.TextChoices):
    """The four managed pollutants (主要污染物)."""

    NOX = "NOX", _("Nitrogen oxides (NOx)")
    VOCS = "VOCS", _("Volatile organic compounds (VOCs)")
    COD = "COD", _("Chemical oxygen demand (COD)")
    NH3N = "NH3N", _("Ammonia nitrogen (NH3-N)")

    @property
    def category(self) -> str:
        return POLLUTANT_CATEGORY[self]

    @property
    def symbol(self) -> str:
        return POLLUTANT_SYMBOL[self]


POLLUTANT_CATEGORY = {
    Pollutant.NOX: PollutantCategory.AIR,
    Pollutant.VOCS: PollutantCategory.AIR,
    Pollutant.COD: PollutantCategory.WATER,
    Pollutant.NH3N: PollutantCategory.WATER,
}
POLLUTANT_SYMBOL = {
    Pollutant.NOX: "NOx",
    Pollutant.VOCS: "VOCs",
    Pollutant.COD: "COD",
    Pollutant.NH3N: "NH3-N",
}


class BilingualName(models.Model):
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.name_en and not (get_language() or "zh").startswith("zh"):
            return self.name_en
        return self.name_zh


class EntityKind(models.TextChoices):
    DISTRICT = "DISTRICT", _("District")
    COMMITTEE = "COMMITTEE", _("Management committee")
    ENTERPRISE = "ENTERPRISE", _("Municipal enterprise")
    BUREAU = "BUREAU", _("Municipal bureau")


class Entity(BilingualName):
    """A ledger holder (台账主体): district, management committee, municipal enterprise, or
    the municipal bureau itself, whose accounts are the municipal reserve (储备库)."""

    kind = models.CharField(_("kind"), max_length=16, choices=EntityKind.choices)
    code = models.CharField(_("code"), max_length=32, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("entity")
        verbose_name_plural = _("entities")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="BUREAU"),
                name="one_municipal_bureau",
                violation_error_message=_("There is only one municipal bureau."),
            ),
        ]

    @property
    def is_municipal_bureau(self) -> bool:
        return self.kind == EntityKind.BUREAU


class Role(models.TextChoices):
    """Roles of DESIGN.md §7."""

    DISTRICT_CLERK = "DISTRICT_CLERK", _("District clerk")
    DISTRICT_APPROVER = "DISTRICT_APPROVER", _("District approver")
    MUNICIPAL_CLERK = "MUNICIPAL_CLERK", _("Municipal clerk")
    MUNICIPAL_APPROVER = "MUNICIPAL_APPROVER", _("Municipal approver")
    ENTERPRISE_USER = "ENTERPRISE_USER", _("Municipal enterprise user")
    AUDITOR = "AUDITOR", _("Auditor")
    REPORTING_CLIENT = "REPORTING_CLIENT", _("Reporting client")


# Which entity kinds a role may be held in: a municipal role belongs to the bureau, etc.
ROLE_ENTITY_KINDS = {
    Role.DISTRICT_CLERK: {EntityKind.DISTRICT, EntityKind.COMMITTEE},
    Role.DISTRICT_APPROVER: {EntityKind.DISTRICT, EntityKind.COMMITTEE},
    Role.MUNICIPAL_CLERK: {EntityKind.BUREAU},
    Role.MUNICIPAL_APPROVER: {EntityKind.BUREAU},
    Role.ENTERPRISE_USER: {EntityKind.ENTERPRISE},
    Role.AUDITOR: {EntityKind.BUREAU},
    Role.REPORTING_CLIENT: {EntityKind.BUREAU},
}


class User(AbstractUser):
    """A person (or reporting client) who belongs to one entity with one or more roles."""

    entity = models.ForeignKey(
        Entity,
        verbose_name=_("entity"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    # The interface language the user last chose (a code of settings.LANGUAGES; blank: the
    # browser's). It follows the user to every browser: applied at login and on each request
    # over the language cookie (quota_ledger.middleware.UserLanguageMiddleware).
    language = models.CharField(_("language"), max_length=10, blank=True, default="")

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @cached_property
    def roles(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        return frozenset(a.role for a in self.role_assignments.all())

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def has_perm(self, perm: str, obj=None) -> bool:
        """Business permissions (the django-rules ones) follow roles only: a superuser without
        business roles administers reference data in the admin and takes no business action.
        Django's model permissions (the admin's) stay as Django grants them."""
        if self.is_active and self.is_superuser and not rules.perm_exists(perm):
            return True
        return _user_has_perm(self, perm, obj)

    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in sorted(self.roles)]


class RoleAssignment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="unique_user_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .services import RoleNotAllowed, check_role_fits_entity

        try:
            check_role_fits_entity(role=self.role, entity=self.user.entity)
        except RoleNotAllowed as error:
            raise ValidationError({"role": str(error)}) from None


class SystemAccountKind(models.TextChoices):
    """Accounts outside any entity. They may go negative: issuance is where quota comes
    from, the sink is where used quota goes."""

    CERTIFIED = "CERTIFIED", _("Issuance: certified reductions")
    ALLOCATION_POOL = "ALLOCATION_POOL", _("Issuance: national allocation pool")
    TRADING = "TRADING", _("Trading counterpart")
    RESERVE_SOURCE = "RESERVE_SOURCE", _("Issuance: reserve intake")
    CONSUMPTION = "CONSUMPTION", _("Consumption sink")
    ADJUSTMENT = "ADJUSTMENT", _("Adjustments")


class Account(models.Model):
    """A quota account: (entity, pollutant), or a system account (kind, pollutant).

    ``balance`` always equals the sum of the account's legs and ``held`` the sum of its active
    holds; the posting service keeps both, and on PostgreSQL triggers (``ledger/integrity.py``)
    refuse any commit in which they disagree. Available quota is ``balance - held``.
    """

    entity = models.ForeignKey(
        Entity,
        verbose_name=_("entity"),
        on_delete=models.PROTECT,
        related_name="accounts",
        null=True,
        blank=True,
    )
    system_kind = models.CharField(
        _("system account"), max_length=16, choices=SystemAccountKind.choices, blank=True
    )
    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    may_go_negative = models.BooleanField(_("may go negative"), default=False)
    is_active = models.BooleanField(_("open"), default=True)
    balance = amount_field(verbose_name=_("balance"), default=ZERO)
    held = amount_field(verbose_name=_("held"), default=ZERO)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(entity__isnull=False) & Q(system_kind=""))
                | (Q(entity__isnull=True) & ~Q(system_kind="")),
                name="account_entity_xor_system",
            ),
            models.CheckConstraint(
                condition=Q(entity__isnull=True) | Q(may_go_negative=False),
                name="entity_account_never_negative",
            ),
            models.CheckConstraint(
                condition=Q(held__gte=0) & (Q(may_go_negative=True) | Q(balance__gte=F("held"))),
                name="account_available_not_negative",
                violation_error_message=_("Available quota cannot fall below zero."),
            ),
            models.UniqueConstraint(
                fields=["entity", "pollutant"],
                condition=Q(entity__isnull=False),
                name="one_account_per_entity_pollutant",
            ),
            models.UniqueConstraint(
                fields=["system_kind", "pollutant"],
                condition=Q(entity__isnull=True),
                name="one_system_account_per_kind_pollutant",
            ),
        ]

    def __str__(self) -> str:
        owner = self.entity.name if self.entity_id else self.get_system_kind_display()
        return f"{owner} · {Pollutant(self.pollutant).symbol}"

    @property
    def available(self) -> Decimal:
        return self.balance - self.held

    @property
    def is_system(self) -> bool:
        return self.entity_id is None


class TransactionKind(models.TextChoices):
    ALLOCATION = "ALLOCATION", _("Allocation")
    RECOVERY = "RECOVERY", _("Recovery")
    MICRO_CREDIT = "MICRO_CREDIT", _("Micro reduction credit")
    VOC_MGMT_CREDIT = "VOC_MGMT_CREDIT", _("VOCs management reduction credit")
    TRADE_IN = "TRADE_IN", _("Trade in")
    TRADE_OUT = "TRADE_OUT", _("Trade out")
    RESERVE_INTAKE = "RESERVE_INTAKE", _("Reserve intake")
    USE = "USE", _("Use")
    ADJUSTMENT = "ADJUSTMENT", _("Adjustment")
    REVERSAL = "REVERSAL", _("Reversal")


class Transaction(models.Model):
    """An immutable posting with two or more legs that sum to zero per pollutant.

    On PostgreSQL the database refuses any UPDATE, DELETE or TRUNCATE, an unbalanced
    transaction, and a reversal without an approver (``ledger/integrity.py``); its place in
    commit order is its ``commit.seq``."""

    kind = models.CharField(_("kind"), max_length=16, choices=TransactionKind.choices)
    effective_date = models.DateField(_("effective date"), db_index=True)
    memo = models.TextField(_("memo"), blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    reference_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference_id = models.CharField(max_length=64, blank=True)
    reference_text = models.CharField(_("reference"), max_length=200, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        related_name="reversed_by",
        null=True,
        blank=True,
    )
    # The other half of an inter-entity transfer (TRADE_IN points at its TRADE_OUT).
    paired_with = models.OneToOneField(
        "self", on_delete=models.PROTECT, related_name="pair_of", null=True, blank=True
    )

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["reference_type", "reference_id"]),
            # The API's ?ordering=posted_at pages by (posted_at, id): without it, every page
            # sorted all transactions (560 ms at 600,000).
            models.Index(fields=["posted_at", "id"], name="transaction_posted_at_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="REVERSAL", reverses__isnull=False)
                | (~Q(kind="REVERSAL") & Q(reverses__isnull=True)),
                name="reversal_points_to_original",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("posted_by")),
                name="approver_is_not_poster",
            ),
            models.CheckConstraint(
                condition=~Q(kind="ADJUSTMENT") | Q(approved_by__isnull=False),
                name="adjustment_is_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"


class Entry(models.Model):
    """One leg of a transaction (分录). ``amount`` is signed: credit +, debit −.

    ``balance_after`` is the account's running balance after this leg in posting order; it
    makes "stored balance = sum of legs" checkable in O(log n) per posting. ``hash`` chains
    the leg to the previous leg of its account (``ledger.integrity.leg_hash``), so any change
    to posted history shows when the chains are recomputed (``manage.py verify_ledger``).
    """

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    pollutant = models.CharField(_("pollutant"), max_length=8, choices=Pollutant.choices)
    amount = amount_field(verbose_name=_("amount"))
    balance_after = amount_field(verbose_name=_("balance after"))
    effective_date = models.DateField(_("effective date"))
    hash = models.CharField(_("hash"), max_length=64, db_default="", editable=False)

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["account", "effective_date", "id"]),
            # The running-balance trigger reads an account's last leg on every posting;
            # system accounts collect hundreds of thousands of legs.
            models.Index(fields=["account", "-id"], name="entry_last_leg_of_account"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            models.UniqueConstraint(
                fields=["transaction", "account"], name="one_leg_per_account_per_transaction"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.transaction_id} {self.account_id} {self.amount}"

    @property
    def credit(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def debit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


class TransactionCommit(models.Model):
    """A transaction's place in commit order (提交序号): gap-free and increasing. Numbers are
    handed out only to committed transactions, each new one above every number before it,
    so a reader paging by ``seq`` never misses or repeats one."""

    seq = models.PositiveBigIntegerField(primary_key=True)
    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="commit")
    committed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("commit sequence")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.seq} → #{self.transaction_id}"


class PendingCommit(models.Model):
    """A committed transaction still waiting for its commit sequence number. The database
    adds one per transaction as it is inserted; ``ledger_number_commits()`` numbers what has
    committed, in one serial step outside the postings, so postings never queue for it."""

    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )

    class Meta:
        verbose_name = _("transaction awaiting its commit number")

    def __str__(self) -> str:
        return f"#{self.transaction_id}"


class SequenceCounter(models.Model):
    """The last commit sequence number handed out (one row); written only by the database's
    own numbering function on PostgreSQL."""

    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("commit sequence counter")

    def __str__(self) -> str:
        return str(self.last)


class LedgerDigest(models.Model):
    """A digest of the whole ledger at one moment: one hash over every account's head leg,
    with the last commit sequence. Kept here and, as a file, outside the system; a later
    ``verify_ledger --digest`` proves nothing posted before it changed."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    digest_date = models.DateField(_("date"))
    last_seq = models.PositiveBigIntegerField(_("last commit sequence"))
    last_transaction_id = models.BigIntegerField(_("last transaction"), null=True)
    accounts = models.PositiveIntegerField(_("accounts"))
    digest = models.CharField(_("digest"), max_length=64)
    heads = models.JSONField(_("account heads"), default=dict)

    class Meta:
        verbose_name = _("ledger digest")
        verbose_name_plural = _("ledger digests")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.digest_date} seq {self.last_seq} {self.digest[:12]}"


class HoldStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    CONSUMED = "CONSUMED", _("Consumed")
    RELEASED = "RELEASED", _("Released")
    EXPIRED = "EXPIRED", _("Expired")


class Hold(models.Model):
    """Quota reserved (预占/冻结) for a request under review, until ``expires_at``; resolved
    exactly once: consumed, released or expired."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="holds")
    amount = amount_field(verbose_name=_("amount"))
    status = models.CharField(
        _("status"), max_length=10, choices=HoldStatus.choices, default=HoldStatus.ACTIVE
    )
    reason = models.CharField(_("reason"), max_length=300)
    reference_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference_id = models.CharField(max_length=64, blank=True)
    reference_text = models.CharField(_("reference"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    consumed_by = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="consumed_hold", null=True
    )

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["account"], condition=Q(status="ACTIVE"), name="active_holds_by_account"
            ),
            models.Index(
                fields=["expires_at"], condition=Q(status="ACTIVE"), name="active_holds_by_expiry"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="ACTIVE", closed_at__isnull=True)
                | (~Q(status="ACTIVE") & Q(closed_at__isnull=False)),
                name="hold_closed_when_not_active",
            ),
            models.CheckConstraint(
                condition=~Q(status="CONSUMED") | Q(consumed_by__isnull=False),
                name="consumed_hold_has_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.amount} · {self.get_status_display()}"

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class AdjustmentStatus(models.TextChoices):
    PROPOSED = "PROPOSED", _("Proposed")
    APPROVED = "APPROVED", _("Approved")
    REJECTED = "REJECTED", _("Rejected")


class AdjustmentProposal(models.Model):
    """A four-eyes adjustment (调整): one municipal user proposes, another approves."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    amount = amount_field(verbose_name=_("amount (+ credit / − debit)"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AdjustmentStatus.choices,
        default=AdjustmentStatus.PROPOSED,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
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
        Transaction, on_delete=models.PROTECT, related_name="adjustment_proposal", null=True
    )

    class Meta:
        verbose_name = _("adjustment proposal")
        verbose_name_plural = _("adjustment proposals")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="adjustment_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="adjustment_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.account} {self.amount}"


class CorrectionStatus(models.TextChoices):
    PROPOSED = "PROPOSED", _("Proposed")
    APPROVED = "APPROVED", _("Approved")
    REJECTED = "REJECTED", _("Rejected")


class Correction(models.Model):
    """A four-eyes correction (更正申请): reversing postings — a bare transaction, or through
    the record that caused them (cancel a use, revoke a round or a certification, reverse a
    trade record). Proposed with a reason by one person, decided by another; the approval
    carries the action out in the same database transaction (``ledger.corrections``)."""

    action = models.CharField(_("action"), max_length=40)
    reference_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    reference_id = models.CharField(max_length=64)
    reference_text = models.CharField(_("record"), max_length=200)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CorrectionStatus.choices,
        default=CorrectionStatus.PROPOSED,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["-id"]
        indexes = [models.Index(fields=["reference_type", "reference_id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="correction_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status="PROPOSED", decided_by__isnull=True)
                | (~Q(status="PROPOSED") & Q(decided_by__isnull=False)),
                name="correction_decided_when_closed",
            ),
            models.UniqueConstraint(
                fields=["reference_type", "reference_id"],
                condition=Q(status="PROPOSED"),
                name="one_open_correction_per_record",
                violation_error_message=_("A correction of this record is already proposed."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action_label} {self.reference_text}"

    @property
    def action_label(self) -> str:
        from .corrections import get

        action = get(self.action)
        return str(action.label) if action else self.action


class ExportStatus(models.TextChoices):
    PENDING = "PENDING", _("Waiting")
    RUNNING = "RUNNING", _("Running")
    DONE = "DONE", _("Done")
    FAILED = "FAILED", _("Failed")
    EXPIRED = "EXPIRED", _("Expired")


class StatementExport(models.Model):
    """An Excel statement being written by a Celery task, with its progress.

    The file is stored under a random name and downloaded only by its requester
    (``ledger.views.export_download``) as ``filename``. After ``EXPORT_RETENTION_DAYS`` a
    beat task deletes the file and the job says EXPIRED.
    """

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=RandomName("exports"), blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.entity} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))
