"""The registry of corrections (更正): how postings are undone, and by whose hand.

A transaction caused by a domain record (a construction project's use, an allocation round,
a project's certification credit, a trade record…) is corrected only through that record's
own action, so the ledger and the workflow never disagree. The higher apps register those
actions here at start-up; the ledger itself registers the bare reversal of a transaction
that no record owns (an adjustment, for instance).

Every correction is four-eyes (DESIGN.md §4): ``ledger.services.propose_correction`` records
the proposal with its reason, and ``approve_correction`` — by a different person — runs the
action's ``perform`` inside the same database transaction that marks it approved.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise


@dataclass(frozen=True)
class CorrectionAction:
    """One kind of correction.

    ``check(record)`` raises a ``DomainError`` when the record cannot be corrected now (called
    on proposal and again on approval, under the record's lock); ``perform(record=, correction=,
    approver=)`` carries it out and returns nothing; ``preview(record)`` lists, in the reader's
    language, what approving will post. ``may_propose``/``may_approve`` take (user, record).
    """

    code: str
    model: type[models.Model]
    label: str | Promise
    perform: Callable[..., None]
    may_propose: Callable[..., bool]
    may_approve: Callable[..., bool]
    check: Callable[[models.Model], None] = lambda record: None
    preview: Callable[[models.Model], list[str]] = lambda record: []
    # Name of the URL of the record's page (one pk argument), where the action is offered.
    url_name: str = ""
    # Whether the postings this record causes may be corrected only through this action.
    owns_postings: bool = True
    # Lock and re-read the record for the approval (default: select_for_update by pk).
    lock: Callable[[models.Model], models.Model] | None = None
    # The records of ``model`` the user may see (user → queryset): one it may not see is "no
    # such record" (404), never "not yours" (403), so its existence does not leak.
    visible: Callable[..., models.QuerySet] | None = None


ACTIONS: dict[str, CorrectionAction] = {}
_OWNERS: dict[type[models.Model], CorrectionAction] = {}
# More lines for an action's preview from apps that see further consequences (allocations
# knows what revoking a certification will recover; reductions does not import it).
_EXTRA_PREVIEWS: dict[str, list[Callable[[models.Model], list[str]]]] = {}


def register(action: CorrectionAction) -> CorrectionAction:
    if action.code in ACTIONS and ACTIONS[action.code] != action:
        raise ValueError(f"correction action {action.code!r} registered twice")
    ACTIONS[action.code] = action
    if action.owns_postings:
        _OWNERS[action.model] = action
    return action


def get(code: str) -> CorrectionAction | None:
    return ACTIONS.get(code)


def visible_record(action: CorrectionAction, user, pk) -> models.Model | None:
    """The record ``pk`` of the action's model if the user may see it, else ``None``."""
    records = action.visible(user) if action.visible is not None else action.model._default_manager
    try:
        return records.filter(pk=pk).first()
    except (ValueError, TypeError):
        return None


def add_preview(code: str, lines: Callable[[models.Model], list[str]]) -> None:
    """Let another app add what approving ``code`` will cause to its preview."""
    _EXTRA_PREVIEWS.setdefault(code, []).append(lines)


def preview(action: CorrectionAction, record: models.Model) -> list[str]:
    """Everything approving the correction will post or cause, in the reader's language."""
    lines = list(action.preview(record))
    for extra in _EXTRA_PREVIEWS.get(action.code, []):
        lines.extend(extra(record))
    return lines


def owner_action(model: type[models.Model] | None) -> CorrectionAction | None:
    """The action through which postings caused by a record of ``model`` are corrected."""
    return _OWNERS.get(model) if model is not None else None
