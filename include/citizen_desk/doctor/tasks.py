"""Task body of the setup DAG's `doctor` task: warnings pass, blockers fail the task."""

from __future__ import annotations

import logging
from typing import Any

from citizen_desk.doctor.report import as_dict, has_blocker, render
from citizen_desk.errors import CitizenDeskError
from citizen_desk.pipeline.context import RunContext

log = logging.getLogger(__name__)


class NotReady(CitizenDeskError):
    """A doctor check found a blocker (the table in the log says what to fix)."""


def doctor(run: RunContext) -> dict[str, Any]:
    from citizen_desk.config.registry import load_registry
    from citizen_desk.db.engine import get_engine
    from citizen_desk.doctor.run import run_doctor

    result = run_doctor(
        load_registry(), engine=get_engine(), channels=list(run.params.get("channels") or [])
    )
    table = render(result.checks, result.secrets)
    log.info("citizen-desk doctor\n%s", table)
    summary = as_dict(result.checks, result.secrets)
    if has_blocker(result.checks):
        raise NotReady(f"{summary['blockers']} blocker(s): see the doctor table in the log")
    return summary
