"""What every DAG shares: house conventions, the run context, domain-DB preparation, failure alerts.

`conventions` (owner, tags, retries, deadlines; imported at parse time, so kept light);
`context` (the run's `now` and label: tasks never read the wall clock); `prepare` (migrate + sync
the registry); `alerts` (task-failure and deadline notifiers to the technical admins); `pools`
(Airflow's pools made to match the registry through the REST API; `citizen-desk pools`).
"""
