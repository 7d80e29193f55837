"""
### Retrain the triage model from officers' corrections

Every Sunday 03:00 (Asia/Ho_Chi_Minh). Officers correct a case's category and urgency on the
Citizen Desk case and tip pages (`triage_corrections`); this DAG learns from them:

Tasks: `prepare` (migrations + registry sync) → `register_shipped_model` (the shipped artifact in
`triage_models`, the champion when there is none) → `train_challenger` (the recipe of
`make train-triage` on the corpus's `train` split + the corrections made before the last
`triage_learning.recent_window`, labelled as the officers corrected them, personal data masked,
never a test-split text; the champion and the challenger measured on the frozen `test` split and
on the recent corrections) → `promote_or_keep` (the challenger becomes the champion only if its
score beats the champion's by `triage_learning.promotion_margin` without losing tip or urgent
recall; otherwise it stays a challenger, with the reasons).

Idempotent per ISO week: a rerun trains nothing new and decides nothing twice. The collection
uses the new champion from its next task; the Citizen Desk page **Mô hình phân loại** lists the
versions with their figures, and a technical admin can make an earlier one the champion again.
"""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable, dag, task

from citizen_desk.pipeline.conventions import START_DATE, Tag, default_args


@dag(
    schedule=CronTriggerTimetable("0 3 * * 0", timezone="Asia/Ho_Chi_Minh"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(),
    tags=[Tag.CITIZEN_DESK, Tag.TRIAGE],
)
def retrain_triage_model() -> None:
    @task(multiple_outputs=False)
    def prepare(**context) -> dict[str, int]:
        from citizen_desk.pipeline import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.prepare(run_context(context))

    @task(multiple_outputs=False)
    def register_shipped_model(**context) -> dict:
        from citizen_desk.learning import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.register_shipped(run_context(context))

    @task(multiple_outputs=False)
    def train_challenger(**context) -> dict:
        from citizen_desk.learning import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.train_challenger(run_context(context))

    @task(multiple_outputs=False)
    def promote_or_keep(**context) -> dict:
        from citizen_desk.learning import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.decide(run_context(context))

    prepare() >> register_shipped_model() >> train_challenger() >> promote_or_keep()


retrain_triage_model()
