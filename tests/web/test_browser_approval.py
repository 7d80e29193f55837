"""The README's approval steps, word for word, in a real browser against a real Airflow.

A `publish_weekly_results` run (real scheduler, dag-processor, triggerer and api-server; posts
to the platform simulator) waits at its `approve` task for two units (`hitl_world.py`). Headless
Chromium then does what README "Weekly results → Approval" tells an admin to do:

1. `officer` (not a publication approver in the registry's `access:`) goes to Browse → Required
   Actions, opens Nga Thủy's request (it has no text field) and chooses Duyệt đăng: Airflow refuses
   ("Access Denied"), the request stays unanswered and nothing is posted. On Citizen Desk →
   Bài đăng & báo cáo the post has no "Sửa nội dung" for them, and its edit page answers 403.
2. `admin` (the approver) goes to Citizen Desk → Bài đăng & báo cáo, the post's row → Sửa nội
   dung, and saves a text with a phone number: refused, naming the kind, nothing stored; then
   saves a clean correction (revision 1). Back in Browse → Required Actions, the same request →
   Duyệt đăng. Then the other path, the run → its `approve` task awaiting input → Required Action
   tab, for Nga Sơn town's request, and Không đăng.
3. The Facebook post appears exactly once, and it is the saved correction, with Nga Thủy's Zalo
   article once; nothing for the rejected unit. Neither text is in anything Airflow stored for
   the requests. A second answer (the form, the REST API) and a re-run of `publish` post nothing
   more.

Screenshots go to tests/artifacts/ (gitignored), and the page's text too when a step fails.
Needs Debian's `chromium`; skipped without it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from citizen_desk.publication.approval import APPROVE, EDIT_BUTTON, REJECT
from scripts.approve_publication import SETTLE_SECONDS, age_seconds
from tests.conftest import REPO
from tests.web.cdp import Page, chromium_page
from tests.web.hitl_world import DAG_ID, PASSWORD, RUN_ID, HitlWorld, hitl_world

pytestmark = [pytest.mark.slow, pytest.mark.timeout(360)]
ARTIFACTS = REPO / "tests" / "artifacts"
APPROVED, REJECTED = "fb-th-ns-ngathuy", "fb-th-ns-ttns"  # the two requests of the run
APPROVED_ZALO, REJECTED_ZALO = "zalo-th-ns-ngathuy", "zalo-th-ns-ttns"
TOASTS = "[...document.querySelectorAll('[data-scope=toast][data-part=root]')]"
PHONE = "0912 345 678"
EDIT_LINE = "Công an xã Nga Thủy cảm ơn Nhân dân đã gửi câu hỏi, góp ý trong tuần qua."
TEXT_AREA = "textarea[name=text]"


@pytest.fixture(scope="module")
def world(chromium, tmp_path_factory, airflow_db, db_templates) -> Iterator[HitlWorld]:
    root = tmp_path_factory.mktemp("approval")
    with hitl_world(root, airflow_db, db_templates) as running:
        yield running


# --- what a user does in the browser ----------------------------------------------------------


@contextmanager
def evidence(page: Page, name: str) -> Iterator[None]:
    """On failure: a screenshot and the page's text and links in tests/artifacts/."""
    try:
        yield
    except BaseException:
        try:
            page.screenshot(ARTIFACTS / f"approval-failed-{name}.png", full_page=False)
            dump = page.evaluate(
                "JSON.stringify({url: location.href, text: document.body.innerText,"
                " links: [...document.querySelectorAll('a, button')].map("
                "e => [e.tagName, e.getAttribute('href'), e.innerText.slice(0, 80)])})"
            )
            (ARTIFACTS / f"approval-failed-{name}.json").write_text(dump or "", encoding="utf-8")
        finally:
            raise


def log_in(page: Page, base: str, user: str) -> None:
    page.navigate(f"{base}/")
    page.wait_for("!!document.querySelector('input[type=password]')", 60, "Airflow's login form")
    page.type_into("input[name=username]", user)
    page.type_into("input[type=password]", PASSWORD)
    page.wait_for("!document.querySelector('button[type=submit]').disabled", 10, "Sign in")
    page.click("button[type=submit]")
    page.wait_for(
        "location.pathname === '/' && !!document.querySelector('button[aria-label=Browse]')",
        60,
        "the Airflow home page",
    )


def option(name: str) -> str:
    return f'[data-testid="hitl-option-{name}"]'


def open_from_browse(page: Page, subject: str) -> None:
    """README: **Browse → Required Actions**, then the request (listed by its subject)."""
    page.click("button[aria-label=Browse]")
    page.click_text("[role=menuitem]", "Required Actions")
    page.wait_for("location.pathname === '/required_actions'", 30, "the Required Actions list")
    page.click_text("a", subject)
    page.wait_for(f"!!document.querySelector({json.dumps(option(APPROVE))})", 30, "the form")


def open_from_run(page: Page) -> None:
    """README: **Dags → publish_weekly_results → Runs →** the run **→** its `approve` task
    *Awaiting Input* **→ Required Action** tab."""
    page.click("a[aria-label=Dags]")
    page.click_text("a", DAG_ID)
    page.click_text("a, button", "Runs")
    page.click_text("a", RUN_ID)
    page.wait_for(
        "(() => { const row = [...document.querySelectorAll('tr')].find(r =>"
        " r.innerText.includes('Awaiting Input') && approveLink(r)); if (!row) return false;"
        " approveLink(row).click(); return true;"
        " function approveLink(r) { return [...r.querySelectorAll('a')].find("
        "a => a.innerText.trim() === 'approve'); } })()",
        30,
        "the run's approve task awaiting input",
    )
    page.click_text("a", "Required Action")
    page.wait_for(f"!!document.querySelector({json.dumps(option(REJECT))})", 30, "the form")


def open_desk_publications(page: Page, base: str) -> None:
    """README: **Citizen Desk → Bài đăng & báo cáo** (`/citizen-desk/publications`)."""
    page.navigate(f"{base}/citizen-desk/")
    page.click_text("nav a", "Bài đăng & báo cáo")
    page.wait_for(
        "location.pathname === '/citizen-desk/publications' && document.readyState === 'complete'",
        30,
        "the publications page",
    )


def edit_link(page: Page, channel_key: str) -> str | None:
    """The post's row's **Sửa nội dung** link (None when the page offers none)."""
    return page.evaluate(
        "(() => { const row = [...document.querySelectorAll('tr')].find(r =>"
        f" r.innerText.includes({json.dumps(channel_key)})); const a = row &&"
        " [...row.querySelectorAll('a')].find(a =>"
        f" a.innerText.trim() === {json.dumps(EDIT_BUTTON)});"
        " return a ? a.getAttribute('href') : null; })()"
    )


def save_edit(page: Page, text: str) -> str:
    """Replace the text in **Nội dung bài đăng**, then **Lưu bản sửa**; returns the message."""
    page.wait_for(f"!!document.querySelector({json.dumps(TEXT_AREA)})", 30, "the edit form")
    page.evaluate("document.querySelectorAll('.flash').forEach(e => e.remove())")
    page.replace_text(TEXT_AREA, text)
    page.click_text("button", "Lưu bản sửa")
    return page.wait_for(
        "(() => { const f = document.querySelector('.flash'); return f && f.innerText; })()",
        30,
        "the answer to Lưu bản sửa",
    )


def answer(page: Page, choice: str) -> tuple[str, str]:
    """Click an option button; returns the notification it brought (type, text)."""
    before = page.evaluate(f"{TOASTS}.map(t => t.id)")
    page.wait_for(f"!document.querySelector({json.dumps(option(choice))}).disabled", 10, choice)
    page.click(option(choice))
    toast = page.wait_for(
        f"(() => {{ const t = {TOASTS}.find(t => !{json.dumps(before)}.includes(t.id));"
        " return t && [t.getAttribute('data-type'), t.innerText]; })()",
        30,
        f"the notification after {choice}",
    )
    return toast[0], toast[1]


def shown_blocks(page: Page, count: int) -> list[str]:
    """The request's code blocks (the Facebook post, the Zalo text): what goes out, verbatim.

    Any element laid out as preformatted, multi-line text (the UI's Markdown renders fenced
    blocks with its own components, after the form: wait for them)."""
    blocks = (
        "[...document.querySelectorAll('body *')].filter(e => "
        "getComputedStyle(e).whiteSpace.startsWith('pre') && e.innerText.includes('\\n'))"
        ".map(e => e.innerText.trim())"
    )
    return page.wait_for(f"(() => {{ const b = {blocks}; return b.length >= {count} && b; }})()")


def stopwatch() -> Callable[[str], None]:
    """Prints each step's time since the start (in the captured output of a failed run)."""
    start = time.monotonic()
    return lambda step: print(f"[{time.monotonic() - start:6.1f} s] {step}", flush=True)


# --- the test ----------------------------------------------------------------------------------


def test_readme_approval_steps_in_the_browser(chromium, world: HitlWorld, tmp_path: Path) -> None:
    mark = stopwatch()
    requests = world.wait_for_requests(2, timeout=180)
    mark("two requests waiting")
    assert set(requests) == {APPROVED, REJECTED}
    for key, request in requests.items():
        unit = world.channel(key).unit
        approvers = list(world.registry.publication_approvers(unit))
        assert [u["id"] for u in request["assigned_users"]] == approvers == ["admin"], key
    assert "officer" not in world.registry.publication_approvers("TH-NS-NGATHUY")
    approved, rejected = requests[APPROVED], requests[REJECTED]

    # 1. Someone who is not the unit's approver: the UI refuses, nothing happens.
    pub_id = world.publication(APPROVED).id
    edit_url = f"{world.base_url}/citizen-desk/publications/{pub_id}/edit"
    assert f"({edit_url})" in approved["body"]  # the request links to the edit page
    with chromium_page(chromium, tmp_path / "officer") as page, evidence(page, "officer"):
        log_in(page, world.base_url, "officer")
        open_from_browse(page, approved["subject"])
        assert page.evaluate("document.querySelectorAll('textarea, [id^=element_]').length") == 0
        kind, text = answer(page, APPROVE)
        assert kind == "error"
        assert "Access Denied" in text
        page.screenshot(ARTIFACTS / "approval-01-refused.png", full_page=False)
        open_desk_publications(page, world.base_url)
        assert page.evaluate(f"document.body.innerText.includes({json.dumps(APPROVED)})")
        assert edit_link(page, APPROVED) is None
        page.navigate(edit_url)
        page.wait_for("document.body.innerText.includes('không có quyền sửa bài đăng')", 30)
    assert not world.requests()[APPROVED]["response_received"]
    assert world.posts() == {}
    assert world.articles() == {}
    mark("officer refused")

    # An answer within seconds of the task deferring can lose an Airflow 3.3.2 race (see
    # scripts/approve_publication.py): answer once the requests have settled, as people do.
    youngest = min(age_seconds(r, datetime.now(UTC)) for r in requests.values())
    time.sleep(max(0.0, SETTLE_SECONDS - youngest))
    mark("settled")

    # 2. The approver: edits on the Citizen Desk page, then approves; rejects the other post.
    with chromium_page(chromium, tmp_path / "admin") as page, evidence(page, "admin"):
        log_in(page, world.base_url, "admin")
        open_desk_publications(page, world.base_url)
        href = edit_link(page, APPROVED)  # the post's row → Sửa nội dung
        assert href == f"/citizen-desk/publications/{pub_id}/edit"
        page.click(f"a[href={json.dumps(href)}]")
        page.wait_for(
            f"location.href === {json.dumps(edit_url)}"
            f" && !!document.querySelector({json.dumps(TEXT_AREA)})",
            30,
            "Nga Thủy's edit page",
        )
        draft = page.evaluate(f"document.querySelector({json.dumps(TEXT_AREA)}).value")
        assert draft.strip() in approved["body"]  # the draft the request shows
        refused = save_edit(page, f"{EDIT_LINE} Liên hệ {PHONE}.\n{draft}")
        assert "số điện thoại" in refused
        assert "Không có gì được lưu" in refused
        assert PHONE not in page.evaluate("document.documentElement.outerHTML")
        assert world.edits(pub_id) == ([], [("publication_edit_refused", "PII gate: phone")])
        edited = f"{EDIT_LINE}\n{draft}"
        saved = save_edit(page, edited)
        assert saved.startswith("Đã lưu bản sửa số 1")
        assert world.edits(pub_id)[0] == [edited.strip()]
        page.screenshot(ARTIFACTS / "approval-02-edited.png")
        mark("edited on the Citizen Desk page")

        page.navigate(f"{world.base_url}/")
        open_from_browse(page, approved["subject"])
        shown = shown_blocks(page, 2)  # Nga Thủy has a page and an OA
        page.screenshot(ARTIFACTS / "approval-03-request.png")
        assert page.evaluate("document.querySelectorAll('textarea, [id^=element_]').length") == 0
        assert page.evaluate(f"document.body.innerText.includes({json.dumps(EDIT_BUTTON)})")
        kind, text = answer(page, APPROVE)
        assert (kind, text) == ("success", "approve response successful")
        page.wait_for(f"document.querySelector({json.dumps(option(APPROVE))}).disabled", 30)
        mark("approved from Browse → Required Actions")

        open_from_run(page)  # Nga Thủy's is answered: the one awaiting input is Nga Sơn town's
        page.wait_for(f"document.body.innerText.includes({json.dumps(rejected['subject'])})")
        kind, text = answer(page, REJECT)
        assert kind == "success", text
        page.screenshot(ARTIFACTS / "approval-04-rejected.png", full_page=False)
        mark("rejected from the run's approve task")

        # a second answer from the form: both buttons are disabled once answered
        page.navigate(f"{world.base_url}/")
        open_from_browse(page, approved["subject"])
        page.wait_for(
            f"document.querySelector({json.dumps(option(APPROVE))}).disabled"
            f" && document.querySelector({json.dumps(option(REJECT))}).disabled",
            30,
            "the answered request's disabled buttons",
        )

    run = world.client.wait_run(DAG_ID, RUN_ID, timeout=150)
    assert run["state"] == "success", world.diagnostics()
    mark("run done")
    answered = world.requests()
    assert answered[APPROVED]["chosen_options"] == [APPROVE]
    assert answered[APPROVED]["responded_by_user"]["name"] == "admin"
    assert answered[REJECTED]["chosen_options"] == [REJECT]
    stored_by_airflow = json.dumps(answered, ensure_ascii=False)  # request, params, answer
    assert PHONE not in stored_by_airflow
    assert EDIT_LINE not in stored_by_airflow

    # 3. Exactly one Facebook post and one Zalo article, for the approved unit only.
    posted = _published(world)
    [post] = posted["facebook"]
    assert post["message"] == edited.strip()  # the saved correction, not the draft
    assert post["message"].endswith(draft.strip())
    assert post["message"].strip() not in shown
    marker = post["message"].split()[-1]
    assert marker.startswith("#Tuan")
    [article] = posted["zalo"]
    assert marker in article["title"]

    # A second answer over the REST API is refused; a re-run of `publish` posts nothing more.
    reply = _patch_answer(world, approved["task_instance"]["map_index"])
    assert reply.status_code == 409, reply.text
    world.client.request(
        "POST",
        f"/dags/{DAG_ID}/clearTaskInstances",
        json={
            "dry_run": False,
            "dag_run_id": RUN_ID,
            "task_ids": ["publish"],
            "only_failed": False,
            "reset_dag_runs": True,
        },
    )
    run = world.client.wait_run(DAG_ID, RUN_ID, timeout=120)
    assert run["state"] == "success", world.diagnostics()
    [publish] = world.client.task_instances(DAG_ID, RUN_ID, task_id="publish")
    assert (publish["state"], publish["try_number"]) == ("success", 2)
    assert _published(world) == posted
    mark("re-run done")


def _published(world: HitlWorld) -> dict[str, list[dict[str, Any]]]:
    """The approved unit's posts and articles; asserts the rejected unit has none."""
    posts, articles = world.posts(), world.articles()
    assert set(posts) == {world.channel(APPROVED).platform_id}
    assert set(articles) == {world.channel(APPROVED_ZALO).platform_id}
    assert world.channel(REJECTED_ZALO).platform_id not in articles
    return {
        "facebook": posts[world.channel(APPROVED).platform_id],
        "zalo": articles[world.channel(APPROVED_ZALO).platform_id],
    }


def _patch_answer(world: HitlWorld, map_index: int) -> Any:
    url = (
        f"{world.base_url}/api/v2/dags/{DAG_ID}/dagRuns/{RUN_ID}"
        f"/taskInstances/approve/{map_index}/hitlDetails"
    )
    return world.client.session.patch(
        url,
        json={"chosen_options": [APPROVE], "params_input": {}},
        headers={"Authorization": f"Bearer {world.client.token()}"},
        timeout=30,
    )
