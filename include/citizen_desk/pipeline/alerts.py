"""Pipeline health alerts for the technical admins: failed tasks and late collection runs.

Both go through the Slack provider's `SlackNotifier` (connection `citizen_desk_slack`), imported
only when an alert fires so DAG files stay cheap to parse. Texts name DAGs, tasks and channels
only; any exception text is redacted and must pass the PII gate, else only its type is sent.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import BaseNotifier

SLACK_CONN_ID = "citizen_desk_slack"

log = logging.getLogger(__name__)


def admin_channel(conn_id: str = SLACK_CONN_ID) -> str:
    """The technical admins' Slack id, first from what needs no registry (env override, the Slack
    connection's `admin_channel` extra), else the registry's first technical admin (the last
    valid snapshot when the file is broken)."""
    from citizen_desk.notify.slack import admin_channel_from_connection

    channel = admin_channel_from_connection(conn_id)
    if channel:
        return channel
    from citizen_desk.config.registry import current_registry

    admins = current_registry().technical_admins
    if not admins:
        raise RuntimeError("registry has no technical_admins to alert")
    return admins[0]


def safe_error_text(error: BaseException | str | None, limit: int = 300) -> str:
    """The error, redacted; if anything personal could remain, only its type."""
    if error is None:
        return "không rõ lỗi"
    from citizen_desk.privacy import contains_pii, redact

    kind = type(error).__name__ if isinstance(error, BaseException) else "Error"
    message = str(error).strip().splitlines()[0][:limit] if str(error).strip() else ""
    redacted = redact(message)
    if contains_pii(redacted):
        return kind
    return f"{kind}: {redacted}" if redacted else kind


def task_failure_text(
    *, dag_id: str, task_id: str, map_index: int, run_id: str, try_number: int, error: Any
) -> str:
    task = task_id if map_index < 0 else f"{task_id}[{map_index}]"
    return (
        f":rotating_light: Citizen Desk: tác vụ *{task}* của DAG *{dag_id}* thất bại "
        f"(lần thử {try_number}, run `{run_id}`).\nLỗi: {safe_error_text(error)}"
    )


class TaskFailureNotifier(BaseNotifier):
    """`on_failure_callback` for every task: one Slack message to the technical admins."""

    def __init__(self, slack_conn_id: str = SLACK_CONN_ID, channel: str | None = None) -> None:
        super().__init__()
        self.slack_conn_id = slack_conn_id
        self.channel = channel

    def notify(self, context: Any) -> None:
        from airflow.providers.slack.notifications.slack import SlackNotifier

        if getattr(context.get("exception"), "already_reported", False):
            return  # the task told the admins itself, once a day, through the outbox
        ti = context["ti"]
        text = task_failure_text(
            dag_id=ti.dag_id,
            task_id=ti.task_id,
            map_index=getattr(ti, "map_index", -1),
            run_id=ti.run_id,
            try_number=getattr(ti, "try_number", 0),
            error=context.get("exception"),
        )
        try:
            SlackNotifier(
                slack_conn_id=self.slack_conn_id,
                channel=self.channel or admin_channel(self.slack_conn_id),
                text=text,
                username="Citizen Desk",
            ).notify(context)
        except Exception:  # an alerting failure must not mask the task's own failure
            log.exception("could not alert the technical admins about %s", ti.task_id)


def ended_before_deadline(dag_run: dict[str, Any], deadline_time: object) -> bool:
    """Did the run (the callback's REST-shaped `dag_run`) end before its deadline?"""
    from datetime import datetime

    def moment(value: object) -> datetime | None:
        if isinstance(value, datetime):
            return value
        if isinstance(value, str) and value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
        return None

    ended, deadline = moment(dag_run.get("end_date")), moment(deadline_time)
    if ended is None or dag_run.get("state") in ("running", "queued"):
        return False
    return deadline is None or ended <= deadline


async def collection_is_late(**kwargs: Any) -> None:
    """Deadline Alert callback (runs in the triggerer): the collection run has not finished."""
    from airflow.providers.slack.notifications.slack import SlackNotifier

    context = kwargs.get("context") or {}
    dag_run = context.get("dag_run") or {}
    dag_id = dag_run.get("dag_id", "collect_citizen_messages")
    # the callback's context is REST-shaped (`dag_run_id`); tolerate the SDK's name too
    run_id = dag_run.get("dag_run_id") or dag_run.get("run_id", "?")
    if ended_before_deadline(dag_run, (context.get("deadline") or {}).get("deadline_time")):
        # Airflow 3.3 prunes a run's deadlines only when it succeeds: a run that failed in time
        # still "misses" its deadline. Its failure was already alerted; "not finished" is false.
        log.info("collection run %s ended before its deadline: no late alert", run_id)
        return
    text = (
        f":alarm_clock: Citizen Desk: lần thu thập `{run_id}` của DAG *{dag_id}* chưa hoàn tất "
        f"sau {kwargs.get('late_after', 'thời hạn')}. Kiểm tra scheduler, worker và các kênh."
    )
    notifier = SlackNotifier(
        slack_conn_id=kwargs.get("slack_conn_id", SLACK_CONN_ID),
        channel=kwargs.get("channel") or admin_channel(),
        text=text,
        username="Citizen Desk",
    )
    await notifier.async_notify(context)
