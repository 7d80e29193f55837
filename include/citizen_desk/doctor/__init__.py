"""`citizen-desk doctor`: is every channel ready to go live? One table of checks per channel.

Facebook (`graph`): the Airflow connection, the Page token (`/me`), its permissions
(`debug_token`), the Graph version's end of life. Zalo (`zalo`): the connection, the stored token
pair's age, the OA profile (`getoa`), and that the `listrecentchat` reading configured for the
connection is the one the OA answers. Slack (`slack`): `auth.test`, the token's scopes, and the
bot's membership of every contact channel (`users.conversations`; with `chat:write.public` a
public channel outside the bot is a warning). Each check is `ok`, `warning`
or `blocker`; a blocker makes the command (and the setup DAG's `doctor` task) fail. No secret is
ever printed: every text goes through `redact` with the secrets read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BLOCKER = "blocker"


@dataclass(frozen=True)
class Check:
    """One line of the table: what was checked for which channel, and what to fix."""

    channel: str
    check: str
    status: Status
    fix: str = ""


def ok(channel: str, check: str, note: str = "") -> Check:
    return Check(channel, check, Status.OK, note)


def warning(channel: str, check: str, fix: str) -> Check:
    return Check(channel, check, Status.WARNING, fix)


def blocker(channel: str, check: str, fix: str) -> Check:
    return Check(channel, check, Status.BLOCKER, fix)
