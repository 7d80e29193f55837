"""The unit tree (province, districts, communes...) that every page filters and rolls up by."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Unit
from citizen_desk.errors import NotFoundError


@dataclass(frozen=True)
class UnitOption:
    id: int
    code: str
    name: str
    kind: str
    depth: int
    parent_id: int | None


def unit_tree(session: Session, *, include_inactive: bool = False) -> list[UnitOption]:
    """Units in tree order (province, its districts, their communes...), with their depth."""
    query = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id, Unit.active)
    rows = [r for r in session.execute(query) if include_inactive or r.active]
    ids = {r.id for r in rows}
    children: dict[int | None, list[Any]] = defaultdict(list)
    for row in rows:
        parent = row.parent_id if row.parent_id in ids else None
        children[parent].append(row)
    ordered: list[UnitOption] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in sorted(children.get(parent, ()), key=lambda r: r.code):
            ordered.append(UnitOption(row.id, row.code, row.name, row.kind, depth, row.parent_id))
            walk(row.id, depth + 1)

    walk(None, 0)
    return ordered


def subtree_ids(units: Sequence[UnitOption], code: str) -> set[int]:
    """Ids of the unit `code` and every unit below it (NotFoundError if unknown)."""
    by_code = {u.code: u for u in units}
    if code not in by_code:
        raise NotFoundError(f"không có đơn vị {code!r}")
    children: dict[int | None, list[int]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit.id)
    found: set[int] = set()
    stack = [by_code[code].id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found


def ancestors_map(units: Sequence[UnitOption]) -> dict[int, list[int]]:
    """unit id -> itself and all its ancestors (to add a unit's figures to every level above)."""
    parent = {u.id: u.parent_id for u in units}
    chains: dict[int, list[int]] = {}
    for unit in units:
        chain: list[int] = []
        seen: set[int] = set()
        current: int | None = unit.id
        while current is not None and current in parent and current not in seen:
            seen.add(current)
            chain.append(current)
            current = parent[current]
        chains[unit.id] = chain
    return chains
