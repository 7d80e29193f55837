"""The escalation sweep's Slack messages: one tip alert, and a chief's daily digest.

Rendered from `templates/slack/tip_alert.j2` and `tip_digest.j2` with what a `TipView` shows:
reference, unit, topic, urgency, age, level, last action, a redacted excerpt and the case link.
`alert_free_text` hands the excerpt to the outbox as free text, so that an excerpt the PII gate
still refuses is withheld from the alert instead of silencing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from citizen_desk.config.registry import Registry, deployment_zone
from citizen_desk.domain.labels import ROLE_LABELS
from citizen_desk.tips.escalation import DueAlert, EscalationPolicy, UnitNode, answerable_unit
from citizen_desk.tips.views import ACTION_LABELS, TipView

if TYPE_CHECKING:
    from citizen_desk.notify.outbox import FreeText

DIGEST_MAX_ITEMS = 40  # Slack allows 50 blocks per message
ALERT_TEMPLATE = "tip_alert"
DIGEST_TEMPLATE = "tip_digest"


def alert_context(
    view: TipView, alert: DueAlert, policy: EscalationPolicy, registry: Registry
) -> dict[str, Any]:
    """Everything `templates/slack/tip_alert.j2` shows (no identity: the excerpt is redacted)."""
    if alert.kind == "urgent":
        role = policy.urgent_on_arrival[alert.sequence][1]
    else:
        role = next((s.role for s in policy.ladder if s.level == alert.level), "duty_officer")
    target = _unit_name(alert.unit_code, registry)
    return {
        "kind": alert.kind,
        "level": alert.level,
        "sequence": alert.sequence,
        "role_label": ROLE_LABELS.get(role, role),
        "target_unit": target,
        "missing_contact": not alert.recipients,
        "tip": view,
        "topic": view.topic_label,
        "status": view.status_label,
        "last_action": _last_action_text(view),
        "reached": reached(view, policy, registry),
        "case_url": registry.case_url(view.case_id),
    }


def render_alert(
    view: TipView,
    alert: DueAlert,
    policy: EscalationPolicy,
    registry: Registry,
    context: Mapping[str, Any] | None = None,
) -> Any:
    """The alert, with its buttons: "Đã nhận" on ladder alerts (its value the alert's key: the
    click acknowledges that level, `citizen_desk.tips.slack_ack`) and "Mở hồ sơ" (the tip's page).
    `context`: `alert_context` of the same arguments, when the caller has it already.
    """
    from citizen_desk.notify.blocks import MAX_BLOCKS, SlackMessage, render_message
    from citizen_desk.notify.interactions import ACKABLE_KINDS, actions_block

    if context is None:
        context = alert_context(view, alert, policy, registry)
    message = render_message(ALERT_TEMPLATE, **context)
    ack_key = alert.idempotency_key if alert.kind in ACKABLE_KINDS else None
    buttons = actions_block(ack_key=ack_key, open_url=registry.tip_url(view.tip_id))
    # one block is left for the key's context block added at send time
    return SlackMessage(message.text, [*message.blocks[: MAX_BLOCKS - 2], buttons])


def alert_free_text(
    view: TipView,
    alert: DueAlert,
    policy: EscalationPolicy,
    registry: Registry,
    context: Mapping[str, Any] | None = None,
) -> FreeText:
    """The alert's excerpt, and how to render the alert with another one; our own values
    (`alert_context` but the excerpt, which lives in `view`) for the PII gate to set apart."""
    from citizen_desk.notify.blocks import our_values
    from citizen_desk.notify.interactions import ACKABLE_KINDS
    from citizen_desk.notify.outbox import FreeText

    def render(values: Mapping[str, str]) -> Any:
        return render_alert(replace(view, excerpt=values["excerpt"]), alert, policy, registry)

    if context is None:
        context = alert_context(view, alert, policy, registry)
    return FreeText(
        fields={"excerpt": view.excerpt},
        render=render,
        case_ref=view.reference,
        case_url=registry.case_url(view.case_id),
        judged=(view.excerpt_verdict,) if view.excerpt_verdict is not None else (),
        ours=our_values(
            *context.values(),
            view.reference,
            view.unit_name,
            view.received_at,
            view.deadline,
            view.age,
            # the "Đã nhận" button's value (`render_alert`)
            *((alert.idempotency_key,) if alert.kind in ACKABLE_KINDS else ()),
            zone=context.get("timezone"),
        ),
    )


def reached(view: TipView, policy: EscalationPolicy, registry: Registry) -> str:
    """Who the tip has been reported to, in a chief's words ("lãnh đạo Công an huyện Nga Sơn"),
    not as a ladder number: to a chief "cấp 2" means a tier of government."""
    if view.level < 0:
        return "chưa báo cáo lãnh đạo"
    nodes = _unit_nodes(registry.units)
    try:
        answerable = answerable_unit(view.unit_code, view.level, policy, nodes)
    except (KeyError, ValueError):
        answerable = None
    if answerable is None:
        return "lãnh đạo cấp trên"
    unit, role = answerable
    return f"{ROLE_LABELS.get(role, role)} {_unit_name(unit, registry)}"


_NODES: dict[int, tuple[tuple[Any, ...], dict[str, UnitNode]]] = {}


def _unit_nodes(units: tuple[Any, ...]) -> dict[str, UnitNode]:
    """The registry's unit tree without contacts, made once per registry (a sweep asks it for
    every alert); kept for the last `units` seen, which it holds (so its id is not reused)."""
    kept = _NODES.get(id(units))
    if kept is None or kept[0] is not units:
        _NODES.clear()
        kept = (units, {u.code: UnitNode(u.code, u.kind, u.parent, {}) for u in units})
        _NODES[id(units)] = kept
    return kept[1]


def digest_message(
    items: Sequence[TipView], registry: Registry, now: datetime
) -> tuple[Any, tuple[str, ...]]:
    """A chief's digest of these tips (the first `DIGEST_MAX_ITEMS`, urgent and highest first),
    and our own values it shows, for the PII gate to judge each alone and a line's wording
    once (a digest shows no citizen's text)."""
    from citizen_desk.notify.blocks import our_values, render_message

    zone = deployment_zone()
    ordered = sorted(items, key=lambda v: (not v.urgent, -v.level, v.received_at))
    shown = ordered[:DIGEST_MAX_ITEMS]
    context: dict[str, Any] = dict(
        day=now.astimezone(zone).strftime("%d/%m/%Y"),
        count=len(ordered),
        urgent=sum(v.urgent for v in ordered),
        items=[
            {
                "reference": v.reference,
                "unit_name": v.unit_name,
                "topic": v.topic_label,
                "urgent": v.urgent,
                "age": v.age,
                "reached": reached(v, registry.escalation, registry),
                "status": v.status_label,
                "deadline": v.deadline,
                "last_action": _last_action_text(v),
                "case_url": registry.case_url(v.case_id),
            }
            for v in shown
        ],
        more=len(ordered) - len(shown),
        tips_url=f"{registry.case_view_base_url.rstrip('/')}/tips",
    )
    message = render_message(DIGEST_TEMPLATE, timezone=zone, **context)
    values = [
        value
        for item in context["items"]
        for key, value in item.items()
        if key not in ("urgent", "case_url")
    ]
    return message, our_values(context["day"], *values, zone=zone)


def _last_action_text(view: TipView) -> str:
    if not view.last_action:
        return "chưa có thao tác nào"
    label = ACTION_LABELS.get(view.last_action, view.last_action)
    when = ""
    if view.last_action_at is not None:
        when = view.last_action_at.astimezone(deployment_zone()).strftime("%H:%M %d/%m/%Y")
    return f"{label} ({when})" if when else label


def _unit_name(code: str, registry: Registry) -> str:
    try:
        return registry.unit(code).name
    except KeyError:
        return code
