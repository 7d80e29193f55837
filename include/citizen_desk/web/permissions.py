"""The role checks of the pages: every write (and the identity view) depends on one of these.

The login (`auth.require_user`) only lets a user *read*: Airflow's auth managers do not agree on a
write to a plugin page (SimpleAuthManager's `is_authorized_custom_view` ignores the method, FAB
asks a POST for "can create"). What a user may change is decided here, by `citizen_desk.access.may`
over the user's grants in the registry's `access:` section (by Airflow user name, under either auth
manager), for the unit the tip or case belongs to. A user absent from `access:` is a viewer; when
nobody is identified (SimpleAuthManager's all-admins mode, FAB's public access) nobody has any
grant, so the pages are read-only and redacted.

Each check is a FastAPI dependency registered in `ROLE_CHECKS`; `tests/web/test_roles.py` fails
if a non-GET route of the app depends on none of them. A refusal is `Forbidden` (403, Vietnamese).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from fastapi import Depends, Request
from sqlalchemy import select

from citizen_desk.access import Grant, holds, may, may_reassign
from citizen_desk.db.models import Case, Channel, Publication, Tip, Unit
from citizen_desk.domain.labels import DESK_ACTION_LABELS
from citizen_desk.domain.vocabulary import OPEN_TIP_STATUSES, DeskAction
from citizen_desk.errors import NotFoundError
from citizen_desk.web.actions import ACTIONS, TipAction
from citizen_desk.web.auth import CurrentUser, Forbidden, identified
from citizen_desk.web.deps import CaseId, DbSession, FormData, PublicationId, TipId

F = TypeVar("F", bound=Callable[..., Any])
ROLE_CHECKS: set[Callable[..., Any]] = set()


def role_check(func: F) -> F:
    """Mark a dependency as a role check (what the route-coverage test looks for)."""
    ROLE_CHECKS.add(func)
    return func


@dataclass(frozen=True)
class Access:
    """A user's grants and the unit tree they apply over, for one request."""

    grants: tuple[Grant, ...]
    tree: Mapping[str, str | None]
    # A board asks for every action of every row (800 questions for 100 tips), over a few units.
    _answers: dict[tuple[DeskAction, str | None], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def may(self, action: DeskAction, unit_code: str | None) -> bool:
        key = (action, unit_code)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = may(self.grants, action, unit_code, self.tree)
        return answer

    def may_reassign(self, from_unit: str | None, to_unit: str | None) -> bool:
        return may_reassign(self.grants, from_unit, to_unit, self.tree)

    def holds(self, action: DeskAction) -> bool:
        """Whether to offer `action` at all (the per-unit check still runs on the request)."""
        return holds(self.grants, action)


NO_ACCESS = Access((), {})


def access_of(request: Request, user: BaseUser | None) -> Access:
    """The user's grants from the app's registry (`app.state.registry_factory`); none without a
    real login (SimpleAuthManager's all-admins mode, FAB's public access). Read once per request."""
    if user is None or not identified(user):
        return NO_ACCESS
    cached = getattr(request.state, "citizen_desk_access", None)
    if isinstance(cached, Access):
        return cached
    registry = request.app.state.registry_factory()
    access = Access(registry.grants_of(user.get_name()), registry.unit_tree())
    request.state.citizen_desk_access = access
    return access


def refuse(action: DeskAction, unit_code: str | None) -> Forbidden:
    where = f" của đơn vị {unit_code}" if unit_code else ""
    return Forbidden(
        f"Bạn không có quyền {DESK_ACTION_LABELS[action]}{where}. Quyền thao tác do danh sách "
        "phân quyền (access) của Citizen Desk quy định; liên hệ quản trị kỹ thuật nếu cần."
    )


@dataclass(frozen=True)
class TipGrant:
    """A tip action the user may take on this tip (what `tip_permission` checked)."""

    action: TipAction
    tip_id: int
    unit_code: str


@role_check
def tip_permission(
    request: Request,
    tip_id: TipId,
    action_key: str,
    user: CurrentUser,
    session: DbSession,
    form: FormData,
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
    access = access_of(request, user)
    if not access.may(action.permission, unit_code):
        raise refuse(action.permission, unit_code)
    target = (form.get("unit_code") or "").strip()
    reassign = action.permission is DeskAction.TIP_REASSIGN
    if reassign and target and not access.may_reassign(unit_code, target):
        raise refuse(DeskAction.TIP_REASSIGN, target)
    return TipGrant(action, tip_id, unit_code)


TipPermission = Annotated[TipGrant, Depends(tip_permission)]


@role_check
def identity_permission(
    request: Request, case_id: CaseId, user: CurrentUser, session: DbSession
) -> str:
    """Only an identity custodian of the case's unit opens who wrote it; returns the unit."""
    unit_code = session.scalar(
        select(Unit.code).join(Case, Case.unit_id == Unit.id).where(Case.id == case_id)
    )
    if unit_code is None:
        raise NotFoundError(f"không có hồ sơ số {case_id}")
    if not access_of(request, user).may(DeskAction.IDENTITY_VIEW, unit_code):
        raise refuse(DeskAction.IDENTITY_VIEW, unit_code)
    return unit_code


IdentityPermission = Annotated[str, Depends(identity_permission)]


@role_check
def publication_edit_permission(
    request: Request, publication_id: PublicationId, user: CurrentUser, session: DbSession
) -> str:
    """Only a publication approver of the post's unit edits it (those the approval request is
    assigned to, `Registry.publication_approvers`); returns the unit."""
    unit_code = session.scalar(
        select(Unit.code)
        .join(Channel, Channel.unit_id == Unit.id)
        .join(Publication, Publication.channel_id == Channel.id)
        .where(Publication.id == publication_id)
    )
    if unit_code is None:
        raise NotFoundError(f"không có bài đăng số {publication_id}")
    if not access_of(request, user).may(DeskAction.PUBLICATION_EDIT, unit_code):
        raise refuse(DeskAction.PUBLICATION_EDIT, unit_code)
    return unit_code


PublicationEditPermission = Annotated[str, Depends(publication_edit_permission)]


@role_check
def triage_correct_permission(
    request: Request, case_id: CaseId, user: CurrentUser, session: DbSession, form: FormData
) -> str:
    """An officer (or chief) of the case's unit corrects its triage; a correction away from `tip`
    also closes the case's open tip, so it needs that decision over the tip's unit too (a tip may
    have been reassigned). Returns the case's unit."""
    unit_code = session.scalar(
        select(Unit.code).join(Case, Case.unit_id == Unit.id).where(Case.id == case_id)
    )
    if unit_code is None:
        raise NotFoundError(f"không có hồ sơ số {case_id}")
    access = access_of(request, user)
    if not access.may(DeskAction.TRIAGE_CORRECT, unit_code):
        raise refuse(DeskAction.TRIAGE_CORRECT, unit_code)
    category = (form.get("category") or "").strip()
    if category and category != "tip":
        tip_unit = session.scalar(
            select(Unit.code)
            .join(Tip, Tip.unit_id == Unit.id)
            .where(Tip.case_id == case_id, Tip.status.in_(sorted(OPEN_TIP_STATUSES)))
        )
        if tip_unit is not None and not access.may(DeskAction.TIP_UNFOUNDED, tip_unit):
            raise refuse(DeskAction.TIP_UNFOUNDED, tip_unit)
    return unit_code


TriageCorrectPermission = Annotated[str, Depends(triage_correct_permission)]


@role_check
def model_champion_permission(request: Request, user: CurrentUser) -> None:
    """Only a technical admin chooses the triage model version in use (the whole desk's)."""
    if not access_of(request, user).may(DeskAction.TRIAGE_MODEL_CHAMPION, None):
        raise refuse(DeskAction.TRIAGE_MODEL_CHAMPION, None)


ModelChampionPermission = Annotated[None, Depends(model_champion_permission)]
