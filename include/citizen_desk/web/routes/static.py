"""/static/…: the stylesheet and icons (a route, not a mount, so it needs the login too)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from citizen_desk.errors import NotFoundError
from citizen_desk.web.auth import CurrentUser

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_NAME = re.compile(r"^[a-z0-9_-]+\.(css|svg)$")
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}

router = APIRouter()


@router.get("/static/{name}")
def static_file(name: str, user: CurrentUser) -> FileResponse:
    path = STATIC_DIR / name
    if not STATIC_NAME.match(name) or not path.is_file():
        raise NotFoundError("không có tệp này")
    return FileResponse(
        path,
        media_type=STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "private, max-age=3600"},
    )
