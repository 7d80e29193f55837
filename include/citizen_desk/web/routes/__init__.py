"""The routes, one module per page; `create_app` puts them all behind the login dependency,
except `PUBLIC_ROUTERS`, whose requests authenticate themselves (the platform's signature:
Slack's interactions, Meta's and Zalo's webhooks)."""

from __future__ import annotations

from fastapi import APIRouter

from citizen_desk.web.routes import (
    cases,
    health,
    overview,
    publications,
    sla,
    slack,
    static,
    tips,
    triage,
    webhooks,
)

ROUTERS: tuple[APIRouter, ...] = (
    overview.router,
    sla.router,
    publications.router,
    health.router,
    tips.router,
    cases.router,
    triage.router,
    static.router,
)
PUBLIC_ROUTERS: tuple[APIRouter, ...] = (slack.router, webhooks.router)
