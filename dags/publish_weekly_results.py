"""
### Weekly results: figures, report, PII gate, approval in the Airflow UI, exactly-once posts

Every Monday 07:00 (Asia/Ho_Chi_Minh) for the ISO week that just ended:
`prepare` (migrate + sync the registry) → `compute` (figures per unit, this week and last, page
insights) → `render` (one `publications` draft per channel; admin report
`data/reports/<YYYY-Www>.html`) → `pii_gate` (a finding blocks that unit's post and alerts the
technical admins) → `approve` (one Human-in-the-loop request per Facebook post, assigned to the
unit's publication approvers in the registry's `access:`: **Browse → Required Actions** → the
request's subject, or the run → its `approve` task awaiting input → *Required Action* tab; choose
*Duyệt đăng* or *Không đăng*; no answer within `publication.approval_timeout` = not posted. The
request has no text field: a correction is made first in **Citizen Desk → Bài đăng & báo cáo →
Sửa nội dung**, PII-gated before it is stored in the domain DB (never in Airflow's tables), and
the approval posts the newest revision saved before it) → `publish` (`POST /{page-id}/feed`,
exactly once: the ledger is marked `publishing` before the call and reconciled against the page's
posts by the week's marker, e.g. `#Tuan47_2026`, after a crash; then each unit's Zalo OA text as
a Zalo article, exactly once the same way: `publication/zalo_posting.py`).

Params: `dry_run` renders and stores everything but asks nothing and posts nothing;
`allow_post_for_past_week` lets a run for an earlier week (backfill) post. No catch-up: a
scheduled run starting over 6 h after its Monday (first start, outage) proposes nothing; trigger
the DAG by hand. Scripted approval: `scripts/approve_publication.py --run-id <run> --approve`.
"""

from __future__ import annotations

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import CronTriggerTimetable, Param, dag, task

from citizen_desk.pipeline.conventions import START_DATE, Tag, default_args
from citizen_desk.publication.approval import APPROVE, REJECT, hitl_kwargs


@dag(
    schedule=CronTriggerTimetable("0 7 * * 1", timezone="Asia/Ho_Chi_Minh"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(),
    tags=[Tag.CITIZEN_DESK, Tag.PUBLICATION],
    params={
        "dry_run": Param(False, type="boolean", description="Render and store, never post."),
        "allow_post_for_past_week": Param(
            False, type="boolean", description="Let a run for an earlier week post."
        ),
    },
)
def publish_weekly_results() -> None:
    @task(multiple_outputs=False)
    def prepare(**context) -> dict[str, int]:
        from citizen_desk.pipeline import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.prepare(run_context(context))

    @task.sensor(poke_interval=300, timeout=6 * 3600, mode="reschedule")
    def wait_for_collection(**context) -> bool:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.publication.tasks import run_wait_for_collection

        return run_wait_for_collection(run_context(context))

    @task(multiple_outputs=False)
    def compute(**context) -> dict:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.publication.tasks import run_compute

        return run_compute(run_context(context))

    @task(multiple_outputs=False)
    def render(figures: dict, **context) -> dict:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.publication.tasks import run_render

        return run_render(figures, run_context(context))

    @task
    def pii_gate(rendered: dict, **context) -> list[dict]:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.publication.tasks import run_gate

        return run_gate(rendered, run_context(context))

    @task(multiple_outputs=False, trigger_rule="none_failed")
    def publish(rendered: dict, requests: list[dict], **context) -> dict:
        from citizen_desk.pipeline.context import run_context
        from citizen_desk.publication.tasks import run_publish

        return run_publish(rendered, requests, run_context(context))

    figures = compute()
    prepare() >> wait_for_collection() >> figures
    rendered = render(figures)
    requests = pii_gate(rendered)
    approve = HITLOperator.partial(
        task_id="approve",
        options=[APPROVE, REJECT],
        defaults=[REJECT],  # no params: free text would be stored by Airflow before our PII gate
    ).expand_kwargs(requests.map(hitl_kwargs))
    approve >> publish(rendered, requests)


publish_weekly_results()
