import logging

from celery import shared_task

from .selectors import reconcile

logger = logging.getLogger(__name__)


@shared_task(name="ledger.tasks.reconcile_ledger")
def reconcile_ledger() -> int:
    """Nightly check that stored balances equal the sum of legs; logs every mismatch."""
    mismatches = reconcile()
    for mismatch in mismatches:
        logger.error("ledger mismatch: %s", mismatch)
    return len(mismatches)


@shared_task(name="ledger.tasks.export_statement")
def export_statement(export_id: int) -> None:
    from .exports import run_statement_export

    run_statement_export(export_id)
