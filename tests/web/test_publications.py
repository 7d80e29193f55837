"""The publications page and the report files (path traversal safe)."""

from __future__ import annotations

import pytest

from citizen_desk.web.publications import report_relpath

HTML = {"Accept": "text/html"}


def test_publications_page_and_reports(ro_officer):
    page = ro_officer.get("/publications").text
    assert "Đã đăng" in page
    assert "Bị chặn" in page
    assert 'href="/reports/2026-W47/fb-th.html"' in page
    assert "https://www.facebook.com/100064512300001_999" in page
    assert "/etc/passwd" not in page  # a report path outside the reports dir gets no link
    assert 'href="/reports/province-2026-W47.html"' in page  # unlinked reports listed too
    report = ro_officer.get("/reports/2026-W47/fb-th.html")
    assert report.status_code == 200
    assert "Báo cáo tuần 47" in report.text
    assert "sandbox" in report.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/reports/../secret.html",
        "/reports/%2e%2e/secret.html",
        "/reports/2026-W47/../../secret.html",
        "/reports/..%2fsecret.html",
        "/reports/%2fetc%2fpasswd",
        "/reports//etc/passwd",
        "/reports/notes.txt",
        "/reports/missing.html",
        "/reports/2026-W47",
    ],
)
def test_reports_are_path_traversal_safe(ro_officer, path):
    response = ro_officer.get(path, headers=HTML)
    assert response.status_code == 404, path
    assert "SECRET OUTSIDE" not in response.text
    assert "root:" not in response.text


def test_report_relpath(tmp_path):
    base = tmp_path / "reports"
    base.mkdir()
    assert report_relpath("a/b.html", base) == "a/b.html"
    assert report_relpath(str(base / "c.html"), base) == "c.html"
    assert report_relpath("../x.html", base) is None
    assert report_relpath("/etc/passwd", base) is None
    assert report_relpath(None, base) is None
