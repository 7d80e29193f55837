"""A small Facebook Graph API client: errors, rate-limit headers, bounded retries, paging.

Error policy (platform-apis.md §5):
- 190 (and 102/104) -> `TokenError`, never retried: a human must re-issue the page token.
- 4/17/32/341/613/80001/80006 -> retryable; wait `estimated_time_to_regain_access` from the
  `X-Business-Use-Case-Usage` header (or an exponential backoff), bounded.
- 1/2, `is_transient`, HTTP 5xx, timeouts, connection errors, malformed JSON -> retryable.
- 1 that keeps failing (or says "reduce the amount of data", which an identical retry does not
  cure): a GET is repeated with its `limit` and nested `.limit(n)` halved, down to `MIN_LIMIT`,
  counted in `stats.limit_reductions`. Meta documents code 1 only as "API Unknown ... wait and
  retry"; shrinking the request is community practice (docs/research/platform-facts.md §2).
- 10, 100, 200-299, 368 and anything else -> `PlatformError(retryable=False)`.
Waits longer than `max_wait` are not slept in-process: the error is raised with `retry_after`
so the Airflow task retries later instead of holding a worker slot. Writes (POST) are retried
only when the request provably did nothing (rate-limit refusal, connect timeout); otherwise the
retryable error goes to the caller, who must reconcile before writing again.

Before each call the client slows down when any usage header (`X-App-Usage`, `X-Page-Usage`,
`X-Business-Use-Case-Usage`, all percentages) has reached `usage_threshold`.

The token is sent in the `Authorization` header, never in our own URLs; `paging.next` URLs
(which carry `access_token`) are redacted in every message, and followed only to the configured
API's host (and port), over https when the base URL is https: a link elsewhere raises a
`PlatformError` before anything, the token included, is sent. Retries, waits and their bounds:
`citizen_desk.platforms.retries`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any, Unpack
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from citizen_desk.errors import PlatformError, TokenError
from citizen_desk.platforms import redact
from citizen_desk.platforms.client import (
    ClientOptions,
    PlatformClient,
    malformed_json,
    no_response,
)
from citizen_desk.platforms.graph_versions import graph_base_url

log = logging.getLogger(__name__)

PLATFORM = "facebook"
DEFAULT_BASE_URL = graph_base_url(None)  # the current default version, see graph_versions
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 80001, 80006})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({102, 104, 190})
UNKNOWN_CODE = 1
MIN_LIMIT = 5
MAX_LIMIT = 100  # the largest page Graph serves, for `limit` and a nested `.limit(n)` alike
_REDUCE_DATA = "reduce the amount of data"
_NESTED_LIMIT = re.compile(r"\.limit\((\d+)\)")
USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Ad-Account-Usage")
BUC_HEADER = "X-Business-Use-Case-Usage"
_ID_SEGMENT = re.compile(r"^[A-Za-z_]*\d{5,}[\w-]*$")
_LONG_NUMBER = re.compile(r"\d{8,}")


def describe_endpoint(method: str, url: str) -> str:
    """`GET /v25.0/{id}/conversations`: the call without ids, query or host (safe for logs)."""
    path = urlsplit(url).path
    parts = ["{id}" if _ID_SEGMENT.match(p) else p for p in path.split("/")]
    return f"{method} {'/'.join(parts)}"


def _origin(parts: SplitResult) -> tuple[str, int | None]:
    """(host, port) with the scheme's default port filled in; port None when it is invalid."""
    try:
        port = parts.port
    except ValueError:
        return (parts.hostname or "", None)
    return (parts.hostname or "", port or {"http": 80, "https": 443}.get(parts.scheme))


def _halve(value: Any, floor: int) -> Any:
    """`limit` halved (not below `floor`) when it is a number above the floor, else unchanged."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value
    return max(floor, number // 2) if number > floor else value


def _halve_fields(fields: Any, floor: int) -> Any:
    if not isinstance(fields, str):
        return fields
    return _NESTED_LIMIT.sub(lambda m: f".limit({_halve(m.group(1), floor)})", fields)


def smaller_request(
    path: str, params: dict[str, Any] | None, floor: int = MIN_LIMIT
) -> tuple[str, dict[str, Any] | None] | None:
    """(path, params) asking for half the items (page `limit` and nested `.limit(n)`, in the
    params or in an absolute paging URL's query), or None when everything is at the floor."""
    if params is not None:
        smaller = dict(params)
        if "limit" in smaller:
            smaller["limit"] = _halve(smaller["limit"], floor)
        if "fields" in smaller:
            smaller["fields"] = _halve_fields(smaller["fields"], floor)
        smaller_path = path
    else:
        smaller = None
        smaller_path = path
    if "?" in path:
        parts = urlsplit(path)
        query = [
            (k, str(_halve(v, floor)) if k == "limit" else _halve_fields(v, floor) if k == "fields"
             else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]  # fmt: skip
        smaller_path = urlunsplit(parts._replace(query=urlencode(query)))
        if parse_qsl(urlsplit(smaller_path).query) == parse_qsl(parts.query):
            smaller_path = path
    if smaller_path == path and smaller == params:
        return None
    return smaller_path, smaller


def _percentages(value: Any) -> list[float]:
    if not isinstance(value, dict):
        return []
    out = []
    for key in ("call_count", "total_time", "total_cputime"):
        item = value.get(key)
        if isinstance(item, int | float) and not isinstance(item, bool):
            out.append(float(item))
    return out


def parse_usage(headers: Any) -> tuple[float, float]:
    """(highest usage percentage, seconds until access is regained) from response headers."""
    usage: list[float] = []
    regain_minutes = 0.0
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if raw:
            try:
                usage.extend(_percentages(json.loads(raw)))
            except ValueError:
                log.warning("ignoring unparsable %s header", name)
    raw = headers.get(BUC_HEADER)
    if raw:
        try:
            buc = json.loads(raw)
        except ValueError:
            buc = None
            log.warning("ignoring unparsable %s header", BUC_HEADER)
        if isinstance(buc, dict):
            for entries in buc.values():
                for entry in entries if isinstance(entries, list) else [entries]:
                    usage.extend(_percentages(entry))
                    if isinstance(entry, dict):
                        eta = entry.get("estimated_time_to_regain_access")
                        if isinstance(eta, int | float) and not isinstance(eta, bool):
                            regain_minutes = max(regain_minutes, float(eta))
    return (max(usage) if usage else 0.0), regain_minutes * 60.0


class MalformedPage(PlatformError):
    """A page whose `data` is not a list: that page cannot be read (not retried)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, platform=PLATFORM, retryable=False)


class GraphClient(PlatformClient):
    """Graph API calls for one page token. See the module docstring for the error policy."""

    platform = PLATFORM
    rate_limit_codes = RATE_LIMIT_CODES

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        usage_threshold: float = 90.0,
        throttle_pause: float = 2.0,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(base_url, token, **options)
        self.usage_threshold = usage_threshold
        self.throttle_pause = throttle_pause
        self.usage = 0.0
        self.regain_seconds = 0.0

    # ------------------------------------------------------------------ public API

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        while True:
            try:
                return self._request("GET", path, params=params)
            except PlatformError as error:
                if error.code != UNKNOWN_CODE or isinstance(error, TokenError):
                    raise
                smaller = smaller_request(path, params)
                if smaller is None:
                    raise
                path, params = smaller
                self.stats.limit_reductions += 1
                log.warning(
                    "%s: code 1, asking again for half the data",
                    describe_endpoint("GET", self._url(path)),
                )

    def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", path, data=data)

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of an edge, following `paging.next` to the end (short pages included)."""
        yield from self.follow(self.get(path, params))

    def follow(self, page: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The items of an already fetched page (e.g. an expanded edge), then of its next pages.

        Stopping the iteration early stops the paging: no further request is made. A `paging.next`
        off the configured API (another host, or http under an https base) raises `PlatformError`
        without sending the token.
        """
        while True:
            data = page.get("data", [])
            if not isinstance(data, list):
                raise MalformedPage("Graph response: 'data' is not a list")
            yield from data
            paging = page.get("paging")
            next_url = paging.get("next") if isinstance(paging, dict) else None
            if not next_url:
                return
            page = self.get(str(next_url))

    # ------------------------------------------------------------------ internals

    def _url(self, path: str) -> str:
        """A path under the base URL, or an absolute `paging.next` link on the same API."""
        if path.startswith(("http://", "https://")):
            self._check_origin(path)
            return path
        return super()._url(path)

    def _check_origin(self, url: str) -> None:
        """Refuse an absolute URL (a `paging.next`) that would carry the token off the API."""
        base, target = urlsplit(self.base_url), urlsplit(url)
        secure = target.scheme == "https" or base.scheme == "http"
        if secure and _origin(target) == _origin(base):
            return
        raise PlatformError(
            f"Graph paging link to {target.scheme}://{target.hostname or '?'} is not the "
            f"configured API ({base.scheme}://{base.hostname}): not followed, token not sent",
            platform=PLATFORM,
            retryable=False,
        )

    def _safe(self, text: str) -> str:
        return _LONG_NUMBER.sub("…", redact(text, [self._token]))

    def _throttle(self) -> None:
        """Slow down before the limit: pause while the last usage header is at the threshold."""
        if self.usage < self.usage_threshold:
            return
        wait = self.regain_seconds or self.throttle_pause
        if wait > self.max_wait:
            raise PlatformError(
                f"Graph usage at {self.usage:.0f}% of the limit; access regained in "
                f"~{wait / 60:.0f} min",
                platform=PLATFORM,
                retryable=True,
                retry_after=wait,
            )
        log.info("Graph usage at %.0f%%: pausing %.1f s", self.usage, wait)
        self.stats.rate_limit_waits += 1
        self.stats.waited_seconds += wait
        self.sleep(wait)
        self.usage = 0.0  # re-measured by the next response

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = self._url(path)
        where = describe_endpoint(method, url)
        headers = {"Authorization": f"Bearer {self._token}"}
        unsent = False  # the last attempt provably did nothing (a write may then be repeated)

        def attempt() -> dict[str, Any]:
            nonlocal unsent
            self._throttle()
            self.stats.calls += 1
            try:
                response = self.session.request(
                    method, url, params=params, data=data, headers=headers, timeout=self.timeout
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                # A POST may have been applied although no answer came back.
                unsent = isinstance(exc, requests.ConnectTimeout)
                # the exception's text may hold a paging URL with the token
                raise no_response(f"Graph {where}", exc, PLATFORM) from None
            self.usage, self.regain_seconds = parse_usage(response.headers)
            body, error = self._parse(response, where)
            if error is not None:
                unsent = error.code in RATE_LIMIT_CODES  # refused before doing anything
                raise error
            return body

        def reset_usage() -> None:
            self.usage = 0.0  # the wait is the slow-down; the retry re-measures usage

        return self._with_retries(
            attempt,
            name=f"Graph {where}",
            # never repeat a write blindly: the caller reconciles (e.g. the publication ledger)
            may_retry=lambda error: (method == "GET" and not _reduce_data(error)) or unsent,
            before_retry=reset_usage,
        )

    def _parse(
        self, response: requests.Response, where: str
    ) -> tuple[dict[str, Any], PlatformError | None]:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            return {}, malformed_json(f"Graph {where}", status, PLATFORM)
        if not isinstance(body, dict):
            return {}, malformed_json(f"Graph {where}", status, PLATFORM, ", not an object")
        raw_error = body.get("error")
        if status < 400 and raw_error is None:
            return body, None
        return {}, self._error(raw_error, status, where)

    def _error(self, raw: Any, status: int, where: str) -> PlatformError:
        raw = raw if isinstance(raw, dict) else {}
        code = raw.get("code") if isinstance(raw.get("code"), int) else None
        subcode = raw.get("error_subcode") if isinstance(raw.get("error_subcode"), int) else None
        message = self._safe(str(raw.get("message") or f"HTTP {status}"))[:300]
        text = f"Graph {where}: HTTP {status}, code {code}"
        text += f"/{subcode}" if subcode is not None else ""
        text += f": {message}"
        if code in TOKEN_CODES:
            return TokenError(
                text, platform=PLATFORM, code=code, subcode=subcode, http_status=status
            )
        rate_limited = code in RATE_LIMIT_CODES  # waits as long as the usage header says
        permanent = code in (10, 100, 368) or (code is not None and 200 <= code <= 299)
        retryable = rate_limited or (
            not permanent
            and (code in TRANSIENT_CODES or status >= 500 or raw.get("is_transient") is True)
        )
        return PlatformError(
            text,
            platform=PLATFORM,
            code=code,
            subcode=subcode,
            http_status=status,
            retryable=retryable,
            retry_after=(self.regain_seconds or None) if rate_limited else None,
        )


def _reduce_data(error: PlatformError) -> bool:
    """Code 1 "Please reduce the amount of data…": an identical retry fails the same way."""
    return error.code == UNKNOWN_CODE and _REDUCE_DATA in str(error).lower()


def graph_client_from_connection(conn_id: str, **kwargs: Any) -> GraphClient:
    """A client for the page whose token is in Airflow connection `conn_id`.

    Connection: password = page access token, extras `base_url` and `graph_version`
    (`graph_versions.graph_base_url`).
    """
    from airflow.sdk import BaseHook  # only inside Airflow tasks; keeps pure code Airflow-free

    conn = BaseHook.get_connection(conn_id)
    if not conn.password:
        raise TokenError(
            f"connection {conn_id!r} has no page access token (password)", platform=PLATFORM
        )
    extra = conn.extra_dejson or {}
    return GraphClient(graph_base_url(extra), conn.password, **kwargs)
