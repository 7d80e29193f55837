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
swept, after delivery). Alerts never contain the informant's identity.

**Accelerated clock (demo):** trigger a manual run with the param `as_of`, an ISO datetime such
as `2026-11-25T10:00` (local time unless an offset is given): the sweep then acts as if it were
that moment, so the whole ladder shows within minutes by triggering `+1d`, `+2d`, `+4d`. Keys
are per tip, level and sequence, so a later normal run sends nothing twice. The other way is a
backfill over past days (`airflow backfill create --dag-id escalate_unverified_tips
--from-date … --to-date …`): each hourly slot sweeps at its own time.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from citizen_desk.pipeline.conventions import START_DATE, Tag, default_args

CASES = Asset("citizen_desk://cases")


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
            title="as_of (demo: accelerated clock)",
            description="ISO datetime the sweep treats as now; empty = the run's own time.",
        )
    },
)
def escalate_unverified_tips() -> None:
    @task
    def prepare(**context) -> dict[str, int]:
        from citizen_desk.pipeline.context import run_label, run_now
        from citizen_desk.pipeline.prepare import prepare_domain_db

        registry = prepare_domain_db(now=run_now(context), actor=run_label(context))
        return {"units": len(registry.units)}

    @task
    def sweep_and_enqueue(**context) -> dict:
        from citizen_desk.pipeline.context import run_label
        from citizen_desk.tips.sweep import resolve_now, run_sweep

        return run_sweep(now=resolve_now(context), actor=run_label(context))

    @task
    def deliver(**context) -> dict:
        from citizen_desk.tips.sweep import resolve_now, run_delivery

        return run_delivery(now=resolve_now(context))

    @task
    def summary(sweep: dict, delivery: dict) -> str:
        from citizen_desk.tips.sweep import summarize

        return summarize(sweep, delivery)

    swept = sweep_and_enqueue()
    delivered = deliver()
    prepare() >> swept >> delivered
    summary(swept, delivered)


escalate_unverified_tips()
