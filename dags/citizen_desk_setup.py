"""
### Citizen Desk set-up

Brings the domain database to the latest schema and syncs the registry
(`include/config/registry.yaml`: units, channels, contacts) into it. Safe to run any time; the
other DAGs do the same at their start, so this DAG is for admins after editing the registry.

`sync_pools` makes Airflow's pools `facebook_api` / `zalo_api` match the registry's `collection`
budgets through Airflow's REST API (connection `citizen_desk_airflow_api`: the api-server URL and
an admin's login); without that connection it logs the `airflow pools set` commands and succeeds.

`doctor` checks every active channel is ready to go live (connection, token, permissions,
Graph version, Zalo token and OA profile, Slack bot and channel membership) and logs one table.
Warnings leave the run green; a blocker fails the task (after the usual retries, which re-check a
blocker a network blip caused). Same checks as `citizen-desk doctor`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from citizen_desk.pipeline.conventions import START_DATE, Tag, default_args


@dag(
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    doc_md=__doc__,
    default_args=default_args(),
    tags=[Tag.CITIZEN_DESK, Tag.MAINTENANCE],
)
def citizen_desk_setup() -> None:
    @task(multiple_outputs=False)
    def migrate_and_sync_registry(**context) -> dict[str, int]:
        from citizen_desk.pipeline import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.prepare(run_context(context))

    @task(multiple_outputs=False)
    def doctor(**context) -> dict:
        from citizen_desk.doctor import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.doctor(run_context(context))

    @task(multiple_outputs=False)
    def sync_pools(**context) -> dict:
        from citizen_desk.pipeline import tasks
        from citizen_desk.pipeline.context import run_context

        return tasks.sync_pools(run_context(context))

    migrate_and_sync_registry() >> [sync_pools(), doctor()]


citizen_desk_setup()
