"""The collection health page: per channel, last success, last error and its kind, backlog.

A channel has a problem when its last collection failed (or it never succeeded). It needs
attention ("cần chú ý") when something about the *source* is off: payloads in quarantine, its
token expires soon, no successful collection for a while, or its traffic departs from its own
pattern (`traffic_departs`: nothing, or next to nothing, in the last hours where the same hours of
the past weeks usually brought many messages). Citizens being quiet is not a problem by itself:
a quiet channel is only flagged when it is usually busy at that time.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citizen_desk.db.models import (
    Channel,
    CollectionRun,
    CollectionWatermark,
    Message,
    PlatformToken,
    Quarantine,
    Unit,
)
from citizen_desk.domain.labels import COLLECTION_ERROR_LABELS
from citizen_desk.domain.vocabulary import CollectionErrorKind, values
from citizen_desk.platforms.errors import failure_kind_from_text

STALE_COLLECTION = timedelta(hours=6)  # no successful collection for this long: attention
TOKEN_WARNING = timedelta(days=7)  # a token that expires within this: attention
# A Zalo refresh token lasts 3 months from its issue (each refresh issues a new one, stored with
# `PlatformToken.updated_at`); Facebook page tokens' expiry is checked by the doctor DAG.
ZALO_REFRESH_LIFETIME = timedelta(days=90)
TRAFFIC_WINDOW = timedelta(hours=6)  # the period compared with the same period of past weeks
TRAFFIC_WEEKS = 4
TRAFFIC_MIN_EXPECTED = 5  # a median below this is "usually quiet": silence is normal then
TRAFFIC_DROP_RATIO = 0.1  # now at most a tenth of the usual: departs from the pattern
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
    attention: tuple[str, ...] = ()  # why the channel needs attention (Vietnamese, for the page)

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


def traffic_windows(
    now: datetime, *, window: timedelta = TRAFFIC_WINDOW, weeks: int = TRAFFIC_WEEKS
) -> list[tuple[datetime, datetime]]:
    """[start, end) of the last `window` before `now`, then the same hours 1..`weeks` weeks ago."""
    return [(now - timedelta(weeks=k) - window, now - timedelta(weeks=k)) for k in range(weeks + 1)]


def traffic_departs(
    current: int,
    history: Sequence[int],
    *,
    min_expected: int = TRAFFIC_MIN_EXPECTED,
    drop_ratio: float = TRAFFIC_DROP_RATIO,
) -> bool:
    """True when `current` (messages in the window) is far below the channel's own usual count
    (`history`: the same window in each past week). The median ignores one odd week (a holiday,
    a viral post); a channel usually quiet at that time (median < `min_expected`) never departs,
    nor one with less than two weeks of history."""
    if len(history) < 2:
        return False
    usual = statistics.median(history)
    return usual >= min_expected and current <= usual * drop_ratio


def _traffic(session: Session, now: datetime) -> dict[int, list[int]]:
    """Citizen messages per channel in each of `traffic_windows(now)` (index 0: now)."""
    windows = traffic_windows(now)
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * len(windows))
    for index, (start, end) in enumerate(windows):
        rows = session.execute(
            select(Message.channel_id, func.count())
            .where(Message.direction == "in", Message.created_at >= start, Message.created_at < end)
            .group_by(Message.channel_id)
        ).all()
        for channel_id, count in rows:
            counts[channel_id][index] = int(count)
    return counts


def attention_reasons(
    *,
    now: datetime,
    last_success_at: datetime | None,
    quarantined: int,
    token_expires_at: datetime | None,
    traffic: Sequence[int],
) -> tuple[str, ...]:
    """Why a channel that collects fine still needs attention (pure; `traffic[0]` is now)."""
    reasons = []
    if last_success_at is not None and now - last_success_at > STALE_COLLECTION:
        hours = int(STALE_COLLECTION.total_seconds() // 3600)
        reasons.append(f"không thu thập được thành công trong hơn {hours} giờ")
    if token_expires_at is not None and token_expires_at - now <= TOKEN_WARNING:
        reasons.append(f"token hết hạn lúc {token_expires_at:%Y-%m-%d} (UTC): cấp lại sớm")
    if traffic and traffic_departs(traffic[0], traffic[1:]):
        usual = statistics.median(traffic[1:])
        reasons.append(
            f"chỉ {traffic[0]} tin trong {int(TRAFFIC_WINDOW.total_seconds() // 3600)} giờ qua, "
            f"thường khoảng {usual:g} vào giờ này "
            f"({len(traffic) - 1} tuần trước): kiểm tra kênh"
        )
    if quarantined:
        reasons.append(f"{quarantined} dữ liệu bị cách ly")
    return tuple(reasons)


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
    traffic = _traffic(session, now)
    token_expiry = {
        row.channel_id: row.updated_at + ZALO_REFRESH_LIFETIME
        for row in session.scalars(select(PlatformToken))
    }
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
        success_at = _run_time(last_success) if last_success else None
        reasons = attention_reasons(
            now=now,
            last_success_at=success_at,
            quarantined=count,
            token_expires_at=token_expiry.get(channel.id),
            traffic=traffic.get(channel.id, ()),
        )
        if not runs and not marks:
            state = "unknown"
        elif error_current or last_success is None:
            state = "problem"
        elif reasons:
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
                last_success_at=success_at,
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
                attention=reasons,
            )
        )
    rank = {"problem": 0, "warning": 1, "ok": 2, "unknown": 3}
    return sorted(result, key=lambda h: (rank[h.state], h.key))  # problems first
