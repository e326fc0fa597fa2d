"""Revoking a certification (撤销核定) as a four-eyes correction (DESIGN.md §3, §4).

Open to the level that certified the project (a district approver of its district for a
district's MICRO/VOC_MGMT certification) and to the municipal approver; proposed with a
reason by one of them, approved by another. Approval reverses any ledger credit of the
certification in the same transaction and sends the project back to its maker (RETURNED).
A credit whose quota is no longer available cannot be taken back: the refusal names what
used it. Revoking a KEY or PACKAGE certification posts nothing here; it lowers what is due
to the owner, and the next allocation round recovers what was allocated beyond it (§5).
"""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ledger import corrections
from ledger import services as ledger_services
from ledger.models import (
    Account,
    Hold,
    HoldStatus,
    Pollutant,
    Role,
    Transaction,
    TransactionKind,
    User,
)

from . import workflow
from .models import Project, Review, Status, Tier

CREDIT_KINDS = (TransactionKind.MICRO_CREDIT, TransactionKind.VOC_MGMT_CREDIT)


class RevocationRefused(ledger_services.LedgerError):
    code = "revocation_refused"


def live_credits(project: Project) -> list[Transaction]:
    """The certification's ledger credits that have not been reversed."""
    return list(
        Transaction.objects.filter(
            reference_type__app_label="reductions",
            reference_type__model="project",
            reference_id=str(project.pk),
            kind__in=CREDIT_KINDS,
            reversed_by__isnull=True,
        )
        .prefetch_related("entries__account__entity")
        .order_by("id")
    )


def _credited_legs(project: Project) -> list[tuple[Account, Decimal, Transaction]]:
    return [
        (entry.account, entry.amount, txn)
        for txn in live_credits(project)
        for entry in txn.entries.all()
        if entry.account.entity_id == project.owner_id and entry.amount > 0
    ]


def may_revoke(user: User, project: Project) -> bool:
    """The municipal approver, or an approver of the level that certified the project."""
    if project.status != Status.CERTIFIED or not user.is_active:
        return False
    if user.has_role(Role.MUNICIPAL_APPROVER):
        return True
    certifier = workflow.route(project)[-1].role
    return (
        certifier == Role.DISTRICT_APPROVER
        and user.has_role(Role.DISTRICT_APPROVER)
        and user.entity_id == project.owner_id
    )


def _uses_since(account: Account, since_id: int) -> list[str]:
    """What took the quota of ``account`` after the credit: uses, trades out, recoveries
    (transactions debiting it) and active holds."""
    named = [
        f"#{txn.pk} {txn.get_kind_display()} {txn.reference_text} ({-amount:.3f} t)"
        for txn, amount in (
            (entry.transaction, entry.amount)
            for entry in account.entries.filter(transaction_id__gt=since_id, amount__lt=0)
            .select_related("transaction")
            .order_by("id")[:10]
        )
    ]
    named += [
        _("hold %(reason)s (%(amount)s t)") % {"reason": hold.reason, "amount": hold.amount}
        for hold in Hold.objects.filter(account=account, status=HoldStatus.ACTIVE)[:10]
    ]
    return named


def check_revocable(project: Project) -> None:
    if project.status != Status.CERTIFIED:
        raise RevocationRefused(
            _("Only a certified project can have its certification revoked."),
            code="not_certified",
        )
    for account, amount, txn in _credited_legs(project):
        account.refresh_from_db(fields=["balance", "held"])
        if account.available < amount:
            uses = _uses_since(account, txn.pk)
            raise RevocationRefused(
                _(
                    "%(account)s has %(available)s t available, less than the %(amount)s t "
                    "credited by this certification; it was used by: %(uses)s. Those uses "
                    "must be cancelled before the certification can be revoked."
                )
                % {
                    "account": account,
                    "available": account.available,
                    "amount": amount,
                    "uses": "；".join(uses) or _("(nothing recorded)"),
                },
                code="credit_used",
                account_id=account.pk,
                available=str(account.available),
                requested=str(amount),
            )


def preview(project: Project) -> list[str]:
    """What approving the revocation posts, in the reader's language: the ledger reversal of
    each credit (which account, how much) or, for KEY and PACKAGE, that nothing posts now.
    The approve button's confirmation says the same (ledger's correction page)."""
    from .confirm import amounts_text, tonnes

    lines = [
        _("Take back %(amount)s from the %(pollutant)s account of %(entity)s (reversing #%(txn)s)")
        % {
            "amount": tonnes(amount),
            "pollutant": Pollutant(account.pollutant).symbol,
            "entity": account.entity.name,
            "txn": txn.pk,
        }
        for account, amount, txn in _credited_legs(project)
    ]
    if project.tier in (Tier.KEY, Tier.PACKAGE):
        certified = [(a.pollutant, a.certified) for a in project.amounts.all() if a.certified]
        lines.append(
            _(
                "No ledger posting now: the certified reductions of %(owner)s fall by "
                "%(amounts)s; the next allocation round recovers whatever was allocated beyond "
                "what is due."
            )
            % {"owner": project.owner.name, "amounts": amounts_text(certified)}
        )
    lines.append(_("The project goes back to its maker (returned)."))
    return lines


def perform(*, record: Project, correction, approver: User) -> None:
    project = record
    ledger_services.reverse_all(
        originals=live_credits(project),
        reason=correction.reason,
        user=correction.proposed_by,
        approver=approver,
        through=project,
    )
    before = project.status
    project.amounts.update(certified=None)
    project.certified_at = None
    project.national_document = ""
    project.national_date = None
    project.certification_round += 1
    project.status = Status.RETURNED
    project.save()
    role = next(
        (r for r in (Role.MUNICIPAL_APPROVER, Role.DISTRICT_APPROVER) if approver.has_role(r)), ""
    )
    Review.objects.create(
        project=project,
        actor=approver,
        role=role,
        action=workflow.REVOKE,
        from_status=before,
        to_status=project.status,
        comment=correction.reason,
        amounts={a.pollutant: str(a.claimed) for a in project.amounts.all()},
    )
    from .tasks import notify_project

    transaction.on_commit(lambda: notify_project.delay(project.pk, workflow.REVOKE))


def _lock(project: Project) -> Project:
    # Lock the project row only, not its owner's entity row.
    return (
        Project.objects.select_for_update(of=("self",)).select_related("owner").get(pk=project.pk)
    )


def _visible_projects(user):
    from .selectors import visible_projects

    return visible_projects(user)


REVOKE_CERTIFICATION = corrections.register(
    corrections.CorrectionAction(
        code="revoke_certification",
        model=Project,
        label=gettext_lazy("Revoke the certification"),
        perform=perform,
        may_propose=may_revoke,
        may_approve=may_revoke,
        check=check_revocable,
        preview=preview,
        url_name="reductions:detail",
        lock=_lock,
        visible=lambda user: _visible_projects(user),
    )
)
