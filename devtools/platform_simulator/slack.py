"""Slack Web API: chat.postMessage, chat.update, chat.delete, conversations.open,
conversations.info, users.conversations, users.lookupByEmail, users.info, auth.test, api.test;
and interactivity: a user clicking a button of a posted message (`SlackApi.click`) becomes the
signed `block_actions` request Slack POSTs to the app's Interactivity Request URL.

Every answer carries the token's scopes in `X-OAuth-Scopes` (a `missing_permission` fault without
`page` takes one away); a `not_in_channel` fault also removes the channel from
`users.conversations`.

Accepts JSON, form and query parameters (slack_sdk POSTs everything). Failures are HTTP 200
``{"ok": false, "error": ...}``; only rate limiting uses HTTP 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from platform_simulator.clock import graph_time
from platform_simulator.web import Request, Response, json_response

if TYPE_CHECKING:
    from platform_simulator.simulator import Simulator

TEAM_ID = "T07SIM0001"
BOT_USER = "U07SIMBOT01"
BOT_ID = "B07SIMBOT01"
APP_ID = "A07SIMAPP01"
EMAIL_DOMAIN = "citizen-desk.sim"
MAX_TEXT = 40000
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
BOT_SCOPES = (
    "chat:write",
    "im:write",
    "channels:history",
    "groups:history",
    "im:history",
    "users:read",
    "users:read.email",
)


class ClickError(ValueError):
    """The click cannot happen in Slack (no such message or button, or the user cannot see it)."""


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as Slack sends it to the app's Interactivity Request URL."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def replayed(self, **headers: str) -> SignedRequest:
        """The same request, some headers replaced (forgeries and replays in tests)."""
        return SignedRequest(self.url, self.body, {**self.headers, **headers})


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` (Slack's request signing, v0).

    Written from Slack's documentation on purpose, independently of slack_sdk, which the
    receiving side uses to verify.
    """
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def post_signed(request: SignedRequest, timeout: float = 10.0) -> tuple[int, bytes]:
    """POST `request`; (HTTP status, body), also for error statuses."""
    req = urllib.request.Request(
        request.url, data=request.body, headers=request.headers, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local targets
    try:
        with opener.open(req, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def _stable_id(prefix: str, seed: str) -> str:
    digest = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()
    return prefix + "07" + digest[:8]


class SlackApi:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.users: dict[str, dict[str, Any]] = {}
        for unit in sim.registry.units:
            for role, value in (unit.get("contacts") or {}).items():
                if isinstance(value, str) and value.startswith("U"):
                    code = str(unit.get("code", "")).lower()
                    self.users.setdefault(
                        value,
                        {
                            "id": value,
                            "role": role,
                            "unit": unit.get("code"),
                            "real_name": f"{role.replace('_', ' ').title()} {unit.get('name', '')}",
                            "emails": [f"{role}.{code}@{EMAIL_DOMAIN}"],
                        },
                    )
        for uid, user in self.users.items():
            user["emails"].append(f"{uid.lower()}@{EMAIL_DOMAIN}")
        self._clicks = 0
        self.methods = {
            "api.test": self.api_test,
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.update": self.update,
            "chat.delete": self.delete,
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "conversations.info": self.conversations_info,
            "users.conversations": self.users_conversations,
            "users.lookupByEmail": self.lookup_by_email,
            "users.info": self.users_info,
        }

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.sim.world.state["slack"])

    @staticmethod
    def endpoint(method: str) -> str:
        return f"slack.{method}"

    def server_error(self) -> Response:
        return json_response({"ok": False, "error": "internal_error"}, 500)

    def handle(self, req: Request, method: str) -> Response:
        params = req.params()
        for key in ("attachments", "metadata"):  # form-encoded calls send these as JSON text
            if isinstance(params.get(key), str):
                params[key] = _loads(params[key])
        handler = self.methods.get(method)
        if handler is None:
            return self._fail("unknown_method", req_method=method)
        if method != "api.test":
            token = req.bearer() or str(params.get("token") or "")
            if not token:
                return self._fail("not_authed")
            if token != self.sim.cfg.slack_token:
                return self._fail("invalid_auth")
        return handler(params)

    def _ok(self, payload: dict[str, Any]) -> Response:
        body = {"ok": True, **payload}
        resp = json_response(body)
        resp.content_type = "application/json; charset=utf-8"
        self._scopes(resp)
        return resp

    def _fail(self, error: str, **extra: Any) -> Response:
        self.sim.stats.error("slack", error, None)
        resp = json_response({"ok": False, "error": error, **extra})
        resp.content_type = "application/json; charset=utf-8"
        self._scopes(resp)
        return resp

    def granted(self) -> list[str]:
        missing = self.sim.faults.missing_permissions()
        scopes = self.sim.cfg.slack_scopes or BOT_SCOPES
        return [s for s in scopes if s not in missing]

    def _scopes(self, resp: Response) -> None:
        resp.set_header("X-OAuth-Scopes", ",".join(self.granted()))

    def _channel_ids(self) -> list[str]:
        return [i for i in self.sim.registry.slack_ids if i.startswith(("C", "G"))]

    def member_of(self, channel: str) -> bool:
        return channel in self._channel_ids() and not self.sim.faults.is_not_in_channel(channel)

    # ------------------------------------------------------------------ channels

    def known_channel(self, channel: str) -> bool:
        dms = self.sim.world.state["slack"]["dms"]
        return channel in self.sim.registry.slack_ids or channel in dms.values()

    def dm_for(self, user: str) -> tuple[str, bool]:
        """The stable DM channel id for a user; second value tells whether it existed."""
        dms = self.sim.world.state["slack"]["dms"]
        if user in dms:
            return str(dms[user]), True
        dms[user] = _stable_id("D", f"dm|{user}")
        self.sim.mark_dirty()
        return str(dms[user]), False

    def _resolve(self, channel: str) -> str | None:
        if channel.startswith("U") and channel in self.users:
            return self.dm_for(channel)[0]
        if channel.startswith(("C", "G", "D")) and self.known_channel(channel):
            return channel
        return None

    def _next_ts(self, channel: str) -> str:
        last = self.sim.world.state["slack"]["last_ts"]
        micros = max(self.sim.now_ms() * 1000, int(last.get(channel, 0)) + 1)
        last[channel] = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # ------------------------------------------------------------------ validation

    @staticmethod
    def _blocks(raw: Any) -> tuple[list[dict[str, Any]] | None, str | None]:
        if raw is None or raw == "":
            return None, None
        blocks = _loads(raw) if isinstance(raw, str) else raw
        if not isinstance(blocks, list):
            return None, "blocks must be a list"
        if len(blocks) > MAX_BLOCKS:
            return None, f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"
        for i, block in enumerate(blocks):
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                return None, f"missing required field: type [json-pointer:/blocks/{i}]"
            text = block.get("text")
            if (
                block["type"] == "section"
                and isinstance(text, dict)
                and len(str(text.get("text", ""))) > MAX_SECTION_TEXT
            ):
                return None, (
                    f"must be less than {MAX_SECTION_TEXT + 1} characters "
                    f"[json-pointer:/blocks/{i}/text/text]"
                )
        return blocks, None

    def _content(self, params: dict[str, Any]) -> tuple[dict[str, Any] | None, Response | None]:
        blocks, problem = self._blocks(params.get("blocks"))
        if problem:
            self.sim.stats.error("slack", "invalid_blocks", None)
            return None, json_response(
                {
                    "ok": False,
                    "error": "invalid_blocks",
                    "errors": [problem],
                    "response_metadata": {"messages": [f"[ERROR] {problem}"]},
                }
            )
        text = params.get("text")
        text = "" if text is None else str(text)
        attachments = params.get("attachments")
        if not text and not blocks and not attachments:
            return None, self._fail("no_text")
        if len(text) > MAX_TEXT:
            return None, self._fail("msg_too_long")
        return {"text": text, "blocks": blocks, "attachments": attachments}, None

    # ------------------------------------------------------------------ methods

    def api_test(self, params: dict[str, Any]) -> Response:
        return self._ok({"args": {k: v for k, v in params.items() if k != "token"}})

    def conversations_info(self, params: dict[str, Any]) -> Response:
        """The published example's shape (slack/conversations-info-channel.json): no
        `is_member`."""
        channel = str(params.get("channel") or "")
        if channel not in self._channel_ids():
            return self._fail("channel_not_found")
        return self._ok({"channel": self._channel_object(channel)})

    def users_conversations(self, params: dict[str, Any]) -> Response:
        """The bot's channels, paged by `cursor`/`limit` (default 100)."""
        members = [c for c in self._channel_ids() if self.member_of(c)]
        limit = max(1, min(int(params.get("limit") or 100), 999))
        start = int(str(params.get("cursor") or "0") or 0)
        page = members[start : start + limit]
        more = start + limit < len(members)
        return self._ok(
            {
                "channels": [self._channel_object(c) for c in page],
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            }
        )

    def _channel_object(self, channel: str) -> dict[str, Any]:
        return {
            "id": channel,
            "name": channel.lower(),
            "is_channel": channel.startswith("C"),
            "is_group": channel.startswith("G"),
            "is_im": False,
            "is_private": channel.startswith("G"),
            "is_archived": False,
            "context_team_id": TEAM_ID,
        }

    def auth_test(self, params: dict[str, Any]) -> Response:
        return self._ok(
            {
                "url": "https://citizen-desk-sim.slack.com/",
                "team": "Citizen Desk (sim)",
                "user": "citizen_desk_bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        )

    def _message(
        self, ts: str, content: dict[str, Any], thread_ts: str | None = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "user": BOT_USER,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": content["text"],
            "team": TEAM_ID,
        }
        if content.get("blocks") is not None:
            message["blocks"] = content["blocks"]
        if content.get("attachments"):
            message["attachments"] = content["attachments"]
        if thread_ts:
            message["thread_ts"] = thread_ts
            message["parent_user_id"] = BOT_USER
        return message

    def post_message(self, params: dict[str, Any]) -> Response:
        raw_channel = str(params.get("channel") or "")
        fault = self.sim.faults.slack_429(raw_channel)
        wait = 0.0
        if fault is not None:
            wait = float(fault.get("retry_after", 1))
        else:
            wait = self.sim.limits.slack.take(raw_channel)
        if wait > 0:
            self.sim.stats.rate_limited("slack")
            self.sim.stats.error("slack", "ratelimited", raw_channel)
            resp = json_response({"ok": False, "error": "ratelimited"}, 429)
            resp.content_type = "application/json; charset=utf-8"
            resp.set_header("Retry-After", str(max(1, math.ceil(wait))))
            return resp
        if not raw_channel:
            return self._fail("channel_not_found")
        channel = self._resolve(raw_channel)
        if channel is None:
            return self._fail("channel_not_found")
        self.sim.stats.by_key("slack", channel)
        outside = self.sim.faults.not_in_channel(raw_channel) or self.sim.faults.not_in_channel(
            channel
        )
        # chat:write.public: "Send messages to channels your Slack app isn't a member of"
        # (public channels only; docs/research/platform-facts.md §12)
        public_ok = channel.startswith("C") and "chat:write.public" in self.granted()
        if outside and not public_ok:
            return self._fail("not_in_channel")
        content, failure = self._content(params)
        if failure is not None:
            return failure
        assert content is not None
        thread_ts = str(params["thread_ts"]) if params.get("thread_ts") else None
        ts = self._next_ts(channel)
        record = {
            "channel": channel,
            "requested_channel": raw_channel,
            "ts": ts,
            "thread_ts": thread_ts,
            "text": content["text"],
            "blocks": content["blocks"],
            "attachments": content["attachments"],
            "metadata": params.get("metadata"),
            "reply_broadcast": bool(params.get("reply_broadcast") in (True, "true", "1", 1)),
            "posted_at": graph_time(self.sim.now_ms()),
            "edits": [],
            "deleted": False,
        }
        self.sim.world.state["slack"]["messages"].append(record)
        self.sim.mark_dirty()
        return self._ok(
            {"channel": channel, "ts": ts, "message": self._message(ts, content, thread_ts)}
        )

    def conversations_history(self, params: dict[str, Any]) -> Response:
        """Newest first, cursor paged; `metadata` only with include_all_metadata (as Slack).

        A ``slack_429`` fault with ``method: conversations.history`` answers as Slack's Tier 3
        limit does: HTTP 429, ``{"ok": false, "error": "ratelimited"}`` and ``Retry-After``
        (docs/research/platform-facts.md §12)."""
        raw_channel = str(params.get("channel") or "")
        fault = self.sim.faults.slack_429(raw_channel, "conversations.history")
        if fault is not None:
            self.sim.stats.rate_limited("slack")
            self.sim.stats.error("slack", "ratelimited", raw_channel)
            resp = json_response({"ok": False, "error": "ratelimited"}, 429)
            resp.content_type = "application/json; charset=utf-8"
            resp.set_header(
                "Retry-After", str(max(1, math.ceil(float(fault.get("retry_after", 1)))))
            )
            return resp
        channel = self._resolve(raw_channel)
        if channel is None:
            return self._fail("channel_not_found")
        if channel.startswith(("C", "G")) and not self.member_of(channel):
            return self._fail("not_in_channel")  # a bot token reads only channels it is in
        try:
            limit = max(1, min(int(params.get("limit") or 100), 999))
            offset = int(base64.urlsafe_b64decode(str(params.get("cursor") or "MA==")).decode())
        except ValueError:
            return self._fail("invalid_cursor")
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or 1e12)
        records = [
            r
            for r in reversed(self.sim.world.state["slack"]["messages"])
            if r["channel"] == channel and not r["deleted"] and oldest < float(r["ts"]) <= latest
        ]
        page = records[offset : offset + limit]
        messages = []
        for record in page:
            message = self._message(record["ts"], record, record.get("thread_ts"))
            if with_metadata and record.get("metadata"):
                message["metadata"] = record["metadata"]
            messages.append(message)
        has_more = offset + limit < len(records)
        next_cursor = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
        return self._ok(
            {
                "messages": messages,
                "has_more": has_more,
                "pin_count": 0,
                "response_metadata": {"next_cursor": next_cursor if has_more else ""},
            }
        )

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        for record in self.sim.world.state["slack"]["messages"]:
            if record["channel"] == channel and record["ts"] == ts and not record["deleted"]:
                return record
        return None

    def update(self, params: dict[str, Any]) -> Response:
        channel = self._resolve(str(params.get("channel") or ""))
        if channel is None:
            return self._fail("channel_not_found")
        record = self._find(channel, str(params.get("ts") or ""))
        if record is None:
            return self._fail("message_not_found")
        content, failure = self._content(params)
        if failure is not None:
            return failure
        assert content is not None
        record["edits"].append(
            {
                "text": record["text"],
                "blocks": record["blocks"],
                "at": graph_time(self.sim.now_ms()),
            }
        )
        record["text"] = content["text"]
        # As in Slack, omitted blocks keep the previous ones; an empty list removes them.
        if params.get("blocks") is not None:
            record["blocks"] = content["blocks"] or None
        content["blocks"] = record["blocks"]
        self.sim.mark_dirty()
        return self._ok(
            {
                "channel": channel,
                "ts": record["ts"],
                "text": content["text"],
                "message": self._message(record["ts"], content, record["thread_ts"]),
            }
        )

    def delete(self, params: dict[str, Any]) -> Response:
        channel = self._resolve(str(params.get("channel") or ""))
        if channel is None:
            return self._fail("channel_not_found")
        record = self._find(channel, str(params.get("ts") or ""))
        if record is None:
            return self._fail("message_not_found")
        record["deleted"] = True
        self.sim.mark_dirty()
        return self._ok({"channel": channel, "ts": record["ts"]})

    def conversations_open(self, params: dict[str, Any]) -> Response:
        channel = params.get("channel")
        users_raw = params.get("users")
        if channel:
            if not self.known_channel(str(channel)):
                return self._fail("channel_not_found")
            return self._ok({"channel": {"id": str(channel)}, "no_op": True, "already_open": True})
        if isinstance(users_raw, list):
            users_raw = ",".join(str(u) for u in users_raw)
        users = [u.strip() for u in str(users_raw or "").split(",") if u.strip()]
        if not users:
            return self._fail("users_list_not_supplied")
        if len(users) > 8:
            return self._fail("too_many_users")
        for user in users:
            if user not in self.users:
                return self._fail("user_not_found")
        if len(users) == 1:
            dm, existed = self.dm_for(users[0])
        else:
            dm = _stable_id("G", "mpim|" + ",".join(sorted(users)))
            dms = self.sim.world.state["slack"]["dms"]
            existed = dms.get("mpim|" + ",".join(sorted(users))) == dm
            dms["mpim|" + ",".join(sorted(users))] = dm
        info: dict[str, Any] = {"id": dm}
        if str(params.get("return_im") or "").lower() in ("1", "true"):
            info.update(
                {
                    "created": self.sim.now_ms() // 1000,
                    "is_im": len(users) == 1,
                    "is_org_shared": False,
                    "user": users[0],
                    "last_read": "0000000000.000000",
                    "latest": None,
                    "unread_count": 0,
                    "unread_count_display": 0,
                    "is_open": True,
                    "priority": 0,
                }
            )
        payload: dict[str, Any] = {"channel": info}
        if existed:
            payload.update({"no_op": True, "already_open": True})
        return self._ok(payload)

    def _user_payload(self, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": user["id"],
            "team_id": TEAM_ID,
            "name": user["emails"][0].split("@")[0],
            "deleted": False,
            "real_name": user["real_name"],
            "tz": "Asia/Ho_Chi_Minh",
            "tz_label": "Indochina Time",
            "tz_offset": 25200,
            "profile": {
                "email": user["emails"][0],
                "real_name": user["real_name"],
                "display_name": user["real_name"],
                "title": user["role"],
            },
            "is_admin": False,
            "is_bot": False,
        }

    def lookup_by_email(self, params: dict[str, Any]) -> Response:
        email = str(params.get("email") or "").strip().lower()
        for user in self.users.values():
            if email in user["emails"]:
                return self._ok({"user": self._user_payload(user)})
        return self._fail("users_not_found")

    # ------------------------------------------------------------------ interactivity

    def find_message(
        self, *, channel: str | None = None, ts: str | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """A posted message by (channel, ts), or by the outbox key in its metadata."""
        for record in reversed(self.sim.world.state["slack"]["messages"]):
            if record["deleted"]:
                continue
            if key is not None:
                payload = (record.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == key:
                    return record
            elif record["channel"] == channel and record["ts"] == ts:
                return record
        raise ClickError(f"no message {key or (channel, ts)!r}")

    def dm_owner(self, channel: str) -> str | None:
        for user, dm in self.sim.world.state["slack"]["dms"].items():
            if dm == channel and not user.startswith("mpim|"):
                return str(user)
        return None

    def click(
        self,
        *,
        user: str,
        action_id: str,
        channel: str | None = None,
        ts: str | None = None,
        key: str | None = None,
        url: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> SignedRequest:
        """`user` clicks the button `action_id` of a message: the signed `block_actions` request
        Slack would POST (to `url`, default the configured Interactivity Request URL).

        The message is found by (channel, ts) or by its outbox key. In a DM only its owner can
        click; in a channel anyone can. `timestamp` (epoch seconds, default the world clock) and
        `secret` (default the app's signing secret) exist for forgery and staleness tests.
        """
        record = self.find_message(channel=channel, ts=ts, key=key)
        channel = str(record["channel"])
        owner = self.dm_owner(channel) if channel.startswith("D") else None
        if owner is not None and owner != user:
            raise ClickError(f"{user} cannot see a message in {owner}'s DM")
        button, block_id = self._button(record, action_id)
        target = url or self.sim.cfg.slack_interactivity_url
        if not target:
            raise ClickError("no Interactivity Request URL configured (slack_interactivity_url)")
        now_ms = self.sim.now_ms()
        self._clicks += 1
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "text": {**button.get("text", {}), "emoji": True},
            "action_ts": f"{now_ms // 1000}.{(now_ms % 1000) * 1000 + self._clicks:06d}",
        }
        for name in ("value", "url", "style"):
            if name in button:
                action[name] = button[name]
        message = self._message(record["ts"], record, record.get("thread_ts"))
        hook = _stable_id("", f"{channel}|{record['ts']}|{self._clicks}")[2:]
        payload = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "token": "sim-deprecated-verification-token",
            "container": {
                "type": "message",
                "message_ts": record["ts"],
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": f"{now_ms}.{self._clicks}.{_stable_id('', user)[2:]}",
            "team": {"id": TEAM_ID, "domain": "citizen-desk-sim"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "directmessage" if owner else channel.lower()},
            "message": message,
            "state": {"values": {}},
            "response_url": (
                f"https://hooks.slack.com/actions/{TEAM_ID}/{now_ms}{self._clicks}/{hook}"
            ),
            "actions": [action],
        }
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        body = urllib.parse.urlencode({"payload": text}).encode()
        stamp = str(now_ms // 1000 if timestamp is None else timestamp)
        signature = slack_signature(secret or self.sim.cfg.slack_signing_secret, stamp, body)
        return SignedRequest(
            target,
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature,
                "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            },
        )

    @staticmethod
    def _button(record: dict[str, Any], action_id: str) -> tuple[dict[str, Any], str]:
        for index, block in enumerate(record.get("blocks") or ()):
            if block.get("type") != "actions":
                continue
            for element in block.get("elements") or ():
                if element.get("type") == "button" and element.get("action_id") == action_id:
                    return element, str(block.get("block_id") or f"b{index}")
        raise ClickError(f"the message has no button {action_id!r}")

    def users_info(self, params: dict[str, Any]) -> Response:
        user = self.users.get(str(params.get("user") or ""))
        if user is None:
            return self._fail("user_not_found")
        return self._ok({"user": self._user_payload(user)})


def _loads(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
