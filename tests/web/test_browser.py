"""End to end in a real browser: headless Chromium logs in to a running Airflow api-server.

The api-server runs with our plugins folder and SimpleAuthManager (fixed passwords); the browser
opens a Citizen Desk page, is sent to Airflow's login, signs in as `officer`, comes back, performs
a tip action through its confirmation step, and sees the result. Screenshots go to
tests/artifacts/ (gitignored); set CITIZEN_DESK_DOCS_SCREENSHOT=1 to refresh
docs/screenshot-tips.png.

Needs the `chromium` package (Debian: `apt-get install chromium`); skipped without it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from tests.conftest import REGISTRY_PATH, REPO
from tests.web.cdp import chromium_page
from tests.web.seed import CANARIES, seed

pytestmark = pytest.mark.slow
ARTIFACTS = REPO / "tests" / "artifacts"
PASSWORD = "cd-browser-test-pw"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"api-server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"api-server not healthy after {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def airflow_server(
    chromium, tmp_path_factory, registry, airflow_db, db_templates
) -> Iterator[dict]:
    """`airflow api-server` in its own AIRFLOW_HOME (a copy of the session's pristine metadata
    DB), with a seeded domain DB."""
    from citizen_desk.config.registry import sync_registry

    root = tmp_path_factory.mktemp("browser")
    home, data = root / "airflow", root / "data"
    (data / "reports").mkdir(parents=True)
    home.mkdir()
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": PASSWORD, "officer": PASSWORD}))
    db_url = db_templates.sqlite_copy("migrated", data / "citizen_desk.db")
    engine = create_engine(db_url)
    shutil.copyfile(airflow_db, home / "airflow.db")
    now = datetime.now(UTC)  # the server reads the wall clock: seed relative to it
    with sessionmaker(engine)() as session:
        sync_registry(session, registry, now=now)
        session.commit()
        seeded = seed(session, now, data / "reports")
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "CITIZEN_DESK", "PYTEST"))
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,officer:user",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "citizen-desk-browser-test-secret-0123456789abcdef",
            "CITIZEN_DESK_DB_URL": db_url,
            "CITIZEN_DESK_DATA_DIR": str(data),
            "CITIZEN_DESK_REGISTRY": str(REGISTRY_PATH),
            "PYTHONPATH": str(REPO / "include"),
        }
    )
    (root / "dags").mkdir()
    airflow = str(Path(sys.executable).with_name("airflow"))
    log = root / "api-server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [airflow, "api-server", "--port", str(port), "--host", "127.0.0.1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole below
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(f"{base}/api/v2/monitor/health", process, log)
        yield {"base": base, "engine": engine, "seeded": seeded, "log": log}
    finally:
        _stop(process, log)
        engine.dispose()


def _stop(process: subprocess.Popen, log: Path, grace: float = 20) -> None:
    """SIGINT to the api-server's group; once uvicorn reports the server finished, only the
    interpreter's own exit is left (seconds of garbage collection): SIGKILL spares the wait."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    while process.poll() is None and time.monotonic() < deadline:
        if "Finished server process" in log.read_text(errors="replace"):
            break
        time.sleep(0.05)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_officer_logs_in_and_verifies_a_tip(chromium, airflow_server, tmp_path):
    from citizen_desk.db.models import AuditLog, Tip

    base = airflow_server["base"]
    tip_id = airflow_server["seeded"].tips["new"]
    with chromium_page(chromium, tmp_path / "profile") as page:
        # 1. A Citizen Desk page without a session: Airflow's login page, coming back after.
        page.navigate(f"{base}/citizen-desk/tips")
        page.wait_for("!!document.querySelector('input[type=password]')", 60, "the login form")
        assert page.evaluate("location.pathname") == "/auth/login"
        assert "citizen-desk" in page.evaluate("new URLSearchParams(location.search).get('next')")
        page.screenshot(ARTIFACTS / "browser-01-airflow-login.png", full_page=False)
        page.type_into("input[name=username]", "officer")
        page.type_into("input[type=password]", PASSWORD)
        page.wait_for("!document.querySelector('button[type=submit]').disabled", 10, "Sign in")
        page.click("button[type=submit]")
        page.wait_for(
            "location.pathname === '/citizen-desk/tips' && document.readyState === 'complete'"
            " && document.body.innerText.includes('Tin báo tố giác')",
            60,
            "the tips board after login",
        )
        board = page.evaluate("document.body.innerText")
        assert "Đăng nhập: officer" in board
        for canary in CANARIES:
            assert canary not in board
        shot = page.screenshot(ARTIFACTS / "browser-02-tips-board.png")
        if os.environ.get("CITIZEN_DESK_DOCS_SCREENSHOT"):
            shutil.copyfile(shot, REPO / "docs" / "screenshot-tips.png")

        # 2. A workflow action with its confirmation step.
        page.click(f"a[href='/citizen-desk/tips/{tip_id}/actions/start']")
        page.wait_for(
            "document.readyState === 'complete' && !!document.querySelector('textarea[name=note]')",
            30,
            "the confirmation page",
        )
        assert "Chuyển tin báo sang trạng thái đang xác minh?" in page.evaluate(
            "document.body.innerText"
        )
        page.type_into("textarea[name=note]", "Đã cử tổ công tác xác minh tại xóm 3")
        page.screenshot(ARTIFACTS / "browser-03-confirm.png")
        page.click("form[method=post] button[type=submit]")
        page.wait_for(
            "location.search.includes('done=start') && document.readyState === 'complete'",
            30,
            "the tip page after the action",
        )
        text = page.evaluate("document.body.innerText")
        assert "Đã ghi nhận: Bắt đầu xác minh" in text
        assert "đang xác minh" in text
        assert "Đã cử tổ công tác xác minh tại xóm 3" in text  # the history shows the note
        page.screenshot(ARTIFACTS / "browser-04-after-action.png")

        # 3. The other pages render, and none shows the planted identities.
        seeded = airflow_server["seeded"]
        pages = {
            "06-sla": ("/citizen-desk/sla", "Hồ sơ đang chờ trả lời"),
            "07-case": (f"/citizen-desk/cases/{seeded.cases['breach']}", "đã che thông tin"),
            "08-publications": ("/citizen-desk/publications", "Bài đăng kết quả"),
            "09-collection": ("/citizen-desk/collection", "Tình trạng thu thập"),
        }
        for name, (path, heading) in pages.items():
            page.navigate(f"{base}{path}")
            page.wait_for(
                f"document.readyState === 'complete' && location.pathname === {path!r}"
                f" && document.body.innerText.includes({heading!r})",
                30,
                path,
            )
            text = page.evaluate("document.body.innerText")
            for canary in CANARIES:
                assert canary not in text, path
            page.screenshot(ARTIFACTS / f"browser-{name}.png")

        # 4. The page inside the Airflow UI (navigation entry, iframe at /plugin/citizen-desk).
        page.navigate(f"{base}/plugin/citizen-desk")
        page.wait_for(
            "(() => { const f = document.querySelector('iframe');"
            " return !!f && !!f.contentDocument && f.contentDocument.readyState === 'complete'"
            " && f.contentDocument.body.innerText.includes('Tổng quan theo đơn vị'); })()",
            90,
            "the Citizen Desk iframe in the Airflow UI",
        )
        assert page.evaluate("document.querySelector('iframe').getAttribute('src')").endswith(
            "/citizen-desk/"
        )
        time.sleep(1)  # let the UI finish painting its navigation for the screenshot
        page.screenshot(ARTIFACTS / "browser-05-airflow-ui.png", full_page=False)

    with sessionmaker(airflow_server["engine"])() as session:
        tip = session.get(Tip, tip_id)
        assert tip is not None
        assert tip.status == "verifying"
        rows = session.scalars(
            select(AuditLog).where(AuditLog.entity_type == "tip", AuditLog.entity_id == str(tip_id))
        ).all()
        assert [(r.actor, r.action) for r in rows] == [("officer", "tip_verification_started")]
