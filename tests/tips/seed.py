"""Seed data for the tip tests: citizens, cases, messages and tips straight into the domain DB.

Canary identities are planted on purpose: no Slack payload, log line or CLI output may show them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import Registry, parse_registry, sync_registry
from citizen_desk.db.models import Citizen, Tip
from tests import factories
from tests.conftest import NOW, REGISTRY_PATH
from tests.factories import channel, unit

__all__ = ["channel", "unit"]

# Canaries: a name, a Facebook PSID, a Zalo user id, phone numbers and a profile link.
CANARY_NAME = "Trịnh Thị Hoàng Yến"
CANARY_PSID = "7315926048531742"
CANARY_ZALO_ID = "4471185926303715289"
CANARY_PHONE = "0912 345 678"
CANARY_PHONE_DIGITS = "0912345678"
CANARY_PROFILE = "https://www.facebook.com/trinh.hoang.yen.1998"
CANARIES = (
    CANARY_NAME,
    "Hoàng Yến",
    CANARY_PSID,
    CANARY_ZALO_ID,
    CANARY_PHONE,
    CANARY_PHONE_DIGITS,
    CANARY_PROFILE,
    "trinh.hoang.yen",
)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_counter = itertools.count(1)


def add_tip(
    session: Session,
    *,
    channel_key: str = "fb-th-ns-ngathuy",
    received_at: datetime = NOW,
    urgent: bool = False,
    topic: str | None = "drugs",
    text: str = "Ở xóm 3 có đối tượng nghi bán ma túy, người lạ ra vào suốt",
    name: str | None = "Lê Văn Tám",
    user_id: str | None = None,
    profile: Mapping[str, Any] | None = None,
    status: str = "new",
    extra_messages: tuple[str, ...] = (),
) -> Tip:
    """One citizen, one case of category tip, its inbound message(s) and the tip row."""
    n = next(_counter)
    ch = channel(session, channel_key)
    user_id = user_id or f"99{n:014d}"
    citizen = session.scalars(
        select(Citizen).where(Citizen.channel_id == ch.id, Citizen.platform_user_id == user_id)
    ).one_or_none()
    if citizen is None:  # the same person may send several tips
        citizen = factories.add_citizen(
            session,
            ch,
            platform_user_id=user_id,
            name=name,
            profile=profile or None,
            first_seen_at=received_at,
        )
    case = factories.add_case(
        session,
        ch,
        citizen,
        thread_key=f"t_{n}",
        kind="messenger",
        category="tip",
        topic=topic,
        urgent=urgent,
        triage_confidence=0.9,
        status="open",
        opened_at=received_at,
        awaiting_since=received_at,
        last_citizen_at=received_at,
        updated_at=received_at,
    )
    for index, body in enumerate((text, *extra_messages)):
        factories.add_message(
            session,
            case,
            platform_message_id=f"m_{n}_{index}",
            direction="in",
            kind="messenger",
            citizen_id=citizen.id,
            text=body,
            created_at=received_at + timedelta(seconds=index),
            category="tip",
            topic=topic,
            urgent=urgent,
            collected_at=received_at,
        )
    tip = Tip(
        case_id=case.id,
        unit_id=ch.unit_id,
        status=status,
        urgent=urgent,
        received_at=received_at,
        escalation_level=-1,
        extension_seconds=0,
        updated_at=received_at,
    )
    session.add(tip)
    session.flush()
    return tip


def add_canary_tip(session: Session, **kwargs: Any) -> Tip:
    """A tip whose text and citizen record hold every canary."""
    text = (
        f"Tôi là {CANARY_NAME}, SĐT {CANARY_PHONE}, facebook {CANARY_PROFILE}. Ở xóm 5 có "
        f"đường dây đánh bạc, gọi lại cho tôi số {CANARY_PHONE_DIGITS}, mã {CANARY_PSID}"
    )
    kwargs.setdefault("text", text)
    kwargs.setdefault("name", CANARY_NAME)
    kwargs.setdefault("user_id", CANARY_PSID)
    kwargs.setdefault(
        "profile",
        {"name": CANARY_NAME, "profile_pic": CANARY_PROFILE, "phone": CANARY_PHONE},
    )
    kwargs.setdefault("extra_messages", ("Em nhắn thêm: chị Hoàng Yến ở xóm 5 biết rõ việc này",))
    return add_tip(session, **kwargs)


def add_zalo_canary_tip(session: Session, **kwargs: Any) -> Tip:
    """A Zalo citizen whose user id and phone appear in the text."""
    text = f"Em {CANARY_NAME} đây, zalo id {CANARY_ZALO_ID}, có người đánh nhau, gọi {CANARY_PHONE}"
    kwargs.setdefault("channel_key", "zalo-th-ss-truongson")
    kwargs.setdefault("text", text)
    kwargs.setdefault("name", CANARY_NAME)
    kwargs.setdefault("user_id", CANARY_ZALO_ID)
    kwargs.setdefault("profile", {"display_name": CANARY_NAME, "avatar": CANARY_PROFILE})
    return add_tip(session, **kwargs)


# --- registries --------------------------------------------------------------------------------


def sample_registry_raw() -> dict[str, Any]:
    return yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))


def two_level_registry(path: Path) -> Registry:
    """Province > communes (no district level): the ladder's district step falls to the parent."""
    raw = {
        "timezone": "Asia/Ho_Chi_Minh",
        "case_view_base_url": "http://desk.example/citizen-desk",
        "technical_admins": ["C07TECHADMIN"],
        "units": [
            {"code": "P", "name": "Công an tỉnh P", "kind": "province",
             "contacts": {"duty_officer": "C07PDUTY001", "chief": "U07PCHIEF01"}},
            {"code": "P-A", "name": "Công an xã A", "kind": "commune", "parent": "P",
             "contacts": {"duty_officer": "U07PADUTY01", "chief": "U07PACHIEF1"}},
            {"code": "P-B", "name": "Công an xã B", "kind": "commune", "parent": "P",
             "contacts": {"duty_officer": "U07PBDUTY01"}},  # no chief contact
        ],
        "channels": [
            {"key": "fb-p-a", "unit": "P-A", "platform": "facebook", "platform_id": "501",
             "name": "Công an xã A", "connection_id": "fb_p_a"},
            {"key": "fb-p-b", "unit": "P-B", "platform": "facebook", "platform_id": "502",
             "name": "Công an xã B", "connection_id": "fb_p_b"},
        ],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return parse_registry(raw, path)


def sync(session: Session, registry: Registry) -> None:
    sync_registry(session, registry, now=NOW - timedelta(days=30))
    session.flush()


def ladder_only(registry):
    """`registry` with catch-up off: every due alert by itself, as the ladder computes it. For
    tests of the ladder's own timeline that jump hours between sweeps, which the catch-up policy
    (tests/tips/test_catch_up.py) rightly treats as an outage."""
    from dataclasses import replace

    from citizen_desk.domain.catchup import CatchUpPolicy

    return replace(registry, notifications=CatchUpPolicy(fresh_within=None))
