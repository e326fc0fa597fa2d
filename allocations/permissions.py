"""Who may see and act on targets, progress and allocation rounds."""

import rules

from ledger.permissions import (
    is_auditor,
    is_human_user,
    is_municipal,
    is_municipal_approver,
    is_municipal_clerk,
    is_own_entity,
)

rules.add_perm("allocations.see_rounds", is_municipal | is_auditor)
rules.add_perm("allocations.draft_round", is_municipal_clerk)
rules.add_perm("allocations.decide_round", is_municipal_approver)
rules.add_perm("allocations.set_target", is_municipal_clerk)
rules.add_perm("allocations.see_overview", is_municipal | is_auditor)
rules.add_perm(
    "allocations.see_progress", is_municipal | is_auditor | (is_human_user & is_own_entity)
)
