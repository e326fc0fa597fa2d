"""Who may do what with reduction projects; registered with the ledger's rules predicates."""

import rules

from ledger.models import Role
from ledger.permissions import is_own_entity, sees_all

from . import workflow


@rules.predicate
def sees_project(user, project) -> bool:
    return project is not None and user.entity_id == project.owner_id


@rules.predicate
def is_maker_of_kind(user, entity) -> bool:
    """A district clerk for a district/committee, an enterprise user for an enterprise."""
    role = workflow.MAKER_ROLE.get(getattr(entity, "kind", None))
    return role is not None and user.has_role(role)


@rules.predicate
def may_edit(user, project) -> bool:
    return (
        project is not None
        and project.is_editable
        and user.entity_id == project.owner_id
        and user.has_role(workflow.MAKER_ROLE.get(project.owner.kind, ""))
    )


@rules.predicate
def may_withdraw(user, project) -> bool:
    """The maker of the owner entity, before any review."""
    return (
        project is not None
        and project.status == "SUBMITTED"
        and user.entity_id == project.owner_id
        and user.has_role(workflow.MAKER_ROLE.get(project.owner.kind, ""))
    )


@rules.predicate
def may_review_now(user, project) -> bool:
    """The user holds the role of the waiting step, for the right entity, and is not the
    project's maker or last editor (maker–checker)."""
    step = project and workflow.next_step(project)
    if step is None or not user.has_role(*workflow.roles_for(step)):
        return False
    if user.pk in (project.created_by_id, project.last_edited_by_id):
        return False
    return workflow.step_is_municipal(step) or user.entity_id == project.owner_id


@rules.predicate
def may_revoke(user, project) -> bool:
    return (
        project is not None
        and project.status == "CERTIFIED"
        and user.has_role(Role.MUNICIPAL_APPROVER)
    )


rules.add_perm("reductions.see_all_projects", sees_all)
rules.add_perm("reductions.see_project", sees_all | sees_project)
rules.add_perm("reductions.create_project", is_maker_of_kind & is_own_entity)
rules.add_perm("reductions.edit_project", may_edit)
rules.add_perm("reductions.withdraw_project", may_withdraw)
rules.add_perm("reductions.review_project", may_review_now)
rules.add_perm("reductions.revoke_certification", may_revoke)
