"""The Simulator: world + clock + APIs + inspection endpoints + persistence."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from platform_simulator.clock import (
    RollingWindow,
    SimClock,
    TokenBucket,
    from_ms,
    graph_time,
    to_ms,
)
from platform_simulator.config import SimulatorConfig, load_registry
from platform_simulator.faults import FaultBook, FaultError
from platform_simulator.graph import GraphApi
from platform_simulator.slack import ClickError, SignedRequest, SlackApi, post_signed
from platform_simulator.web import Request, Response, ServerThread, json_response
from platform_simulator.webhooks import WebhookConfig, WebhookPusher
from platform_simulator.world import STATE_FORMAT, World
from platform_simulator.zalo import ZaloApi, initial_tokens

GRAPH_PATH = re.compile(r"^/(v\d+\.\d+)/(.*)$")
ZALO_PATH = re.compile(r"^/v\d+(\.\d+)?/(oa|article)/")
STATE_FILE = "world.json"


@dataclass
class Limits:
    graph_page: RollingWindow
    graph_app: RollingWindow
    zalo: RollingWindow
    slack: TokenBucket


class Stats:
    """Request/error counters for ``/_sim/stats``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests: dict[str, int] = {}
        self.endpoints: dict[str, int] = {}
        self.keys: dict[str, dict[str, int]] = {}
        self.by_token: dict[str, int] = {}
        self.errors: dict[str, dict[str, int]] = {}
        self.limited: dict[str, int] = {}
        self.faults_fired = 0

    def request(self, family: str, endpoint: str, token: str | None) -> None:
        with self._lock:
            self.requests[family] = self.requests.get(family, 0) + 1
            self.endpoints[endpoint] = self.endpoints.get(endpoint, 0) + 1
            if token:
                self.by_token[token] = self.by_token.get(token, 0) + 1

    def by_key(self, family: str, key: str | None) -> None:
        if key is None:
            return
        with self._lock:
            bucket = self.keys.setdefault(family, {})
            bucket[key] = bucket.get(key, 0) + 1

    def error(self, family: str, code: Any, key: str | None) -> None:
        with self._lock:
            bucket = self.errors.setdefault(family, {})
            bucket[str(code)] = bucket.get(str(code), 0) + 1

    def rate_limited(self, family: str) -> None:
        with self._lock:
            self.limited[family] = self.limited.get(family, 0) + 1

    def fault(self) -> None:
        with self._lock:
            self.faults_fired += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "endpoints": dict(self.endpoints),
                "by_page": {k: dict(v) for k, v in self.keys.items()},
                "by_token": dict(self.by_token),
                "errors": {k: dict(v) for k, v in self.errors.items()},
                "errors_total": sum(sum(v.values()) for v in self.errors.values()),
                "rate_limited": dict(self.limited),
                "slack_429": self.limited.get("slack", 0),
                "faults_fired": self.faults_fired,
            }


SAVE_INTERVAL = 0.5  # seconds between saves of a dirty world (small worlds)
SAVE_SHARE = 0.05  # at most this share of the time spent saving (large worlds)


class Simulator:
    """A deterministic Graph / Zalo / Slack world with an HTTP front end."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.cfg = config
        self.registry = load_registry(config)
        if not self.registry.channels:
            raise ValueError("the registry has no channels")
        self.lock = threading.RLock()
        self.faults = FaultBook(config.seed)
        for spec in config.faults:
            self.faults.add(spec)
        self.stats = Stats()
        self._dirty = False
        self._closed = False
        self.state_path = Path(config.state_dir) / STATE_FILE if config.state_dir else None
        state = self._load_state()
        now = config.now
        if now is not None and now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        start_ms = (
            to_ms(now) if now is not None else to_ms(datetime.now(UTC).replace(microsecond=0))
        )
        if state is not None:  # a restarted world never goes back in time
            start_ms = max(start_ms, int(state.get("clock_ms", start_ms)))
        self.world_clock = SimClock(
            from_ms(start_ms), running=config.live or now is None, speed=config.clock_speed
        )
        self.world = World(config, self.registry, start_ms, state)
        for channel in self.registry.channels:
            if channel.platform == "zalo":
                self.world.state["zalo_tokens"].setdefault(
                    channel.platform_id,
                    initial_tokens(channel.platform_id, start_ms, config.zalo_token_ttl_seconds),
                )
        self.limits = Limits(
            graph_page=RollingWindow(config.graph_window_seconds, config.graph_page_budget),
            graph_app=RollingWindow(config.graph_window_seconds, config.graph_app_budget),
            zalo=RollingWindow(60, config.zalo_rate_limit),
            slack=TokenBucket(config.slack_rate_per_second, config.slack_burst),
        )
        self.graph = GraphApi(self)
        self.zalo = ZaloApi(self)
        self.slack = SlackApi(self)
        self._routes = self._sim_routes()
        self.webhooks = self._webhook_pusher()
        self._saver: threading.Thread | None = None
        self._stop = threading.Event()
        if self.state_path is not None:
            self._dirty = state is None
            self.save()
            self._saver = threading.Thread(target=self._save_loop, daemon=True)
            self._saver.start()

    def _webhook_pusher(self) -> WebhookPusher | None:
        """Live mode with a receiver URL: push what appears in the world from now on."""
        cfg = self.cfg
        if not cfg.live or not (cfg.webhook_facebook_url or cfg.webhook_zalo_url):
            return None
        pusher = WebhookPusher(
            WebhookConfig(
                facebook_url=cfg.webhook_facebook_url,
                zalo_url=cfg.webhook_zalo_url,
                app_secret=cfg.webhook_app_secret,
                zalo_app_id=cfg.webhook_zalo_app_id,
                zalo_secret=cfg.webhook_zalo_secret,
                duplicate_rate=cfg.webhook_duplicate_rate,
                retry_speed=cfg.webhook_retry_speed,
            ),
            cfg.seed,
        )
        self.world.listeners.append(pusher.notice)  # history is already in: not pushed

        def tick() -> None:
            with self.lock:
                if self.world.catch_up(self.now_ms()):
                    self.mark_dirty()

        pusher.start(tick)
        return pusher

    # ------------------------------------------------------------------ clock & world

    @property
    def clock(self) -> datetime:
        """Current simulated time (UTC)."""
        return self.world_clock.now()

    def now_ms(self) -> int:
        return self.world_clock.now_ms()

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward; in live mode, traffic for the span is generated."""
        with self.lock:
            now = self.world_clock.advance(delta)
            if self.cfg.live:
                self.world.catch_up(now)
            self.world.state["clock_ms"] = now
            self.mark_dirty()
        return self.clock

    def generate(
        self, messages: int, category: str | None = None, urgent: bool = False
    ) -> list[str]:
        """Inject ``messages`` new citizen threads at the current time (of one kind if given)."""
        with self.lock:
            ids = self.world.inject(messages, self.now_ms(), category, urgent)
            self.mark_dirty()
            return ids

    def truth(self) -> dict[str, Any]:
        with self.lock:
            return {
                "seed": self.cfg.seed,
                "days": self.cfg.days,
                "start_time": graph_time(int(self.world.state["start_ms"])),
                "channels": [c.as_dict() for c in self.registry.channels],
                "messages": self.world.truth(),
            }

    def truth_json(self) -> str:
        return json.dumps(self.truth(), ensure_ascii=False, sort_keys=True, indent=1)

    def page_token(self, page_id: str) -> str:
        return f"sim-page-token-{page_id}"

    def zalo_credentials(self, oa_id: str) -> dict[str, str]:
        tokens = self.world.state["zalo_tokens"][oa_id]
        latest = max(tokens["access"].items(), key=lambda kv: kv[1])[0]
        return {
            "app_id": f"sim-app-{oa_id}",
            "secret_key": f"sim-secret-{oa_id}",
            "refresh_token": tokens["refresh"],
            "access_token": latest,
        }

    def slack_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            records = self.world.state["slack"]["messages"]
            return [dict(r) for r in records if channel is None or r["channel"] == channel]

    def slack_click(self, **click: Any) -> SignedRequest:
        """The signed request of a button click (see `SlackApi.click`), not yet sent."""
        with self.lock:
            return self.slack.click(**click)

    def click_button(self, **click: Any) -> tuple[int, bytes]:
        """A user clicks a button: the signed request is POSTed to the Interactivity Request URL;
        (status, body) of the app's answer."""
        return post_signed(self.slack_click(**click))

    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self.faults.add(spec)

    def clear_faults(self) -> None:
        self.faults.clear()

    # ------------------------------------------------------------------ persistence

    def _load_state(self) -> dict[str, Any] | None:
        if self.state_path is None or not self.state_path.exists():
            return None
        state = json.loads(self.state_path.read_text(encoding="utf-8"))
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"{self.state_path}: unsupported state format {state.get('format')}")
        if state.get("seed") != self.cfg.seed:
            print(
                f"platform simulator: state in {self.state_path} was made with seed "
                f"{state.get('seed')}; continuing that world",
                file=sys.stderr,
            )
        return state

    def mark_dirty(self) -> None:
        self._dirty = True

    def save(self) -> None:
        """Write the world to ``--state`` now (atomic replace)."""
        if self.state_path is None:
            return
        with self.lock:
            self.world.state["clock_ms"] = self.now_ms()
            text = json.dumps(self.world.state, ensure_ascii=False, separators=(",", ":"))
            self._dirty = False
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.state_path)

    def _save_loop(self) -> None:
        # A save serialises the whole world under the lock (requests wait): ~0.5 s for the
        # national world's ~40 MB. Saving every 0.5 s while Zalo tokens rotate (each refresh is a
        # POST: dirty) kept the simulator busy half the time at national size, so the pause after
        # a save grows with what it cost: at most SAVE_SHARE of the time goes to saving. `close`
        # still flushes everything.
        pause = SAVE_INTERVAL
        while not self._stop.wait(pause):
            if self._dirty:
                started = time.perf_counter()
                self.save()
                pause = max(SAVE_INTERVAL, (time.perf_counter() - started) / SAVE_SHARE)

    def close(self) -> None:
        """Stop the saver and flush state."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self.webhooks is not None:
            self.webhooks.stop()
        if self._saver is not None:
            self._saver.join(timeout=5)
        self.save()

    # ------------------------------------------------------------------ serving

    def serve_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> ServerThread:
        """Start the HTTP server in a daemon thread; ``.shutdown()`` stops it and saves."""
        return ServerThread(self.dispatch, host, port, on_shutdown=self.close).start()

    def dispatch(self, req: Request) -> Response:
        path = req.path
        if path.startswith("/_sim/"):
            with self.lock:
                if self.cfg.live and self.world.catch_up(self.now_ms()):
                    self.mark_dirty()
                return self._sim(req)
        route = self._classify(req)
        if route is None:
            return json_response(
                {"error": {"message": f"Unknown path {path}", "type": "SimulatorException"}}, 404
            )
        family, endpoint, handler, server_error = route
        self.stats.request(family, endpoint, self._token_of(family, req))
        delay = self.faults.delay_for(endpoint)
        injected = self.faults.server_error(endpoint)
        if injected is not None:
            self.stats.fault()
            self.stats.error(family, injected.get("code", "5xx"), None)
            with self.lock:
                response = server_error(injected)
            response.delay += delay
            return response
        with self.lock:
            if self.cfg.live and self.world.catch_up(self.now_ms()):
                self.mark_dirty()
            response = handler()
            if req.method != "GET":
                self.mark_dirty()
        if self.faults.take("malformed_json", endpoint) is not None:
            self.stats.fault()
            response.body = response.body[: max(1, len(response.body) // 2)]
        response.delay += delay
        return response

    def _token_of(self, family: str, req: Request) -> str | None:
        if family == "graph":
            return req.query.get("access_token") or req.bearer() or req.form().get("access_token")
        if family == "zalo":
            return str(req.headers.get("access_token") or "") or None
        if family == "slack":
            return req.bearer()
        return None

    def _classify(
        self, req: Request
    ) -> tuple[str, str, Callable[[], Response], Callable[[dict[str, Any]], Response]] | None:
        """(family, endpoint key, handler, injected-5xx builder) for a platform request."""
        path = req.path
        if path.startswith("/api/"):
            method = path[5:].strip("/")
            return (
                "slack",
                SlackApi.endpoint(method),
                lambda: self.slack.handle(req, method),
                lambda fault: self.slack.server_error(),
            )
        if ZALO_PATH.match(path) or path.rstrip("/").endswith("/oa/access_token"):
            endpoint = ZaloApi.endpoint(path)
            family = "zalo_oauth" if endpoint == "zalo.oauth" else "zalo"
            return (
                family,
                endpoint,
                lambda: self.zalo.handle(req, endpoint),
                lambda fault: self.zalo.server_error(),
            )
        match = GRAPH_PATH.match(path)
        if match:
            version = match.group(1)
            parts = [p for p in match.group(2).split("/") if p]
            if not parts:
                return None
            endpoint = GraphApi.endpoint(req.method, parts)
            return (
                "graph",
                endpoint,
                lambda: self.graph.handle(req, version, parts, endpoint),
                lambda fault: self.graph.server_error(int(fault.get("code", 1)), version),
            )
        return None

    # ------------------------------------------------------------------ /_sim endpoints

    def _sim_routes(self) -> dict[tuple[str, str], Callable[[Request], Response]]:
        return {
            ("GET", "/_sim/health"): lambda r: json_response({"ok": True}),
            ("GET", "/_sim/slack/messages"): self._sim_slack,
            ("POST", "/_sim/slack/click"): self._sim_slack_click,
            ("GET", "/_sim/posts"): self._sim_posts,
            ("GET", "/_sim/stats"): lambda r: json_response(self.stats.snapshot()),
            ("POST", "/_sim/reset-stats"): self._sim_reset_stats,
            ("GET", "/_sim/truth"): lambda r: _raw_json(self.truth_json()),
            ("GET", "/_sim/clock"): self._sim_clock,
            ("POST", "/_sim/advance"): self._sim_advance,
            ("POST", "/_sim/generate"): self._sim_generate,
            ("GET", "/_sim/webhooks"): self._sim_webhooks,
            ("GET", "/_sim/faults"): lambda r: json_response({"faults": self.faults.snapshot()}),
            ("POST", "/_sim/faults"): self._sim_add_faults,
            ("DELETE", "/_sim/faults"): self._sim_clear_faults,
            ("GET", "/_sim/tokens"): self._sim_tokens,
            ("GET", "/_sim/world"): self._sim_world,
            ("POST", "/_sim/save"): self._sim_save,
            ("GET", "/_sim/zalo/articles"): lambda r: json_response(
                {
                    "articles": self.zalo.articles.published(),
                    "broadcasts": self.zalo.articles.broadcasts(),
                }
            ),
        }

    def _sim(self, req: Request) -> Response:
        handler = self._routes.get((req.method, req.path.rstrip("/")))
        if handler is None:
            return json_response(
                {"error": f"unknown simulator endpoint {req.method} {req.path}"}, 404
            )
        return handler(req)

    def _sim_slack(self, req: Request) -> Response:
        return json_response({"messages": self.slack_messages(req.query.get("channel") or None)})

    def _sim_slack_click(self, req: Request) -> Response:
        """{user, action_id, channel+ts or key, url?, timestamp?}: click, POST, and report the
        app's answer as {status, body}."""
        body = self._body(req)
        names = ("user", "action_id", "channel", "ts", "key", "url", "timestamp")
        click = {name: body[name] for name in names if body.get(name) is not None}
        if "timestamp" in click:
            try:
                click["timestamp"] = int(click["timestamp"])
            except (TypeError, ValueError):
                return json_response({"error": "timestamp must be an integer"}, 400)
        if not click.get("user") or not click.get("action_id"):
            return json_response({"error": "user and action_id are required"}, 400)
        try:
            signed = self.slack.click(**click)
        except ClickError as exc:
            return json_response({"error": str(exc)}, 409)
        try:
            status, answer = post_signed(signed)
        except OSError as exc:  # the app is not listening
            return json_response({"error": f"cannot reach {signed.url}: {exc}"}, 502)
        return json_response({"status": status, "body": answer.decode("utf-8", "replace")})

    def _sim_posts(self, req: Request) -> Response:
        s = self.world.state
        pages: dict[str, list[dict[str, Any]]] = {}
        for post_id in s["api_posts"]:
            post = s["posts"][post_id]
            pages.setdefault(post["page_id"], []).append(
                {
                    "id": post_id,
                    "channel": post["channel"],
                    "message": post["message"],
                    "link": post["link"],
                    "published": post["published"],
                    "scheduled_publish_time": (
                        post["scheduled_ms"] // 1000 if post["scheduled_ms"] is not None else None
                    ),
                    "created_time": graph_time(post.get("requested_ms", post["created_ms"])),
                    "deleted": post["deleted"],
                }
            )
        return json_response({"pages": pages})

    def _sim_reset_stats(self, req: Request) -> Response:
        self.stats.reset()
        self.limits.graph_page.reset()
        self.limits.graph_app.reset()
        self.limits.zalo.reset()
        return json_response({"ok": True})

    def _sim_clock(self, req: Request) -> Response:
        now = self.now_ms()
        return json_response(
            {
                "now": graph_time(now),
                "iso": from_ms(now).isoformat(),
                "epoch_ms": now,
                "frozen": not self.world_clock.running,
                "speed": self.world_clock.speed,
                "live": self.cfg.live,
            }
        )

    @staticmethod
    def _body(req: Request) -> dict[str, Any]:
        body = req.json_body()
        if isinstance(body, dict):
            return body
        return dict(req.params())

    def _sim_advance(self, req: Request) -> Response:
        try:
            seconds = float(self._body(req).get("seconds", 0))
        except (TypeError, ValueError):
            return json_response({"error": "seconds must be a number"}, 400)
        if seconds < 0:
            return json_response({"error": "seconds must be >= 0"}, 400)
        before = len(self.world.state["truth"])
        now = self.advance(seconds)
        return json_response(
            {"now": now.isoformat(), "generated": len(self.world.state["truth"]) - before}
        )

    def _sim_generate(self, req: Request) -> Response:
        """{messages, category?, urgent?}: new citizen threads now; their first message ids."""
        body = self._body(req)
        try:
            count = int(body.get("messages", 1))
        except (TypeError, ValueError):
            return json_response({"error": "messages must be an integer"}, 400)
        category = body.get("category")
        try:
            ids = self.generate(max(0, min(count, 10000)), category, bool(body.get("urgent")))
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"created": ids})

    def _sim_webhooks(self, req: Request) -> Response:
        """What the webhook pusher did: deliveries by platform and status, and what is pending."""
        if self.webhooks is None:
            return json_response({"enabled": False, "pending": 0, "attempts": {}, "given_up": 0})
        attempts: dict[str, int] = {}
        for entry in list(self.webhooks.log.sent):
            name = f"{entry['platform']}:{entry['status']}"
            attempts[name] = attempts.get(name, 0) + 1
        return json_response(
            {
                "enabled": True,
                "pending": self.webhooks.pending(),
                "attempts": attempts,
                "given_up": self.webhooks.log.given_up,
            }
        )

    def _sim_add_faults(self, req: Request) -> Response:
        body = req.json_body()
        specs = body.get("faults") if isinstance(body, dict) and "faults" in body else body
        if isinstance(specs, dict):
            specs = [specs]
        if not isinstance(specs, list):
            return json_response({"error": "send a fault object, a list, or {faults: [...]}"}, 400)
        try:
            added = [self.faults.add(spec) for spec in specs]
        except (FaultError, TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"faults": added})

    def _sim_clear_faults(self, req: Request) -> Response:
        fault_id = req.query.get("id")
        removed = self.faults.clear(int(fault_id) if fault_id else None)
        return json_response({"removed": removed})

    def _sim_tokens(self, req: Request) -> Response:
        return json_response(
            {
                "facebook": {
                    c.platform_id: self.page_token(c.platform_id)
                    for c in self.registry.channels
                    if c.platform == "facebook"
                },
                "zalo": {
                    c.platform_id: self.zalo_credentials(c.platform_id)
                    for c in self.registry.channels
                    if c.platform == "zalo"
                },
                "slack": self.cfg.slack_token,
            }
        )

    def _sim_world(self, req: Request) -> Response:
        counts: dict[str, dict[str, int]] = {}
        for rec in self.world.state["truth"]:
            entry = counts.setdefault(rec["channel"], {"in": 0, "out": 0})
            entry[rec["direction"]] += 1
        s = self.world.state
        now = self.now_ms()
        return json_response(
            {
                "channels": len(self.registry.channels),
                "messages": counts,
                "conversations": len(s["conversations"]),
                "posts": len(s["posts"]),
                "comments": len(s["comments"]),
                "pending": len(s["pending"]),
                # per page, the creation times of the posts `published_posts` lists now (the
                # bench's API floor counts the pages of that listing)
                "post_times": {
                    c.key: [p["created_ms"] for p in self.world.posts_of(c.platform_id, now)]
                    for c in self.registry.channels
                    if c.platform == "facebook"
                },
            }
        )

    def _sim_save(self, req: Request) -> Response:
        self.save()
        return json_response(
            {"ok": True, "path": str(self.state_path) if self.state_path else None}
        )


def _raw_json(text: str) -> Response:
    return Response(status=200, body=text.encode("utf-8"))
