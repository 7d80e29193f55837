"""The tip workflow actions offered on the tips board: form fields, parsing, and the call.

Each action maps to one `citizen_desk.tips.workflow` function; the form values are parsed here (a
bad value is a `WorkflowError`, shown like the workflow's own refusals) and the logged-in user is
passed as `actor`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from citizen_desk.domain.vocabulary import DeskAction
from citizen_desk.errors import WorkflowError

MAX_EXTENSION_DAYS = 62


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text | textarea | number | level | unit
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class TipAction:
    key: str
    label: str
    question: str  # the confirmation question
    on_open: bool  # offered for open tips (new/verifying); otherwise for closed ones
    fields: tuple[Field, ...]
    call: Callable[..., Any]
    permission: DeskAction  # checked by `web.permissions.tip_permission` before any call
    danger: bool = False
    only_status: str | None = None  # e.g. "start verifying" only from "new"

    def offered_for(self, status: str, is_open: bool) -> bool:
        if self.only_status is not None:
            return status == self.only_status
        return self.on_open == is_open


NOTE = Field("note", "Ghi chú (không ghi thông tin cá nhân của người báo)", "textarea")


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _note(form: Mapping[str, Any]) -> str | None:
    return _text(form, "note") or None


def _tips() -> Any:
    from citizen_desk.tips import workflow as tips

    return tips


def _acknowledge(session: Session, tip_id: int, actor: str, now: datetime, form: Mapping[str, Any]):
    raw = _text(form, "level")
    level = None
    if raw:
        try:
            level = int(raw)
        except ValueError:
            raise WorkflowError("cấp báo cáo phải là một số") from None
    return _tips().acknowledge(session, tip_id, actor=actor, now=now, level=level, note=_note(form))


def _start(session: Session, tip_id: int, actor: str, now: datetime, form: Mapping[str, Any]):
    return _tips().start_verification(session, tip_id, actor=actor, now=now, note=_note(form))


def _verified(session: Session, tip_id: int, actor: str, now: datetime, form: Mapping[str, Any]):
    return _tips().mark_verified(session, tip_id, actor=actor, now=now, note=_note(form))


def _unfounded(session: Session, tip_id: int, actor: str, now: datetime, form: Mapping[str, Any]):
    return _tips().mark_unfounded(session, tip_id, actor=actor, now=now, note=_note(form))


def _forward(session: Session, tip_id: int, actor: str, now: datetime, form: Mapping[str, Any]):
    target = _text(form, "target")
    return _tips().forward(session, tip_id, actor=actor, now=now, target=target, note=_note(form))


def _extend(session: Session, tip_id: int, actor: str, now: datetime, form: Mapping[str, Any]):
    try:
        days = int(_text(form, "days"))
    except ValueError:
        raise WorkflowError("số ngày gia hạn phải là một số nguyên") from None
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise WorkflowError(f"số ngày gia hạn phải từ 1 đến {MAX_EXTENSION_DAYS}")
    return _tips().extend(
        session, tip_id, actor=actor, now=now, by=timedelta(days=days), reason=_text(form, "reason")
    )


def _reassign(session: Session, tip_id: int, actor: str, now: datetime, form: Mapping[str, Any]):
    unit_code = _text(form, "unit_code")
    if not unit_code:
        raise WorkflowError("hãy chọn đơn vị nhận")
    return _tips().reassign(
        session, tip_id, actor=actor, now=now, unit_code=unit_code, note=_note(form)
    )


def _outcome(session: Session, tip_id: int, actor: str, now: datetime, form: Mapping[str, Any]):
    return _tips().set_public_outcome(
        session, tip_id, actor=actor, now=now, text=_text(form, "text")
    )


ACTIONS: dict[str, TipAction] = {
    action.key: action
    for action in (
        TipAction(
            "acknowledge",
            "Xác nhận tiếp nhận",
            "Xác nhận đã tiếp nhận tin báo này? Nhắc việc ở cấp này sẽ dừng.",
            True,
            (
                Field("level", "Cấp báo cáo (để trống: cấp hiện tại)", "level"),
                NOTE,
            ),
            _acknowledge,
            DeskAction.TIP_ACKNOWLEDGE,
        ),
        TipAction(
            "start",
            "Bắt đầu xác minh",
            "Chuyển tin báo sang trạng thái đang xác minh?",
            True,
            (NOTE,),
            _start,
            DeskAction.TIP_START,
            only_status="new",
        ),
        TipAction(
            "verified",
            "Có cơ sở",
            "Kết luận tin báo có cơ sở? Tin báo sẽ được đóng.",
            True,
            (NOTE,),
            _verified,
            DeskAction.TIP_VERIFIED,
        ),
        TipAction(
            "unfounded",
            "Không có cơ sở",
            "Kết luận tin báo không có cơ sở? Tin báo sẽ được đóng.",
            True,
            (NOTE,),
            _unfounded,
            DeskAction.TIP_UNFOUNDED,
            danger=True,
        ),
        TipAction(
            "forward",
            "Chuyển cơ quan khác",
            "Chuyển tin báo sang cơ quan khác? Tin báo sẽ được đóng tại đơn vị.",
            True,
            (
                Field(
                    "target", "Cơ quan nhận", required=True, help="Ví dụ: Cơ quan CSĐT Công an tỉnh"
                ),
                NOTE,
            ),
            _forward,
            DeskAction.TIP_FORWARD,
        ),
        TipAction(
            "extend",
            "Gia hạn",
            "Gia hạn thời hạn xác minh tin báo?",
            True,
            (
                Field("days", "Số ngày gia hạn", "number", required=True),
                Field("reason", "Lý do gia hạn", "textarea", required=True),
            ),
            _extend,
            DeskAction.TIP_EXTEND,
        ),
        TipAction(
            "reassign",
            "Chuyển đơn vị",
            "Chuyển tin báo cho đơn vị khác xác minh?",
            True,
            (Field("unit_code", "Đơn vị nhận", "unit", required=True), NOTE),
            _reassign,
            DeskAction.TIP_REASSIGN,
        ),
        TipAction(
            "outcome",
            "Kết quả công khai",
            "Ghi kết quả có thể công bố về tin báo này?",
            False,
            (
                Field(
                    "text",
                    "Kết quả công khai (một câu, không có thông tin cá nhân)",
                    "textarea",
                    required=True,
                ),
            ),
            _outcome,
            DeskAction.TIP_OUTCOME,
        ),
    )
}


def offered_actions(
    may: Callable[[DeskAction, str | None], bool],
) -> Callable[[str, bool, str | None], tuple[TipAction, ...]]:
    """The actions a board row offers, asked once per (status, open, unit) for the whole page
    (a board of 100 tips asked every action of every row in the template: 1,600 calls)."""
    answers: dict[tuple[str, bool, str | None], tuple[TipAction, ...]] = {}

    def offered(status: str, is_open: bool, unit_code: str | None) -> tuple[TipAction, ...]:
        key = (status, is_open, unit_code)
        found = answers.get(key)
        if found is None:
            found = answers[key] = tuple(
                a
                for a in ACTIONS.values()
                if a.offered_for(status, is_open) and may(a.permission, unit_code)
            )
        return found

    return offered


def action_buttons(
    offered: Callable[[str, bool, str | None], tuple[TipAction, ...]], base: str
) -> Callable[[int, str, bool, str | None], Markup]:
    """A board row's action buttons as HTML, one line each, as the tips board shows them.

    A page of 100 tips has some 700 buttons: the template's loop over them cost about a fifth
    of the page. Each (status, open, unit)'s buttons are escaped once for the page; a row only
    puts its tip id in.
    """
    prefix = escape(base) + "/tips/"
    made: dict[tuple[str, bool, str | None], tuple[tuple[str, Markup, Markup], ...]] = {}

    def buttons(tip_id: int, status: str, is_open: bool, unit_code: str | None) -> Markup:
        key = (status, is_open, unit_code)
        found = made.get(key)
        if found is None:
            found = made[key] = tuple(
                (" btn-danger" if a.danger else "", escape(a.key), escape(a.label))
                for a in offered(status, is_open, unit_code)
            )
        href = f"{prefix}{escape(tip_id)}/actions/"
        return Markup(
            "".join(
                f'        <a class="btn{danger}" href="{href}{action}">{label}</a>\n'
                for danger, action, label in found
            )
        )

    return buttons
