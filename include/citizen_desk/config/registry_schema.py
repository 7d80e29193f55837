"""The shape of the registry file: one pydantic model per section (`citizen_desk.config.registry`
validates a document against them and reports every problem)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from citizen_desk.config import settings
from citizen_desk.config.collection import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_FACEBOOK_CONCURRENCY,
    DEFAULT_ZALO_CONCURRENCY,
)
from citizen_desk.config.sections import (
    Duration,
    PositiveDuration,
    Section,
    SlackId,
    Text,
    fail,
    one_of,
)
from citizen_desk.db.models import PLATFORMS, UNIT_KINDS
from citizen_desk.domain.catchup import DEFAULT_DIGEST_AFTER, DEFAULT_FRESH_WITHIN
from citizen_desk.domain.vocabulary import AccessRole, values

CONNECTION_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def _connection_id(value: object) -> str:
    if value is None or value == "":
        fail("missing connection id")
    if not isinstance(value, str) or not CONNECTION_ID.match(value):
        fail(f"invalid id {value!r} (letters, digits, _ . -)")
    return value


def _http_url(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        fail("expected an http(s) URL")
    return value


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        fail(f"expected a positive integer, got {value!r}")
    return value


def _fraction(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        fail(f"expected a number from 0 to 1 (0.01 = one percentage point), got {value!r}")
    return float(value)


def _user_id(value: object) -> str:
    """FAB's numeric user id (`1`) or another auth manager's id text."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        fail(f"expected the user's id in the auth manager (e.g. 1), got {value!r}")
    return str(value).strip()


class ContactsModel(Section):
    duty_officer: SlackId | None = None
    chief: SlackId | None = None


class UnitModel(Section):
    code: Text
    name: Text
    kind: Annotated[str, one_of(UNIT_KINDS, "unknown kind {value!r} (allowed: {allowed})")]
    parent: Text | None = None
    contacts: ContactsModel | None = None
    active: bool = True


class ChannelModel(Section):
    MISSING: ClassVar[Mapping[str, str]] = {"connection_id": "missing connection id"}
    key: Text
    unit: Text
    platform: Annotated[str, one_of(PLATFORMS, "unknown platform {value!r} (allowed: {allowed})")]
    platform_id: Text
    name: Text
    connection_id: Annotated[str, BeforeValidator(_connection_id)]
    active: bool = True


class GrantModel(Section):
    role: Annotated[str, one_of(values(AccessRole), "unknown role {value!r} (allowed: {allowed})")]
    units: list[Text] | None = None


class PublicationModel(Section):
    min_count: Annotated[int, BeforeValidator(_positive_int)] = 3
    approval_timeout: Duration = timedelta(hours=24)
    zalo_cover_url: Annotated[str, BeforeValidator(_http_url)] | None = None
    zalo_broadcast: bool = False


def _off_to_none(value: object) -> object:
    """`off` (or false, or null) turns the setting off."""
    return None if value is None or value is False or value == "off" else value


class NotificationsModel(Section):
    catch_up_fresh_within: Annotated[PositiveDuration | None, BeforeValidator(_off_to_none)] = (
        DEFAULT_FRESH_WITHIN
    )
    digest_after: Annotated[int, BeforeValidator(_positive_int)] = DEFAULT_DIGEST_AFTER


class TriageLearningModel(Section):
    """The weekly retrain of the triage model (`citizen_desk.learning`)."""

    promotion_margin: Annotated[float, BeforeValidator(_fraction)] = 0.01
    recent_window: PositiveDuration = timedelta(days=7)
    min_recent_corrections: Annotated[int, BeforeValidator(_positive_int)] = 20
    agreement_window: PositiveDuration = timedelta(days=30)


class CollectionModel(Section):
    """Concurrency budgets and batch size of `collect_citizen_messages` (`config.collection`)."""

    facebook_concurrency: Annotated[int, BeforeValidator(_positive_int)] = (
        DEFAULT_FACEBOOK_CONCURRENCY
    )
    zalo_concurrency: Annotated[int, BeforeValidator(_positive_int)] = DEFAULT_ZALO_CONCURRENCY
    batch_size: Annotated[int, BeforeValidator(_positive_int)] = DEFAULT_BATCH_SIZE
    facebook_batch_size: Annotated[int, BeforeValidator(_positive_int)] | None = None
    zalo_batch_size: Annotated[int, BeforeValidator(_positive_int)] | None = None


class DocumentModel(Section):
    """The top level; units and channels are validated one by one, the policies by their parsers."""

    version: int | None = None
    timezone: Text = settings.TIMEZONE
    # None: `settings.case_view_base_url` (CITIZEN_DESK_BASE_URL, Airflow's [api] base_url, …)
    case_view_base_url: Annotated[str, BeforeValidator(_http_url)] | None = None
    technical_admins: list[SlackId] | None = None
    units: Annotated[list[Any], Field(min_length=1)]
    channels: list[Any] | None = None
    calendar: Any = None
    sla: Any = None
    escalation: Any = None
    publication: PublicationModel | None = None
    notifications: NotificationsModel | None = None
    triage_learning: TriageLearningModel | None = None
    collection: CollectionModel | None = None
    access: dict[str, Any] | None = None
    airflow_user_ids: dict[str, Annotated[str, BeforeValidator(_user_id)]] | None = None
