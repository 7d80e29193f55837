"""Enqueueing: one row per key, the PII gate at enqueue time, admin alerts."""

from __future__ import annotations

from sqlalchemy import select

from citizen_desk.db.models import AuditLog
from citizen_desk.notify import delivery, outbox
from citizen_desk.notify.blocks import render_message
from citizen_desk.notify.subjects import FRESH
from tests.conftest import NOW
from tests.notify.helpers import ADMIN, DUTY, add, posted, stored


def test_same_key_twice_gives_one_row(factory, registry) -> None:
    assert add(factory, registry, "k1") is not None
    assert add(factory, registry, "k1", text="autre") is None
    rows = stored(factory)
    assert list(rows) == ["k1"]
    assert rows["k1"].status == "pending"
    assert rows["k1"].payload["text"].endswith("Xin chào")


def test_pii_in_text_is_blocked_and_admins_alerted(factory, registry, sim, slack) -> None:
    row = add(factory, registry, "leaky", text="Gọi lại cho chị Hoa số 0912 345 678 nhé")
    assert row is not None
    assert row.status == "blocked"
    rows = stored(factory)
    blocked = rows["leaky"]
    # "chị Hoa" after "cho" (not "chợ") is a name too: both kinds are named
    assert blocked.last_error == "blocked by the PII gate: name, phone"
    assert "0912" not in str(blocked.payload)  # stored redacted
    [alert] = [r for r in rows.values() if r.kind == "pii_blocked"]
    assert alert.recipient == ADMIN
    assert alert.status == "pending"
    assert alert.idempotency_key == f"pii-blocked:leaky:{ADMIN}"

    report = delivery.deliver_pending(factory, slack, now=NOW)
    assert report.sent == 1
    [message] = posted(sim)
    assert message["channel"] == ADMIN
    assert "leaky" in message["text"]
    assert "phone" in message["text"]
    assert "0912" not in str(message)
    assert "345 678" not in str(message)
    assert stored(factory)["leaky"].status == "blocked"


def test_protected_name_is_blocked(factory, registry) -> None:
    row = add(factory, registry, "named", text="Chị Lò Thị Mẩy đã báo", names=["Lò Thị Mẩy"])
    assert row is not None
    assert row.status == "blocked"
    assert "name" in row.last_error
    assert "Mẩy" not in str(row.payload)


def test_case_view_links_pass_the_gate_other_links_do_not(factory, registry) -> None:
    url = registry.case_url(12)
    ok = render_message("admin_alert", title="t", body="xem hồ sơ")
    with factory() as session, session.begin():
        clean = outbox.enqueue(
            session,
            key="link-ok",
            kind="t",
            recipient=DUTY,
            now=NOW,
            registry=registry,
            text=f"{ok.text} {url}",
            blocks=[
                *ok.blocks,
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"<{url}|Mở hồ sơ CD-000012>"}],
                },
            ],
        )
        dirty = outbox.enqueue(
            session,
            key="link-bad",
            kind="t",
            recipient=DUTY,
            now=NOW,
            registry=registry,
            text="xem facebook.com/profile.php?id=100099990000777",
        )
    assert clean.status == "pending"
    assert dirty.status == "blocked"
    assert dirty.last_error.endswith("url")


def test_notify_admins_one_row_per_admin(factory, registry) -> None:
    with factory() as session, session.begin():
        assert (
            outbox.notify_admins(
                session,
                registry,
                key="token-expired:zalo",
                text="Hết hạn <x>",
                now=NOW,
                source="tests",
            )
            == 1
        )
        assert (
            outbox.notify_admins(session, registry, key="token-expired:zalo", text="again", now=NOW)
            == 0
        )
    [row] = stored(factory).values()
    assert row.idempotency_key == f"token-expired:zalo:{ADMIN}"
    assert row.kind == "admin_alert"
    assert "Hết hạn &lt;x&gt;" in row.payload["text"]
    assert outbox.admin_recipients(registry) == [ADMIN]


def _with_free_text(factory, registry, key: str, *, title: str, excerpt: str, case_id: int = 12):
    """An alert whose body is free text (an excerpt), enqueued the way the sweeps do it."""

    def render(values):
        return render_message("admin_alert", title=title, body=values["excerpt"])

    message = render({"excerpt": excerpt})
    free_text = outbox.FreeText(
        fields={"excerpt": excerpt},
        render=render,
        case_ref=f"CD-{case_id:06d}",
        case_url=registry.case_url(case_id),
    )
    with factory() as session, session.begin():
        return outbox.enqueue(
            session,
            key=key,
            kind="tip_arrival",
            recipient=DUTY,
            text=message.text,
            blocks=message.blocks,
            now=NOW,
            source="tests",
            registry=registry,
            free_text=free_text,
        )


def _audit(factory) -> list[AuditLog]:
    with factory() as session:
        return list(session.scalars(select(AuditLog).order_by(AuditLog.id)))


def test_pii_in_free_text_is_withheld_and_the_alert_still_goes_out(
    factory, registry, sim, slack, monkeypatch
) -> None:
    excerpt = "Có ổ nhóm đánh bạc, gọi 0912 345 678"
    for key, recipient_title in (
        ("tip:1:L0:arrival:0:D", "Tin báo mới"),
        ("tip:1:L1:e:0:C", "Cấp 1"),
    ):
        row = _with_free_text(factory, registry, key, title=recipient_title, excerpt=excerpt)
        assert row is not None
        assert row.status == "pending"
        assert row.last_error is None
    rows = stored(factory)
    alert = rows["tip:1:L0:arrival:0:D"]
    shown = str(alert.payload)
    assert outbox.WITHHELD in shown
    assert f"<{registry.case_url(12)}|CD-000012>" in shown
    assert "Tin báo mới" in shown  # the rest of the message is kept
    assert "0912" not in shown
    assert "đánh bạc" not in shown
    [notice] = [r for r in rows.values() if r.kind == "pii_withheld"]  # one, for both alerts
    assert notice.recipient == ADMIN
    assert notice.idempotency_key == f"pii-withheld:CD-000012:excerpt:phone:{ADMIN}"
    assert "phone" in notice.payload["text"]
    assert "CD-000012" in notice.payload["text"]
    assert "0912" not in str(notice.payload)
    assert "đánh bạc" not in str(notice.payload)
    audit = [a for a in _audit(factory) if a.action == "notification_pii_withheld"]
    assert [(a.entity_id, a.after) for a in audit] == [
        (str(rows[key].id), {"withheld": {"excerpt": ["phone"]}})
        for key in ("tip:1:L0:arrival:0:D", "tip:1:L1:e:0:C")
    ]
    assert all("0912" not in (a.note or "") for a in audit)

    # no tip #1 in this database: the send-time subject check (tested elsewhere) stays out of it
    monkeypatch.setattr("citizen_desk.notify.subjects.check", lambda session, row: FRESH)
    report = delivery.deliver_pending(factory, slack, now=NOW)
    assert report.sent == 3
    assert {m["channel"] for m in posted(sim)} == {DUTY, ADMIN}
    assert "0912" not in str(posted(sim))


def test_clean_free_text_is_sent_as_rendered(factory, registry) -> None:
    row = _with_free_text(factory, registry, "clean", title="Tin báo", excerpt="Có ổ nhóm [SĐT]")
    assert row.status == "pending"
    assert "Có ổ nhóm [SĐT]" in str(row.payload)
    assert outbox.WITHHELD not in str(row.payload)
    assert [r.kind for r in stored(factory).values()] == ["tip_arrival"]
    assert _audit(factory) == []


def test_pii_outside_the_free_text_still_blocks(factory, registry) -> None:
    row = _with_free_text(
        factory, registry, "structural", title="Gọi 0987 654 321", excerpt="gọi 0912 345 678"
    )
    assert row.status == "blocked"
    assert row.last_error == "blocked by the PII gate: phone"
    assert "0987" not in str(row.payload)
    assert "0912" not in str(row.payload)
    kinds = sorted(r.kind for r in stored(factory).values())
    assert kinds == ["pii_blocked", "tip_arrival"]
    assert [a.action for a in _audit(factory)] == []
