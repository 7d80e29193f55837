"""The import graph stays layered: pure policy imports no DB or I/O, and no room imports a room
above it. Static (AST) scan of every module, function-local imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "include" / "citizen_desk"

# Lower layers first; a module may import its own layer and the ones below, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "domain", "text", "retry"),
    (
        "access",
        "config.durations",
        "config.sections",
        "privacy",
        "triage",
        "sla.calendar",
        "sla.policy",
        "tips.escalation",
        "publication.checks",
        "publication.figures",
        "publication.period",
        "realtime.signatures",
    ),
    ("config", "db", "rendering"),
    ("platforms", "notify"),
    ("pipeline", "collect", "sla", "tips", "publication", "doctor", "realtime", "learning"),
    ("web", "cli", "__main__"),
)
# Pure policy: no database, network, Airflow or Slack, even lazily.
PURE = LAYERS[0] + LAYERS[1]
IO_LIBRARIES = ("sqlalchemy", "alembic", "requests", "httpx", "airflow", "slack_sdk", "psycopg2")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _room(module: str, rooms: tuple[str, ...]) -> str | None:
    """The most specific room (e.g. `sla.policy` before `sla`) a module belongs to."""
    matches = [r for r in rooms if module == r or module.startswith(r + ".")]
    return max(matches, key=len) if matches else None


ALL_ROOMS = tuple(room for layer in LAYERS for room in layer)
LAYER_OF = {room: i for i, layer in enumerate(LAYERS) for room in layer}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "citizen_desk":
                found.update(f"citizen_desk.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p) or "citizen_desk")
def test_no_room_imports_a_room_above_it(path: Path) -> None:
    module = _module_name(path)
    if not module:
        return
    own = _room(module, ALL_ROOMS)
    assert own is not None, f"{module} belongs to no room: add it to LAYERS"
    upward = []
    for name in _imports(path):
        if not name.startswith("citizen_desk."):
            continue
        target = _room(name.removeprefix("citizen_desk."), ALL_ROOMS)
        if target is not None and LAYER_OF[target] > LAYER_OF[own]:
            upward.append(f"{name} (layer {LAYER_OF[target]})")
    assert not upward, f"{module} (layer {LAYER_OF[own]}) imports upward: {sorted(upward)}"


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if _room(_module_name(p), PURE) is not None],
    ids=_module_name,
)
def test_pure_policy_imports_no_io(path: Path) -> None:
    io = sorted(n for n in _imports(path) if n.split(".")[0] in IO_LIBRARIES)
    assert not io, f"{_module_name(path)} is pure policy but imports {io}"


def test_the_rooms_exist() -> None:
    for room in ALL_ROOMS:
        as_module = PACKAGE / (room.replace(".", "/") + ".py")
        as_package = PACKAGE / room.replace(".", "/") / "__init__.py"
        assert as_module.exists() or as_package.exists(), room
