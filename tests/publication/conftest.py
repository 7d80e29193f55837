"""Fixtures for the publication tests: the crafted week, rendered drafts, a Graph stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from citizen_desk.db.models import Channel, Publication
from citizen_desk.publication.drafts import render_all
from citizen_desk.publication.figures import PageInsights, WeeklyResults, compute_results
from citizen_desk.publication.gate import PublishMode, gate_period
from citizen_desk.publication.report import ALL_UNITS
from citizen_desk.publication.rows import load_week_rows
from tests.conftest import REGISTRY_PATH, Sim, Templates

__all__ = ["Sim"]
from tests.publication.seed import NOW, PERIOD, Seeded, seed_week

ACTOR = "publish_weekly_results/test_run"
REGISTRY_PROVINCE = "Công an tỉnh Thanh Hóa"
# Units of the per-test week (4 Facebook/Zalo drafts instead of 18: keeps the tests fast).
SMALL = ("TH", "TH-NS-NGATHUY", "TH-SS-BACSON")


def week_results(
    session: Session, registry: Any, units: tuple[str, ...] | None = None
) -> WeeklyResults:
    """The crafted week's figures, with page insights for one unit and a note for another.

    Only `units` (default: all) get a report section and drafts.
    """
    return compute_results(
        load_week_rows(session, PERIOD),
        PERIOD,
        units=[
            (u.code, u.name) for u in registry.units if u.active and (not units or u.code in units)
        ],
        province_name=ALL_UNITS,
        policy=registry.sla,
        calendar=registry.calendar,
        min_count=registry.publication.min_count,
        insights={"TH-NS-NGATHUY": PageInsights(16580, 205, 12)},
        insights_notes={"TH": "Không lấy được số liệu trang (PlatformError)."},
    )


@dataclass
class Week:
    engine: Engine
    units: tuple[str, ...] | None
    seeded: Seeded
    results: WeeklyResults
    rendered: dict[str, Any]
    report_dir: Path

    def session(self) -> Session:
        return sessionmaker(self.engine, expire_on_commit=False)()

    def publication(self, channel_key: str) -> Publication:
        with self.session() as session:
            return session.scalars(
                select(Publication)
                .join(Channel, Publication.channel_id == Channel.id)
                .where(Channel.key == channel_key, Publication.period == PERIOD.key)
            ).one()


def make_week(
    engine: Engine, registry, report_dir: Path, units: tuple[str, ...] | None = None
) -> Week:
    """Seed, compute and render (drafts + report) the crafted week; nothing gated yet."""
    with sessionmaker(engine, expire_on_commit=False)() as session:
        seeded = seed_week(session)
        session.commit()
        results = week_results(session, registry, units)
        rendered = render_all(
            session, registry, results, now=NOW, actor=ACTOR, report_dir=report_dir
        )
        session.commit()
    return Week(engine, units, seeded, results, rendered, report_dir)


@pytest.fixture
def week(synced_engine: Engine, registry, tmp_path: Path) -> Week:
    """The crafted week for the `SMALL` units on a fresh database per test (SQLite, and
    PostgreSQL in CI)."""
    return make_week(synced_engine, registry, tmp_path / "reports", SMALL)


@pytest.fixture
def full_week(synced_engine: Engine, registry, tmp_path: Path) -> Week:
    """The crafted week with every unit of the sample registry (13 Facebook pages, 5 OAs)."""
    return make_week(synced_engine, registry, tmp_path / "reports")


@pytest.fixture(scope="module")
def shared_week(
    registry, tmp_path_factory: pytest.TempPathFactory, db_templates: Templates
) -> Iterator[Week]:
    """The crafted week on one SQLite database per module, for read-only tests."""
    from sqlalchemy import create_engine, event

    from citizen_desk.db.engine import _sqlite_pragmas

    base = tmp_path_factory.mktemp("shared-week")
    engine = create_engine(db_templates.sqlite_copy("synced", base / "domain.db"))
    event.listen(engine, "connect", _sqlite_pragmas)
    yield make_week(engine, registry, base / "reports")
    engine.dispose()


@pytest.fixture
def db_env(week: Week, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Week:
    """Point the task bodies (`run_*`) at the test database, with the sample registry minus its
    Zalo cover: these tests are about the Facebook ledger, so Zalo rows stay approved (the Zalo
    articles are tested in test_zalo_publishing.py and the DAG run)."""
    monkeypatch.setenv("CITIZEN_DESK_DB_URL", week.engine.url.render_as_string(hide_password=False))
    lines = REGISTRY_PATH.read_text(encoding="utf-8").splitlines(keepends=True)
    registry = tmp_path / "registry.yaml"
    registry.write_text("".join(x for x in lines if "zalo_cover_url:" not in x), encoding="utf-8")
    monkeypatch.setenv("CITIZEN_DESK_REGISTRY", str(registry))
    return week


def gate(week: Week, registry, mode: PublishMode | None = None) -> list[Any]:
    with week.session() as session:
        requests = gate_period(
            session, registry, PERIOD, mode=mode or PublishMode(True), now=NOW, actor=ACTOR
        )
        session.commit()
    return requests


class FakeGraph:
    """An in-memory page feed with the GraphClient surface used by publication (tests only)."""

    def __init__(self, page_id_prefix: str = "") -> None:
        self.posts: list[dict[str, Any]] = []
        self.post_calls = 0

    def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        self.post_calls += 1
        page_id = path.split("/")[0]
        post = {
            "id": f"{page_id}_{len(self.posts) + 1}",
            "message": data["message"],
            "created_time": "2026-11-23T03:00:00+0000",
        }
        self.posts.append(post)
        return {"id": post["id"]}

    def paginate(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        page_id = path.split("/")[0]
        yield from (p for p in reversed(self.posts) if p["id"].startswith(page_id + "_"))
