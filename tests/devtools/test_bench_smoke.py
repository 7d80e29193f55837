"""Smoke test of `bench/`: every benchmark runs at a tiny size and reports sane figures.

No timing assertions: only that each benchmark works end to end, its accounting adds up and the
report renders. PostgreSQL parts run when `CITIZEN_DESK_TEST_PG_URL` is set.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench import (
    api_economy,
    dag_parse,
    ingest,
    pages,
    pages_worker,
    sweeps,
    sweeps_cold,
    triage_speed,
)
from bench.common import Env, spread
from bench.report import render_report, summary_rows

PG_URL = os.environ.get("CITIZEN_DESK_TEST_PG_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="CITIZEN_DESK_TEST_PG_URL not set")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(workdir=tmp_path, pg_url=PG_URL, log=lambda _text: None)


def report_for(name: str, result: dict[str, Any]) -> str:
    return render_report({"benchmarks": {name: result}, "machine": {}, "run": {}})


def test_spread_is_median_min_max() -> None:
    assert spread([3.0, 1.0, 2.0]) == {
        "n": 3,
        "median": 2.0,
        "min": 1.0,
        "max": 3.0,
        "samples": [3.0, 1.0, 2.0],
    }
    assert spread([])["median"] is None


def test_strict_floor_counts_pages_at_the_largest_sizes() -> None:
    channels = {"fb": {"platform": "facebook"}, "zl": {"platform": "zalo"}}
    hour = 3_600_000

    def msg(surface: str, thread: str, t: int, **extra: Any) -> dict[str, Any]:
        return {"channel": "zl" if surface == "zalo" else "fb", "surface": surface,
                "thread_id": thread, "created_ms": t, **extra}  # fmt: skip

    truth = [
        # 150 conversations, 120 of them with one message after the previous run (at 10 h)...
        *(msg("messenger", f"c{i}", (5 if i >= 120 else 11) * hour) for i in range(150)),
        # ...one of them with 150 new messages, and an old one
        *(msg("messenger", "c0", 12 * hour + i) for i in range(150)),
        msg("messenger", "c0", 1 * hour),
        # a post with 250 comments, 205 of them new; a post with two old ones
        *(msg("comment", "k", (11 if i < 205 else 2) * hour, post_id="p1") for i in range(250)),
        *(msg("comment", "k2", 2 * hour, post_id="p2") for _ in range(2)),
        # 30 Zalo messages, 20 new
        *(msg("zalo", f"u{i % 7}", (11 if i < 20 else 3) * hour) for i in range(30)),
        msg("zalo", "u9", 20 * hour),  # after this run: not counted
    ]
    posts = {"fb": [9 * hour, 8 * hour, 1 * hour - 40 * 86_400_000]}  # the last: past lookback
    floor = api_economy.strict_floor(channels, truth, posts, 10 * hour, 13 * hour, oauth=1)
    assert floor == {
        "graph.conversations": 2,  # 121 rows (120 new + 1 older) at 100 a page
        "graph.messages": 1,  # c0: 151 new (with its 11 h one) + 1 older = 152 rows: 2 pages
        "graph.feed": 1,  # 2 posts in the 30-day lookback
        "graph.comments": 2,  # 206 comments read: 3 pages, the first expanded
        "zalo.listrecentchat": 3,  # 21 rows (20 new + 1 older) at 10 a page
        "zalo.oauth": 1,
        "total": 10,
    }
    first = api_economy.strict_floor(channels, truth, posts, None, 13 * hour)
    assert first["graph.conversations"] == 2  # all 150
    assert first["graph.messages"] == 1  # c0's 152 messages: two pages
    assert first["graph.feed"] == 1  # every post, lookback or not: 3
    assert first["graph.comments"] == 2  # p1's 250 comments: three pages
    assert first["zalo.listrecentchat"] == 4  # 30 rows: 3 full pages and an empty one
    quiet = api_economy.strict_floor(channels, truth[:1], {}, 20 * hour, 21 * hour)
    assert quiet == {"graph.conversations": 1, "graph.feed": 1, "zalo.listrecentchat": 1,
                     "total": 3}  # fmt: skip


@pytest.mark.slow
def test_api_economy(env: Env) -> None:
    size = api_economy.Size(scale=2, days=1, steps=1, daily=False)
    result = api_economy.run(size, env)
    phases = {p["phase"]: p for p in result["phases"]}
    assert list(phases) == ["first", "hourly (1 h)", "no new traffic"]
    first = phases["first"]
    assert first["new_citizen_messages"] > 0
    assert first["calls"] > 0
    assert first["naive_calls"] > 0
    for phase in result["phases"]:
        assert phase["failed_channels"] == []
        assert phase["citizen_messages_added"] == phase["new_citizen_messages"]
    quiet = phases["no new traffic"]
    assert quiet["new_citizen_messages"] == 0
    assert quiet["strict_floor"] == 3  # one Facebook page (2 listings) and one Zalo OA
    assert quiet["calls"] == 3
    assert first["floor_by_endpoint"]["zalo.oauth"] == 1  # the OA's first access token
    assert result["complete"]
    assert "## 1. API economy" in report_for("api_economy", result)


@pytest.mark.slow
def test_ingest(env: Env) -> None:
    backends = ("sqlite", "postgresql") if PG_URL else ("sqlite",)
    size = ingest.Size(messages=60, channels=2, days=1, backends=backends)
    result = ingest.run(size, env)
    assert [b["backend"] for b in result["backends"]] == list(backends)
    for item in result["backends"]:
        assert item["failed_channels"] == []
        assert item["messages"] == result["world_messages"] == result["read_items"]
        assert item["cases"] > 0
        assert item["collector_msgs_per_s"] > 0
        assert item["collector_cpu_seconds"] > 0
        assert item["overhead_ratio"] > 0
    text = report_for("ingest", result)
    assert "## 2. Ingest throughput" in text
    assert "Not 100k" in text


@pytest.mark.slow
def test_ingest_cpu_collects_the_same_world_alone() -> None:
    from bench import ingest_cpu

    backend = "postgresql" if PG_URL else "sqlite"
    result = ingest_cpu.measure(backend, ingest.Size(messages=60, channels=2, days=1))
    assert result["backend"] == backend
    assert result["messages"] > 0
    assert result["wall_seconds"] > 0
    assert result["cpu_seconds"] > 0


@needs_pg
@pytest.mark.slow
def test_sweeps(env: Env) -> None:
    size = sweeps.Size(histories=(300,), open_share=0.02, fixed_open=3, repeats=1, cold=None)
    result = sweeps.run(size, env)
    rows = {row["open_cases"]: row for row in result["rows"]}
    assert set(rows) == {6, 3}
    for row in rows.values():
        assert row["sla"]["steady_report"]["evaluated"] == row["open_cases"]
        assert row["sla"]["steady_report"]["breaches_recorded"] == 0  # steady: all recorded
        assert row["escalation"]["steady_report"]["enqueued"] == 0
        assert row["sla"]["plan"].startswith(("Sort", "Nested", "Hash", "Index", "Seq", "Bitmap"))
    assert rows[3]["sla"]["cold_seconds"] is not None  # fixed open count: a timed cold sweep
    assert rows[6]["sla"]["fast_forward_seconds"] is not None
    assert result["final_table_counts"]["cases"] == 300  # the open cases were removed again
    assert "## 3. SLA and escalation sweeps" in report_for("sweeps", result)


def test_sweeps_skip_without_postgresql(tmp_path: Path) -> None:
    result = sweeps.run(replace(sweeps.QUICK, cold=None), Env(workdir=tmp_path, pg_url=None))
    assert result["skipped"]


@pytest.mark.slow
def test_cold_sweeps(env: Env) -> None:
    engines = ("postgresql", "sqlite") if PG_URL else ("sqlite",)
    size = sweeps_cold.Size(cases=40, tips=30, repeats=1, engines=engines)
    result = sweeps_cold.run(size, env)
    assert set(result["scenarios"]) == {"backlog", "burst"}
    for scenario, by_engine in result["scenarios"].items():
        assert set(by_engine) == set(engines)
        for item in by_engine.values():
            sla, esc = item["sla"], item["escalation"]
            assert sla["report"]["evaluated"] == 40
            assert sla["report"]["breaches_recorded"] == 40  # every case is late
            assert sla["written"]["sla_events"] == 40
            # backlog: every open tip reaches its level; burst: the 30 past 24 h (the late
            # `tip` cases' own tips got their arrival alert and stay quiet)
            assert esc["report"]["escalated"] == (
                30 if scenario == "burst" else item["seeded"]["open_tips"]
            )
            # the second sweep right after adds nothing: no row, no audit, no alert
            assert not any(sla["next_added"].values())
            assert not any(esc["next_added"].values())
            assert min(sla["cold"]["median"], sla["cold_cpu"]["median"]) > 0
            if scenario == "burst":  # every outcome alerted by itself: two per case
                assert sla["report"]["caught_up"] == 0
                assert sla["report"]["notifications"] >= 2 * 40
                assert esc["report"]["enqueued"] >= 30
            else:  # most outcomes are long past: recorded and summarised
                assert min(sla["report"]["caught_up"], sla["report"]["summaries"]) > 0
    text = report_for("sweeps", {"skipped": "no history", "cold": result})
    assert "### Cold sweeps after 10k cases turn late" in text
    assert "it wrote" in text


@needs_pg
@pytest.mark.slow
def test_pages(env: Env) -> None:
    size = pages.Size(
        sizes=(300, 900), warmup=1, rounds=2, repeats=2, min_repeats=2, page_budget_seconds=5
    )
    result = pages.run(size, env)  # the worker fails on any page that is not a 200
    small, large = result["rows"]
    assert (small["cases"], large["cases"]) == (300, 900)
    assert small["counts"]["cases"] == 300
    assert large["counts"]["cases"] == 900
    assert large["counts"]["messages"] > large["counts"]["cases"]
    assert 0 < large["counts"]["tips"] < large["counts"]["cases"]
    assert set(small["pages"]) == set(large["pages"]) == set(result["verdicts"])
    for row in result["rows"]:
        for item in row["pages"].values():
            assert item["n"] == 4  # 2 rounds of 2
            assert len(item["p95_rounds"]) == 2
            assert 0 < item["p50"] <= item["p95"] <= item["max"]
            assert item["statements"] >= 1
            assert item["rows"] >= 0
    assert large["pages"]["tips board, all tips"]["rows"] >= 1  # its rows, or its "none" line
    assert "table rows" in report_for("pages", result)
    assert "## 7. Citizen Desk pages" in report_for("pages", result)


def test_table_rows_counts_the_bodies_rows_only() -> None:
    html = (
        "<table><thead><tr><th>a</th></tr></thead><tbody>\n<tr><td>1</td></tr>"
        '<tr class="x"><td>2</td></tr></tbody></table><table><tbody><tr><td>3</td></tr>'
        "</tbody></table>"
    )
    assert pages_worker.table_rows(html) == 3
    assert pages_worker.table_rows("<p>no table</p>") == 0


def test_percentile_interpolates_between_ranks() -> None:
    assert pages_worker.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert pages_worker.percentile([1.0, 2.0], 0.95) == pytest.approx(1.95)
    assert pages_worker.percentile([7.0], 0.95) == 7.0


def test_pages_skip_without_postgresql(tmp_path: Path) -> None:
    assert pages.run(pages.QUICK, Env(workdir=tmp_path, pg_url=None))["skipped"]


@pytest.mark.slow
def test_dag_parse(env: Env) -> None:
    size = dag_parse.Size(
        repeats=1, folder=False, importtime=False, files=("citizen_desk_setup.py",)
    )
    result = dag_parse.run(size, env)
    files = {f["file"]: f for f in result["files"]}
    assert set(files) == {"(empty DAG)", "citizen_desk_setup.py"}
    for item in files.values():
        assert item["dags"] == 1
        assert item["import_errors"] == []
        assert item["failures"] == []
        assert item["seconds"]["median"] > 0
    assert files["(empty DAG)"]["ratio_to_empty"] == 1.0
    assert "## 4. DAG parse cost" in report_for("dag_parse", result)


@pytest.mark.slow
def test_import_breakdown_parses_importtime(env: Env, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    file = bundle / "tiny_dag.py"
    file.write_text(dag_parse.EMPTY_DAG + "\nimport json  # noqa: E402,F401\n", encoding="utf-8")
    rows = dag_parse.import_breakdown(file, bundle, dag_parse.airflow_env(tmp_path), top=50)
    assert rows
    assert all(r["cumulative_ms"] >= r["self_ms"] >= 0 for r in rows)


@pytest.mark.slow
def test_triage_speed(env: Env) -> None:
    result = triage_speed.run(triage_speed.Size(messages=50, repeats=2), env)
    assert result["classify_msgs_per_s"]["n"] == 2
    assert result["redact_msgs_per_s"]["median"] > 0
    assert "## 5. Triage speed" in report_for("triage_speed", result)


def test_cli_writes_results_and_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from bench import run

    code = run.main(["--quick", "--only", "triage_speed", "--out", str(tmp_path), "--no-pg"])
    assert code == 0
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["benchmarks"]["triage_speed"]["_meta"]["status"] == "ok"
    assert results["machine"]["cores"] >= 1
    assert "# Citizen Desk benchmarks" in (tmp_path / "REPORT.md").read_text(encoding="utf-8")
    assert "triage classify msgs/s" in capsys.readouterr().out
    assert any(row[0] == "triage redact msgs/s" for row in summary_rows(results))
