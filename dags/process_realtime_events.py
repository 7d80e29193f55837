"""
### Process real-time events

Runs when the platforms' webhooks have delivered something: the Citizen Desk app stores every
signed Messenger / page-feed / Zalo OA event in the domain DB's inbox before answering 200, and
the inbox watcher (an Airflow event trigger in the triggerer, `citizen_desk.realtime.watcher`)
claims new events and updates the `citizen_desk://inbox` asset. A burst becomes one run.

`process` stores the events exactly like the collection (same natural keys, so the daily
collection never doubles a message; no watermark moves), triages them and opens tips, then emits
`citizen_desk://cases`, which starts `escalate_unverified_tips` at once: an urgent tip reaches
its chief through the urgent lane without waiting for the daily collection. Safe to rerun: events
and what they produced commit together.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetWatcher, dag, task

from citizen_desk.pipeline.conventions import CASES, START_DATE, Tag, default_args
from citizen_desk.realtime.watcher import InboxWatcher

INBOX = Asset(
    "citizen_desk://inbox",
    watchers=[AssetWatcher(name="citizen_desk_inbox", trigger=InboxWatcher(poll_seconds=5))],
)


@dag(
    schedule=[INBOX],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(),
    tags=[Tag.CITIZEN_DESK, Tag.REALTIME],
)
def process_realtime_events() -> None:
    @task(outlets=[CASES], multiple_outputs=False)
    def process(**context) -> dict:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.realtime import tasks

        return tasks.process(run_context(context))

    process()


process_realtime_events()
