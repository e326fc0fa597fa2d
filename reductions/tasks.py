from celery import shared_task
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ledger.models import Entity, EntityKind, Role, User

from . import workflow
from .models import FilingStatus, Project, Status, Tier


def recipients(project: Project, action: str) -> list[User]:
    """Who must hear of this step: the next reviewers, the district clerks when a small
    package waits for its national filing, or the maker when returned."""
    if project.status == Status.RETURNED:
        ids = {project.created_by_id, project.last_edited_by_id}
        return list(User.objects.filter(pk__in=ids, is_active=True).exclude(email=""))
    step = workflow.next_step(project)
    if step is None:
        return []
    if (
        project.tier == Tier.PACKAGE
        and step.target == Status.CERTIFIED
        and (project.filing is None or project.filing.status != FilingStatus.FILED)
    ):
        return list(
            User.objects.filter(
                entity=project.owner,
                is_active=True,
                role_assignments__role=Role.DISTRICT_CLERK,
            )
            .exclude(email="")
            .distinct()
        )
    entity = (
        Entity.objects.filter(kind=EntityKind.BUREAU).first()
        if workflow.step_is_municipal(step)
        else project.owner
    )
    return list(
        User.objects.filter(
            entity=entity,
            is_active=True,
            role_assignments__role__in=workflow.roles_for(step),
        )
        .exclude(pk__in=[project.created_by_id, project.last_edited_by_id])
        .exclude(email="")
        .distinct()
    )


@shared_task(name="reductions.tasks.notify_project")
def notify_project(project_id: int, action: str) -> int:
    """Email the people a project now waits for (or its maker when returned)."""
    project = Project.objects.select_related("owner", "filing").get(pk=project_id)
    users = recipients(project, action)
    with translation.override("zh-hans"):
        if project.status == Status.RETURNED:
            subject = _("Reduction project returned: %(name)s") % {"name": project.name}
        else:
            subject = _("Reduction project waiting for you: %(name)s") % {"name": project.name}
        body = _("%(name)s (%(owner)s) is now %(status)s.\n%(url)s") % {
            "name": project.name,
            "owner": project.owner.name_zh,
            "status": project.get_status_display(),
            "url": reverse("reductions:detail", args=[project.pk]),
        }
    for user in users:
        send_mail(subject, body, None, [user.email])
    return len(users)
