"""`python -m citizen_desk registry check`: every problem of the file in one run, non-zero exit."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from citizen_desk.cli import main
from tests.conftest import REGISTRY_PATH

SAMPLE = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))


def test_check_accepts_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "check", "--path", str(REGISTRY_PATH)]) == 0
    out = capsys.readouterr().out
    assert f"{len(SAMPLE['units'])} units, {len(SAMPLE['channels'])} channels" in out


def test_check_reports_every_mistake_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = copy.deepcopy(SAMPLE)
    raw["units"][1]["contacts"]["chief"] = "bob"
    raw["units"][3]["parent"] = "TH-XX"
    raw["channels"][2]["key"] = raw["channels"][0]["key"]
    del raw["channels"][4]["connection_id"]
    raw["escalation"]["clock"] = "business"
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False) + "technical_admins: []\n"
    path = tmp_path / "registry.yaml"
    path.write_text(text, encoding="utf-8")

    assert main(["registry", "check", "--path", str(path)]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    expected = [
        f"technical_admins: duplicate key (line {len(text.splitlines())})",
        "units[TH-NS].contacts.chief: malformed Slack id 'bob'",
        "units[TH-NS-NGATHUY].parent: unknown parent 'TH-XX'",
        "channels[fb-th-ns-ngathuy].connection_id: missing connection id",
        "channels[fb-th].key: duplicate channel key 'fb-th'",
        "escalation.clock: expected wall or working, got 'business'",
    ]
    lines = captured.err.splitlines()
    assert len(lines) == len(expected) + 1
    for line, problem in zip(lines, expected, strict=False):
        assert line.startswith(f"error: {path}: {problem}")
    assert lines[-1] == f"{len(expected)} problem(s) in {path}"
