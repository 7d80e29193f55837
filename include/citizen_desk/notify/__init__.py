"""Notifications: the outbox ledger, Slack delivery and Block Kit rendering.

`outbox` writes each alert once under an idempotency key (after the PII gate) and delivers it
exactly once; `slack` builds the Slack client from the Airflow connection and renders messages;
`cli` is `citizen-desk outbox …`.
"""
