"""The publications page and the report files (path traversal safe)."""

from __future__ import annotations

import pytest

from citizen_desk.web.publications import report_relpath
from tests.web.seed import CANARIES, CANARY_PHONE, TIP_NAME

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


# --- an approver's edit of a post awaiting approval ----------------------------------------------

EDITED = "Tuần 47, Công an xã Nga Thủy đã trả lời 12 câu hỏi và tiếp nhận 3 tin báo. Xin cảm ơn!"
MARKER_LINE = "#CongAnThanhHoa #CongAnXaNgaThuy #Tuan47_2026"


def _revisions(engine) -> list:
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from citizen_desk.db.models import PublicationRevision

    with sessionmaker(engine)() as session:
        return list(session.scalars(select(PublicationRevision)))


def _audit(engine, pub_id: int) -> list[tuple[str, str, str | None, str]]:
    import json

    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from citizen_desk.db.models import AuditLog

    with sessionmaker(engine)() as session:
        rows = session.scalars(
            select(AuditLog).where(
                AuditLog.entity_type == "publication", AuditLog.entity_id == str(pub_id)
            )
        )
        return [(r.actor, r.action, r.note, json.dumps(r.after)) for r in rows]


def _submit(client, pub_id: int, text: str):
    """The edit form (GET), then its POST, as a browser does."""
    from tests.web.conftest import SAME_ORIGIN, csrf_token

    form = client.get(f"/publications/{pub_id}/edit")
    assert form.status_code == 200
    return client.post(
        f"/publications/{pub_id}/edit",
        data={"csrf_token": csrf_token(form.text), "text": text},
        headers=SAME_ORIGIN,
    )


def test_an_approver_edits_a_post_awaiting_approval(admin, seeded, synced_engine):
    pub_id = seeded.publications["ngathuy"]
    listing = admin.get("/publications").text
    assert f'href="/publications/{pub_id}/edit"' in listing
    assert f'href="/publications/{seeded.publications["ngathuy_zalo"]}/edit"' not in listing
    form = admin.get(f"/publications/{pub_id}/edit").text
    assert "Tuần 47 (16/11–22/11/2026), Công an xã Nga Thủy đã trả lời 12 câu hỏi" in form
    assert "Lưu bản sửa" in form
    saved = _submit(admin, pub_id, EDITED)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/publications/{pub_id}/edit?saved=1"
    page = admin.get(saved.headers["location"]).text
    assert "Đã lưu bản sửa số 1" in page
    assert "Duyệt đăng" in page
    [revision] = _revisions(synced_engine)
    assert revision.text == f"{EDITED}\n\n{MARKER_LINE}"
    assert revision.edited_by == "admin"
    assert _audit(synced_engine, pub_id) == [
        ("admin", "publication_edited", None, '{"revision": 1}')
    ]
    listing = admin.get("/publications").text
    assert "bản sửa số 1" in listing
    assert EDITED in listing
    # the same text again (a double submit) stores nothing more
    again = _submit(admin, pub_id, EDITED)
    assert again.status_code == 200
    assert "không có bản sửa mới" in again.text
    assert len(_revisions(synced_engine)) == 1


@pytest.mark.parametrize(
    ("secret", "label"),
    [
        (CANARY_PHONE, "số điện thoại"),
        ("0912345678", "số điện thoại"),
        (TIP_NAME, "họ tên người dân"),  # the informant of a tip of the unit's week
    ],
)
def test_an_edit_with_pii_is_refused_and_nothing_is_stored(
    admin, seeded, synced_engine, secret, label
):
    pub_id = seeded.publications["ngathuy"]
    refused = _submit(admin, pub_id, f"{EDITED}\nCảm ơn anh {secret} đã phối hợp.")
    assert refused.status_code == 422
    assert "Chưa lưu" in refused.text
    assert label in refused.text
    assert "Không có gì được lưu" in refused.text
    for canary in (*CANARIES, TIP_NAME):
        assert canary not in refused.text  # never echoed, not even in the text area
    assert EDITED in refused.text  # the rest stays in the text area, the finding masked
    assert _revisions(synced_engine) == []
    [(actor, action, note, _after)] = _audit(synced_engine, pub_id)
    assert (actor, action) == ("admin", "publication_edit_refused")
    assert note is not None
    assert note.startswith("PII gate: ")
    assert secret not in note


@pytest.mark.parametrize(
    ("user", "post"),
    [
        ("viewer.th", "ngathuy"),
        ("nobody", "ngathuy"),
        ("officer.ngathuy", "ngathuy"),  # an officer of the post's own unit: not an approver
        ("officer.ngatan", "ngathuy"),  # an officer of another unit
        ("chief.ns", "ngathuy"),
        ("approver.ss", "ngathuy"),  # the approver of another unit
        ("custodian.ns", "ngathuy"),
        ("tech.th", "bacson"),
        ("officer", "bacson"),
    ],
)
def test_a_non_approver_gets_403_on_the_edit(
    app, make_token, role_registry, seeded, synced_engine, user, post
):
    from tests.web.conftest import client_as

    pub_id = seeded.publications[post]
    token = make_token(user, "admin")  # the Airflow role changes nothing
    with client_as(app, token) as client:
        assert f"/publications/{pub_id}/edit" not in client.get("/publications").text
        assert client.get(f"/publications/{pub_id}/edit", headers=HTML).status_code == 403
    with client_as(app, "") as client:  # a Bearer client: no CSRF check, only the role check
        response = client.post(
            f"/publications/{pub_id}/edit",
            data={"text": EDITED},
            headers={"Authorization": f"Bearer {token}", **HTML},
        )
    assert response.status_code == 403
    assert "không có quyền sửa bài đăng kết quả tuần" in response.text
    assert _revisions(synced_engine) == []
    assert _audit(synced_engine, pub_id) == []


def test_an_edit_needs_the_csrf_token(admin, seeded, synced_engine):
    from tests.web.conftest import SAME_ORIGIN

    pub_id = seeded.publications["ngathuy"]
    admin.get(f"/publications/{pub_id}/edit")
    forged = admin.post(f"/publications/{pub_id}/edit", data={"text": EDITED}, headers=SAME_ORIGIN)
    assert forged.status_code == 403
    assert "CSRF" in forged.text
    assert _revisions(synced_engine) == []


def test_no_edit_once_the_post_is_decided_or_of_another_kind(admin, seeded, synced_engine):
    from sqlalchemy.orm import sessionmaker

    from citizen_desk.db.models import Publication

    pub_id = seeded.publications["ngathuy"]
    form = admin.get(f"/publications/{pub_id}/edit")
    with sessionmaker(synced_engine)() as session:
        session.get(Publication, pub_id).status = "approved"  # the publish step applied it
        session.commit()
    from tests.web.conftest import SAME_ORIGIN, csrf_token

    late = admin.post(
        f"/publications/{pub_id}/edit",
        data={"csrf_token": csrf_token(form.text), "text": EDITED},
        headers=SAME_ORIGIN,
    )
    assert late.status_code == 409
    assert "không còn chờ duyệt" in late.text
    assert "Lưu bản sửa" not in late.text
    zalo = seeded.publications["ngathuy_zalo"]
    other = admin.post(
        f"/publications/{zalo}/edit",
        data={"csrf_token": csrf_token(form.text), "text": EDITED},
        headers=SAME_ORIGIN,
    )
    assert other.status_code == 409
    assert "chỉ sửa được bài đăng Facebook" in other.text
    assert "Bài Zalo OA không sửa ở đây" in admin.get(f"/publications/{zalo}/edit").text
    decided = admin.get(f"/publications/{pub_id}/edit").text
    assert "đang ở trạng thái «Đã duyệt», không phải chờ duyệt" in decided
    assert _revisions(synced_engine) == []
    empty = _submit(admin, seeded.publications["bacson"], "  ")
    assert empty.status_code == 400
    assert "để trống" in empty.text
    missing = admin.get("/publications/987654/edit", headers=HTML)
    assert missing.status_code == 404


def test_every_finding_kind_is_named_in_vietnamese():
    from citizen_desk.domain.labels import PII_KIND_LABELS
    from citizen_desk.privacy.redact import KINDS
    from citizen_desk.web.routes.publications import refusal_message

    assert set(PII_KIND_LABELS) == {*KINDS, "too_long"}
    both = refusal_message(("name", "phone", "too_long"))
    assert "họ tên người dân, số điện thoại" in both
    assert "quá dài" in both
    assert "[SĐT]" not in refusal_message(("too_long",))  # nothing was masked
    left = refusal_message(("masked",))
    assert "còn nhãn che thông tin" in left
    assert "masked" not in left
