"""Notifications: the outbox ledger, Slack delivery and Block Kit rendering.

`outbox` writes each alert once under an idempotency key (after the PII gate); `delivery` sends
it exactly once, claiming rows through `claims`, reading Slack's errors with `slack_errors` and
reconciling interrupted sends against `slack_history`; `slack` is the Web API client (the
provider's SlackHook on our connection); `blocks` renders Block Kit messages from templates;
`cli` is `citizen-desk outbox …`.
"""
