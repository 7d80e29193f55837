"""Weekly results: figures, texts, the admin report, the PII gate, approval and exactly-once posts.

One concern per module (import from the module; nothing is re-exported here):

* `period`: `WeekPeriod`, an ISO week in the registry's time zone (`week_ending_before`,
  `parse_period`);
* `figures`: the figure dataclasses and their pure computation from rows; `rows`: the DB reads
  behind them; `insights`: Graph page insights;
* `texts`: the public Facebook/Zalo texts, hashtags and the week's marker; `report`: the admin
  HTML report; `drafts`: the render step (report file + one draft per channel);
* `ledger`: the `publications` rows, their statuses and audit; `gate`: the PII gate over the
  week's drafts; `approval`: the Human-in-the-loop request and answer (import-light: the DAG file
  and `scripts/approve_publication.py` take `APPROVE`/`REJECT` from it); `revisions`: approvers'
  corrected texts from the Citizen Desk page, gated before they are stored; `decisions`:
  approvers' answers recorded in the ledger (an approval posts the revision it covered), Zalo
  mirroring Facebook;
* `posting`: exactly-once posting and reconciliation;
* `tasks`: the Airflow task bodies (`run_wait_for_collection`, `run_compute`, `run_render`,
  `run_gate`, `run_publish`).
"""
