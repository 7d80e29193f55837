"""`make test-fast` is the product's logic without Airflow: collecting it must not import Airflow
(seconds per worker), so a test module that needs Airflow imports it inside its tests or
fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import sys, pytest
code = pytest.main(["-q", "--collect-only", "-p", "no:cacheprovider", "-p", "no:xdist",
                    "-m", "not db and not airflow and not slow and not tooling",
                    "--ignore=tests/dags", "--ignore=tests/devtools", "tests"])
loaded = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
print("AIRFLOW-MODULES", len(loaded), loaded[:5])
sys.exit(int(code))
"""


@pytest.mark.slow
def test_collecting_the_fast_tests_imports_no_airflow() -> None:
    env = {**os.environ, "CITIZEN_DESK_TEST_FAST": "1"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "AIRFLOW-MODULES 0 []" in done.stdout, done.stdout[-500:]
