"""The redaction evaluator scores masked secrets and intact keep-spans per label."""

from __future__ import annotations

import json

import pytest

from citizen_desk.privacy.evaluate import load, main, report, score

TEXT = "Liên hệ anh Tuấn, 0912 345 678, ở xã Nga Thủy."


def _span(needle: str, label: str, role: str) -> dict:
    start = TEXT.index(needle)
    return {"start": start, "end": start + len(needle), "label": label, "role": role}


ROW = {
    "text": TEXT,
    "split": "dev",
    "spans": [
        _span("Tuấn", "PERSON", "secret"),
        _span("0912 345 678", "PHONE", "secret"),
        _span("xã Nga Thủy", "PLACE", "keep"),
    ],
}


def test_scores_secrets_and_keeps() -> None:
    scores = score([ROW], tagger=False)
    assert scores.share("secret") == (2, 2)
    assert scores.share("keep") == (1, 1)
    assert "secrets masked: 2/2 = 100.0%" in report(scores)


def test_an_unmasked_secret_counts_against() -> None:
    row = {**ROW, "spans": [*ROW["spans"], _span("Nga", "PERSON", "secret")]}
    scores = score([row], tagger=False)
    assert scores.share("secret") == (2, 3)  # "Nga" inside the kept place name is not masked


def test_cli_reads_one_split_and_never_prints_rows(tmp_path, capsys) -> None:
    path = tmp_path / "set.jsonl"
    other = {**ROW, "split": "test"}
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (ROW, other)), "utf-8")
    assert len(load(path, "dev")) == 1
    assert main([str(path), "--split", "dev", "--no-tagger"]) == 0
    out = capsys.readouterr().out
    assert "rows: 1" in out
    assert "0912" not in out
    assert "Tuấn" not in out


def test_triage_rows_count_their_pii_as_secrets() -> None:
    row = {"text": TEXT, "split": "dev", "pii": [{"start": 12, "end": 16, "kind": "name"}]}
    scores = score([row], tagger=False)
    assert scores.share("secret") == (1, 1)
    assert scores.roles == {"name": "secret"}


def test_full_report_per_split_kind_and_family(tmp_path, capsys) -> None:
    rows = [
        {**ROW, "source": "https://www.example.vn/a", "source_kind": "news"},
        {**ROW, "split": "train", "source": "https://m.other.vn/b", "source_kind": "qa"},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    assert main(["--set", str(path), "--no-tagger"]) == 0
    out = capsys.readouterr().out
    for line in ("example.vn", "other.vn", "news", "qa", "dev", "train"):
        assert line in out
    assert "secrets masked: 4/4 = 100.0%" in out
    assert "Tuấn" not in out


def test_errors_show_dev_misses_and_refuse_test(tmp_path, capsys) -> None:
    missed = {**ROW, "spans": [*ROW["spans"], _span("Nga", "PERSON", "secret")]}
    path = tmp_path / "set.jsonl"
    rows = (missed, {**missed, "split": "test"})
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    assert main(["--set", str(path), "--split", "dev", "--errors", "--no-tagger"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert "⟦Nga⟧" in out[0]
    for split in (["--split", "test"], []):
        with pytest.raises(SystemExit):
            main(["--set", str(path), *split, "--errors", "--no-tagger"])
