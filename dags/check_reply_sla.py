"""
### Reply SLA check

Every hour (and after each collection updates `citizen_desk://cases`), evaluates the open cases
awaiting a reply against the SLA policy and the working calendar in the registry:

1. **prepare** - migrate the domain DB and sync the registry;
2. **evaluate** - record new warnings/breaches (`sla_events`, once per case, turn and policy
   version) and enqueue Slack alerts: warnings to the unit's duty officer, breaches to the duty
   officer and the chief, one digest per unit and day;
3. **deliver** - send the outbox (exactly once per key; retries with backoff);
4. **summary** - log the counts.

`now` is the run's data interval end (asset-triggered and manual runs: `run_after`), so a rerun
of a past hour reproduces its results. Manual runs: set `recompute_from`/`recompute_to` (local
dates) to re-evaluate turns started in that period after a calendar or policy change (recorded
under the new policy version, no alerts); `dry_run` evaluates and records nothing, sends nothing.
"""

from __future__ import annotations

from airflow.sdk import (
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    Param,
    dag,
    task,
)

from citizen_desk.pipeline.conventions import CASES, START_DATE, Tag, default_args

OPTIONAL_DATE = {"type": ["null", "string"], "format": "date"}


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 * * * *", timezone="Asia/Ho_Chi_Minh"), assets=[CASES]
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(),
    tags=[Tag.CITIZEN_DESK, Tag.SLA],
    params={
        "recompute_from": Param(None, description="First local date to recompute", **OPTIONAL_DATE),
        "recompute_to": Param(None, description="Last local date to recompute", **OPTIONAL_DATE),
        "dry_run": Param(False, type="boolean", description="Evaluate only; record/send nothing"),
    },
)
def check_reply_sla() -> None:
    @task(multiple_outputs=False)
    def prepare(**context) -> dict[str, int]:
        from citizen_desk.pipeline import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.prepare(run_context(context))

    @task(multiple_outputs=False)
    def evaluate(**context) -> dict:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.sla import tasks

        return tasks.evaluate(run_context(context))

    @task(multiple_outputs=False)
    def deliver(evaluated: dict, **context) -> dict:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.sla import tasks

        return tasks.deliver(run_context(context), evaluated)

    @task
    def summary(evaluated: dict, delivered: dict) -> None:
        from citizen_desk.sla import tasks

        tasks.summary(evaluated, delivered)

    evaluated = evaluate()
    prepare() >> evaluated
    summary(evaluated, deliver(evaluated))


check_reply_sla()
