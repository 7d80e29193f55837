"""Tips (tin báo, tố giác): verification workflow and escalation (DAG `escalate_unverified_tips`).

`escalation` is the pure escalation ladder (levels, recipients, reminders; takes `now`);
`workflow` holds the officer actions on a tip (audited transitions) and tip views; `sweep` walks
open tips (loaded by `open_tips`) and enqueues alerts, summaries and digests (`sweep_messages`);
`cli` is `citizen-desk tips …`.
"""
