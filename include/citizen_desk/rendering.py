"""Jinja2 rendering for everything that leaves the system (Slack, posts, reports, web pages).

One environment over `templates/`: StrictUndefined everywhere (a missing figure is an error, not
an empty string); autoescape for HTML, none for plain-text and Slack mrkdwn templates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from citizen_desk.config import settings

TIME_FORMAT = "%H:%M %d/%m/%Y"


def format_local(value: datetime, zone: str | ZoneInfo, fmt: str = TIME_FORMAT) -> str:
    """An aware timestamp shown in the given zone (the registry's `timezone`)."""
    local = value.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))
    fast = _FAST_FORMATS.get(fmt)
    return fast(local) if fast is not None else local.strftime(fmt)


# The formats the pages show on every row, without `strftime` (about half its cost): the same
# text (tests/test_rendering.py compares them).
_FAST_FORMATS: dict[str, Callable[[datetime], str]] = {
    TIME_FORMAT: lambda t: f"{t.hour:02d}:{t.minute:02d} {t.day:02d}/{t.month:02d}/{t.year}",
    "%d/%m/%Y": lambda t: f"{t.day:02d}/{t.month:02d}/{t.year}",
}


@pass_context
def local_time(context: Context, value: datetime, fmt: str = TIME_FORMAT) -> str:
    """Template filter: the context's `timezone`, else the registry's zone."""
    zone = context.get("timezone")
    if not zone:
        from citizen_desk.config.registry import deployment_zone

        zone = deployment_zone()
    return format_local(value, zone, fmt)


def number_vi(value: int | float) -> str:
    """Vietnamese thousands separator: 12.345."""
    return f"{value:,.0f}".replace(",", ".")


@lru_cache(maxsize=4)
def environment(templates_dir: str | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir or str(settings.templates_dir())),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "svg", "html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["local_time"] = local_time
    env.filters["number_vi"] = number_vi
    return env


def render(template: str, templates_dir: Path | None = None, **context: Any) -> str:
    env = environment(str(templates_dir) if templates_dir else None)
    return env.get_template(template).render(**context)
