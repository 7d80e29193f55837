"""One concern per module: no module of the package is over 500 lines (issue #15), so each one
reads in a sitting. Migrations are exempt: they are history, written once and never edited."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "include" / "citizen_desk"
MAX_LINES = 500

MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts
)


def test_no_module_is_over_500_lines() -> None:
    assert PACKAGE / "notify" / "delivery.py" in MODULES, f"no modules found under {PACKAGE}"
    too_long = {
        str(path.relative_to(PACKAGE)): lines
        for path in MODULES
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"split along their concerns (> {MAX_LINES} lines): {too_long}"
