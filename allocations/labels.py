"""The system texts the allocations app stores on postings and corrections (their
``reference_text``), registered so that the pages say them in the reader's language."""

from django.db.models import Q
from django.utils.translation import gettext_noop

from ledger import references
from ledger.models import Entity

from .models import ReserveSource

ROUND = gettext_noop("Allocation round #%(id)s")
TRADE_RECORD = gettext_noop("Trade record #%(id)s (%(number)s)")
RESERVE_INTAKE = gettext_noop("Reserve intake #%(id)s")
RESERVE_INTAKE_WITH_SOURCE = gettext_noop("Reserve intake #%(id)s · %(source)s")
CONSTRUCTION = gettext_noop("Construction project %(name)s (%(eia)s)")
# A round step lowering a line (its comment), with the clerk's reason.
LOWERED_LINE = gettext_noop("%(entity)s %(symbol)s: %(amount)s — %(reason)s")
# The note of the allocation policy seeded by fixtures/allocation_policy.json.
DEFAULT_POLICY_NOTE = gettext_noop(
    "Default interpretation: a target is met by the key reductions certified nationally "
    "only; each pollutant on its own."
)


def entity_name(stored: str) -> str:
    """An entity stored by its name in either language: its name in the reader's."""
    entity = Entity.objects.filter(Q(name_zh=stored) | Q(name_en=stored)).first()
    return entity.name if entity else stored


def register() -> None:
    references.register(ROUND)
    references.register(TRADE_RECORD)
    references.register(RESERVE_INTAKE)
    references.register(
        RESERVE_INTAKE_WITH_SOURCE, source=references.label_translator(ReserveSource.choices)
    )
    references.register(CONSTRUCTION)
    references.register(DEFAULT_POLICY_NOTE)
    references.register(LOWERED_LINE, entity=entity_name)
