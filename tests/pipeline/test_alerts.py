"""Pipeline alerts name DAGs and tasks, never people; the notifier degrades instead of leaking."""

from __future__ import annotations

from typing import Any

import pytest

# citizen_desk.pipeline.alerts defines an Airflow notifier, so importing it imports Airflow (~3 s):
# imported when these tests run, not when the suite is collected, and left out of `make test-fast`.
pytestmark = pytest.mark.airflow


def safe_error_text(*args: Any, **kwargs: Any) -> str:
    from citizen_desk.pipeline.alerts import safe_error_text as function

    return function(*args, **kwargs)


def task_failure_text(**kwargs: Any) -> str:
    from citizen_desk.pipeline.alerts import task_failure_text as function

    return function(**kwargs)


def test_failure_text_names_dag_task_and_run() -> None:
    text = task_failure_text(
        dag_id="collect_citizen_messages",
        task_id="collect_channel",
        map_index=3,
        run_id="scheduled__2026-11-23",
        try_number=2,
        error=RuntimeError("page token expired for channel fb-th-ns"),
    )
    assert "collect_channel[3]" in text
    assert "collect_citizen_messages" in text
    assert "RuntimeError: page token expired for channel fb-th-ns" in text


def test_error_text_is_redacted() -> None:
    text = safe_error_text(
        ValueError("call 0912 345 678 https://graph.example/x?access_token=EAAB")
    )
    assert "0912" not in text
    assert "access_token" not in text
    assert text.startswith("ValueError")


def test_missing_error_is_said_plainly() -> None:
    assert safe_error_text(None) == "không rõ lỗi"


def test_failure_alerts_reach_the_connections_admin_channel_with_a_broken_registry(
    tmp_path, monkeypatch
) -> None:
    """The notifier's target needs no registry: the `admin_channel` extra of the Slack
    connection (issue #17: "could not alert the technical admins")."""
    import json

    from citizen_desk.pipeline.alerts import admin_channel

    broken = tmp_path / "registry.yaml"
    broken.write_text("units: [", encoding="utf-8")
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(broken))
    monkeypatch.delenv("CITIZEN_DESK_ADMIN_CHANNEL", raising=False)
    conn = {"conn_type": "slack", "password": "xoxb-t", "extra": {"admin_channel": "C0OPS"}}
    monkeypatch.setenv("AIRFLOW_CONN_CITIZEN_DESK_SLACK", json.dumps(conn))
    assert admin_channel() == "C0OPS"
    monkeypatch.setenv("CITIZEN_DESK_ADMIN_CHANNEL", "C0OVERRIDE")
    assert admin_channel() == "C0OVERRIDE"


def test_a_run_that_ended_before_its_deadline_is_not_late() -> None:
    """Airflow 3.3 keeps a failed run's deadline: its late alert would be a false alarm."""
    from citizen_desk.pipeline.alerts import ended_before_deadline

    deadline = "2026-12-06T10:01:00+00:00"
    failed = {"state": "failed", "end_date": "2026-12-06T10:00:14Z"}
    assert ended_before_deadline(failed, deadline)
    assert not ended_before_deadline({**failed, "end_date": "2026-12-06T10:05:00Z"}, deadline)
    assert not ended_before_deadline({"state": "running", "end_date": None}, deadline)
    assert not ended_before_deadline({"state": "queued"}, deadline)
    assert ended_before_deadline(failed, None)
