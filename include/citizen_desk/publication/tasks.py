"""The Airflow task bodies of `publish_weekly_results`; the DAG file only wires these.

Each takes the run's `RunContext` (now, label, params), reads the registry (its time zone sets
the week) and the domain DB, and hands the work to the module of its step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from citizen_desk.config.registry import Registry
from citizen_desk.db.engine import get_engine, session_scope
from citizen_desk.errors import WorkflowError
from citizen_desk.pipeline.context import RunContext
from citizen_desk.pipeline.registry import require_file_registry, run_registry
from citizen_desk.platforms.graph import GraphClient, graph_client_from_connection
from citizen_desk.platforms.zalo_articles import ArticleClient
from citizen_desk.publication.approval import decision_from_hitl
from citizen_desk.publication.decisions import apply_decision, mirror_zalo
from citizen_desk.publication.drafts import render_all
from citizen_desk.publication.figures import WeeklyResults, compute_results
from citizen_desk.publication.gate import PublishMode, gate_period, publish_mode
from citizen_desk.publication.insights import collect_insights
from citizen_desk.publication.ledger import facebook_statuses, idle_reason
from citizen_desk.publication.period import WeekPeriod, parse_period, week_ending_before
from citizen_desk.publication.posting import PublishReport, publish_period
from citizen_desk.publication.report import ALL_UNITS
from citizen_desk.publication.rows import channels_not_collected_since, load_week_rows
from citizen_desk.publication.zalo_posting import ArticleClientFor, publish_zalo_period

log = logging.getLogger(__name__)


def load_registry(run: RunContext) -> Registry:
    """The run's registry; publication refuses a fallback (the last valid snapshot while the
    file is broken): a public post must not rest on a registry nobody can currently check."""
    state = run_registry(run.now, run.label)
    return require_file_registry(state, "publication")


def _mode(run: RunContext, period: WeekPeriod) -> PublishMode:
    return publish_mode(
        period,
        dry_run=bool(run.params.get("dry_run", False)),
        allow_past=bool(run.params.get("allow_post_for_past_week", False)),
        run_type=run.run_type,
        started_at=run.started_at,
        scheduled_for=run.interval_end or run.now,
    )


def graph_client(conn_id: str, **kwargs: Any) -> GraphClient:
    """The Graph client for a page's Airflow connection (the only Airflow lookup here)."""
    return graph_client_from_connection(conn_id, **kwargs)


def posting_client(conn_id: str) -> GraphClient:
    """No in-client retries: a POST is never repeated blindly, the ledger reconciles instead."""
    return graph_client(conn_id, max_attempts=1)


def zalo_article_client(conn_id: str, channel_id: int) -> ArticleClient:
    """The Article API client of an OA's Airflow connection (login = app id, password = app
    secret, extra `refresh_token` / `base_url` / `oauth_url`), its token pair from the DB.

    No in-client retries of a write: the ledger resumes or reconciles instead."""
    from citizen_desk.collect.run import airflow_connection, wall_clock
    from citizen_desk.collect.tokens import ZaloTokenStore, fernet_from_connection
    from citizen_desk.errors import ConfigError
    from citizen_desk.platforms.zalo import DEFAULT_BASE_URL, DEFAULT_OAUTH_URL, ZaloClient

    conn = airflow_connection(conn_id)
    if not conn.login or not conn.password:
        raise ConfigError(f"airflow connection {conn_id}", "login/password", "app id and secret")
    store = ZaloTokenStore(
        get_engine(),
        channel_id,
        fernet=fernet_from_connection(),
        app_id=conn.login,
        secret_key=conn.password,
        oauth_url=str(conn.extra.get("oauth_url") or DEFAULT_OAUTH_URL),
        seed_refresh_token=conn.extra.get("refresh_token"),
        clock=wall_clock,  # token expiry is operational time, not the run's `now`
    )
    client = ZaloClient(
        str(conn.extra.get("base_url") or DEFAULT_BASE_URL),
        store.access_token(),
        on_token_invalid=store.refresh,
    )
    return ArticleClient(client)


def run_wait_for_collection(run: RunContext) -> bool:
    """Sensor `wait_for_collection`: true once every channel was collected after the week."""
    period = week_ending_before(run.now, load_registry(run).timezone)
    with session_scope(get_engine()) as session:
        missing = channels_not_collected_since(session, period.end)
    if missing:
        log.info(
            "waiting for collection: no collection after %s of: %s", period.key, ", ".join(missing)
        )
    return not missing


def run_compute(
    run: RunContext, *, client_for: Callable[[str], GraphClient] = graph_client
) -> dict[str, Any]:
    """Task `compute`: the week's figures (numbers and ids only: safe for XCom)."""
    registry = load_registry(run)
    period = week_ending_before(run.now, registry.timezone)
    with session_scope(get_engine()) as session:
        rows = load_week_rows(session, period)
    insights, notes = collect_insights(registry, period, client_for)
    results = compute_results(
        rows,
        period,
        units=[(u.code, u.name) for u in registry.units if u.active],
        province_name=ALL_UNITS,
        policy=registry.sla,
        calendar=registry.calendar,
        min_count=registry.publication.min_count,
        insights=insights,
        insights_notes=notes,
    )
    log.info("figures for %s: %d units", period.key, len(results.units))
    return results.to_dict()


def run_render(figures: Mapping[str, Any], run: RunContext) -> dict[str, Any]:
    """Task `render`: admin report file + one draft per channel."""
    results = WeeklyResults.from_dict(figures)
    with session_scope(get_engine()) as session:
        out = render_all(session, load_registry(run), results, now=run.now, actor=run.label)
    log.info(
        "rendered %d drafts for %s; report %s",
        len(out["publications"]),
        out["period"],
        out["report"],
    )
    return out


def run_gate(rendered: Mapping[str, Any], run: RunContext) -> list[dict[str, Any]]:
    """Task `pii_gate`: block what fails, queue the rest for approval (or mark it dry_run).

    Returns the approval requests in map-index order of the `approve` task.
    """
    registry = load_registry(run)
    period = parse_period(rendered["period"], registry.timezone)
    mode = _mode(run, period)
    with session_scope(get_engine()) as session:
        requests = gate_period(
            session,
            registry,
            period,
            mode=mode,
            now=run.now,
            actor=run.label,
        )
        statuses = facebook_statuses(session, period)
    log.info(
        "%s: %d post(s) awaiting approval (mode: %s)",
        period.key,
        len(requests),
        mode.reason or "publish",
    )
    if not requests:
        reason = idle_reason(statuses, mode=mode.reason) or "no post to approve"
        log.info("%s: nothing to approve: %s (posts by status: %s)", period.key, reason, statuses)
    return [r.as_dict() for r in requests]


def run_publish(
    rendered: Mapping[str, Any],
    requests: Sequence[Mapping[str, Any]] | None,
    run: RunContext,
    *,
    decisions: Sequence[Mapping[str, Any] | None] | None = None,
    client_for: Callable[[str], GraphClient] = posting_client,
    zalo_client_for: ArticleClientFor = zalo_article_client,
) -> dict[str, Any]:
    """Task `publish`: apply the approvers' decisions, then post exactly once (Facebook pages,
    then Zalo OA articles).

    `decisions[i]` is the HITL result for `requests[i]` (read from the `approve` task's XCom by
    map index when not given; a missing result counts as "not approved"). An answer by someone
    outside the request's `assigned_users` counts as "not approved" too.
    """
    registry = load_registry(run)
    period = parse_period(rendered["period"], registry.timezone)
    ids = [int(r["publication_id"]) for r in requests or []]
    approvers = [r.get("assigned_users") for r in requests or []]
    if decisions is None:
        decisions = [run.ti.xcom_pull(task_ids="approve", map_indexes=i) for i in range(len(ids))]
    now, actor = run.now, run.label
    engine = get_engine()
    with session_scope(engine) as session:
        statuses = [
            apply_decision(
                session,
                registry,
                pub_id,
                decision_from_hitl(result, assigned),
                period=period,
                now=now,
                actor=actor,
            )
            for pub_id, result, assigned in zip(ids, decisions, approvers, strict=True)
        ]
        mirror_zalo(session, period, now=now, actor=actor)
    mode = _mode(run, period)
    if not mode.enabled:
        with session_scope(engine) as session:
            reason = idle_reason(facebook_statuses(session, period), mode=mode.reason)
        log.info("%s: not posting: %s", period.key, reason)
        return {
            "period": period.key,
            "mode": mode.reason,
            "decisions": _tally(statuses),
            "idle": reason,
        }
    errors: list[str] = []
    try:
        report = publish_period(engine, period, client_for, now=now, actor=actor)
    except WorkflowError as exc:  # the Zalo articles still go out; raised below
        errors.append(str(exc))
        report = None
    zalo = _publish_zalo(engine, registry, period, zalo_client_for, now=now, actor=actor)
    if zalo.uncertain:
        errors.append(
            f"{len(zalo.uncertain)} Zalo article(s) of {period.key} not confirmed "
            f"({', '.join(zalo.uncertain)}); they stay 'publishing' and the retry resumes them"
        )
    if errors:
        raise WorkflowError("; ".join(errors))
    assert report is not None
    out = {"period": period.key, "decisions": _tally(statuses), **report.as_dict()}
    out["zalo"] = zalo.as_dict()
    with session_scope(engine) as session:
        posted = out.get("published", 0) + out.get("reconciled", 0)
        out["idle"] = idle_reason(facebook_statuses(session, period), mode=None, posted=posted)
    if out["idle"]:
        log.info("%s: nothing posted: %s", period.key, out["idle"])
    return out


def _publish_zalo(
    engine: Engine,
    registry: Registry,
    period: WeekPeriod,
    client_for: ArticleClientFor,
    *,
    now: datetime,
    actor: str,
) -> PublishReport:
    policy = registry.publication
    return publish_zalo_period(
        engine,
        period,
        client_for,
        now=now,
        actor=actor,
        cover_url=policy.zalo_cover_url,
        broadcast=policy.zalo_broadcast,
        zone=registry.timezone,
    )


def _tally(statuses: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in statuses:
        out[status] = out.get(status, 0) + 1
    return out
