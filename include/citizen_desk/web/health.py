"""The collection health page: per channel, last success, last error and its kind, backlog."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.db.models import Channel, CollectionRun, CollectionWatermark, Quarantine, Unit
from citizen_desk.domain.labels import COLLECTION_ERROR_LABELS
from citizen_desk.domain.vocabulary import CollectionErrorKind, values
from citizen_desk.platforms.errors import failure_kind_from_text

STALE_WATERMARK = timedelta(hours=6)
FAILED_RUN_STATUSES = frozenset({"failed", "error", "upstream_failed"})
ERROR_KINDS = values(CollectionErrorKind)


@dataclass(frozen=True)
class WatermarkView:
    source: str
    watermark: datetime
    age: timedelta


@dataclass(frozen=True)
class ChannelHealth:
    key: str
    name: str
    unit_name: str
    platform: str
    active: bool
    last_success_at: datetime | None
    last_run_status: str | None
    last_run_at: datetime | None
    watermarks: tuple[WatermarkView, ...]
    oldest_watermark_age: timedelta | None
    last_error: str | None
    last_error_at: datetime | None
    error_kind: str | None
    error_is_current: bool  # no successful collection since the error
    quarantined: int
    state: str  # problem | warning | ok | unknown (the page lists them in that order)

    @property
    def error_kind_label(self) -> str:
        return COLLECTION_ERROR_LABELS.get(self.error_kind or "", "")


def stored_error_kind(run: CollectionRun) -> str | None:
    """The kind the collector stored with a failed run (`stats["error_cause"]`).

    Runs recorded before it was stored: the collector's token verdict, else the same classifier
    applied to the stored message.
    """
    if not run.error:
        return None
    stats = run.stats if isinstance(run.stats, dict) else {}
    cause = stats.get("error_cause")
    if cause in ERROR_KINDS:
        return str(cause)
    if stats.get("error_kind") == CollectionErrorKind.TOKEN:
        return CollectionErrorKind.TOKEN.value
    kind = failure_kind_from_text(run.error)
    return kind.value if kind else None


def _run_time(run: CollectionRun) -> datetime:
    return run.finished_at or run.started_at


def _succeeded(run: CollectionRun) -> bool:
    return run.finished_at is not None and not run.error and run.status not in FAILED_RUN_STATUSES


def collection_health(
    session: Session, *, now: datetime, runs_per_channel: int = 20
) -> list[ChannelHealth]:
    channels = session.execute(
        select(Channel, Unit.name).join(Unit, Channel.unit_id == Unit.id).order_by(Channel.key)
    ).all()
    watermarks: dict[int, list[WatermarkView]] = defaultdict(list)
    for mark in session.scalars(
        select(CollectionWatermark).order_by(
            CollectionWatermark.channel_id, CollectionWatermark.source
        )
    ):
        watermarks[mark.channel_id].append(
            WatermarkView(mark.source, mark.watermark, now - mark.watermark)
        )
    quarantined = dict(
        session.execute(
            select(Quarantine.channel_id, func.count())
            .where(Quarantine.resolved_at.is_(None))
            .group_by(Quarantine.channel_id)
        ).all()
    )
    result = []
    for channel, unit_name in channels:
        runs = list(
            session.scalars(
                select(CollectionRun)
                .where(CollectionRun.channel_id == channel.id)
                .order_by(CollectionRun.started_at.desc(), CollectionRun.id.desc())
                .limit(runs_per_channel)
            )
        )
        last_success = next((r for r in runs if _succeeded(r)), None)
        if last_success is None:  # older than the recent runs: one more query
            last_success = session.scalar(
                select(CollectionRun)
                .where(
                    CollectionRun.channel_id == channel.id,
                    CollectionRun.finished_at.is_not(None),
                    CollectionRun.error.is_(None),
                    CollectionRun.status.not_in(sorted(FAILED_RUN_STATUSES)),
                )
                .order_by(CollectionRun.finished_at.desc())
                .limit(1)
            )
        failed = next((r for r in runs if r.error), None)
        marks = tuple(watermarks.get(channel.id, ()))
        oldest = max((m.age for m in marks), default=None)
        error_current = failed is not None and (
            last_success is None or _run_time(failed) >= _run_time(last_success)
        )
        count = int(quarantined.get(channel.id, 0))
        if not runs and not marks:
            state = "unknown"
        elif error_current or last_success is None:
            state = "problem"
        elif count or (oldest is not None and oldest > STALE_WATERMARK):
            state = "warning"
        else:
            state = "ok"
        result.append(
            ChannelHealth(
                key=channel.key,
                name=channel.name,
                unit_name=unit_name,
                platform=channel.platform,
                active=channel.active,
                last_success_at=_run_time(last_success) if last_success else None,
                last_run_status=runs[0].status if runs else None,
                last_run_at=_run_time(runs[0]) if runs else None,
                watermarks=marks,
                oldest_watermark_age=oldest,
                last_error=failed.error if failed else None,
                last_error_at=_run_time(failed) if failed else None,
                error_kind=stored_error_kind(failed) if failed else None,
                error_is_current=error_current,
                quarantined=count,
                state=state,
            )
        )
    rank = {"problem": 0, "warning": 1, "ok": 2, "unknown": 3}
    return sorted(result, key=lambda h: (rank[h.state], h.key))  # problems first
