"""The role policy (`citizen_desk.access.may`), exhaustively: every role x action x scope x unit of
the sample registry's tree, against a table written out here, plus hostile trees (hypothesis)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.access import (
    CHIEF_ONLY,
    GLOBAL_ACTIONS,
    ROLES_FOR,
    UNIT_SCOPED,
    Grant,
    holds,
    lineage,
    may,
    may_reassign,
    users_who_may,
)
from citizen_desk.domain.labels import ACCESS_ROLE_LABELS, DESK_ACTION_LABELS
from citizen_desk.domain.vocabulary import AccessRole, DeskAction

R, A = AccessRole, DeskAction
TIP = [a for a in A if a.value.startswith("tip.")]
# The matrix as the README states it: which role may do which action (within its units).
EXPECTED: dict[AccessRole, set[DeskAction]] = {
    R.VIEWER: set(),
    R.TECHNICAL_ADMIN: {A.TRIAGE_MODEL_CHAMPION},
    R.OFFICER: {*TIP, A.TRIAGE_CORRECT},
    R.CHIEF: {*TIP, A.TRIAGE_CORRECT},
    R.PUBLICATION_APPROVER: {A.PUBLICATION_APPROVE, A.PUBLICATION_EDIT},
    R.IDENTITY_CUSTODIAN: {A.IDENTITY_VIEW},
}
TREE: dict[str, str | None] = {
    "TH": None,
    "TH-NS": "TH",
    "TH-NS-NGATHUY": "TH-NS",
    "TH-NS-NGATAN": "TH-NS",
    "TH-SS": "TH",
    "TH-SS-BACSON": "TH-SS",
}


def _subtree(root: str) -> set[str]:
    """Downward walk (the policy walks upward): the units a grant on `root` must cover."""
    found = {root}
    while True:
        more = {code for code, parent in TREE.items() if parent in found} - found
        if not more:
            return found
        found |= more


def test_every_role_and_action_has_a_vietnamese_label() -> None:
    assert set(ACCESS_ROLE_LABELS) == set(AccessRole)
    assert set(DESK_ACTION_LABELS) == set(DeskAction)
    assert set(ROLES_FOR) == set(DeskAction)
    assert not CHIEF_ONLY  # the workflow reserves nothing to chiefs today


def test_the_matrix_role_by_action_by_scope_by_unit() -> None:
    for role, action, scope, unit in itertools.product(R, A, TREE, [*TREE, "TH-XX", None]):
        grant = Grant(role, frozenset({scope}))
        in_scope = action in GLOBAL_ACTIONS or (unit is not None and unit in _subtree(scope))
        expected = action in EXPECTED[role] and in_scope
        assert may([grant], action, unit, TREE) is expected, (role, action, scope, unit)


def test_the_model_version_is_the_technical_admins_whatever_the_unit() -> None:
    """Which triage model is in use concerns the whole desk: the role needs no units (the
    registry refuses units for it), the unit asked about does not matter."""
    assert frozenset({A.TRIAGE_MODEL_CHAMPION}) == GLOBAL_ACTIONS
    assert R.TECHNICAL_ADMIN not in UNIT_SCOPED
    admin = [Grant(R.TECHNICAL_ADMIN)]
    for unit in [*TREE, "TH-XX", None]:
        assert may(admin, A.TRIAGE_MODEL_CHAMPION, unit, TREE)
        assert not may(admin, A.TRIAGE_CORRECT, unit, TREE)
    assert holds(admin, A.TRIAGE_MODEL_CHAMPION)
    assert not holds([Grant(R.CHIEF, frozenset({"TH"}))], A.TRIAGE_MODEL_CHAMPION)


def test_no_grant_means_read_only() -> None:
    for action, unit in itertools.product(A, TREE):
        assert not may([], action, unit, TREE)


def test_grants_combine_but_never_leak_across_roles_or_units() -> None:
    grants = [
        Grant(R.OFFICER, frozenset({"TH-NS-NGATHUY"})),
        Grant(R.PUBLICATION_APPROVER, frozenset({"TH-SS"})),
    ]
    assert may(grants, A.TIP_UNFOUNDED, "TH-NS-NGATHUY", TREE)
    assert not may(grants, A.TIP_UNFOUNDED, "TH-SS-BACSON", TREE)  # approver there, not officer
    assert not may(grants, A.TIP_UNFOUNDED, "TH-NS", TREE)  # above the officer's unit
    assert not may(grants, A.TIP_UNFOUNDED, "TH-NS-NGATAN", TREE)  # a sibling
    assert may(grants, A.PUBLICATION_APPROVE, "TH-SS-BACSON", TREE)
    assert not may(grants, A.PUBLICATION_APPROVE, "TH-NS-NGATHUY", TREE)
    assert not may(grants, A.IDENTITY_VIEW, "TH-NS-NGATHUY", TREE)


def test_reassign_needs_both_units_in_scope() -> None:
    commune = [Grant(R.OFFICER, frozenset({"TH-NS-NGATHUY"}))]
    district = [Grant(R.CHIEF, frozenset({"TH-NS"}))]
    assert not may_reassign(commune, "TH-NS-NGATHUY", "TH-NS-NGATAN", TREE)
    assert may_reassign(district, "TH-NS-NGATHUY", "TH-NS-NGATAN", TREE)
    assert not may_reassign(district, "TH-NS-NGATHUY", "TH-SS", TREE)
    assert not may_reassign(district, "TH-SS", "TH-NS", TREE)
    assert not may_reassign(district, "TH-NS-NGATHUY", None, TREE)


def test_holds_and_users_who_may() -> None:
    access = {
        "a": (Grant(R.PUBLICATION_APPROVER, frozenset({"TH"})),),
        "b": (Grant(R.PUBLICATION_APPROVER, frozenset({"TH-NS"})),),
        "c": (Grant(R.OFFICER, frozenset({"TH"})), Grant(R.TECHNICAL_ADMIN)),
    }
    assert users_who_may(access, A.PUBLICATION_APPROVE, "TH-NS-NGATAN", TREE) == ("a", "b")
    assert users_who_may(access, A.PUBLICATION_APPROVE, "TH-SS", TREE) == ("a",)
    assert users_who_may(access, A.PUBLICATION_APPROVE, "TH-XX", TREE) == ()
    assert holds(access["c"], A.TIP_EXTEND)
    assert not holds(access["c"], A.IDENTITY_VIEW)
    assert not holds([Grant(R.OFFICER)], A.TIP_EXTEND)  # a scoped role over no unit: nothing


@st.composite
def trees(draw) -> dict[str, str | None]:
    """Arbitrary parent maps over a few codes: forests, dangling parents, cycles."""
    codes = draw(st.lists(st.sampled_from("ABCDEFGH"), min_size=1, max_size=8, unique=True))
    parents = st.one_of(st.none(), st.sampled_from([*codes, "Z"]))
    return {code: draw(parents) for code in codes}


@given(trees(), st.sampled_from(list(R)), st.sampled_from(list(A)), st.data())
def test_may_on_hostile_trees_matches_walking_up(tree, role, action, data) -> None:
    scope = data.draw(st.sampled_from(sorted(tree)))
    unit = data.draw(st.sampled_from([*sorted(tree), "Z", None]))
    chain = lineage(unit, tree) if unit else ()
    assert len(chain) == len(set(chain))  # terminates on cycles, never repeats
    in_scope = action in GLOBAL_ACTIONS or (unit in tree and scope in chain)
    expected = action in EXPECTED[role] and in_scope
    assert may([Grant(role, frozenset({scope}))], action, unit, tree) is expected
