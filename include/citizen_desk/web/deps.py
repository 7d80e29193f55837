"""Per-request dependencies of the routes: `now`, the DB session, the posted form, the ids.

Ids in the path (`CaseId`, `TipId`, `PublicationId`) are checked at the edge: a number outside
1..2**63-1 (BIGINT) is a 404, never a database overflow (500); a non-number stays a bad request
(400).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from citizen_desk.errors import NotFoundError

MAX_ID = 2**63 - 1


def request_now() -> datetime:
    """The request's `now` (overridden in tests)."""
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(request_now)]


def db_session(request: Request) -> Iterator[Session]:
    engine: Engine = request.app.state.engine_factory()
    with sessionmaker(engine, expire_on_commit=False)() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormData = Annotated[dict[str, str], Depends(form_data)]


def bounded_id(value: int, what: str) -> int:
    """A row id from the URL (1..MAX_ID); any other number raises NotFoundError (404)."""
    if 1 <= value <= MAX_ID:
        return value
    raise NotFoundError(f"không có {what} này")


def case_id_param(case_id: Annotated[int, Path()]) -> int:
    return bounded_id(case_id, "hồ sơ")


def tip_id_param(tip_id: Annotated[int, Path()]) -> int:
    return bounded_id(tip_id, "tin báo")


def publication_id_param(publication_id: Annotated[int, Path()]) -> int:
    return bounded_id(publication_id, "bài đăng")


CaseId = Annotated[int, Depends(case_id_param)]
TipId = Annotated[int, Depends(tip_id_param)]
PublicationId = Annotated[int, Depends(publication_id_param)]
