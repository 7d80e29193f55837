"""Fail when a requirements file and its lock disagree.

Usage: `check_lock.py [REQUIREMENTS LOCK]...` (default: the runtime pair requirements.txt /
requirements.lock, then the dev pair requirements-dev.txt / requirements-dev.lock). For each pair,
every pin of the requirements file (and of the files it includes with `-r`) must be locked at that
exact version. Every later lock must also hold every package of the first lock at the same version:
the dev venv runs exactly what the production image installs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)")
INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)\s+(\S+)$")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAIRS = (
    ("requirements.txt", "requirements.lock"),
    ("requirements-dev.txt", "requirements-dev.lock"),
)


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", raw)).lower()


def pins(path: Path) -> dict[str, str]:
    """`name==version` lines of one file (a lock, or a requirements file without its includes)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            found[_name(match.group(1))] = match.group(2)
    return found


def requirement_pins(path: Path, problems: list[str]) -> dict[str, tuple[str, str]]:
    """name -> (version, file) for a requirements file and the files it includes with `-r`."""
    found: dict[str, tuple[str, str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = INCLUDE.match(line)
        if include and include.group(1) in ("-r", "--requirement"):
            found.update(requirement_pins(path.parent / include.group(2), problems))
        elif include:
            continue  # a constraint file (the runtime lock) adds no requirement
        elif match := PIN.match(line):
            found[_name(match.group(1))] = (match.group(2), path.name)
        else:
            problems.append(f"{path.name}: not pinned exactly: {line}")
    return found


def check_pair(requirements: Path, lock: Path) -> list[str]:
    problems: list[str] = []
    top, locked = requirement_pins(requirements, problems), pins(lock)
    for name, (version, origin) in top.items():
        if locked.get(name) != version:
            problems.append(f"{name}=={version} in {origin}, {locked.get(name)} in {lock.name}")
    if not problems:
        print(
            f"{lock.name} agrees with {requirements.name} ({len(top)} pins, {len(locked)} locked)"
        )
    return problems


def check_superset(base: Path, lock: Path) -> list[str]:
    wanted, locked = pins(base), pins(lock)
    return [
        f"{name}=={version} in {base.name}, {locked.get(name)} in {lock.name}"
        for name, version in wanted.items()
        if locked.get(name) != version
    ]


def main(args: list[str]) -> int:
    if len(args) % 2:
        print("usage: check_lock.py [REQUIREMENTS LOCK]...", file=sys.stderr)
        return 2
    pairs = [(Path(args[i]), Path(args[i + 1])) for i in range(0, len(args), 2)] or [
        (ROOT / req, ROOT / lock) for req, lock in DEFAULT_PAIRS
    ]
    problems: list[str] = []
    for requirements, lock in pairs:
        problems += check_pair(requirements, lock)
    for _, lock in pairs[1:]:
        problems += check_superset(pairs[0][1], lock)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("re-resolve with `make lock`", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
