from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from citizen_desk.triage.cli import main

REPO = Path(__file__).resolve().parents[2]

GOOD_1 = {"id": "m1", "text": "Cho em hỏi đăng ký tạm trú ở đâu ạ, sđt em 0912 345 678"}
GOOD_2 = {"id": 7, "text": "Cứu với, Lê Văn Tám đang bị đánh ở chợ", "names": ["Lê Văn Tám"]}
LINES = [
    json.dumps(GOOD_1, ensure_ascii=False),
    "{not json",
    json.dumps({"id": "m3"}),
    json.dumps(["a", "list"]),
    "",
    json.dumps({"id": "m5", "text": 42}),
    json.dumps(GOOD_2, ensure_ascii=False),
    json.dumps({"id": "m7", "text": "ok", "names": "Lê Văn Tám"}),
]


def run(lines: list[str], argv: list[str] | None = None) -> tuple[int, list[dict], str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv or [], stdin=io.StringIO("\n".join(lines) + "\n"), stdout=stdout,
                stderr=stderr)  # fmt: skip
    records = [json.loads(line) for line in stdout.getvalue().splitlines()]
    return code, records, stderr.getvalue()


def test_mixed_good_and_bad_lines() -> None:
    code, records, errors = run(LINES)
    assert code == 1
    assert [r["id"] for r in records] == ["m1", 7]
    first, second = records
    assert set(first) == {
        "id", "category", "urgent", "urgency_cues", "topic", "confidence", "redacted",
    }  # fmt: skip
    assert (first["category"], first["topic"], first["urgent"]) == ("question", "residence", False)
    assert first["urgency_cues"] == []
    assert first["redacted"] == "Cho em hỏi đăng ký tạm trú ở đâu ạ, sđt em [SĐT]"
    assert (second["category"], second["urgent"]) == ("tip", True)
    assert second["redacted"] == "Cứu với, [TÊN] đang bị đánh ở chợ"
    assert "cứu với" in second["urgency_cues"]  # why it is urgent
    assert not any("Tám" in cue for cue in second["urgency_cues"])
    assert 0 <= second["confidence"] <= 1

    reported = errors.splitlines()
    assert reported[0].startswith("line 2: invalid JSON")
    assert reported[1] == "line 3: missing 'text'"
    assert reported[2] == "line 4: expected a JSON object, got list"
    assert reported[3] == "line 6: 'text' must be a string, got int"
    assert reported[4] == "line 8: 'names' must be a list of strings"
    assert "Tám" not in errors
    assert "0912" not in errors


def test_output_is_utf8_not_escaped() -> None:
    stdout = io.StringIO()
    main([], stdin=io.StringIO(json.dumps(GOOD_1) + "\n"), stdout=stdout, stderr=io.StringIO())
    assert "hỏi" in stdout.getvalue()
    assert "\\u" not in stdout.getvalue()


def test_all_good_exits_zero() -> None:
    code, records, errors = run([json.dumps(GOOD_1, ensure_ascii=False), "", "  "])
    assert (code, len(records), errors) == (0, 1, "")


def test_bad_vocabulary_exits_two(tmp_path: Path) -> None:
    bad = tmp_path / "v.yaml"
    bad.write_text("version: 2\n", encoding="utf-8")
    stderr = io.StringIO()
    code = main(["--vocab", str(bad)], stdin=io.StringIO(""), stdout=io.StringIO(), stderr=stderr)
    assert code == 2
    assert "version" in stderr.getvalue()


def test_runs_as_a_module() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "include")}
    done = subprocess.run(
        [sys.executable, "-m", "citizen_desk.triage.cli"],
        input=json.dumps({"id": 1, "text": "xin chào"}) + "\nnope\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["category"] == "other"
    assert "line 2" in done.stderr
