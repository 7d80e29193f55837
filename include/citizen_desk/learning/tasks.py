"""Task bodies of `retrain_triage_model` (the DAG file only wires these)."""

from __future__ import annotations

import logging
from typing import Any

from citizen_desk.pipeline.context import RunContext

log = logging.getLogger(__name__)


def _setup(run: RunContext) -> dict[str, Any]:
    from citizen_desk.db.engine import get_engine
    from citizen_desk.pipeline.registry import run_registry

    engine = get_engine()
    registry = run_registry(run.now, run.label, engine).registry
    return {"engine": engine, "now": run.now, "actor": run.label,
            "policy": registry.triage_learning}  # fmt: skip


def register_shipped(run: RunContext) -> dict[str, Any]:
    """Task `register_shipped_model`: the shipped artifact in `triage_models` (champion if none)."""
    from citizen_desk.learning import retrain

    return retrain.register_shipped(**_setup(run), sources=retrain.Sources())


def train_challenger(run: RunContext) -> dict[str, Any]:
    """Task `train_challenger`: the week's challenger, both models measured."""
    from citizen_desk.learning import retrain

    return retrain.train_challenger(**_setup(run), sources=retrain.Sources())


def decide(run: RunContext) -> dict[str, Any]:
    """Task `promote_or_keep`: promote the week's challenger, or say why not."""
    from citizen_desk.learning import retrain

    result = retrain.decide(**_setup(run))
    log.info("retrain decision: %s", result)
    return result
