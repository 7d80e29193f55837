"""/publications and /reports/…: the weekly posts and the report files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from citizen_desk.web.auth import CurrentUser
from citizen_desk.web.deps import DbSession
from citizen_desk.web.publications import other_reports, publications, resolve_report
from citizen_desk.web.render import render_page

# Reports are generated HTML: inline styles allowed, nothing active (no script, no forms).
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)

router = APIRouter()


@router.get("/publications", response_class=HTMLResponse)
def publications_page(request: Request, user: CurrentUser, session: DbSession):
    reports_dir = request.app.state.reports_dir()
    rows = publications(session, reports_dir=reports_dir)
    return render_page(
        request,
        "publications.html",
        user=user,
        active="publications",
        rows=rows,
        other_reports=other_reports(reports_dir, (r.report_href for r in rows)),
    )


@router.get("/reports/{report_path:path}")
def report_file(request: Request, report_path: str, user: CurrentUser) -> FileResponse:
    path = resolve_report(report_path, request.app.state.reports_dir())
    return FileResponse(
        path,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"},
    )
