import logging

from celery import shared_task

from . import audit, services

logger = logging.getLogger(__name__)


@shared_task(name="ledger.tasks.reconcile_ledger")
def reconcile_ledger() -> int:
    """Nightly reconciliation; logs every finding."""
    findings = audit.reconcile()
    for finding in findings:
        logger.error("ledger does not reconcile: %s", finding)
    return len(findings)


@shared_task(name="ledger.tasks.number_commits")
def number_commits() -> int:
    """Keeps the commit sequence current for readers that do not number first themselves."""
    return services.number_commits()


@shared_task(name="ledger.tasks.write_digest")
def write_digest() -> str:
    """Daily digest over every account's head; operators copy it outside the system
    (``manage.py ledger_digest --output``) so that ``verify_ledger --digest`` can prove
    history did not change since."""
    digest = audit.make_digest()
    logger.info("ledger digest %s: %s", digest.digest_date, digest.digest)
    return digest.digest


@shared_task(name="ledger.tasks.export_statement")
def export_statement(export_id: int) -> None:
    from .exports import run_statement_export

    run_statement_export(export_id)


@shared_task(name="ledger.tasks.expire_statement_exports")
def expire_statement_exports() -> int:
    """Beat: delete statement files past their retention period (EXPORT_RETENTION_DAYS)."""
    from .exports import expire_exports

    return expire_exports()
