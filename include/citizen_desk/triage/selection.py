"""How ``make train-triage`` picks its grid point on ``dev``: by issue #18's goals.

Each goal's dev figure is divided by its target; the point whose worst goal is nearest its
target wins, ties to the higher macro-averaged recall over the categories, then to the lower dev
log loss (:func:`selection_key`). Accuracy alone chose, at 955 rows, a point routing 13 of 21 dev
abuse messages where others of about the same accuracy routed 15 to 17.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citizen_desk.triage.train import Params

# Issue #18's goals (done-when on the real test split): accuracy, and the recall of the two
# categories it names. Selection on dev maximises the smallest figure / target.
GOALS = (("accuracy", 0.90), ("tip", 0.95), ("abuse", 0.85))
SELECTION = (
    "max over the grid of the smallest goal ratio (dev figure / target for "
    + ", ".join(f"{name} {target:.0%}" for name, target in GOALS)
    + "; the uncalibrated model alone); ties: the higher dev macro-averaged recall over the"
    " categories, then the lower dev log loss"
)


@dataclass(frozen=True)
class Searched:
    """One grid point's uncalibrated dev figures (what the selection reads)."""

    params: Params
    accuracy: float
    log_loss: float
    recall: dict[str, float | None]  # per category; None when dev holds none of it

    def goal_ratios(self) -> dict[str, float]:
        """Each of ``GOALS`` with dev rows: its dev figure divided by its target."""
        figures: dict[str, float | None] = {"accuracy": self.accuracy, **self.recall}
        ratios = {}
        for name, target in GOALS:
            figure = figures.get(name)
            if figure is not None:
                ratios[name] = round(figure / target, 6)
        return ratios

    def macro_recall(self) -> float:
        """The mean recall over the categories dev holds."""
        known = [r for r in self.recall.values() if r is not None]
        return round(sum(known) / len(known), 6) if known else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.params.as_dict(),
            "dev_accuracy": round(self.accuracy, 4),
            "dev_log_loss": round(self.log_loss, 4),
            "dev_macro_recall": round(self.macro_recall(), 4),
            "dev_recall": {c: None if r is None else round(r, 4) for c, r in self.recall.items()},
            "dev_goal_ratios": {k: round(v, 4) for k, v in self.goal_ratios().items()},
        }


def selection_key(point: Searched) -> tuple[float, float, float]:
    """Sort key, smallest best: the smallest goal ratio negated (the point whose worst goal is
    nearest its target first), then the macro-averaged recall negated, then the dev log loss.
    Grid order breaks exact ties (``min`` keeps the first)."""
    worst = min(point.goal_ratios().values(), default=0.0)
    return -worst, -point.macro_recall(), point.log_loss
