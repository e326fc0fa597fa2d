"""Who may see and act on targets, progress, rounds, construction projects, trade records and
the municipal reserve. The services check the same rules (and the maker–checker rule) again."""

import rules

from ledger.permissions import (
    is_auditor,
    is_district_clerk,
    is_enterprise_user,
    is_human_user,
    is_municipal,
    is_municipal_approver,
    is_municipal_clerk,
    is_own_entity,
    is_reporting_client,
)

# Municipal roles and auditors read every record; so does a reporting client (read-only,
# DESIGN §7), which reads through the API only.
reads_all = is_municipal | is_auditor | is_reporting_client

rules.add_perm("allocations.see_rounds", reads_all)
rules.add_perm("allocations.draft_round", is_municipal_clerk)
rules.add_perm("allocations.decide_round", is_municipal_approver)
rules.add_perm("allocations.set_target", is_municipal_clerk)
rules.add_perm("allocations.see_overview", reads_all)
rules.add_perm("allocations.see_progress", reads_all | (is_human_user & is_own_entity))

# Construction projects and trade records: every entity's for municipal roles and auditors,
# the own entity's for the other business roles, nothing without a business role.
rules.add_perm("allocations.see_all_records", reads_all)
rules.add_perm("allocations.see_own_records", is_human_user)
rules.add_perm(
    "allocations.enter_construction", is_municipal_clerk | is_district_clerk | is_enterprise_user
)
# Trade records (四(三)): a district or enterprise records its own; a municipal clerk may
# record one for any of them; a municipal approver confirms.
rules.add_perm(
    "allocations.record_trade", is_municipal_clerk | is_district_clerk | is_enterprise_user
)
rules.add_perm("allocations.confirm_trade", is_municipal_approver)
# The municipal reserve (储备库): municipal roles and auditors see it; a municipal clerk
# records intake, a municipal approver confirms.
rules.add_perm("allocations.see_reserve", reads_all)
rules.add_perm("allocations.record_reserve_intake", is_municipal_clerk)
rules.add_perm("allocations.confirm_reserve_intake", is_municipal_approver)
