"""Print the dag_id of every DAG in dags/ (static parse: no Airflow import needed)."""

from __future__ import annotations

import ast
from pathlib import Path

DAGS = Path(__file__).resolve().parent.parent / "dags"

for path in sorted(DAGS.glob("*.py")):
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and any(
            (isinstance(d, ast.Call) and getattr(d.func, "id", "") == "dag")
            or getattr(d, "id", "") == "dag"
            for d in node.decorator_list
        ):
            print(node.name)
