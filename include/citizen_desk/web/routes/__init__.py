"""The routes, one module per page; `create_app` puts them all behind the login dependency."""

from __future__ import annotations

from fastapi import APIRouter

from citizen_desk.web.routes import cases, health, overview, publications, sla, static, tips

ROUTERS: tuple[APIRouter, ...] = (
    overview.router,
    sla.router,
    publications.router,
    health.router,
    tips.router,
    cases.router,
    static.router,
)
