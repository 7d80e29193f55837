"""`python -m citizen_desk tips …`: list, show and act on tips from a terminal.

The CLI is the edge: it reads the wall clock once and hands `now` to the workflow functions in
`citizen_desk.tips.workflow`. Actions need `--as USER` (recorded in the audit log). Unknown ids
and illegal
transitions print `error: …` on stderr and exit with 2 (handled by `citizen_desk.cli.main`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from citizen_desk.config.registry import deployment_zone

Handler = Callable[[argparse.Namespace], int]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tips",
        help="tip verification: list, show, ack, start, verify, unfounded, forward, extend, …",
        description="Tin báo: xem và xử lý (xác nhận, xác minh, chuyển, gia hạn, …).",
    )
    actions = parser.add_subparsers(dest="tips_action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="open tips (urgent first, oldest first)")
    listing.add_argument("--unit", default=None, help="only this unit code")
    listing.add_argument("--all", action="store_true", help="include closed tips")
    _common(listing)
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", help="one tip with its acknowledgements and history")
    show.add_argument("tip_id", type=int)
    _common(show)
    show.set_defaults(handler=_show)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("tip_id", type=int)
        sub.add_argument("--as", dest="actor", required=True, metavar="USER", help="who acts")
        _common(sub)
        return sub

    ack = action("ack", "acknowledge a level (stops its reminders)")
    ack.add_argument("--level", type=int, default=None, help="default: the tip's current level")
    ack.add_argument("--note", default=None)
    ack.set_defaults(handler=_ack)

    for name, help_text in (
        ("start", "new -> verifying"),
        ("verify", "new|verifying -> verified"),
        ("unfounded", "new|verifying -> unfounded"),
    ):
        sub = action(name, help_text)
        sub.add_argument("--note", default=None)
        sub.set_defaults(handler=_simple)

    fwd = action("forward", "new|verifying -> forwarded to another agency")
    fwd.add_argument("--to", dest="target", required=True, help="the receiving agency")
    fwd.add_argument("--note", default=None)
    fwd.set_defaults(handler=_forward)

    ext = action("extend", "record a deadline extension (e.g. --by 10d)")
    ext.add_argument("--by", required=True, help="duration: 10d, 36h, 1d12h")
    ext.add_argument("--reason", required=True)
    ext.set_defaults(handler=_extend)

    move = action("reassign", "hand the tip to another unit")
    move.add_argument("--unit", dest="unit_code", required=True)
    move.add_argument("--note", default=None)
    move.set_defaults(handler=_reassign)

    outcome = action("outcome", "set the one public sentence about a closed tip")
    outcome.add_argument("--text", required=True)
    outcome.set_defaults(handler=_outcome)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=None, help="database URL (default: CITIZEN_DESK_DB_URL)")


# --- handlers ------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _session(args: argparse.Namespace) -> Any:
    from citizen_desk.db.engine import session_scope

    return session_scope(args.url)


def _list(args: argparse.Namespace) -> int:
    from citizen_desk.tips.views import list_tips

    with _session(args) as session:
        views = list_tips(session, now=_now(), unit_code=args.unit, include_closed=args.all)
    if not views:
        print("Không có tin báo nào" + (" (đang mở)." if not args.all else "."))
        return 0
    rows = [("ID", "HỒ SƠ", "TRẠNG THÁI", "CẤP", "ĐÃ CHỜ", "ĐƠN VỊ", "LĨNH VỰC")]
    for v in views:
        rows.append(
            (
                str(v.tip_id),
                v.reference + (" KHẨN" if v.urgent else ""),
                v.status_label,
                str(v.level) if v.level >= 0 else "-",
                _duration(v.age),
                v.unit_code,
                v.topic_label,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    print(f"\n{len(views)} tin báo.")
    return 0


def _show(args: argparse.Namespace) -> int:
    from citizen_desk.tips.views import acknowledgements, get_tip, tip_history

    with _session(args) as session:
        now = _now()
        view = get_tip(session, args.tip_id, now=now)
        acks = acknowledgements(session, args.tip_id)
        history = tip_history(session, args.tip_id)
    _print_view(view)
    print("Xác nhận tiếp nhận:")
    if not acks:
        print("  (chưa có)")
    for ack in acks:
        line = f"  cấp {ack.level} ({ack.unit_code}): {ack.by} lúc {_time(ack.at)}"
        print(line + (f" - {ack.note}" if ack.note else ""))
    print("Lịch sử:")
    if not history:
        print("  (chưa có)")
    for entry in history:
        change = _change_text(entry.before, entry.after)
        line = f"  {_time(entry.at)}  {entry.actor}  {_action_label(entry.action)}"
        print(line + (f"  {change}" if change else "") + (f" - {entry.note}" if entry.note else ""))
    return 0


def _ack(args: argparse.Namespace) -> int:
    from citizen_desk.tips.workflow import acknowledge

    return _act(args, acknowledge, level=args.level, note=args.note)


def _simple(args: argparse.Namespace) -> int:
    from citizen_desk.tips import workflow as tips

    function = {
        "start": tips.start_verification,
        "verify": tips.mark_verified,
        "unfounded": tips.mark_unfounded,
    }[args.tips_action]
    return _act(args, function, note=args.note)


def _forward(args: argparse.Namespace) -> int:
    from citizen_desk.tips.workflow import forward

    return _act(args, forward, target=args.target, note=args.note)


def _extend(args: argparse.Namespace) -> int:
    from citizen_desk.config.durations import parse_duration
    from citizen_desk.tips.workflow import extend

    by = parse_duration(args.by, path="command line", key="--by")
    return _act(args, extend, by=by, reason=args.reason)


def _reassign(args: argparse.Namespace) -> int:
    from citizen_desk.tips.workflow import reassign

    return _act(args, reassign, unit_code=args.unit_code, note=args.note)


def _outcome(args: argparse.Namespace) -> int:
    from citizen_desk.tips.workflow import set_public_outcome

    return _act(args, set_public_outcome, text=args.text)


def _act(args: argparse.Namespace, function: Callable[..., Any], **kwargs: Any) -> int:
    with _session(args) as session:
        view = function(session, args.tip_id, actor=args.actor, now=_now(), **kwargs)
    from citizen_desk.tips.views import ACTION_LABELS

    label = ACTION_LABELS.get(view.last_action or "", view.last_action or args.tips_action)
    print(f"Đã ghi: {label} - tin báo #{view.tip_id} ({view.reference}), bởi {args.actor}.")
    _print_view(view)
    return 0


# --- formatting ----------------------------------------------------------------------------------


def _print_view(view: Any) -> None:
    level = f"{view.level}" if view.level >= 0 else "chưa báo cáo"
    last = _action_label(view.last_action) if view.last_action else "chưa có"
    if view.last_action_at is not None:
        last += f" ({_time(view.last_action_at)})"
    lines = [
        f"Tin báo #{view.tip_id} - hồ sơ {view.reference}" + (" - KHẨN" if view.urgent else ""),
        f"  Đơn vị xử lý:      {view.unit_name} ({view.unit_code})",
        f"  Lĩnh vực:          {view.topic_label}",
        f"  Trạng thái:        {view.status_label}",
        f"  Cấp báo cáo:       {level}",
        f"  Tiếp nhận:         {_time(view.received_at)} ({_duration(view.age)} trước)",
        f"  Hạn xác minh:      {_time(view.deadline)}",
        f"  Thao tác gần nhất: {last}",
        f"  Trích (đã che):    {view.excerpt or '(không có nội dung)'}",
    ]
    print("\n".join(lines))


def _action_label(action: str | None) -> str:
    from citizen_desk.tips.views import ACTION_LABELS

    name = (action or "").removeprefix("tip_").removesuffix("_set")
    return ACTION_LABELS.get(name, name or "?")


def _change_text(before: Any, after: Any) -> str:
    keys = list(dict.fromkeys([*(before or {}), *(after or {})]))
    parts = []
    for key in keys:
        old, new = (before or {}).get(key), (after or {}).get(key)
        parts.append(f"{key}: {old} → {new}" if before else f"{key}: {new}")
    return "; ".join(parts)


def _time(value: datetime) -> str:
    return value.astimezone(deployment_zone()).strftime("%H:%M %d/%m/%Y")


def _duration(value: Any) -> str:
    from citizen_desk.config.durations import format_duration_vi

    return format_duration_vi(value)
