"""The e2e report: named checks with PASS / FAIL / SKIPPED, details and timings."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

PASS, FAIL, SKIPPED, INFO = "PASS", "FAIL", "SKIPPED", "INFO"
MAX_DETAILS = 12


@dataclass
class Entry:
    name: str
    status: str
    details: list[str] = field(default_factory=list)
    seconds: float | None = None


@dataclass
class Report:
    topology: str
    entries: list[Entry] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def add(self, name: str, status: str, details: list[str] | None = None) -> Entry:
        entry = Entry(name, status, list(details or []))
        self.entries.append(entry)
        marker = {PASS: "ok  ", FAIL: "FAIL", SKIPPED: "skip", INFO: "info"}[status]
        print(f"[{self.elapsed():6.1f}s] {marker} {name}", flush=True)
        for line in entry.details[:MAX_DETAILS]:
            print(f"            {line}", flush=True)
        if len(entry.details) > MAX_DETAILS:
            print(f"            ... {len(entry.details) - MAX_DETAILS} more", flush=True)
        return entry

    def check(self, name: str, problems: list[str], info: list[str] | None = None) -> bool:
        """PASS when `problems` is empty, else FAIL listing them."""
        self.add(name, FAIL if problems else PASS, problems or info or [])
        return not problems

    def skip(self, name: str, why: str) -> None:
        self.add(name, SKIPPED, [why])

    def info(self, name: str, details: list[str] | None = None) -> None:
        self.add(name, INFO, details)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Time a phase; an exception inside fails the phase (and propagates)."""
        start = time.monotonic()
        print(f"[{self.elapsed():6.1f}s] ---- {name}", flush=True)
        try:
            yield
        except Exception as exc:
            self.entries.append(
                Entry(
                    f"phase: {name}",
                    FAIL,
                    [f"{type(exc).__name__}: {exc}"],
                    time.monotonic() - start,
                )
            )
            print(f"[{self.elapsed():6.1f}s] FAIL phase {name}: {exc}", flush=True)
            raise
        self.entries.append(Entry(f"phase: {name}", INFO, [], time.monotonic() - start))

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def failed(self) -> list[Entry]:
        return [e for e in self.entries if e.status == FAIL]

    def summary(self) -> str:
        lines = [f"== e2e {self.topology}: summary ({self.elapsed():.0f}s) =="]
        for entry in self.entries:
            if entry.name.startswith("phase: "):
                lines.append(f"  time  {entry.name[7:]:<48} {entry.seconds or 0:7.1f}s")
        for status in (PASS, SKIPPED, FAIL):
            names = [e.name for e in self.entries if e.status == status]
            lines.append(
                f"  {status:<7} {len(names):3d}"
                + (": " + "; ".join(names) if status != PASS and names else "")
            )
        lines.append("RESULT: " + ("FAILED" if self.failed else "PASSED"))
        return "\n".join(lines)

    def write_json(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "topology": self.topology,
                    "seconds": self.elapsed(),
                    "entries": [asdict(e) for e in self.entries],
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
