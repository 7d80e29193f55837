"""A tiny Chrome DevTools Protocol client (headless Chromium + `websockets`), for the browser test.

Only what the tests need: navigate, evaluate JavaScript, type text, click (by selector or by
text), wait, take screenshots.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        if path := shutil.which(name):
            return path
    return None


class CdpError(RuntimeError):
    pass


class Page:
    """One browser tab driven over its DevTools websocket."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message_id = self._next_id
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._ws.recv(timeout=60))
            if reply.get("id") != message_id:
                continue  # an event
            if "error" in reply:
                raise CdpError(f"{method}: {reply['error']}")
            return reply.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise CdpError(f"JavaScript error in {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def wait_for(self, expression: str, timeout: float = 30.0, what: str = "") -> Any:
        """Poll a JavaScript expression until it is truthy (page loads, client-side redirects)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = self.evaluate(expression)
            except CdpError:
                last = None  # the page is navigating
            if last:
                return last
            time.sleep(0.2)
        where = self.evaluate("location.href")
        raise TimeoutError(f"timed out waiting for {what or expression} (at {where})")

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field and type like a user (React forms see real input events)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def replace_text(self, selector: str, text: str) -> None:
        """Select all of a field's text and type `text` over it, as a user pasting does."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        self.type_into(selector, text)

    def click(self, selector: str, timeout: float = 30.0) -> None:
        """Click the first element matching `selector` (waits for it to be rendered)."""
        try:
            self.wait_for(
                f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                " if (!e) return false; e.click(); return true; })()",
                timeout,
                selector,
            )
        except TimeoutError as exc:
            raise CdpError(f"nothing to click at {selector!r}: {exc}") from None

    def click_text(self, selector: str, text: str, timeout: float = 30.0) -> None:
        """Click the first visible element matching `selector` whose text starts with `text`
        (waits for it: the UI renders menus and lists asynchronously)."""
        visible = "e.getClientRects().length > 0"
        try:
            self.wait_for(
                f"(() => {{ const e = [...document.querySelectorAll({json.dumps(selector)})].find("
                f"e => {visible} && e.innerText.trim().startsWith({json.dumps(text)}));"
                " if (!e) return false; e.scrollIntoView({block: 'center'}); e.click();"
                " return true; })()",
                timeout,
                f"{selector} {text!r}",
            )
        except TimeoutError as exc:
            raise CdpError(f"nothing to click at {selector!r} with text {text!r}: {exc}") from None

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


@contextmanager
def chromium_page(
    binary: str, profile_dir: Path, width: int = 1400, height: int = 900
) -> Iterator[Page]:
    """Start headless Chromium on a free DevTools port and yield its first tab."""
    from websockets.sync.client import connect

    args = [
        binary,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--lang=vi-VN",
        f"--window-size={width},{height}",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile_dir}",
        "about:blank",
    ]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile_dir / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or process.poll() is not None:
                raise CdpError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
            targets = json.load(reply)
        page_target = next(t for t in targets if t["type"] == "page")
        with connect(page_target["webSocketDebuggerUrl"], max_size=64 * 2**20) as ws:
            page = Page(ws)
            page.call("Page.enable")
            page.call("Runtime.enable")
            page.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            yield page
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
