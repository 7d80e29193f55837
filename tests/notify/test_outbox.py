"""Enqueueing: one row per key, the PII gate at enqueue time, admin alerts."""

from __future__ import annotations

from citizen_desk.notify import delivery, outbox
from citizen_desk.notify.blocks import render_message
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
