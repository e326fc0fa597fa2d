"""What an action that posts, or cannot be undone, says before it is taken (确认提示).

Each function returns the text of a submit button's ``data-confirm``: the page's dialog
shows it and asks once (static/js/app.js). The texts are computed here, in the reader's
language, from the figures the action will use: amounts in tonnes with 3 decimals, the
accounts a certification credits.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ledger.models import Pollutant

from . import workflow
from .models import Project, Status, Tier

CREDITING_TIERS = (Tier.MICRO, Tier.VOC_MGMT)


def tonnes(amount: Decimal) -> str:
    return f"{amount:.3f} t"


def _joined(parts: Iterable[str]) -> str:
    separator = "、" if (get_language() or "zh").startswith("zh") else ", "
    return separator.join(parts)


def _list_separator() -> str:
    return "；" if (get_language() or "zh").startswith("zh") else "; "


def _reviewed(project: Project) -> list[tuple[str, Decimal]]:
    """(pollutant, amount) as the project stands: what certifying it now certifies."""
    rows = sorted(project.amounts.all(), key=lambda a: list(Pollutant.values).index(a.pollutant))
    return [
        (a.pollutant, a.certified if a.certified is not None else a.claimed)
        for a in rows
        if (a.certified if a.certified is not None else a.claimed)
    ]


def amounts_text(amounts: Iterable[tuple[str, Decimal | str]]) -> str:
    """ "NOx 1.800 t、VOCs 0.500 t"; an amount given as a string is used as it is (a
    placeholder the page fills in)."""
    return (
        _joined(
            f"{Pollutant(p).symbol} {a if isinstance(a, str) else tonnes(a)}" for p, a in amounts
        )
        or "0"
    )


def credit_postings(project: Project, amounts: Iterable[tuple[str, Decimal | str]]) -> str:
    """The credits a MICRO or VOC_MGMT certification posts to its owner's accounts."""
    return _list_separator().join(
        _("credit %(amount)s to the %(pollutant)s account of %(entity)s")
        % {
            "amount": amount if isinstance(amount, str) else tonnes(amount),
            "pollutant": Pollutant(pollutant).symbol,
            "entity": project.owner.name,
        }
        for pollutant, amount in amounts
    )


def _review_text(project: Project, step: workflow.ReviewStep, amounts) -> str:
    if step.records_national_result:
        return _(
            "Record the national certification of “%(project)s” with the document number and "
            "date entered above: the project is certified with %(amounts)s. Nothing is posted "
            "to the ledger now; the certified reductions count in the next allocation round."
        ) % {"project": project.name, "amounts": amounts_text(amounts)}
    if project.tier in CREDITING_TIERS:
        return _("Certify “%(project)s”: this will %(postings)s.") % {
            "project": project.name,
            "postings": credit_postings(project, amounts),
        }
    return _(
        "Certify “%(project)s” with %(amounts)s. Nothing is posted to the ledger now; the "
        "certified reductions count in the next allocation round."
    ) % {"project": project.name, "amounts": amounts_text(amounts)}


def review_step(project: Project, step: workflow.ReviewStep | None) -> str:
    """The approval button of the waiting review step: certifying, recording the Ministry's
    result; an intermediate approval is undone by the next reviewer's return and asks
    nothing."""
    if step is None or step.target != Status.CERTIFIED:
        return ""
    return _review_text(project, step, _reviewed(project))


def review_step_template(project: Project, step: workflow.ReviewStep | None) -> str:
    """The same text with ``{amount_NOX}``… where the reviewed amounts go: the page fills in
    what the reviewer typed (static/js/app.js, data-confirm-template), so a lowered amount
    is what the confirmation names."""
    if step is None or step.target != Status.CERTIFIED:
        return ""
    rows = sorted(project.amounts.all(), key=lambda a: list(Pollutant.values).index(a.pollutant))
    return _review_text(project, step, [(a.pollutant, f"{{amount_{a.pollutant}}}") for a in rows])


def withdraw(project: Project) -> str:
    return _(
        "Withdraw “%(project)s”? A withdrawn project leaves the review and cannot be "
        "submitted again."
    ) % {"project": project.name}


def whole_bundle(projects: list[Project]) -> str:
    """整包核定: every waiting project of a filing at once."""
    totals: dict[str, Decimal] = {}
    for project in projects:
        for pollutant, amount in _reviewed(project):
            totals[pollutant] = totals.get(pollutant, Decimal(0)) + amount
    ordered = [(p, totals[p]) for p in Pollutant.values if p in totals]
    return _(
        "Certify the whole bundle: %(n)s project(s), in total %(amounts)s. Nothing is posted "
        "to the ledger now; the certified reductions count in the next allocation round."
    ) % {"n": len(projects), "amounts": amounts_text(ordered)}


def confirm_filing(filing, bundle) -> str:
    return _(
        "Confirm that national filing no. %(number)s covers %(n)s project(s), in total %(amounts)s?"
    ) % {
        "number": filing.filing_number,
        "n": len(bundle.projects),
        "amounts": amounts_text(bundle.totals.items()),
    }


def bulk_approve() -> str:
    """The queue's bulk approval; ``{n}`` is replaced in the page by how many are chosen."""
    return _(
        "Approve {n} selected project(s) as claimed? Micro and VOCs-management projects "
        "among them are certified and their reductions credited to the ledger."
    )
