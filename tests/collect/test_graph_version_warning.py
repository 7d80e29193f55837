"""A channel whose Graph version ends within 60 days collects, with a warning in its summary."""

from __future__ import annotations

import json
import os

import pytest

from citizen_desk.collect.summary import channel_block, summarise_run


@pytest.mark.parametrize("world", [1], indirect=True)
def test_an_ending_graph_version_warns_in_the_summary(collect, world, monkeypatch) -> None:
    name = "AIRFLOW_CONN_" + world.channels["fb-th-ns-ttns"]["connection_id"].upper()
    conn = json.loads(os.environ[name])
    conn["extra"]["graph_version"] = "v21.0"  # ends 2027-01-21, 59 days after the world's now
    monkeypatch.setenv(name, json.dumps(conn))
    ending = collect("fb-th-ns-ttns")
    current = collect("fb-th-ns-ngathuy")
    assert ending["status"] == "success"
    assert len(ending["warnings"]) == 1
    assert "v21.0 stops working on 2027-01-21" in ending["warnings"][0]
    assert current["warnings"] == []
    assert "   warning: Graph v21.0" in channel_block(ending)
    run = summarise_run("run-1", [ending, current])
    assert run["warnings"] == [f"fb-th-ns-ttns: {ending['warnings'][0]}"]
    assert "warning: Graph v21.0" in run["text"]
