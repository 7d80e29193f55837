"""
### Escalate unverified tips

Every hour (Asia/Ho_Chi_Minh) and after every collection run (asset `citizen_desk://cases`),
alerts the chain of command in Slack about crime tips that are still unverified, following the
registry's `escalation` ladder: on arrival the unit's duty officer, after 24 h its chief, after
48 h the district chief, after 96 h the province duty officer; urgent tips go straight to the
chiefs; every 12 h a reminder at the current level until someone acknowledges it.

Tasks: `prepare` (migrations + registry sync) → `sweep_and_enqueue` (due alerts into the outbox,
each exactly once; `tips.escalation_level` raised and audited; one digest per chief per day from
07:00) → `deliver` (the outbox sends to Slack) → `summary` (fails the run if a tip could not be
swept, after delivery). Alerts never contain the informant's identity. Catch-up: alerts found
long due (first start, backfill, outage) become one summary per unit; each tip is announced once,
at its current level (registry `notifications`).

**Accelerated clock (demo):** trigger a manual run with the param `as_of`, an ISO datetime such
as `2026-11-25T10:00` (local time unless an offset is given) or a shift after the run's time
(`+2d`, `+4h`, `+1d12h`): the sweep evaluates as if it were that moment, so the whole ladder
shows within minutes by triggering `+1d`, `+2d`, `+4d`. A what-if, not a time machine: alerts
are enqueued and delivered at the run's own time. A malformed `as_of` is refused at trigger
time (or fails the sweep at once, no retries). Keys are per tip, level and sequence, so a later
normal run sends nothing twice. The other way is a backfill over past days (`airflow backfill
create --dag-id escalate_unverified_tips --from-date … --to-date …`): each hourly slot sweeps at
its own time.
"""

from __future__ import annotations

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from citizen_desk.pipeline.conventions import (
    AS_OF_PATTERN,
    BAD_PARAMS_RETRY_POLICY,
    CASES,
    START_DATE,
    Tag,
    default_args,
)


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 * * * *", timezone="Asia/Ho_Chi_Minh"),
        assets=[CASES],
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(),
    tags=[Tag.CITIZEN_DESK, Tag.ESCALATION],
    params={
        "as_of": Param(
            None,
            type=["null", "string"],
            pattern=AS_OF_PATTERN,
            title="as_of (demo: what-if clock)",
            description=(
                "When the sweep evaluates: ISO datetime (local unless an offset is given) or "
                "+2d, +4h, +1d12h after the run's time; empty = the run's own time."
            ),
        )
    },
)
def escalate_unverified_tips() -> None:
    @task(multiple_outputs=False)
    def prepare(**context) -> dict[str, int]:
        from citizen_desk.pipeline import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.prepare(run_context(context))

    @task(multiple_outputs=False, retry_policy=BAD_PARAMS_RETRY_POLICY)
    def sweep_and_enqueue(**context) -> dict:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.tips import tasks

        return tasks.sweep_and_enqueue(run_context(context))

    @task(multiple_outputs=False)
    def deliver(**context) -> dict:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.tips import tasks

        return tasks.deliver(run_context(context))

    @task
    def summary(sweep: dict, delivery: dict) -> str:
        from citizen_desk.tips import tasks

        return tasks.summarize(sweep, delivery)

    swept = sweep_and_enqueue()
    delivered = deliver()
    prepare() >> swept >> delivered
    summary(swept, delivered)


escalate_unverified_tips()
