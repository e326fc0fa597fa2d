"""Who may do what with reduction projects; registered with the ledger's rules predicates.

``User.has_perm`` evaluates these rules alone (no superuser bypass): a superuser without
business roles administers reference data only (DESIGN §3).
"""

import rules

from ledger.models import Role
from ledger.permissions import is_human_user, is_municipal_approver, is_own_entity, sees_all

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
def holds_waiting_role(user, project) -> bool:
    """The user holds the role of the waiting step, for the right entity."""
    step = project and workflow.next_step(project)
    if step is None or not user.has_role(*workflow.roles_for(step)):
        return False
    return workflow.step_is_municipal(step) or user.entity_id == project.owner_id


@rules.predicate
def took_no_earlier_step(user, project) -> bool:
    """Maker–checker over the whole path (see ``workflow.earlier_actor_ids``)."""
    step = project and workflow.next_step(project)
    return step is not None and user.pk not in workflow.earlier_actor_ids(project, step)


@rules.predicate
def is_district_clerk_of(user, entity) -> bool:
    return (
        entity is not None
        and entity.kind in ("DISTRICT", "COMMITTEE")
        and user.entity_id == entity.pk
        and user.has_role(Role.DISTRICT_CLERK)
    )


@rules.predicate
def may_decide_filing(user, filing) -> bool:
    """A district approver of the filing's district who did not record it (maker–checker)."""
    return (
        filing is not None
        and filing.status == "PENDING"
        and user.entity_id == filing.owner_id
        and user.has_role(Role.DISTRICT_APPROVER)
        and user.pk != filing.recorded_by_id
    )


@rules.predicate
def sees_filing(user, filing) -> bool:
    return filing is not None and user.entity_id == filing.owner_id


rules.add_perm("reductions.see_all_projects", sees_all)
rules.add_perm("reductions.see_project", sees_all | (is_human_user & sees_project))
rules.add_perm("reductions.create_project", is_maker_of_kind & is_own_entity)
rules.add_perm("reductions.edit_project", may_edit)
rules.add_perm("reductions.withdraw_project", may_withdraw)
rules.add_perm("reductions.review_project", holds_waiting_role & took_no_earlier_step)
rules.add_perm("reductions.record_filing", is_district_clerk_of)
rules.add_perm("reductions.decide_filing", may_decide_filing)
rules.add_perm("reductions.see_filing", sees_all | (is_human_user & sees_filing))
rules.add_perm("reductions.resolve_retier_record", is_municipal_approver)
