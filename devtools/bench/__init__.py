"""Benchmarks for Citizen Desk (`make bench`, `python -m bench.run [--quick] [--only NAME]`).

One module per benchmark (`api_economy`, `ingest`, `sweeps`, `dag_parse`, `triage_speed`,
`receiver`), each with a `run(size, env)` function that returns a JSON-able dict; `bench.run`
runs them, prints the table and writes `bench/results.json` and `bench/REPORT.md`.
"""

from __future__ import annotations
