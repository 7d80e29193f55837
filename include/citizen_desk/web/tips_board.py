"""The tips board: open (or all) tips filtered by unit subtree and level, a page at a time.

The tips themselves come from `citizen_desk.tips.views`; here only the board's filters, its
paging and the escalation level labels shared with the overview.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from citizen_desk.domain.labels import ROLE_LABELS
from citizen_desk.errors import ConfigError
from citizen_desk.web.common import Paging
from citizen_desk.web.units import UnitOption, subtree_ids, unit_tree

TIPS_PER_PAGE = 100
UNIT_SELECTOR_LABELS = {"self": "đơn vị", "parent": "cấp trên", "root": "cấp tỉnh"}


@dataclass(frozen=True)
class TipsBoard:
    units: list[UnitOption]
    tips: list[Any]  # this page's `TipView`s
    paging: Paging


def tips_board(
    session: Session,
    *,
    now: datetime,
    unit: str | None = None,
    level: int | None = None,
    closed: bool = False,
    page: int = 1,
) -> TipsBoard:
    """The tips of `unit` and the units below it (all units if None), at `level` if given.

    Filtering, counting and paging happen in SQL (`tips.views.page_of_tips`): only the shown page
    is read and redacted.
    """
    from citizen_desk.tips import views as tips

    units = unit_tree(session)
    inside = subtree_ids(units, unit) if unit else None
    filters = {"unit": unit, "level": level, "closed": "true" if closed else None}
    total = tips.count_tips(session, unit_ids=inside, level=level, include_closed=closed)
    paging = Paging.of(total, page, TIPS_PER_PAGE, filters)
    views = tips.page_of_tips(
        session,
        now=now,
        unit_ids=inside,
        level=level,
        include_closed=closed,
        offset=paging.start,
        limit=TIPS_PER_PAGE,
        total=total,
    )
    return TipsBoard(units=units, tips=views, paging=paging)


def level_labels() -> dict[int, str]:
    """Escalation level -> "Cấp 2 · <role> <unit>", from the registry's ladder."""
    labels = {-1: "Chưa báo cáo"}
    try:
        from citizen_desk.tips.views import default_registry

        ladder = default_registry().escalation.ladder
    except (ConfigError, OSError):
        return labels
    for step in ladder:
        unit = UNIT_SELECTOR_LABELS.get(step.unit)
        if unit is None and step.unit.startswith("ancestor:"):
            unit = "cấp " + {"district": "huyện"}.get(step.unit.split(":", 1)[1], "trên")
        role = ROLE_LABELS.get(step.role, step.role)
        labels[step.level] = f"Cấp {step.level} · {role} {unit or step.unit}"
    return labels


def history_label(action: str, labels: Mapping[str, str]) -> str:
    key = action.removeprefix("tip_")
    return labels.get(key) or labels.get(key.removesuffix("_set")) or action
