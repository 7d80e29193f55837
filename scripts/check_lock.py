"""Fail when requirements.txt pins something the lock does not (or pins it differently)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)")


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            name = re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")
            found[name] = match.group(2)
    return found


def main(requirements: str, lock: str) -> int:
    top, locked = pins(Path(requirements)), pins(Path(lock))
    unpinned = [
        line
        for line in Path(requirements).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#") and not PIN.match(line.strip())
    ]
    problems = [f"{requirements}: not pinned exactly: {line}" for line in unpinned]
    for name, version in top.items():
        if locked.get(name) != version:
            problems.append(f"{name}=={version} in {requirements}, {locked.get(name)} in {lock}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{lock} agrees with {requirements} ({len(top)} pins, {len(locked)} locked)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
