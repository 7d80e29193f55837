"""The role checks of the pages: every write (and the identity view) depends on one of these.

The login (`auth.require_user`) only lets a user *read*: Airflow's auth manager cannot tell a read
from a write for a plugin page (SimpleAuthManager's `is_authorized_custom_view` ignores the method).
What a user may change is decided here, by `citizen_desk.access.may` over the user's grants in the
registry's `access:` section, for the unit the tip or case belongs to. A user absent from `access:`
is a viewer; in SimpleAuthManager's all-admins mode (no login, everybody "admin") nobody has any
grant, so the pages are read-only and redacted.

Each check is a FastAPI dependency registered in `ROLE_CHECKS`; `tests/web/test_roles.py` fails
if a non-GET route of the app depends on none of them. A refusal is `Forbidden` (403, Vietnamese).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from fastapi import Depends
from sqlalchemy import select

from citizen_desk.access import Grant, may, may_reassign
from citizen_desk.config.registry import current_registry
from citizen_desk.db.models import Case, Tip, Unit
from citizen_desk.domain.labels import DESK_ACTION_LABELS
from citizen_desk.domain.vocabulary import DeskAction
from citizen_desk.errors import NotFoundError
from citizen_desk.web.actions import ACTIONS, TipAction
from citizen_desk.web.auth import CurrentUser, Forbidden, all_admins_mode
from citizen_desk.web.deps import CaseId, DbSession, FormData, TipId

F = TypeVar("F", bound=Callable[..., Any])
ROLE_CHECKS: set[Callable[..., Any]] = set()


def role_check(func: F) -> F:
    """Mark a dependency as a role check (what the route-coverage test looks for)."""
    ROLE_CHECKS.add(func)
    return func


def user_grants(user: BaseUser | None) -> tuple[Grant, ...]:
    """The user's Citizen Desk grants; none without a real login (all-admins mode)."""
    if user is None or all_admins_mode():
        return ()
    return current_registry().grants_of(user.get_name())


def allowed(user: BaseUser | None, action: DeskAction, unit_code: str | None) -> bool:
    return may(user_grants(user), action, unit_code, current_registry().unit_tree())


def refuse(action: DeskAction, unit_code: str | None) -> Forbidden:
    where = f" của đơn vị {unit_code}" if unit_code else ""
    return Forbidden(
        f"Bạn không có quyền {DESK_ACTION_LABELS[action]}{where}. Quyền thao tác do danh sách "
        "phân quyền (access) của Citizen Desk quy định; liên hệ quản trị kỹ thuật nếu cần."
    )


def require(user: BaseUser, action: DeskAction, unit_code: str | None) -> None:
    if not allowed(user, action, unit_code):
        raise refuse(action, unit_code)


@dataclass(frozen=True)
class TipGrant:
    """A tip action the user may take on this tip (what `tip_permission` checked)."""

    action: TipAction
    tip_id: int
    unit_code: str


@role_check
def tip_permission(
    tip_id: TipId, action_key: str, user: CurrentUser, session: DbSession, form: FormData
) -> TipGrant:
    """The tip's unit must be in the user's scope for this action; for a reassignment, the
    receiving unit too (when the form names one)."""
    action = ACTIONS.get(action_key)
    if action is None:
        raise NotFoundError(f"không có thao tác {action_key!r}")
    unit_code = session.scalar(
        select(Unit.code).join(Tip, Tip.unit_id == Unit.id).where(Tip.id == tip_id)
    )
    if unit_code is None:
        raise NotFoundError(f"không có tin báo số {tip_id}")
    require(user, action.permission, unit_code)
    target = (form.get("unit_code") or "").strip()
    if action.permission is DeskAction.TIP_REASSIGN and target:
        tree = current_registry().unit_tree()
        if not may_reassign(user_grants(user), unit_code, target, tree):
            raise refuse(DeskAction.TIP_REASSIGN, target)
    return TipGrant(action, tip_id, unit_code)


TipPermission = Annotated[TipGrant, Depends(tip_permission)]


@role_check
def identity_permission(case_id: CaseId, user: CurrentUser, session: DbSession) -> str:
    """Only an identity custodian of the case's unit opens who wrote it; returns the unit."""
    unit_code = session.scalar(
        select(Unit.code).join(Case, Case.unit_id == Unit.id).where(Case.id == case_id)
    )
    if unit_code is None:
        raise NotFoundError(f"không có hồ sơ số {case_id}")
    require(user, DeskAction.IDENTITY_VIEW, unit_code)
    return unit_code


IdentityPermission = Annotated[str, Depends(identity_permission)]
