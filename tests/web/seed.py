"""Seed data for the web tests: cases, tips, citizens, messages, publications, collection runs.

Canary identities are planted on purpose: only the protected case view may ever show them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from citizen_desk.db.models import (
    Case,
    CollectionRun,
    CollectionWatermark,
    Publication,
    Quarantine,
    Tip,
    TriageModelVersion,
)
from tests import factories
from tests.factories import channel as _channel

CANARY_NAME = "Trịnh Thị Hoàng Yến"
CANARY_PSID = "7315926048531742"
CANARY_PHONE = "0912 345 678"
CANARY_PROFILE = "https://www.facebook.com/trinh.hoang.yen.1998"
CANARIES = (CANARY_NAME, CANARY_PSID, CANARY_PHONE, "0912345678", CANARY_PROFILE)
TIP_NAME = "Lê Văn Tám"
TIP_TEXT = "Ở xóm 3 có đối tượng nghi bán ma túy, người lạ ra vào suốt đêm. Tôi là Lê Văn Tám"
XSS_TEXT = "Góp ý <script>alert(1)</script> về giờ tiếp dân"
REPORT_HTML = "<!doctype html><html><body><h1>Báo cáo tuần 47</h1></body></html>"

_counter = itertools.count(1)
AWAITING_TEXT = (
    "Tuần 47 (16/11–22/11/2026), Công an xã Nga Thủy đã trả lời 12 câu hỏi của Nhân dân.\n\n"
    "#CongAnThanhHoa #CongAnXaNgaThuy #Tuan47_2026"
)
AWAITING = (  # (name, channel, status, text) of the publications seeded for the edit page
    ("ngathuy", "fb-th-ns-ngathuy", "awaiting_approval", AWAITING_TEXT),
    (
        "bacson",
        "fb-th-ss-bacson",
        "awaiting_approval",
        "Tuần 47, Công an xã Bắc Sơn đã trả lời 8 câu hỏi.\n\n#CongAnThanhHoa #Tuan47_2026",
    ),
    ("ngathuy_zalo", "zalo-th-ns-ngathuy", "draft", "Tuần 47, Công an xã Nga Thủy.\n#Tuan47_2026"),
)


@dataclass
class Seeded:
    cases: dict[str, int] = field(default_factory=dict)
    tips: dict[str, int] = field(default_factory=dict)
    publications: dict[str, int] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    reports_dir: Path | None = None


def add_case(
    session: Session,
    *,
    channel_key: str,
    opened_at: datetime,
    category: str = "question",
    status: str = "open",
    text: str = "Xin hỏi thủ tục đăng ký tạm trú cần giấy tờ gì?",
    name: str | None = "Nguyễn Văn An",
    user_id: str | None = None,
    profile: dict | None = None,
    warn_at: datetime | None = None,
    due_at: datetime | None = None,
    first_response_at: datetime | None = None,
    permalink: str | None = None,
    reply: str | None = None,
    urgent: bool = False,
    topic: str | None = None,
) -> Case:
    n = next(_counter)
    channel = _channel(session, channel_key)
    citizen = factories.add_citizen(
        session,
        channel,
        platform_user_id=user_id or f"88{n:014d}",
        name=name,
        profile=profile,
        first_seen_at=opened_at,
    )
    case = factories.add_case(
        session,
        channel,
        citizen,
        thread_key=f"t_web_{n}",
        kind=factories.message_kind(channel),
        category=category,
        topic=topic,
        urgent=urgent,
        triage_confidence=0.9,
        status=status,
        opened_at=opened_at,
        awaiting_since=opened_at if status == "open" else None,
        last_citizen_at=opened_at,
        first_response_at=first_response_at,
        last_response_at=first_response_at,
        sla_warn_at=warn_at,
        sla_due_at=due_at,
        permalink=permalink,
        updated_at=opened_at,
    )
    messages = [("in", text, opened_at, citizen.id)]
    if reply and first_response_at:
        messages.append(("out", reply, first_response_at, None))
    for index, (direction, body, at, citizen_id) in enumerate(messages):
        factories.add_message(
            session,
            case,
            platform_message_id=f"m_web_{n}_{index}",
            direction=direction,
            text=body,
            created_at=at,
            citizen_id=citizen_id,
        )
    session.flush()
    return case


def add_tip(
    session: Session,
    *,
    channel_key: str,
    received_at: datetime,
    status: str = "new",
    level: int = -1,
    text: str = "Có người lạ ra vào nhà hoang ở xóm 5 lúc nửa đêm",
    name: str | None = "Phạm Thị Hoa",
    user_id: str | None = None,
    topic: str = "suspicious",
    urgent: bool = False,
) -> Tip:
    case = add_case(
        session,
        channel_key=channel_key,
        opened_at=received_at,
        category="tip",
        text=text,
        name=name,
        user_id=user_id,
        topic=topic,
        urgent=urgent,
    )
    closed = status in ("verified", "unfounded", "forwarded")
    tip = Tip(
        case_id=case.id,
        unit_id=case.unit_id,
        status=status,
        urgent=urgent,
        received_at=received_at,
        escalation_level=level,
        extension_seconds=0,
        verified_at=received_at + timedelta(hours=5) if closed else None,
        verified_by="chief.ns" if closed else None,
        closed_at=received_at + timedelta(hours=5) if closed else None,
        updated_at=received_at,
    )
    session.add(tip)
    session.flush()
    return tip


def seed(session: Session, now: datetime, reports_dir: Path) -> Seeded:
    """The scenario every web test runs against (see the test modules for the expectations)."""
    s = Seeded(reports_dir=reports_dir)
    h = timedelta(hours=1)
    # Open questions: one past due (the canary citizen), one in warning, one fine, one without SLA.
    s.cases["breach"] = add_case(
        session,
        channel_key="fb-th-ns-ngathuy",
        opened_at=now - 10 * h,
        text=f"Tôi là {CANARY_NAME}, số điện thoại {CANARY_PHONE}, xin hỏi thủ tục tạm trú",
        name=CANARY_NAME,
        user_id=CANARY_PSID,
        profile={"name": CANARY_NAME, "link": CANARY_PROFILE},
        warn_at=now - 3 * h,
        due_at=now - h,
    ).id
    s.cases["warning"] = add_case(
        session,
        channel_key="zalo-th-ns-ngathuy",
        opened_at=now - 4 * h,
        warn_at=now - h / 2,
        due_at=now + h,
    ).id
    s.cases["ok"] = add_case(
        session,
        channel_key="fb-th-ss",
        opened_at=now - h,
        category="feedback",
        text=XSS_TEXT,
        warn_at=now + 3 * h,
        due_at=now + 5 * h,
        permalink="https://www.facebook.com/100064512300020_555",
    ).id
    s.cases["no_sla"] = add_case(
        session,
        channel_key="fb-th-ss",
        opened_at=now - 2 * h,
        category="other",
        permalink="javascript:alert(1)",
    ).id
    # Answered this week (first responses after 2 h and 4 h) and one answered last week.
    for opened, answered in ((5, 3), (9, 5), (40, 30)):
        add_case(
            session,
            channel_key="fb-th-ns-ngathuy",
            opened_at=now - opened * h,
            status="answered",
            first_response_at=now - answered * h,
            reply="Chào bạn, bạn mang theo CCCD đến Công an xã nhé.",
        )
    # Tips.
    s.tips["new"] = add_tip(
        session,
        channel_key="fb-th-ns-ngathuy",
        received_at=now - 30 * h,
        level=0,
        text=TIP_TEXT,
        name=TIP_NAME,
        topic="drugs",
    ).id
    s.tips["verifying"] = add_tip(
        session, channel_key="fb-th-ns-ngathuy", received_at=now - 60 * h, level=2,
        status="verifying", topic="gambling",
        text="Tối nào cũng có nhóm tụ tập đánh bạc ở quán nước đầu cầu Nga Thủy",
    ).id  # fmt: skip
    s.tips["closed"] = add_tip(
        session, channel_key="fb-th-ns-ngathuy", received_at=now - 100 * h, level=1,
        status="verified",
    ).id  # fmt: skip
    ss_tip = add_tip(
        session, channel_key="fb-th-ss", received_at=now - 2 * h, topic="street_racing",
        urgent=True, text="Nhóm thanh niên đua xe, bốc đầu trên đường Hồ Xuân Hương tối nay",
    )  # fmt: skip
    s.tips["ss"], s.cases["ss_tip"] = ss_tip.id, ss_tip.case_id
    # Publications and reports.
    (reports_dir / "2026-W47").mkdir(parents=True, exist_ok=True)
    (reports_dir / "2026-W47" / "fb-th.html").write_text(REPORT_HTML, encoding="utf-8")
    (reports_dir / "province-2026-W47.html").write_text(REPORT_HTML, encoding="utf-8")
    (reports_dir / "notes.txt").write_text("not a report", encoding="utf-8")
    (reports_dir.parent / "secret.html").write_text("SECRET OUTSIDE", encoding="utf-8")
    session.add_all(
        [
            Publication(
                channel_id=_channel(session, "fb-th").id,
                period="2026-W47",
                marker="cd-2026-W47",
                text="Tuần qua Công an tỉnh đã tiếp nhận 120 câu hỏi.",
                status="published",
                approved_by="admin",
                approved_at=now - 20 * h,
                platform_post_id="100064512300001_999",
                published_at=now - 19 * h,
                report_path="2026-W47/fb-th.html",
                updated_at=now - 19 * h,
            ),
            Publication(
                channel_id=_channel(session, "fb-th-ss").id,
                period="2026-W47",
                marker="cd-2026-W47",
                text="Bản nháp",
                status="blocked",
                blocked_reason="Dưới số lượng tối thiểu",
                report_path="/etc/passwd",
                updated_at=now - 19 * h,
            ),
        ]
    )
    # Two posts awaiting approval (units TH-NS-NGATHUY and TH-SS-BACSON) and a Zalo draft.
    for name, key, status, text in AWAITING:
        pub = Publication(
            channel_id=_channel(session, key).id, period="2026-W47", marker="#Tuan47_2026",
            text=text, status=status, updated_at=now - h,
        )  # fmt: skip
        session.add(pub)
        session.flush()
        s.publications[name] = pub.id
    # Collection health.
    ngathuy, zalo, ss = (
        _channel(session, key).id for key in ("fb-th-ns-ngathuy", "zalo-th-ns-ngathuy", "fb-th-ss")
    )
    runs = [
        (ngathuy, "r1", "success", now - h, None),
        (zalo, "r0", "success", now - 48 * h, None),
        (zalo, "r1", "failed", now - h / 2, "Zalo error -216: Access token is invalid"),
        (ss, "r0", "failed", now - 3 * h, "Graph error (#4) Application request limit reached"),
        (ss, "r1", "success", now - h, None),
    ]
    for channel_id, run_id, status, at, error in runs:
        session.add(
            CollectionRun(
                run_id=run_id,
                channel_id=channel_id,
                status=status,
                started_at=at - timedelta(minutes=2),
                finished_at=at,
                error=error,
            )
        )
    for channel_id, age in ((ngathuy, h), (zalo, 48 * h), (ss, h)):
        session.add(
            CollectionWatermark(
                channel_id=channel_id,
                source="messages",
                watermark=now - age,
                updated_at=now - age,
            )
        )
    for index in range(2):
        session.add(
            Quarantine(
                channel_id=ss,
                source="messages",
                reason="missing field `from`",
                payload="{}",
                payload_hash=f"hash{index}",
                created_at=now - h,
            )
        )
    # Two versions of the triage model: the shipped one, retired by a retrained champion.
    s.models.update(add_model_versions(session, now))
    session.commit()
    return s


RETRAINED_VERSION = "1-webtest00001"
FIGURES = {
    "test_rows": 169, "test_accuracy": 0.6154, "tip_recall": 0.8462, "urgent_rows": 3,
    "urgent_recall": 0.3333, "false_urgents": 3, "false_urgent_rate": 0.0181,
    "abuse_recall": 0.5349, "recent_corrections": 0, "recent_agreement": None,
}  # fmt: skip


def add_model_versions(session: Session, now: datetime) -> dict[str, int]:
    """The shipped artifact (retired) and a copy of it under another version (the champion,
    promoted by a retrain last week: the same weights, so triage is unchanged)."""
    from citizen_desk.learning.versions import shipped_artifact

    artifact = shipped_artifact()
    shipped = TriageModelVersion(
        version=artifact["version"], origin="shipped", status="retired", artifact=artifact,
        figures=FIGURES, evaluated_at=now - timedelta(days=7), created_at=now - timedelta(days=14),
        champion_since=now - timedelta(days=14),
    )  # fmt: skip
    decision = {"promote": True, "basis": "test", "champion_score": 0.6154,
                "challenger_score": 0.6331, "gain": 0.0177, "margin": 0.01,
                "reasons": []}  # fmt: skip
    retrained = TriageModelVersion(
        version=RETRAINED_VERSION, origin="retrained", week="2026-W47", status="champion",
        artifact={**artifact, "version": RETRAINED_VERSION},
        figures={**FIGURES, "test_accuracy": 0.6331, "decision": decision,
                 "training": {"correction_rows": 12}},
        evaluated_at=now - timedelta(days=1), created_at=now - timedelta(days=1),
        champion_since=now - timedelta(days=1),
    )  # fmt: skip
    session.add_all([shipped, retrained])
    session.flush()
    return {"shipped": shipped.id, "retrained": retrained.id}
