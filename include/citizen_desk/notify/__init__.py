"""Notifications: the outbox ledger, Slack delivery and Block Kit rendering.

`outbox` writes each alert once under an idempotency key (after the PII gate); `delivery` sends
it exactly once; `slack` is the Web API client (the provider's SlackHook on our connection);
`blocks` renders Block Kit messages from templates; `cli` is `citizen-desk outbox …`.
"""
