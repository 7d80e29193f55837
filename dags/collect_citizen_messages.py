"""
### Collect citizen messages

Reads every active Facebook page (Messenger inbox and comments under recent posts) and Zalo OA
of the registry, incrementally from each source's watermark, and stores messages, citizens,
cases, turns and tips exactly once (`citizen_desk.collect`). Safe to run every few minutes, to
rerun, and to backfill (`airflow backfill create`: a backfill run re-reads its interval and never
moves a watermark). Manual runs: `channels` (keys; empty = all) and an optional `since`/`until`
date range (local dates, `until` inclusive) to re-collect a window.

One mapped task per batch of channels (the registry's `collection.batch_size`, default 1: one per
channel, or its `facebook_batch_size` / `zalo_batch_size` for one platform;
`CITIZEN_DESK_COLLECT_BATCH_SIZE` overrides them), in the pools `facebook_api` / `zalo_api`
(slots: the registry's `collection` budgets, applied by the setup DAG's `sync_pools`). A bad token
or missing permission fails only its batch, at once, after the batch's other channels were
collected, and notifies the technical admins; transient API trouble is retried. `summarise` logs
one block per channel, returns the run summary and emits `citizen_desk://cases`. Env:
`CITIZEN_DESK_COLLECT_SCHEDULE` (default `@daily`, Asia/Ho_Chi_Minh),
`CITIZEN_DESK_COLLECT_DEADLINE_MINUTES` (late-run alert to the admins, default 120).
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task

from citizen_desk.pipeline.conventions import (
    CASES,
    COLLECTION_RETRY_POLICY,
    START_DATE,
    Tag,
    collection_deadline,
    default_args,
)

SCHEDULE = os.environ.get("CITIZEN_DESK_COLLECT_SCHEDULE", "@daily")
DATE = {"type": ["null", "string"], "pattern": r"^(\d{4}-\d{2}-\d{2}.*)?$"}


@dag(
    schedule=SCHEDULE,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(execution_timeout=timedelta(minutes=45)),
    tags=[Tag.CITIZEN_DESK, Tag.COLLECTION],
    deadline=collection_deadline(
        timedelta(minutes=float(os.environ.get("CITIZEN_DESK_COLLECT_DEADLINE_MINUTES", "120")))
    ),
    params={
        "channels": Param([], type="array", items={"type": "string"}, title="Channel keys"),
        "since": Param(None, **DATE, title="Re-collect from (YYYY-MM-DD)"),
        "until": Param(None, **DATE, title="Re-collect until (YYYY-MM-DD, inclusive)"),
    },
)
def collect_citizen_messages() -> None:
    @task(multiple_outputs=False)
    def prepare_domain_db(**context) -> dict[str, list[list[str]]]:
        from citizen_desk.collect import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.prepare(run_context(context))

    @task
    def channels_of(batches: dict[str, list[list[str]]], platform: str) -> list[list[str]]:
        return batches[platform]

    @task(
        map_index_template="{{ batch_label }}",
        retries=3,
        retry_policy=COLLECTION_RETRY_POLICY,
        multiple_outputs=False,  # one XCom per batch, not one per summary key
    )
    def collect(channel_keys: list[str]) -> dict:
        from citizen_desk.collect import tasks
        from citizen_desk.collect.batches import batch_label
        from citizen_desk.pipeline.context import run_context

        context = get_current_context()
        context["batch_label"] = batch_label(channel_keys)  # type: ignore[typeddict-unknown-key]
        return tasks.collect(run_context(context), channel_keys)

    @task(outlets=[CASES], multiple_outputs=False)
    def summarise(**context) -> dict:
        from citizen_desk.collect import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.summarise(run_context(context))

    channels = prepare_domain_db()
    collected = [
        collect.override(task_id=f"collect_{platform}", pool=f"{platform}_api").expand(
            channel_keys=channels_of.override(task_id=f"{platform}_channels")(channels, platform)
        )
        for platform in ("facebook", "zalo")
    ]
    # A teardown runs once everything upstream is done (all_done, given the setup succeeded) and,
    # unlike a plain all_done leaf, does not turn a run with a failed channel green.
    collected >> summarise().as_teardown(setups=channels)


collect_citizen_messages()
