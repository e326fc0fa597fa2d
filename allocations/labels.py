"""The system texts the allocations app stores on postings and corrections (their
``reference_text``), registered so that the pages say them in the reader's language."""

from django.utils.translation import gettext_noop

from ledger import references

from .models import ReserveSource

ROUND = gettext_noop("Allocation round #%(id)s")
TRADE_RECORD = gettext_noop("Trade record #%(id)s (%(number)s)")
RESERVE_INTAKE = gettext_noop("Reserve intake #%(id)s")
RESERVE_INTAKE_WITH_SOURCE = gettext_noop("Reserve intake #%(id)s · %(source)s")
CONSTRUCTION = gettext_noop("Construction project %(name)s (%(eia)s)")


def register() -> None:
    references.register(ROUND)
    references.register(TRADE_RECORD)
    references.register(RESERVE_INTAKE)
    references.register(
        RESERVE_INTAKE_WITH_SOURCE, source=references.label_translator(ReserveSource.choices)
    )
    references.register(CONSTRUCTION)
