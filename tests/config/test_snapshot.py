"""The last valid registry: stored on every valid load, used (and said so) when the file breaks."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from citizen_desk.config.registry import canonical_content, load_registry, registry_from_text
from citizen_desk.config.snapshot import (
    current_state,
    latest_snapshot,
    registry_state,
    remember,
)
from citizen_desk.db.models import RegistrySnapshot
from citizen_desk.errors import ConfigError, RegistryErrors
from tests.budget import examples
from tests.conftest import NOW, REGISTRY_PATH


@pytest.fixture
def registry_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "registry.yaml"
    shutil.copyfile(REGISTRY_PATH, path)
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(path))
    return path


def break_it(path: Path) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["channels"][1]["platform"] = raw["channels"][0]["platform"]
    raw["channels"][1]["platform_id"] = raw["channels"][0]["platform_id"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_canonical_content_round_trips_to_the_same_registry(registry) -> None:
    again = registry_from_text(registry.canonical, registry.path)
    assert again == registry
    assert again.canonical == registry.canonical


def test_comments_and_layout_do_not_change_the_canonical_content(tmp_path: Path) -> None:
    raw = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
    other = tmp_path / "registry.yaml"
    other.write_text(
        "# a comment\n" + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, indent=4),
        encoding="utf-8",
    )
    assert load_registry(other).canonical == load_registry(REGISTRY_PATH).canonical


SCALARS = st.none() | st.booleans() | st.integers() | st.text() | st.dates()


@settings(max_examples=examples(200), deadline=None)
@given(
    st.recursive(
        SCALARS,
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=12,
    )
)
def test_canonical_content_reads_back_as_the_same_document(raw) -> None:
    assert yaml.safe_load(canonical_content(raw)) == raw


def test_a_valid_file_is_kept_once_per_content(session: Session, registry_file: Path) -> None:
    registry_state(session, NOW)
    registry_state(session, NOW + timedelta(hours=1))
    rows = session.scalars(select(RegistrySnapshot)).all()
    assert len(rows) == 1
    assert (rows[0].loaded_at, rows[0].last_valid_at) == (NOW, NOW + timedelta(hours=1))


def test_the_latest_valid_content_wins_even_if_seen_before(session: Session, registry) -> None:
    other = registry_from_text(
        registry.canonical.replace("min_count: 3", "min_count: 4"), registry.path
    )
    assert other.canonical != registry.canonical
    remember(session, registry, NOW)
    remember(session, other, NOW + timedelta(hours=1))
    remember(session, registry, NOW + timedelta(hours=2))  # back to the first version
    snapshot = latest_snapshot(session)
    assert snapshot is not None
    assert snapshot.content == registry.canonical


def test_a_broken_file_falls_back_on_the_snapshot(
    session: Session, registry_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    valid = registry_state(session, NOW)
    assert not valid.fallback
    break_it(registry_file)
    state = registry_state(session, NOW + timedelta(days=1))
    assert state.fallback
    assert state.registry == valid.registry
    assert state.snapshot_at == NOW
    assert any("duplicate channel id" in line for line in state.problems)
    assert all(line.startswith(f"{registry_file}: channels[") for line in state.problems)
    assert state.broken_hash
    assert len(state.broken_hash) == 64
    assert "duplicate channel id" in caplog.text  # file: key: problem, in the log


def test_a_broken_file_without_snapshot_fails_as_before(
    session: Session, registry_file: Path
) -> None:
    break_it(registry_file)
    with pytest.raises(RegistryErrors, match="duplicate channel id"):
        registry_state(session, NOW)


def test_an_unreadable_file_falls_back_too(session: Session, registry_file: Path) -> None:
    registry_state(session, NOW)
    registry_file.write_text("units: [", encoding="utf-8")
    state = registry_state(session, NOW)
    assert state.fallback
    assert "invalid YAML" in state.problems[0]


def test_current_state_reads_the_snapshot_of_the_given_db(engine, registry_file: Path) -> None:
    with Session(engine) as session:
        registry_state(session, NOW)
        session.commit()
    assert not current_state(engine).fallback
    break_it(registry_file)
    state = current_state(engine)
    assert state.fallback
    assert state.snapshot_at == NOW
    assert current_state(engine) is state  # looked up once per broken version


def test_current_state_without_a_db_raises_the_file_error(
    registry_file: Path, tmp_path: Path
) -> None:
    break_it(registry_file)
    with pytest.raises(ConfigError, match="duplicate channel id"):
        current_state(f"sqlite:///{tmp_path / 'empty.db'}")
