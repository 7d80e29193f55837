"""The registry banner shown on every page while the registry file is broken.

The desk keeps working on the last valid snapshot (`citizen_desk.config.snapshot`); officers and
admins see that it does, and since when.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from citizen_desk.config.snapshot import RegistryState, current_state
from citizen_desk.errors import ConfigError

log = logging.getLogger(__name__)

FALLBACK = "Cấu hình registry có lỗi — đang dùng bản hợp lệ gần nhất (lúc {when})."
NO_SNAPSHOT = "Cấu hình registry có lỗi và chưa có bản hợp lệ nào được lưu — báo quản trị kỹ thuật."


def notice_text(state: RegistryState) -> str | None:
    """The banner for a registry state (None when the file is valid)."""
    if not state.fallback:
        return None
    if state.snapshot_at is None:
        return NO_SNAPSHOT
    local = state.snapshot_at.astimezone(ZoneInfo(state.registry.timezone))
    return FALLBACK.format(when=local.strftime("%H:%M %d/%m/%Y"))


def registry_notice(engine: Engine) -> str | None:
    """The banner of the moment; also makes the snapshot the registry of this request."""
    try:
        return notice_text(current_state(engine))
    except ConfigError:
        return NO_SNAPSHOT
    except Exception:  # the banner must never take the page down
        log.exception("could not read the registry state")
        return None
