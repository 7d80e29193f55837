"""What a failed channel collection tells the technical admins, and how the failure is classed.

`error_kind` sorts a failure into token / config / transient / permanent; `notify_failure`
enqueues one alert per channel, kind and day through the outbox, naming the channel, the reason,
the platform's error code and what to do (never a token or a message's text).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from citizen_desk.collect.channels import ChannelRef
from citizen_desk.config.registry import deployment_zone
from citizen_desk.db.engine import session_scope
from citizen_desk.errors import ConfigError, PlatformError, TokenError

log = logging.getLogger(__name__)

DAG_ID = "collect_citizen_messages"


def error_kind(error: BaseException) -> str:
    """token, config, transient (Airflow retries) or permanent."""
    if isinstance(error, TokenError):
        return "token"
    if isinstance(error, ConfigError):
        return "config"
    if isinstance(error, PlatformError) and error.retryable:
        return "transient"
    return "permanent"


REASONS = {
    ("facebook", "token"): (
        "token của trang (page access token) không hợp lệ hoặc đã hết hạn",
        "Cấp lại page access token rồi cập nhật connection `{conn}` trong Airflow.",
    ),
    ("zalo", "token"): (
        "không làm mới được token Zalo OA (refresh token bị từ chối hoặc đã dùng)",
        "Ủy quyền lại OA và đặt refresh_token mới vào extra của connection `{conn}`.",
    ),
    ("facebook", "permanent"): (
        "Graph API từ chối yêu cầu (thiếu quyền hoặc đối tượng không tồn tại)",
        "Kiểm tra quyền của ứng dụng và của token trên trang.",
    ),
    ("zalo", "permanent"): (
        "Zalo OA API từ chối yêu cầu",
        "Kiểm tra quyền của ứng dụng với OA.",
    ),
    ("facebook", "transient"): (
        "lỗi tạm thời hoặc giới hạn tốc độ của Graph API kéo dài qua mọi lần thử",
        "Lần chạy sau sẽ thu thập bù; nếu lặp lại, kiểm tra hạn mức của ứng dụng.",
    ),
    ("zalo", "transient"): (
        "lỗi tạm thời hoặc giới hạn tốc độ của Zalo kéo dài qua mọi lần thử",
        "Lần chạy sau sẽ thu thập bù; nếu lặp lại, kiểm tra hạn mức của OA.",
    ),
}


def failure_text(channel: ChannelRef, error: BaseException, kind: str) -> str:
    """The admins' alert: channel, reason, error code, what to do (no token, no payload text)."""
    code = getattr(error, "code", None)
    if kind == "config":
        reason = f"cấu hình sai: {error}"
        action = f"Sửa connection `{channel.connection_id}` hoặc registry."
    else:
        reason, action = REASONS[(channel.platform, kind)]
        action = action.format(conn=channel.connection_id)
    code_text = f" (mã lỗi {code})" if code is not None else ""
    return (
        f"Thu thập tin nhắn kênh {channel.key} thất bại: {reason}{code_text}. {action} "
        "Các kênh khác vẫn được thu thập bình thường."
    )


def notify_failure(
    engine: Engine,
    channel: ChannelRef,
    error: BaseException,
    summary: Mapping[str, Any],
    now: datetime,
    run_id: str,
    registry: Any,
) -> None:
    from citizen_desk.notify import outbox

    kind = str(summary["error_kind"])
    day = now.astimezone(deployment_zone()).date().isoformat()
    key = f"collect-failed:{channel.key}:{kind}:{day}"  # one alert per channel, kind and day
    try:
        with session_scope(engine) as session:
            count = outbox.notify_admins(
                session,
                registry or outbox.default_registry(),
                key=key,
                text=failure_text(channel, error, kind),
                now=now,
                source=f"{DAG_ID}/{run_id}",
                title="Thu thập tin nhắn thất bại",
            )
        log.info("technical admins notified (%d new notification(s), key %s)", count, key)
    except Exception:  # the alert must not hide the collection error itself
        log.exception("could not enqueue the failure notification for %s", channel.key)
