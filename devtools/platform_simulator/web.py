"""Tiny HTTP layer on the stdlib ``ThreadingHTTPServer``: request parsing and responses."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query_items: list[tuple[str, str]]
    headers: Message
    body: bytes
    scheme: str = "http"

    @property
    def host(self) -> str:
        return str(self.headers.get("Host") or "127.0.0.1")

    @property
    def query(self) -> dict[str, str]:
        return dict(self.query_items)

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def json_body(self) -> Any:
        """Parsed JSON body, or ``None`` when the body is empty or not JSON."""
        if not self.body:
            return None
        text = self.body.decode("utf-8", errors="replace").strip()
        if self.content_type == "application/json" or text.startswith(("{", "[")):
            try:
                return json.loads(text)
            except ValueError:
                return None
        return None

    def form(self) -> dict[str, str]:
        if not self.body or self.content_type == "application/json":
            return {}
        if self.content_type not in ("", "application/x-www-form-urlencoded"):
            return {}
        text = self.body.decode("utf-8", errors="replace")
        if text.lstrip().startswith(("{", "[")):
            return {}
        return dict(parse_qsl(text, keep_blank_values=True))

    def params(self) -> dict[str, Any]:
        """Query string, then form fields, then JSON object members (later ones win)."""
        merged: dict[str, Any] = dict(self.query_items)
        merged.update(self.form())
        body = self.json_body()
        if isinstance(body, dict):
            merged.update(body)
        return merged

    def bearer(self) -> str | None:
        auth = str(self.headers.get("Authorization") or "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json; charset=UTF-8"
    delay: float = 0.0  # seconds to sleep before answering (latency / timeout faults)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))


def json_response(
    payload: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status=status, body=body, headers=list(headers or []))


def text_response(text: str, status: int = 200, content_type: str = "text/plain") -> Response:
    return Response(status=status, body=text.encode("utf-8"), content_type=content_type)


Dispatcher = Callable[[Request], Response]


def make_handler(dispatch: Dispatcher, quiet: bool = True) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "platform-simulator/1.0"
        # Headers and body go out in separate writes: without TCP_NODELAY every keep-alive
        # reply stalls ~40 ms (Nagle + delayed ACK).
        disable_nagle_algorithm = True

        def version_string(self) -> str:
            return self.server_version

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query_items=parse_qsl(parts.query, keep_blank_values=True),
                headers=self.headers,
                body=body,
            )
            try:
                response = dispatch(request)
            except Exception as exc:  # never kill the server thread
                response = json_response({"error": {"message": f"simulator bug: {exc!r}"}}, 500)
            if response.delay > 0:
                time.sleep(response.delay)
            try:
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
                for key, value in response.headers:
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = _handle
        do_POST = _handle
        do_DELETE = _handle
        do_PUT = _handle
        do_HEAD = _handle

        def log_message(self, format: str, *args: Any) -> None:
            if not quiet:
                super().log_message(format, *args)

    return Handler


class _Server(ThreadingHTTPServer):
    # the stdlib's listen backlog is 5: at national size (8 collection tasks x 4 channel threads,
    # each Zalo token refresh a new connection) a busy machine dropped connections past it, and
    # the collection saw ConnectTimeouts the real platforms do not cause
    request_queue_size = 128


class ServerThread:
    """A running server: ``base_url``, ``port``, ``shutdown()``."""

    def __init__(
        self, dispatch: Dispatcher, host: str, port: int, on_shutdown: Callable[[], None]
    ) -> None:
        self.httpd = _Server((host, port), make_handler(dispatch))
        self.httpd.daemon_threads = True
        self.host = host
        self.port = int(self.httpd.server_address[1])
        self._on_shutdown = on_shutdown
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            args=(0.05,),
            name=f"platform-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def shutdown(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.httpd.server_close()
        self._on_shutdown()
