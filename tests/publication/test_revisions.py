"""Approvers' edits (`publication.revisions`): gated before they are stored, and an approval posts
the revision saved before it, never one saved later."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from citizen_desk.db.models import AuditLog, PublicationRevision
from citizen_desk.errors import WorkflowError
from citizen_desk.pipeline.context import run_context
from citizen_desk.publication.revisions import MASKED, EditOutcome, draft_hash, save_revision
from citizen_desk.publication.tasks import run_gate, run_publish
from tests.publication.conftest import FakeGraph, Week
from tests.publication.seed import FB, INFORMANT, NOW, ZALO, ZONE
from tests.publication.test_ledger import PHONE, approved, context, decide, set_outcome

EDITED = "Công an xã Nga Thủy: tuần qua đã trả lời 6 câu hỏi của Nhân dân. Xin cảm ơn!"
MARKER_LINE = "#CongAnThanhHoa #CongAnXaNgaThuy #Tuan47_2026"
ANSWERED = NOW + timedelta(hours=2)  # `approved()`'s responded_at


def edit(week: Week, text: str, at=NOW + timedelta(hours=1), key: str = FB) -> EditOutcome:
    with week.session() as session:
        outcome = save_revision(
            session, week.publication(key).id, text, editor="admin", now=at, zone=ZONE
        )
        session.commit()
    return outcome


def revisions(week: Week) -> list[PublicationRevision]:
    with week.session() as session:
        return list(session.scalars(select(PublicationRevision).order_by(PublicationRevision.id)))


def audit(week: Week, action: str) -> list[AuditLog]:
    with week.session() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def gate_run(week: Week) -> tuple[Any, list[dict[str, Any]]]:
    run = run_context(context(week))
    return run, run_gate(week.rendered, run)


def publish(week: Week, run: Any, requests: list, answers: dict, graph: FakeGraph) -> dict:
    decisions = decide(requests, answers)
    return run_publish(
        week.rendered, requests, run, decisions=decisions, client_for=lambda _: graph
    )


@pytest.mark.parametrize(("secret", "kind"), [(PHONE, "phone"), (INFORMANT, "name")])
def test_an_edit_with_pii_is_refused_and_nothing_is_stored(
    db_env: Week, secret: str, kind: str
) -> None:
    _run, requests = gate_run(db_env)
    draft = db_env.publication(FB).text
    outcome = edit(db_env, f"Cảm ơn {secret} đã báo tin.\n{EDITED}")
    assert outcome.refused
    assert outcome.kinds == (kind,)
    assert not outcome.stored
    assert secret not in (outcome.redacted or "")
    assert EDITED in (outcome.redacted or "")  # the rest is kept for the approver to fix
    assert revisions(db_env) == []
    assert db_env.publication(FB).text == draft
    [refused] = audit(db_env, "publication_edit_refused")
    assert (refused.actor, refused.note) == ("admin", f"PII gate: {kind}")
    with db_env.session() as session:
        every_audit = [[a.note, a.before, a.after] for a in session.scalars(select(AuditLog))]
    assert secret not in json.dumps(every_audit, ensure_ascii=False)
    # the approval requests (what Airflow stores) never carry an edit
    assert secret not in json.dumps(requests, ensure_ascii=False, default=str)


def test_an_edit_still_masked_is_refused(db_env: Week) -> None:
    """The refused text comes back with [TÊN] in place of the name: saved as is, the
    placeholder (which the PII gate lets through) would be posted."""
    gate_run(db_env)
    masked = edit(db_env, f"Cảm ơn {INFORMANT} đã báo tin.\n{EDITED}").redacted or ""
    assert "[TÊN]" in masked
    outcome = edit(db_env, masked)
    assert (outcome.kinds, outcome.stored) == ((MASKED,), False)
    assert revisions(db_env) == []


def test_a_clean_edit_is_stored_with_the_marker_and_audited(db_env: Week) -> None:
    gate_run(db_env)
    outcome = edit(db_env, EDITED)
    assert (outcome.revision, outcome.stored, outcome.refused) == (1, True, False)
    [revision] = revisions(db_env)
    assert revision.text == f"{EDITED}\n\n{MARKER_LINE}"  # the week's marker is kept
    assert revision.base_hash == draft_hash(db_env.publication(FB).text)
    assert (revision.edited_by, revision.edited_at) == ("admin", NOW + timedelta(hours=1))
    [edited] = audit(db_env, "publication_edited")
    assert edited.after == {"revision": 1}
    assert EDITED not in json.dumps([edited.note, edited.after], ensure_ascii=False)
    # the same text again stores nothing (a double submit); another one is revision 2
    assert edit(db_env, EDITED) == EditOutcome(revision=1)
    assert edit(db_env, f"{EDITED}\n\n{MARKER_LINE}") == EditOutcome(revision=1)
    assert edit(db_env, EDITED + " Trân trọng.").revision == 2
    assert len(revisions(db_env)) == 2


def test_only_facebook_posts_awaiting_approval_are_edited(db_env: Week) -> None:
    with pytest.raises(WorkflowError, match="awaiting approval"):
        edit(db_env, EDITED)  # still a draft: not gated yet
    gate_run(db_env)
    with pytest.raises(WorkflowError, match="not a Facebook post"):
        edit(db_env, EDITED, key=ZALO)
    with pytest.raises(WorkflowError, match="empty"):
        edit(db_env, "  \n ")
    assert revisions(db_env) == []


def test_the_approved_edit_is_what_is_posted(db_env: Week) -> None:
    run, requests = gate_run(db_env)
    edit(db_env, EDITED)
    graph = FakeGraph()
    publish(db_env, run, requests, {FB: approved()}, graph)
    [post] = graph.posts
    assert post["message"] == f"{EDITED}\n\n{MARKER_LINE}"
    pub = db_env.publication(FB)
    assert (pub.status, pub.text, pub.approved_revision) == ("published", post["message"], 1)
    [approval] = audit(db_env, "publication_approved")[:1]
    assert approval.note == "approved by admin (revision 1)"


def test_an_edit_after_the_approval_changes_nothing(db_env: Week) -> None:
    run, requests = gate_run(db_env)
    edit(db_env, EDITED, at=ANSWERED - timedelta(minutes=5))
    late = "Bản sửa sau khi đã duyệt."
    assert edit(db_env, late, at=ANSWERED + timedelta(seconds=1)).revision == 2
    graph = FakeGraph()
    publish(db_env, run, requests, {FB: approved()}, graph)
    [post] = graph.posts
    assert post["message"].startswith(EDITED)  # the revision the approver saw
    assert late not in post["message"]
    assert db_env.publication(FB).approved_revision == 1
    notes = [a.note for a in audit(db_env, "publication_approved")]
    assert (
        "approved by admin (revision 1); revisions saved after the approval, not used: 2" in notes
    )
    # once decided, the page refuses any edit
    with pytest.raises(WorkflowError, match="not awaiting approval"):
        edit(db_env, "Một bản sửa nữa.", at=ANSWERED + timedelta(hours=1))
    assert len(revisions(db_env)) == 2


def test_a_stored_revision_is_gated_again_at_approval(db_env: Week) -> None:
    """A name can become protected after the edit was saved (a new tip of the week): the text
    goes through the gate again when the approval is applied."""
    run, requests = gate_run(db_env)
    pub = db_env.publication(FB)
    with db_env.session() as session:  # as if saved before the informant's tip arrived
        session.add(
            PublicationRevision(
                publication_id=pub.id, number=1, text=f"Cảm ơn {INFORMANT}.\n\n{MARKER_LINE}",
                base_hash=draft_hash(pub.text), edited_by="admin", edited_at=NOW,
            )
        )  # fmt: skip
        session.commit()
    graph = FakeGraph()
    publish(db_env, run, requests, {FB: approved()}, graph)
    assert graph.post_calls == 0
    blocked = db_env.publication(FB)
    assert (blocked.status, blocked.blocked_reason) == ("blocked", "name")
    assert INFORMANT not in blocked.text
    [caught] = revisions(db_env)
    assert INFORMANT not in caught.text  # the pages show the current revision after a rerun


def test_revisions_of_an_older_draft_do_not_apply(db_env: Week, registry) -> None:
    run, requests = gate_run(db_env)
    edit(db_env, EDITED)
    set_outcome(db_env, registry, "Đã xác minh, xử lý 3 đối tượng tổ chức đánh bạc.")  # new draft
    run, requests = gate_run(db_env)
    graph = FakeGraph()
    publish(db_env, run, requests, {FB: approved()}, graph)
    [post] = graph.posts
    assert post["message"] == db_env.publication(FB).text
    assert "3 đối tượng" in post["message"]
    assert EDITED not in post["message"]
    assert db_env.publication(FB).approved_revision is None


def test_an_approval_without_its_time_posts_nothing(db_env: Week) -> None:
    run, requests = gate_run(db_env)
    edit(db_env, EDITED)
    graph = FakeGraph()
    publish(db_env, run, requests, {FB: {**approved(), "responded_at": None}}, graph)
    assert graph.post_calls == 0
    pub = db_env.publication(FB)
    assert (pub.status, pub.blocked_reason) == ("rejected", "approval_time_unknown")
