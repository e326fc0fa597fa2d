"""Who may do what: the one place that answers "may user U do action A on object O".

Predicates are ``rules`` predicates; permissions are registered under ``ledger.*`` names that
do not clash with Django's model permissions. Higher apps register their own in their
``permissions.py`` with the predicates defined here.
"""

import rules

from .models import Role

MUNICIPAL_ROLES = (Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER)


def has_role(*roles: str) -> rules.Predicate:
    @rules.predicate(name=f"has_role:{'|'.join(roles)}")
    def predicate(user) -> bool:
        return user.is_authenticated and user.is_active and user.has_role(*roles)

    return predicate


is_district_clerk = has_role(Role.DISTRICT_CLERK)
is_district_approver = has_role(Role.DISTRICT_APPROVER)
is_municipal_clerk = has_role(Role.MUNICIPAL_CLERK)
is_municipal_approver = has_role(Role.MUNICIPAL_APPROVER)
is_municipal = has_role(*MUNICIPAL_ROLES)
is_enterprise_user = has_role(Role.ENTERPRISE_USER)
is_auditor = has_role(Role.AUDITOR)
is_reporting_client = has_role(Role.REPORTING_CLIENT)
sees_all = is_municipal | is_auditor | is_reporting_client
is_human_user = (
    is_district_clerk | is_district_approver | is_municipal | is_enterprise_user | is_auditor
)


@rules.predicate
def is_own_entity(user, entity) -> bool:
    return entity is not None and user.entity_id is not None and user.entity_id == entity.pk


@rules.predicate
def owns_account(user, account) -> bool:
    return (
        account is not None
        and account.entity_id is not None
        and (account.entity_id == user.entity_id)
    )


@rules.predicate
def touches_own_entity(user, txn) -> bool:
    return (
        txn is not None
        and user.entity_id is not None
        and (txn.entries.filter(account__entity_id=user.entity_id).exists())
    )


@rules.predicate
def did_not_propose(user, proposal) -> bool:
    return proposal is not None and proposal.proposed_by_id != user.pk


rules.add_perm("ledger.see_all_entities", sees_all)
rules.add_perm("ledger.see_entity_ledger", sees_all | (is_human_user & is_own_entity))
rules.add_perm("ledger.see_account", sees_all | (is_human_user & owns_account))
rules.add_perm("ledger.see_transaction", sees_all | (is_human_user & touches_own_entity))
rules.add_perm("ledger.export_statement", sees_all | (is_human_user & is_own_entity))
rules.add_perm("ledger.propose_adjustment", is_municipal)
rules.add_perm("ledger.decide_adjustment", is_municipal_approver & did_not_propose)
rules.add_perm("ledger.see_adjustments", is_municipal | is_auditor)
# Bare reversals (of postings no domain record owns): a municipal user proposes with a
# reason, a different municipal approver decides (the service checks "different").
rules.add_perm("ledger.propose_reversal", is_municipal)
rules.add_perm("ledger.approve_reversal", is_municipal_approver)
rules.add_perm("ledger.see_corrections", is_human_user)
rules.add_perm("ledger.use_api", sees_all | is_human_user)
