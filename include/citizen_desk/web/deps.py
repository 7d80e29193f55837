"""Per-request dependencies of the routes: `now`, the DB session, the posted form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


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
