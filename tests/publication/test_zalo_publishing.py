"""Zalo OA articles exactly once, against the simulator: every crash window of
create → token stored → verify → published leaves exactly one article on the OA."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizen_desk.errors import PlatformError
from citizen_desk.platforms.zalo_articles import (
    AUTHOR_LIMIT,
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    ArticleClient,
)
from citizen_desk.publication.approval import decision_from_hitl
from citizen_desk.publication.decisions import apply_decision, mirror_zalo
from citizen_desk.publication.texts import has_marker
from citizen_desk.publication.zalo_posting import article_of, publish_zalo_period
from tests.publication.conftest import ACTOR, Sim, Week, gate
from tests.publication.seed import FB, INFORMANT, NOW, PERIOD, ZALO

COVER = "https://cdn.example/citizen-desk/zalo-cover.jpg"
CONN = "zalo_th_ns_ngathuy"


def approved() -> dict[str, Any]:
    return {"chosen_options": ["Duyệt đăng"], "responded_by_user": {"name": "admin"},
            "responded_at": NOW, "params_input": {}}  # fmt: skip


def _approve(week: Week, registry, *, fb: bool = True) -> None:
    """Gate the week, approve (or not) the unit's Facebook post; Zalo follows it."""
    requests = gate(week, registry)
    with week.session() as session:
        for request in requests:
            ok = fb and request.channel_key == FB
            result = approved() if ok else {"chosen_options": ["Không đăng"]}
            apply_decision(
                session, registry, request.publication_id, decision_from_hitl(result),
                period=PERIOD, now=NOW, actor=ACTOR,
            )  # fmt: skip
        mirror_zalo(session, PERIOD, now=NOW, actor=ACTOR)
        session.commit()


def _publish(week: Week, client_for: Any, **kwargs: Any) -> Any:
    options = {"now": NOW, "actor": ACTOR, "cover_url": COVER, **kwargs}
    return publish_zalo_period(week.engine, PERIOD, client_for, **options)


def _sim_client(simulator: Sim) -> Any:
    return lambda conn, _channel: simulator.article_client(conn)


def _oa_articles(simulator: Sim) -> list[dict[str, Any]]:
    return simulator.zalo_articles().get(simulator.oa_id(CONN), [])


class Crash:
    """Wraps an ArticleClient; `where` names the crash window."""

    def __init__(self, client: ArticleClient, where: str) -> None:
        self.client, self.where = client, where

    def create(self, article: Any) -> str:
        token = self.client.create(article)
        if self.where == "after_create":
            raise SystemError("worker killed before the token was stored")
        return token

    def verify(self, token: str) -> str:
        if self.where == "before_verify":
            raise SystemError("worker killed before verify")
        article_id = self.client.verify(token)
        if self.where == "after_verify":
            raise SystemError("worker killed before the ledger recorded the article")
        return article_id

    def recent(self, scan: int) -> Any:
        return self.client.recent(scan)


def test_an_approved_text_is_published_once_as_an_article(
    week: Week, registry, simulator: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    _approve(week, registry)
    text = week.publication(ZALO).text
    with caplog.at_level(logging.INFO):
        report = _publish(week, _sim_client(simulator))
        again = _publish(week, _sim_client(simulator))
    assert [o.status for o in report.outcomes] == ["published"]
    assert again.outcomes == []
    assert again.uncertain == []
    (article,) = _oa_articles(simulator)
    pub = week.publication(ZALO)
    assert (pub.status, pub.platform_post_id) == ("published", article["id"])
    assert pub.platform_job_token == article["token"]
    assert has_marker(article["title"], PERIOD.tag)
    assert article["title"].startswith("Công an xã Nga Thủy")
    assert [b["content"] for b in article["body"]] == [
        line.strip() for line in text.splitlines() if line.strip()
    ]
    assert article["cover"]["photo_url"] == COVER
    assert article["status"] == "show"
    assert INFORMANT not in caplog.text
    assert len(simulator.sim.zalo.articles.jobs()) == 1


@pytest.mark.parametrize("where", ["after_create", "before_verify", "after_verify"])
def test_every_crash_window_leaves_exactly_one_article(
    week: Week, registry, simulator: Sim, where: str
) -> None:
    _approve(week, registry)
    crashing = lambda conn, _c: Crash(simulator.article_client(conn), where)  # noqa: E731
    report = _publish(week, crashing)
    assert report.uncertain == [ZALO]
    pub = week.publication(ZALO)
    assert pub.status == "publishing"
    assert (pub.platform_job_token is None) == (where == "after_create")
    simulator.sim.advance(timedelta(minutes=5))  # Airflow's retry delay: Zalo has processed it
    retry = _publish(week, _sim_client(simulator))
    expected = "reconciled" if where == "after_create" else "published"
    assert [o.status for o in retry.outcomes] == [expected]
    (article,) = _oa_articles(simulator)
    assert len(simulator.sim.zalo.articles.jobs()) == 1  # never a second create
    pub = week.publication(ZALO)
    assert (pub.status, pub.platform_post_id) == ("published", article["id"])


def test_a_refused_verify_of_a_stored_token_finds_the_article_first(
    week: Week, registry, simulator: Sim
) -> None:
    class Forgetful(Crash):
        def verify(self, token: str) -> str:
            raise PlatformError("Zalo POST /v2.0/article/verify: error -201: token is invalid!",
                                platform="zalo", code=-201, retryable=False)  # fmt: skip

    _approve(week, registry)
    _publish(week, lambda conn, _c: Crash(simulator.article_client(conn), "before_verify"))
    simulator.sim.advance(timedelta(minutes=5))
    retry = _publish(week, lambda conn, _c: Forgetful(simulator.article_client(conn), ""))
    assert [o.status for o in retry.outcomes] == ["reconciled"]
    (article,) = _oa_articles(simulator)
    assert week.publication(ZALO).platform_post_id == article["id"]


def test_a_refused_verify_without_an_article_is_failed(
    week: Week, registry, simulator: Sim
) -> None:
    class Refused(Crash):
        def verify(self, token: str) -> str:
            raise PlatformError("Zalo POST /v2.0/article/verify: error -200: Upload media failed",
                                platform="zalo", code=-200, retryable=False)  # fmt: skip

        def recent(self, scan: int) -> Any:
            return iter(())

    _approve(week, registry)
    report = _publish(week, lambda conn, _c: Refused(simulator.article_client(conn), ""))
    assert [(o.status, o.error) for o in report.outcomes] == [("failed", "zalo_error:-200")]
    assert week.publication(ZALO).status == "failed"


def test_an_article_still_processing_stays_publishing_and_is_verified_later(
    week: Week, registry, simulator: Sim
) -> None:
    _approve(week, registry)
    impatient = lambda conn, _c: simulator.article_client(conn, verify_attempts=1)  # noqa: E731
    report = _publish(week, impatient)
    assert report.uncertain == [ZALO]
    assert week.publication(ZALO).platform_job_token
    retry = _publish(week, _sim_client(simulator))
    assert [o.status for o in retry.outcomes] == ["published"]
    assert len(_oa_articles(simulator)) == 1
    assert len(simulator.sim.zalo.articles.jobs()) == 1


def test_a_refused_article_is_failed_with_its_code(week: Week, registry) -> None:
    class Refusing:
        def recent(self, scan: int) -> Any:
            return iter(())

        def create(self, article: Any) -> str:
            raise PlatformError(
                "Zalo POST /v2.0/article/create: error -224: upgrade", platform="zalo",
                code=-224, retryable=False,
            )  # fmt: skip

    _approve(week, registry)
    report = _publish(week, lambda _conn, _c: Refusing())
    assert [(o.status, o.error) for o in report.outcomes] == [("failed", "zalo_error:-224")]
    pub = week.publication(ZALO)
    assert (pub.status, pub.blocked_reason) == ("failed", "zalo_error:-224")


def test_without_a_cover_nothing_is_sent_and_the_row_stays_approved(
    week: Week, registry, simulator: Sim
) -> None:
    _approve(week, registry)
    report = _publish(week, _sim_client(simulator), cover_url=None)
    assert [(o.status, o.error) for o in report.outcomes] == [("skipped", "zalo_cover_url missing")]
    assert week.publication(ZALO).status == "approved"
    assert _oa_articles(simulator) == []


def test_not_approved_or_blocked_texts_are_not_published(
    week: Week, registry, simulator: Sim
) -> None:
    _approve(week, registry, fb=False)
    report = _publish(week, _sim_client(simulator))
    assert report.outcomes == []
    assert week.publication(ZALO).status == "rejected"
    assert _oa_articles(simulator) == []


def test_a_pii_finding_blocks_facebook_and_zalo(week: Week, registry, simulator: Sim) -> None:
    from citizen_desk.db.models import Tip
    from citizen_desk.publication.drafts import render_all
    from tests.publication.conftest import week_results

    with week.session() as session:
        tip = session.get(Tip, week.seeded.tips["T1"])
        tip.public_outcome = f"Cảm ơn chị {INFORMANT} đã cung cấp thông tin."
        session.commit()
        render_all(
            session, registry, week_results(session, registry, week.units), now=NOW,
            actor=ACTOR, report_dir=week.report_dir,
        )  # fmt: skip
        session.commit()
    requests = gate(week, registry)
    assert FB not in [r.channel_key for r in requests]
    with week.session() as session:
        mirror_zalo(session, PERIOD, now=NOW, actor=ACTOR)
        session.commit()
    report = _publish(week, _sim_client(simulator))
    assert report.outcomes == []
    assert (week.publication(FB).status, week.publication(ZALO).status) == ("blocked", "blocked")
    assert _oa_articles(simulator) == []


def test_broadcast_is_sent_once_when_the_policy_asks(week: Week, registry, simulator: Sim) -> None:
    _approve(week, registry)
    _publish(week, _sim_client(simulator), broadcast=True)  # NOW = 10:00 local
    _publish(week, _sim_client(simulator), broadcast=True)
    (sent,) = simulator.zalo_broadcasts()
    pub = week.publication(ZALO)
    assert sent["articles"] == [pub.platform_post_id]
    assert (pub.broadcast_status, pub.broadcast_message_id) == ("sent", sent["message_id"])
    from sqlalchemy import select

    from citizen_desk.db.models import AuditLog

    with week.session() as session:
        actions = session.scalars(
            select(AuditLog.action).where(
                AuditLog.entity_type == "publication", AuditLog.entity_id == str(pub.id)
            )
        ).all()
    assert actions.count("publication_broadcast") == 2  # sending, sent


def test_broadcast_in_the_night_ban_is_deferred_to_the_next_run(
    week: Week, registry, simulator: Sim
) -> None:
    _approve(week, registry)
    night = NOW + timedelta(hours=13)  # 23:00 local
    report = _publish(week, _sim_client(simulator), broadcast=True, now=night)
    assert [o.status for o in report.outcomes] == ["published"]
    assert week.publication(ZALO).broadcast_status == "deferred"
    assert simulator.zalo_broadcasts() == []
    simulator.sim.advance(timedelta(hours=20))  # the simulator's clock: 06:00 local next day
    _publish(week, _sim_client(simulator), broadcast=True, now=NOW + timedelta(hours=20))
    assert len(simulator.zalo_broadcasts()) == 1
    assert week.publication(ZALO).broadcast_status == "sent"
    assert len(_oa_articles(simulator)) == 1


def test_zalo_answering_the_night_ban_defers_the_broadcast(
    week: Week, registry, simulator: Sim
) -> None:
    _approve(week, registry)
    _publish(week, _sim_client(simulator))
    simulator.sim.advance(timedelta(hours=13))  # Zalo's clock is in the ban, ours is not
    _publish(week, _sim_client(simulator), broadcast=True)
    assert week.publication(ZALO).broadcast_status == "deferred"
    assert simulator.zalo_broadcasts() == []


def test_the_article_fits_zalo_limits_for_the_real_text(week: Week, registry) -> None:
    pub = week.publication(ZALO)
    article = article_of(pub.text, pub.marker, unit_name="Công an xã Nga Thủy", cover_url=COVER)
    payload = article.payload()
    assert payload["title"].endswith(PERIOD.tag)
    assert "Tuần 47" in payload["title"]
    assert PERIOD.tag not in payload["description"]
    assert payload["description"].startswith("• Tiếp nhận")


@given(st.text(), st.text(min_size=1, max_size=120).filter(str.strip))
def test_any_text_makes_a_valid_article_carrying_the_marker(text: str, unit: str) -> None:
    tag = "#Tuan47_2026"
    payload = article_of(text, tag, unit_name=unit, cover_url=COVER).payload()  # never raises
    assert 0 < len(payload["title"]) < TITLE_LIMIT
    assert 0 < len(payload["description"]) < DESCRIPTION_LIMIT
    assert 0 < len(payload["author"]) < AUTHOR_LIMIT
    assert has_marker(payload["title"], tag)
    assert "\n" not in payload["title"] + payload["description"]
