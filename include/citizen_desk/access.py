"""Who may do what: the Citizen Desk roles, checked by the app itself on every write.

Airflow's auth manager only decides who may *open* the Citizen Desk pages (SimpleAuthManager's
`is_authorized_custom_view` cannot tell a read from a write; FAB's could, with permissions no FAB
role holds for this page). Every write, and the identity view, asks `may` instead, with the user's
grants from the registry's `access:` section (`config.registry.Registry.grants_of`), the same
under every auth manager.

A grant is a role over units; it covers each listed unit and every unit below it in the registry's
tree (a district officer acts on the district's commune tips). A few actions concern the whole
desk, not a unit (`GLOBAL_ACTIONS`: which triage model version is in use); their roles are held
without units. A user without grants is a viewer: the redacted pages only. Pure policy: no DB, no
I/O, no Airflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from citizen_desk.domain.vocabulary import AccessRole, DeskAction

TIP_ACTIONS = frozenset(
    {
        DeskAction.TIP_ACKNOWLEDGE,
        DeskAction.TIP_START,
        DeskAction.TIP_VERIFIED,
        DeskAction.TIP_UNFOUNDED,
        DeskAction.TIP_FORWARD,
        DeskAction.TIP_EXTEND,
        DeskAction.TIP_REASSIGN,
        DeskAction.TIP_OUTCOME,
    }
)
# Decisions the workflow reserves to chiefs (`citizen_desk.tips.workflow`): none today, every tip
# action is an officer's. Adding one here takes it away from officers and nothing else.
CHIEF_ONLY: frozenset[DeskAction] = frozenset()

_OFFICER_ROLES = frozenset({AccessRole.OFFICER, AccessRole.CHIEF})
# Editing a post awaiting approval is part of approving it: the same people, the same units.
_APPROVER_ROLES = frozenset({AccessRole.PUBLICATION_APPROVER})
ROLES_FOR: Mapping[DeskAction, frozenset[AccessRole]] = {
    **{
        action: frozenset({AccessRole.CHIEF}) if action in CHIEF_ONLY else _OFFICER_ROLES
        for action in TIP_ACTIONS
    },
    DeskAction.IDENTITY_VIEW: frozenset({AccessRole.IDENTITY_CUSTODIAN}),
    DeskAction.PUBLICATION_APPROVE: _APPROVER_ROLES,
    DeskAction.PUBLICATION_EDIT: _APPROVER_ROLES,
    # correcting a case's category and urgency is the officers' of the case's unit
    DeskAction.TRIAGE_CORRECT: _OFFICER_ROLES,
    DeskAction.TRIAGE_MODEL_CHAMPION: frozenset({AccessRole.TECHNICAL_ADMIN}),
}
# Actions on the desk as a whole: `may` ignores the unit, their roles need none.
GLOBAL_ACTIONS = frozenset({DeskAction.TRIAGE_MODEL_CHAMPION})
# Roles that only mean something over units (the registry requires `units` for them).
UNIT_SCOPED = frozenset(
    role for action, roles in ROLES_FOR.items() if action not in GLOBAL_ACTIONS for role in roles
)


@dataclass(frozen=True)
class Grant:
    """One role of a user over units (empty for roles that are not unit-scoped)."""

    role: AccessRole
    units: frozenset[str] = frozenset()


def lineage(unit_code: str, unit_tree: Mapping[str, str | None]) -> tuple[str, ...]:
    """The unit and its ancestors up to the root, nearest first (stops at a cycle or a gap)."""
    chain: list[str] = []
    current: str | None = unit_code
    while current is not None and current in unit_tree and current not in chain:
        chain.append(current)
        current = unit_tree[current]
    return tuple(chain)


def covers(grant: Grant, unit_code: str, unit_tree: Mapping[str, str | None]) -> bool:
    """Is `unit_code` one of the grant's units or below one of them?"""
    return any(unit in grant.units for unit in lineage(unit_code, unit_tree))


def may(
    user_roles: Iterable[Grant],
    action: DeskAction,
    unit_code: str | None,
    unit_tree: Mapping[str, str | None],
) -> bool:
    """May a user holding `user_roles` do `action` on something of unit `unit_code`?

    `unit_tree` maps every unit code to its parent's (None for a root). A unit unknown to the tree
    (or None) is refused: nobody's scope can be shown to include it. A global action (the unit
    does not matter) only needs the role.
    """
    allowed = ROLES_FOR[action]
    if action in GLOBAL_ACTIONS:
        return any(grant.role in allowed for grant in user_roles)
    if unit_code is None or unit_code not in unit_tree:
        return False
    return any(
        grant.role in allowed and covers(grant, unit_code, unit_tree) for grant in user_roles
    )


def may_reassign(
    user_roles: Iterable[Grant],
    from_unit: str | None,
    to_unit: str | None,
    unit_tree: Mapping[str, str | None],
) -> bool:
    """Handing a tip to another unit needs the power over both: a commune officer cannot push
    work onto a unit outside its scope (its district, which covers both, can)."""
    grants = tuple(user_roles)
    return may(grants, DeskAction.TIP_REASSIGN, from_unit, unit_tree) and may(
        grants, DeskAction.TIP_REASSIGN, to_unit, unit_tree
    )


def holds(user_roles: Iterable[Grant], action: DeskAction) -> bool:
    """Does the user hold a role for `action` over some unit, or at all for a global action
    (whether to offer it)?"""
    allowed = ROLES_FOR[action]
    needs_units = action not in GLOBAL_ACTIONS
    return any(grant.role in allowed and (grant.units or not needs_units) for grant in user_roles)


def users_who_may(
    access: Mapping[str, Iterable[Grant]],
    action: DeskAction,
    unit_code: str,
    unit_tree: Mapping[str, str | None],
) -> tuple[str, ...]:
    """The user names (sorted) that may do `action` on `unit_code`."""
    return tuple(
        sorted(user for user, grants in access.items() if may(grants, action, unit_code, unit_tree))
    )
