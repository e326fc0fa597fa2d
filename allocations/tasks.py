import logging

from celery import shared_task
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ledger.models import User

from .models import ConstructionProject

logger = logging.getLogger(__name__)


@shared_task(name="allocations.tasks.expire_use_requests")
def expire_use_requests() -> int:
    """Scheduled: release the holds of construction requests past their deadline."""
    from .services import expire_requests

    return len(expire_requests())


@shared_task(name="allocations.tasks.notify_use_expired")
def notify_use_expired(project_id: int) -> int:
    """Tell whoever requested (and entered) the project that its held quota was released."""
    project = ConstructionProject.objects.select_related("owner").get(pk=project_id)
    users = User.objects.filter(
        pk__in={project.requested_by_id, project.created_by_id} - {None}, is_active=True
    ).exclude(email="")
    with translation.override("zh-hans"):
        subject = _("Quota hold expired: %(name)s") % {"name": project.name}
        body = _(
            "The quota held for construction project %(name)s (%(eia)s, %(owner)s) expired on "
            "%(date)s and was released. Request the quota again if the project still needs it."
            "\n%(url)s"
        ) % {
            "name": project.name,
            "eia": project.eia_number,
            "owner": project.owner.name_zh,
            "date": timezone.localtime(project.expires_at).strftime("%Y-%m-%d %H:%M"),
            "url": reverse("allocations:construction", args=[project.pk]),
        }
    for user in users:
        send_mail(subject, body, None, [user.email])
    return len(users)


def _run_import_step(step, job_id: int) -> None:
    from .models import ImportJob, ImportStatus

    try:
        step(job_id)
    except Exception:
        # The job row tells the user it failed; the log keeps the traceback.
        logger.exception("import %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, error=_("The import failed; nothing was imported.")
        )


@shared_task(name="allocations.tasks.check_import")
def check_import(job_id: int) -> None:
    """Check a large uploaded spreadsheet row by row (the preview), with progress."""
    from .imports import run_check

    _run_import_step(run_check, job_id)


@shared_task(name="allocations.tasks.apply_import")
def apply_import(job_id: int) -> None:
    """Import a large checked spreadsheet through the services, with progress."""
    from .imports import run_apply

    _run_import_step(run_apply, job_id)


@shared_task(name="allocations.tasks.expire_import_uploads")
def expire_import_uploads() -> int:
    """Beat: delete uploaded import files past IMPORT_UPLOAD_RETENTION_DAYS (the job rows
    stay as the record of what was imported)."""
    from .imports import expire_uploads

    return expire_uploads()
