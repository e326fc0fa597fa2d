"""The permission matrix for what exists now."""

import pytest

from ledger.models import AdjustmentProposal, Role
from ledger.services import entity_account

pytestmark = pytest.mark.django_db

ROLE_ENTITY = {
    Role.DISTRICT_CLERK: "310115",
    Role.DISTRICT_APPROVER: "310115",
    Role.MUNICIPAL_CLERK: "SHSEE",
    Role.MUNICIPAL_APPROVER: "SHSEE",
    Role.ENTERPRISE_USER: None,
    Role.AUDITOR: "SHSEE",
    Role.REPORTING_CLIENT: "SHSEE",
}

# role -> (see all, see own ledger, see other ledger, propose adj., propose reversal,
#          approve reversal)
MATRIX = {
    Role.DISTRICT_CLERK: (False, True, False, False, False, False),
    Role.DISTRICT_APPROVER: (False, True, False, False, False, False),
    Role.MUNICIPAL_CLERK: (True, True, True, True, True, False),
    Role.MUNICIPAL_APPROVER: (True, True, True, True, True, True),
    Role.ENTERPRISE_USER: (False, True, False, False, False, False),
    Role.AUDITOR: (True, True, True, False, False, False),
    Role.REPORTING_CLIENT: (True, True, True, False, False, False),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_permission_matrix(role, make_user, enterprise, xuhui):
    from ledger.models import Entity

    entity = Entity.objects.get(code=ROLE_ENTITY[role]) if ROLE_ENTITY[role] else enterprise
    user = make_user(role, entity)
    expected = MATRIX[role]
    actual = (
        user.has_perm("ledger.see_all_entities"),
        user.has_perm("ledger.see_entity_ledger", entity),
        user.has_perm("ledger.see_entity_ledger", xuhui),
        user.has_perm("ledger.propose_adjustment"),
        user.has_perm("ledger.propose_reversal"),
        user.has_perm("ledger.approve_reversal"),
    )
    assert actual == expected


def test_user_without_roles_may_do_nothing(make_user, pudong):
    user = make_user(None, pudong)
    assert not user.has_perm("ledger.see_entity_ledger", pudong)
    assert not user.has_perm("ledger.use_api")


def test_inactive_user_loses_every_permission(make_user, bureau):
    user = make_user(Role.MUNICIPAL_APPROVER, bureau, is_active=False)
    assert not user.has_perm("ledger.see_all_entities")


def test_only_another_approver_decides_an_adjustment(municipal_approver, second_approver, pudong):
    proposal = AdjustmentProposal.objects.create(
        account=entity_account(pudong, "COD"),
        amount="1.000",
        reason="x",
        proposed_by=municipal_approver,
    )
    assert not municipal_approver.has_perm("ledger.decide_adjustment", proposal)
    assert second_approver.has_perm("ledger.decide_adjustment", proposal)


def test_superuser_without_roles_takes_no_business_action(make_user, bureau, pudong):
    admin = make_user(None, bureau, is_superuser=True, is_staff=True)
    assert not admin.has_perm("ledger.see_all_entities")
    assert not admin.has_perm("ledger.see_entity_ledger", pudong)
    assert not admin.has_perm("ledger.propose_adjustment")
    assert not admin.has_perm("ledger.approve_reversal")
    assert not admin.has_perm("reductions.create_project", pudong)
    assert not admin.has_perm("allocations.decide_round")
    # Reference data stays theirs to administer.
    assert admin.has_perm("reductions.change_packagerule")
    assert admin.has_perm("ledger.add_entity")


def test_superuser_with_a_role_acts_by_that_role_only(make_user, bureau):
    admin = make_user(Role.AUDITOR, bureau, is_superuser=True)
    assert admin.has_perm("ledger.see_all_entities")
    assert not admin.has_perm("ledger.propose_adjustment")
