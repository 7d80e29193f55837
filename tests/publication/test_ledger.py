"""The publications ledger: PII gate, approvals, dry runs, past weeks, exactly-once posts."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from citizen_desk.db.models import AuditLog, Notification, Tip
from citizen_desk.errors import NotFoundError, PlatformError, WorkflowError
from citizen_desk.pipeline.context import run_context
from citizen_desk.publication import posting
from citizen_desk.publication.approval import (
    APPROVE,
    FIGURES_DOC,
    REJECT,
    Decision,
    decision_from_hitl,
)
from citizen_desk.publication.drafts import render_all
from citizen_desk.publication.gate import PublishMode, publish_mode
from citizen_desk.publication.ledger import idle_reason
from citizen_desk.publication.posting import publish_period
from citizen_desk.publication.tasks import run_gate, run_publish
from tests.publication.conftest import ACTOR, FakeGraph, Sim, Week, gate, week_results
from tests.publication.seed import FB, INFORMANT, NOW, PERIOD, ZALO

ADMIN = {"id": "admin", "name": "admin"}
PHONE = "0912 345 678"


def approved() -> dict[str, Any]:
    return {
        "chosen_options": [APPROVE],
        "params_input": {},  # the request has no params: no text ever comes back through Airflow
        "responded_at": NOW + timedelta(hours=2),
        "responded_by_user": ADMIN,
    }


def rejected() -> dict[str, Any]:
    return {**approved(), "chosen_options": [REJECT]}


def timed_out() -> dict[str, Any]:
    return {**approved(), "chosen_options": [REJECT], "responded_by_user": None}


def context(week: Week, **params: Any) -> dict[str, Any]:
    run_type = params.pop("run_type", "scheduled")
    started = params.pop("started_at", NOW)
    dag_run = SimpleNamespace(
        dag_id="publish_weekly_results",
        run_id="test_run",
        run_type=run_type,
        start_date=started,
        run_after=NOW,
    )
    return {
        "data_interval_end": NOW,
        "dag_run": dag_run,
        "run_id": "test_run",
        "params": {"dry_run": False, "allow_post_for_past_week": False, **params},
    }


def decide(requests: list[dict[str, Any]], answers: dict[str, dict[str, Any] | None]) -> list:
    """HITL results in map-index order: `answers` by channel key, others rejected."""
    return [answers.get(r["channel_key"], rejected()) for r in requests]


def set_outcome(week: Week, registry, text: str) -> None:
    """Change T1's public outcome and re-render the week's drafts."""
    with week.session() as session:
        session.get(Tip, week.seeded.tips["T1"]).public_outcome = text
        session.commit()
        render_all(
            session,
            registry,
            week_results(session, registry, week.units),
            now=NOW,
            actor=ACTOR,
            report_dir=week.report_dir,
        )
        session.commit()


# --- PII gate ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "kind"),
    [
        (f"Đã xác minh tin báo; mọi thắc mắc liên hệ {PHONE}.", "phone"),
        (f"Cảm ơn chị {INFORMANT} đã cung cấp thông tin.", "name"),
    ],
)
def test_pii_gate_blocks_the_units_post(week: Week, registry, outcome: str, kind: str) -> None:
    set_outcome(week, registry, outcome)
    requests = gate(week, registry)
    placeholder = {"phone": "[SĐT]", "name": "[TÊN]"}[kind]
    for key in (FB, ZALO):
        pub = week.publication(key)
        assert pub.status == "blocked"
        assert pub.blocked_reason == kind  # the kinds only, never the finding
        assert placeholder in pub.text  # the ledger keeps a redacted copy only
    report = (week.report_dir / "2026-W47.html").read_text(encoding="utf-8")
    assert placeholder in report  # the admin report is redacted, not blocked
    assert FB not in {r.channel_key for r in requests}
    assert len(requests) == 2  # every other Facebook page goes on to approval
    assert week.publication("fb-th").status == "awaiting_approval"
    with week.session() as session:
        alerts = session.scalars(
            select(Notification).where(
                Notification.idempotency_key.like(f"publication-blocked:{FB}:{PERIOD.key}:%")
            )
        ).all()
        audit = session.scalars(select(AuditLog).where(AuditLog.entity_type == "publication"))
        audit_text = json.dumps([[a.note, a.before, a.after] for a in audit], ensure_ascii=False)
    assert [a.recipient for a in alerts] == ["C07TECHADMIN"]
    alert = json.dumps(alerts[0].payload, ensure_ascii=False)
    assert kind in alert
    assert alerts[0].status == "pending"
    for secret in (PHONE, INFORMANT):
        assert secret not in alert
        assert secret not in audit_text
        assert secret not in report
        assert secret not in week.publication(FB).text


def test_a_gated_week_asks_for_approval_of_each_facebook_post(week: Week, registry) -> None:
    requests = gate(week, registry)
    assert [r.channel_key for r in requests] == ["fb-th", FB, "fb-th-ss-bacson"]
    request = next(r for r in requests if r.channel_key == FB)
    assert request.response_timeout == timedelta(hours=24)
    assert "Tuần 47" in request.subject
    assert week.publication(FB).text in request.body
    assert f"`{FB}`" in request.body
    assert week.publication(ZALO).status == "draft"  # follows the Facebook decision later
    # exactly what goes out per channel, and where the figures are defined
    assert week.publication(ZALO).text.strip() in request.body
    assert f"`{ZALO}`" in request.body
    assert FIGURES_DOC in request.body
    assert "Weekly results" in request.body
    # no text field: the body says where to edit, and which text an approval posts
    pub_id = week.publication(FB).id
    assert f"(http://localhost:8080/citizen-desk/publications/{pub_id}/edit)" in request.body
    assert "Citizen Desk → Bài đăng & báo cáo" in request.body
    assert "**Sửa nội dung**" in request.body
    assert "bản sửa mới nhất đã lưu trước khi bạn chọn Duyệt đăng" in request.body
    other = next(r for r in requests if r.channel_key == "fb-th")
    assert "Zalo OA" not in other.body  # the province page has no OA


# --- decisions -----------------------------------------------------------------------------------


def test_reading_hitl_results() -> None:
    assert decision_from_hitl(None) == Decision("missing")
    assert decision_from_hitl(timed_out()).outcome == "timed_out"
    assert decision_from_hitl(rejected()) == Decision("rejected", "admin", NOW + timedelta(hours=2))
    ok = decision_from_hitl({**approved(), "responded_at": "2026-11-23T05:00:00+00:00"})
    assert ok == Decision("approved", "admin", NOW + timedelta(hours=2))
    # text smuggled into an answer over the API is not read: edits come from the Citizen Desk page
    smuggled = decision_from_hitl({**approved(), "params_input": {"edited_text": PHONE}})
    assert smuggled == Decision("approved", "admin", NOW + timedelta(hours=2))
    assert PHONE not in repr(smuggled)


def test_only_an_assigned_approver_approves() -> None:
    assigned = [ADMIN, {"id": "chief.th", "name": "chief.th"}]
    assert decision_from_hitl(approved(), assigned).outcome == "approved"
    by_chief = {**approved(), "responded_by_user": {"id": "chief.th", "name": "Chief"}}
    assert decision_from_hitl(by_chief, assigned).outcome == "approved"
    # all-admins mode lets anyone answer; someone else's "approve" is no approval
    anonymous = {**approved(), "responded_by_user": {"id": "Anonymous", "name": "Anonymous"}}
    assert decision_from_hitl(anonymous, assigned) == Decision(
        "rejected", "Anonymous", NOW + timedelta(hours=2)
    )
    assert decision_from_hitl(anonymous, []).outcome == "rejected"
    assert decision_from_hitl(timed_out(), assigned).outcome == "timed_out"


def test_every_approval_request_is_assigned_to_the_units_approvers(week: Week, registry) -> None:
    from citizen_desk.publication.approval import ApprovalRequest, assigned_users, hitl_kwargs

    requests = gate(week, registry)
    assert requests
    for request in requests:
        assert request.approvers == ("admin",)  # the sample registry's approver over TH
        assert hitl_kwargs(request.as_dict())["assigned_users"] == [ADMIN]
    assert assigned_users(["a", "b"]) == [{"id": "a", "name": "a"}, {"id": "b", "name": "b"}]
    with pytest.raises(ValueError, match="no approver"):
        ApprovalRequest(1, FB, "s", "b", timedelta(hours=1), approvers=())


def test_a_unit_without_approver_is_blocked_not_sent_to_anyone(week: Week, registry) -> None:
    """Airflow lets anyone answer a request without assigned users: such a post never goes out
    for approval; the admins are told."""
    from dataclasses import replace

    from citizen_desk.access import Grant
    from citizen_desk.domain.vocabulary import AccessRole

    only_ss = replace(
        registry,
        access={"ss": (Grant(AccessRole.PUBLICATION_APPROVER, frozenset({"TH-SS"})),)},
    )
    requests = gate(week, only_ss)
    assert [r.channel_key for r in requests] == ["fb-th-ss-bacson"]
    assert requests[0].approvers == ("ss",)
    for key in ("fb-th", FB):
        pub = week.publication(key)
        assert (pub.status, pub.blocked_reason) == ("blocked", "no_approver")
    with week.session() as session:
        payloads = [json.dumps(n.payload, ensure_ascii=False) for n in session.scalars(
            select(Notification).where(Notification.idempotency_key.like("%no-approver%"))
        )]  # fmt: skip
    assert payloads
    assert all("chưa có người duyệt bài đăng" in payload for payload in payloads)


def _publish(week: Week, registry, answers: dict[str, Any], graph: Any, **params: Any) -> dict:
    run = run_context(context(week, **params))
    requests = run_gate(week.rendered, run)
    return run_publish(
        week.rendered,
        requests,
        run,
        decisions=decide(requests, answers),
        client_for=lambda _c: graph,
    )


def test_approved_post_is_published_and_the_rest_not(db_env: Week, registry) -> None:
    graph = FakeGraph()
    answers = {FB: approved(), "fb-th": timed_out(), "fb-th-ss-bacson": None}
    summary = _publish(db_env, registry, answers, graph)
    assert [p["message"] for p in graph.posts] == [db_env.publication(FB).text]
    pub = db_env.publication(FB)
    assert (pub.status, pub.platform_post_id) == ("published", graph.posts[0]["id"])
    assert pub.approved_by == "admin"
    assert pub.approved_at == NOW + timedelta(hours=2)
    assert db_env.publication(ZALO).status == "approved"  # no zalo_cover_url here: not sent
    assert (db_env.publication("fb-th").status, db_env.publication("fb-th").blocked_reason) == (
        "rejected",
        "approval_timeout",
    )
    assert db_env.publication("fb-th-ss-bacson").blocked_reason == "no_decision"
    assert summary["published"] == 1
    assert summary["decisions"] == {"approved": 1, "rejected": 2}
    assert summary["idle"] is None
    # a second run finds nothing to do and says why
    again = run_publish(
        db_env.rendered, [], run_context(context(db_env)), client_for=lambda _: graph
    )
    assert again["idle"] == "nothing approved (published: 1, rejected: 2)"
    assert len(graph.posts) == 1


def test_rejected_and_timed_out_posts_are_not_published(db_env: Week, registry) -> None:
    graph = FakeGraph()
    _publish(db_env, registry, {FB: timed_out()}, graph)
    assert graph.post_calls == 0
    assert db_env.publication(FB).status == "rejected"
    assert db_env.publication(ZALO).status == "rejected"


# --- dry run and past weeks ----------------------------------------------------------------------


def test_publish_mode() -> None:
    kwargs = {"dry_run": False, "allow_past": False, "run_type": "scheduled", "started_at": NOW}
    assert publish_mode(PERIOD, **kwargs) == PublishMode(True)
    assert publish_mode(PERIOD, **{**kwargs, "dry_run": True}).reason == "dry_run"
    assert publish_mode(PERIOD, **{**kwargs, "run_type": "backfill"}).reason == "past_week"
    late = PERIOD.end + timedelta(days=7)
    assert publish_mode(PERIOD, **{**kwargs, "started_at": late}).reason == "past_week"
    assert publish_mode(PERIOD, **{**kwargs, "started_at": late - timedelta(minutes=1)}).enabled
    allowed = {**kwargs, "run_type": "backfill", "allow_past": True}
    assert publish_mode(PERIOD, **allowed).enabled
    assert not publish_mode(PERIOD, **{**allowed, "dry_run": True}).enabled


@pytest.mark.parametrize(
    ("params", "reason"),
    [({"dry_run": True}, "dry_run"), ({"run_type": "backfill"}, "past_week")],
)
def test_dry_run_and_past_weeks_store_everything_and_post_nothing(
    db_env: Week, registry, params: dict, reason: str
) -> None:
    graph = FakeGraph()
    ctx = context(db_env, **params)
    requests = run_gate(db_env.rendered, run_context(ctx))
    assert requests == []
    summary = run_publish(db_env.rendered, requests, run_context(ctx), client_for=lambda _c: graph)
    assert summary["mode"] == reason
    assert summary["idle"] == {"dry_run": "dry run", "past_week": "past week"}[reason]
    assert graph.post_calls == 0
    assert db_env.publication(FB).status == "dry_run"
    assert db_env.publication(ZALO).status == "dry_run"
    assert db_env.publication(FB).text  # rendered and stored


def test_past_week_posts_when_allowed(db_env: Week, registry) -> None:
    graph = FakeGraph()
    _publish(db_env, registry, {FB: approved()}, graph, run_type="backfill",
             allow_post_for_past_week=True)  # fmt: skip
    assert len(graph.posts) == 1


def test_idle_reasons() -> None:
    assert idle_reason({}, mode="dry_run") == "dry run"
    assert idle_reason({"published": 3}, mode="past_week") == "past week"
    assert idle_reason({}, mode=None) == "waiting for collection"
    assert idle_reason({"published": 3}, mode=None) == "already published"
    assert idle_reason({"awaiting_approval": 1, "published": 2}, mode=None) == (
        "no approver decision yet"
    )
    assert idle_reason({"published": 3}, mode=None, posted=1) is None
    assert idle_reason({"approved": 1}, mode=None) is None  # work left: not idle


# --- exactly once, against the simulator ---------------------------------------------------------


class CrashAfterPost:
    """The POST reaches the page, then the worker dies before the ledger records it."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        self.client.post(path, data)
        raise SystemError("worker killed after Facebook accepted the post")

    def paginate(self, path: str, params: dict[str, Any]) -> Any:
        return self.client.paginate(path, params)


class LostRequest(CrashAfterPost):
    """The connection breaks before the POST reaches Facebook."""

    def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        raise PlatformError("Graph POST: ConnectionError (no response)", platform="facebook",
                            retryable=True)  # fmt: skip


def _approve_only_fb(week: Week, registry) -> None:
    requests = gate(week, registry)
    from citizen_desk.publication.approval import decision_from_hitl
    from citizen_desk.publication.decisions import apply_decision

    with week.session() as session:
        for request in requests:
            result = approved() if request.channel_key == FB else rejected()
            apply_decision(
                session,
                registry,
                request.publication_id,
                decision_from_hitl(result),
                period=PERIOD,
                now=NOW,
                actor=ACTOR,
            )
        session.commit()


def test_crash_after_post_is_reconciled_not_reposted(
    week: Week, registry, simulator: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    _approve_only_fb(week, registry)
    page = simulator.pages["fb_th_ns_ngathuy"]
    with pytest.raises(WorkflowError, match="stay 'publishing'"):
        publish_period(
            week.engine, PERIOD, lambda c: CrashAfterPost(simulator.client(c)), now=NOW, actor=ACTOR
        )
    assert week.publication(FB).status == "publishing"
    assert len(simulator.posts()[page]) == 1

    with caplog.at_level(logging.INFO):
        report = publish_period(week.engine, PERIOD, simulator.client, now=NOW, actor=ACTOR)
        again = publish_period(week.engine, PERIOD, simulator.client, now=NOW, actor=ACTOR)
    posts = simulator.posts()[page]
    assert len(posts) == 1
    assert [o.status for o in report.outcomes] == ["reconciled"]
    assert again.outcomes == []
    pub = week.publication(FB)
    assert (pub.status, pub.platform_post_id) == ("published", posts[0]["id"])
    assert pub.published_at == NOW  # the page's created_time
    assert INFORMANT not in caplog.text


def test_request_lost_before_facebook_is_posted_on_retry(
    week: Week, registry, simulator: Sim
) -> None:
    _approve_only_fb(week, registry)
    with pytest.raises(WorkflowError):
        publish_period(
            week.engine, PERIOD, lambda c: LostRequest(simulator.client(c)), now=NOW, actor=ACTOR
        )
    assert week.publication(FB).status == "publishing"
    assert simulator.posts() == {}
    report = publish_period(week.engine, PERIOD, simulator.client, now=NOW, actor=ACTOR)
    assert [o.status for o in report.outcomes] == ["published"]
    assert len(simulator.posts()[simulator.pages["fb_th_ns_ngathuy"]]) == 1


def test_duplicate_post_error_is_reconciled(week: Week, registry, simulator: Sim) -> None:
    _approve_only_fb(week, registry)
    page = simulator.pages["fb_th_ns_ngathuy"]
    simulator.client("fb_th_ns_ngathuy").post(
        f"{page}/feed", {"message": week.publication(FB).text}
    )
    report = publish_period(week.engine, PERIOD, simulator.client, now=NOW, actor=ACTOR)
    assert [o.status for o in report.outcomes] == ["reconciled"]
    assert len(simulator.posts()[page]) == 1


def test_graph_refusal_marks_the_post_failed(week: Week, registry) -> None:
    class Refusing(FakeGraph):
        def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
            raise PlatformError("(#368) blocked", platform="facebook", code=368)

    _approve_only_fb(week, registry)
    report = publish_period(week.engine, PERIOD, lambda _c: Refusing(), now=NOW, actor=ACTOR)
    assert [o.status for o in report.outcomes] == ["failed"]
    assert (week.publication(FB).status, week.publication(FB).blocked_reason) == (
        "failed",
        "graph_error:368",
    )


def test_recording_an_outcome_of_a_missing_publication_is_refused(week: Week) -> None:
    with pytest.raises(NotFoundError, match="publication 987654 does not exist"):
        posting._fail(week.engine, 987654, "graph_error:368", NOW, ACTOR)
    with pytest.raises(NotFoundError, match="publication 987654 does not exist"):
        posting._record(week.engine, 987654, "page_1", NOW, ACTOR, "published")


def test_rerun_of_a_published_week_changes_nothing(db_env: Week, registry, simulator: Sim) -> None:
    ctx = context(db_env)
    requests = run_gate(db_env.rendered, run_context(ctx))
    decisions = decide(requests, {FB: approved()})
    run_publish(
        db_env.rendered,
        requests,
        run_context(ctx),
        decisions=decisions,
        client_for=simulator.client,
    )
    first = db_env.publication(FB)
    assert first.status == "published"
    # the whole DAG again: figures, drafts, gate, approval of everything, publish
    with db_env.session() as session:
        results = week_results(session, registry, db_env.units)
        rendered = render_all(
            session, registry, results, now=NOW, actor="rerun", report_dir=db_env.report_dir
        )
        session.commit()
    requests = run_gate(rendered, run_context(ctx))
    assert FB not in {r["channel_key"] for r in requests}
    decisions = [approved() for _ in requests]
    summary = run_publish(
        rendered, requests, run_context(ctx), decisions=decisions, client_for=simulator.client
    )
    again = db_env.publication(FB)
    assert (again.status, again.platform_post_id, again.text) == (
        "published",
        first.platform_post_id,
        first.text,
    )
    pages = simulator.posts()
    assert len(pages[simulator.pages["fb_th_ns_ngathuy"]]) == 1
    assert summary["published"] == 2  # the other pages, approved this time


# --- end to end against the simulator -------------------------------------------------------------


def test_end_to_end_posts_one_text_per_page(
    full_week: Week, registry, simulator: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page gets its post and every OA its article (the sample registry has a cover)."""
    db_env = full_week
    monkeypatch.setenv(
        "CITIZEN_DESK_DB_URL", db_env.engine.url.render_as_string(hide_password=False)
    )
    ctx = context(db_env)
    requests = run_gate(db_env.rendered, run_context(ctx))
    decisions = [approved() for _ in requests]

    def publish() -> dict[str, Any]:
        return run_publish(
            db_env.rendered,
            requests,
            run_context(ctx),
            decisions=decisions,
            client_for=simulator.client,
            zalo_client_for=lambda conn, _channel: simulator.article_client(conn),
        )

    summary = publish()
    facebook = [c for c in registry.channels if c.platform == "facebook"]
    zalo = [c for c in registry.channels if c.platform == "zalo"]
    pages = simulator.posts()
    assert summary["published"] == len(facebook) == 13
    assert summary["zalo"]["published"] == len(zalo)
    assert sorted(pages) == sorted(c.platform_id for c in facebook)
    for channel in facebook:
        (post,) = pages[channel.platform_id]
        assert post["published"] is True
        assert post["message"].rstrip().endswith("#Tuan47_2026")
        assert f"{channel.name} xin thông tin" in post["message"]
        assert INFORMANT not in post["message"]
        assert db_env.publication(channel.key).platform_post_id == post["id"]
    articles = simulator.zalo_articles()
    assert sorted(articles) == sorted(c.platform_id for c in zalo)
    for channel in zalo:
        (article,) = articles[channel.platform_id]
        assert "#Tuan47_2026" in article["title"]
        assert INFORMANT not in json.dumps(article, ensure_ascii=False)
        assert db_env.publication(channel.key).status == "published"
    # a retry of the whole task posts nothing more
    publish()
    assert sum(len(v) for v in simulator.posts().values()) == 13
    assert sum(len(v) for v in simulator.zalo_articles().values()) == len(zalo)


@pytest.mark.parametrize(
    "text",
    [
        "plain – Tuần 47",
        "{{ conn.fb_th.password }} and {% if x %}y{% endif %} {# c #}",
        "tricky {% endraw %} then {{ 6 * 7 }} and {%- endraw -%} {%endraw%}",
    ],
)
def test_approval_body_is_never_evaluated_as_a_template(text: str) -> None:
    from jinja2.sandbox import SandboxedEnvironment

    from citizen_desk.publication.approval import jinja_literal

    rendered = SandboxedEnvironment().from_string(jinja_literal(text)).render(conn="SECRET")
    assert rendered == text


def test_insights_failures_leave_a_note(registry) -> None:
    from citizen_desk.publication.figures import PROVINCE
    from citizen_desk.publication.insights import collect_insights

    class Broken:
        def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
            raise PlatformError("Graph GET: HTTP 500, code 2", platform="facebook", code=2)

    class Fine:
        def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
            assert params["period"] == "week"
            return {"data": [{"name": "page_impressions", "values": [{"value": 7}]}]}

    insights, notes = collect_insights(
        registry, PERIOD, lambda conn: Broken() if conn == "fb_th" else Fine()
    )
    assert "TH" not in insights
    assert "PlatformError" in notes["TH"]
    assert insights["TH-NS"].impressions == 7
    assert insights[PROVINCE].impressions == 7 * 12
    assert insights[PROVINCE].reach is None  # not returned by every page: no total
    assert PROVINCE in notes


# --- no catch-up: the scheduler's first start does not propose last week -------------------------


def test_a_scheduled_run_that_starts_late_proposes_nothing() -> None:
    from citizen_desk.publication.gate import LATE_START_GRACE

    kwargs = {"dry_run": False, "allow_past": False, "run_type": "scheduled", "scheduled_for": NOW}
    on_time = {**kwargs, "started_at": NOW + LATE_START_GRACE}
    assert publish_mode(PERIOD, **on_time).enabled
    first_start = {**kwargs, "started_at": NOW + LATE_START_GRACE + timedelta(minutes=1)}
    assert publish_mode(PERIOD, **first_start) == PublishMode(False, "late_start")
    # a human asking for it: a manual run, or the explicit param
    assert publish_mode(PERIOD, **{**first_start, "run_type": "manual"}).enabled
    assert publish_mode(PERIOD, **{**first_start, "allow_past": True}).enabled


def test_first_start_renders_the_week_but_asks_no_approval(db_env: Week, registry) -> None:
    """Airflow creates the latest Monday's run when it first sees the DAG (catchup=False still
    runs the most recent tick): days later, nobody triggered it, so no approval is requested."""
    graph = FakeGraph()
    ctx = context(db_env, started_at=NOW + timedelta(days=5))
    requests = run_gate(db_env.rendered, run_context(ctx))
    assert requests == []
    summary = run_publish(db_env.rendered, requests, run_context(ctx), client_for=lambda _c: graph)
    assert summary["mode"] == "late_start"
    assert summary["idle"].startswith("scheduled run started late")
    assert graph.post_calls == 0
    assert db_env.publication(FB).text  # rendered and stored for a later manual run

    # a manual run of the DAG renders again and proposes the week
    from citizen_desk.publication.tasks import run_render

    manual = run_context(context(db_env, started_at=NOW + timedelta(days=5), run_type="manual"))
    rendered = run_render(db_env.results.to_dict(), manual)
    assert run_gate(rendered, manual)
