"""Packaging: the two lock pairs (`scripts/check_lock.py`) and the `citizen-desk` console script."""

from __future__ import annotations

import ast
import importlib.util
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

DEV_TOOLS = ("pytest", "pytest-timeout", "ruff", "uv", "hypothesis", "mypy")


def _check_lock() -> Any:
    spec = importlib.util.spec_from_file_location("_check_lock", REPO / "scripts" / "check_lock.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(directory: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return [str(directory / name) for name in files]


RUNTIME = {
    "requirements.txt": "# runtime\napache-airflow==3.3.2\nSQLAlchemy==2.1.9\n",
    "requirements.lock": "apache-airflow==3.3.2\n    # via -r requirements.txt\n"
    "sqlalchemy==2.1.9\ngreenlet==3.2.4\n",
}
DEV = {
    "requirements-dev.txt": "-r requirements.txt\n-c requirements.lock\npytest==9.2.0\n",
    "requirements-dev.lock": "apache-airflow==3.3.2\nsqlalchemy==2.1.9\ngreenlet==3.2.4\n"
    "pytest==9.2.0\niniconfig==2.3.1\n",
}


def test_the_repository_locks_agree(capsys: pytest.CaptureFixture[str]) -> None:
    assert _check_lock().main([]) == 0
    out = capsys.readouterr().out
    assert "requirements.lock agrees with requirements.txt" in out
    assert "requirements-dev.lock agrees with requirements-dev.txt" in out


def test_both_pairs_agree(tmp_path: Path) -> None:
    assert _check_lock().main(_write(tmp_path, {**RUNTIME, **DEV})) == 0


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "requirements.lock",
            "apache-airflow==3.3.1\nsqlalchemy==2.1.9\n",
            "apache-airflow==3.3.2 in requirements.txt, 3.3.1 in requirements.lock",
        ),
        (
            "requirements.txt",
            "apache-airflow==3.3.2\nsqlalchemy>=2\n",
            "requirements.txt: not pinned exactly: sqlalchemy>=2",
        ),
        (  # a runtime pin the dev lock lacks, found through `-r requirements.txt`
            "requirements-dev.lock",
            "apache-airflow==3.3.2\npytest==9.2.0\n",
            "sqlalchemy==2.1.9 in requirements.txt, None in requirements-dev.lock",
        ),
        (  # the dev venv would run another greenlet than the image
            "requirements-dev.lock",
            "apache-airflow==3.3.2\nsqlalchemy==2.1.9\ngreenlet==3.2.5\npytest==9.2.0\n",
            "greenlet==3.2.4 in requirements.lock, 3.2.5 in requirements-dev.lock",
        ),
        (
            "requirements-dev.txt",
            "-r requirements.txt\npytest==9.2.0\nmypy==2.4.1\n",
            "mypy==2.4.1 in requirements-dev.txt, None in requirements-dev.lock",
        ),
    ],
)
def test_disagreements_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, problem: str
) -> None:
    args = _write(tmp_path, {**RUNTIME, **DEV, name: text})
    assert _check_lock().main(args) == 1
    assert problem in capsys.readouterr().err


def test_odd_arguments_are_refused(tmp_path: Path) -> None:
    assert _check_lock().main([str(tmp_path / "requirements.txt")]) == 2


def test_dev_tools_stay_out_of_the_runtime_lock() -> None:
    check = _check_lock()
    runtime = check.pins(REPO / "requirements.lock")
    dev = check.pins(REPO / "requirements-dev.lock")
    for tool in DEV_TOOLS:
        assert tool not in runtime, f"{tool} is in requirements.lock"
        assert tool in dev, f"{tool} is not in requirements-dev.lock"
    assert "requirements-dev" not in (REPO / "requirements.lock").read_text(encoding="utf-8")


def test_console_script_points_at_the_cli() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    target = pyproject["project"]["scripts"]["citizen-desk"]
    module, _, function = target.partition(":")
    assert callable(getattr(importlib.import_module(module), function))
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == ["citizen_desk*"]
    assert importlib.import_module(module).build_parser().prog == "citizen-desk"


def test_the_readme_lists_every_dag() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The DAGs", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    dag_files = {path.stem for path in (REPO / "dags").glob("*.py")}
    assert listed == dag_files


def test_shipped_code_imports_nothing_the_image_lacks() -> None:
    dev_only = {
        "pytest",
        "hypothesis",
        "mypy",
        "ruff",
        "platform_simulator",
        "e2e",
        "bench",
        "tests",
    }
    for folder in ("include", "dags", "plugins"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    assert name.split(".")[0] not in dev_only, f"{path}: imports {name}"
