"""Graph API wire format: paging, field expansion, errors, writes, insights, rate limits."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
import requests

from platform_simulator import ServerThread, Simulator
from tests.devtools.platform_simulator.support import (
    OTHER_PAGE,
    PAGE,
    follow_all,
    graph_get,
    page_token,
)

TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


def _ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def test_conversations_page_to_the_end_newest_first(
    server: ServerThread, shared_sim: Simulator
) -> None:
    first = graph_get(
        server.base_url, f"{PAGE}/conversations", platform="messenger", limit=7,
        fields="id,updated_time,message_count",
    )  # fmt: skip
    assert first.status_code == 200
    assert "cursors" in first.json()["paging"]
    items = follow_all(first)
    ids = [c["id"] for c in items]
    expected = {
        r["thread_id"]
        for r in shared_sim.truth()["messages"]
        if r["platform_id"] == PAGE and r["surface"] == "messenger"
    }
    assert len(ids) == len(set(ids)) == len(expected) > 7
    assert set(ids) == expected
    assert all(re.fullmatch(r"t_\d{15}", i) for i in ids)
    times = [_ts(c["updated_time"]) for c in items]
    assert times == sorted(times, reverse=True)
    assert all(TS_RE.match(c["updated_time"]) for c in items)


def test_next_urls_are_self_contained_and_previous_goes_back(server: ServerThread) -> None:
    first = graph_get(server.base_url, f"{PAGE}/conversations", limit=3).json()
    next_url = first["paging"]["next"]
    assert next_url.startswith(server.base_url + "/v21.0/")
    assert "access_token=" in next_url
    assert "limit=3" in next_url
    assert "previous" not in first["paging"]
    second = requests.get(next_url, timeout=10).json()
    back = requests.get(second["paging"]["previous"], timeout=10).json()
    assert [c["id"] for c in back["data"]] == [c["id"] for c in first["data"]]


def test_bearer_token_is_carried_into_next(server: ServerThread) -> None:
    resp = requests.get(
        f"{server.base_url}/v21.0/{PAGE}/conversations?limit=2",
        headers={"Authorization": f"Bearer {page_token()}"},
        timeout=10,
    )
    assert resp.status_code == 200
    assert f"access_token={page_token()}" in resp.json()["paging"]["next"]


def test_nested_messages_expansion_with_its_own_paging(server: ServerThread) -> None:
    fields = "id,updated_time,message_count,messages.limit(2){id,message,from,to,created_time}"
    convs = follow_all(graph_get(server.base_url, f"{PAGE}/conversations", fields=fields))
    long_conv = next(c for c in convs if c["message_count"] > 2)
    nested = long_conv["messages"]
    assert len(nested["data"]) == 2
    assert nested["paging"]["next"].startswith(
        f"{server.base_url}/v21.0/{long_conv['id']}/messages"
    )
    rest = follow_all(requests.get(nested["paging"]["next"], timeout=10))
    everything = nested["data"] + rest
    assert len(everything) == long_conv["message_count"]
    assert len({m["id"] for m in everything}) == len(everything)
    times = [_ts(m["created_time"]) for m in everything]
    assert times == sorted(times, reverse=True)
    assert everything[0]["created_time"] == long_conv["updated_time"]
    for msg in everything:
        assert msg["id"].startswith("m_")
        assert set(msg["from"]) == {"name", "email", "id"}
        assert msg["from"]["email"] == f"{msg['from']['id']}@facebook.com"
        assert msg["to"]["data"][0]["id"] != msg["from"]["id"]
        assert PAGE in (msg["from"]["id"], msg["to"]["data"][0]["id"])


def test_default_fields_and_message_node(server: ServerThread) -> None:
    conv = graph_get(server.base_url, f"{PAGE}/conversations", limit=1).json()["data"][0]
    assert set(conv) == {"id", "updated_time"}
    msgs = graph_get(server.base_url, f"{conv['id']}/messages").json()["data"]
    assert set(msgs[0]) == {"id", "created_time"}
    node = graph_get(server.base_url, msgs[0]["id"], fields="message,from{id}").json()
    assert set(node) == {"message", "from", "id"}
    assert set(node["from"]) == {"id"}


def test_feed_since_until_and_comment_expansion(server: ServerThread) -> None:
    all_posts = follow_all(graph_get(server.base_url, f"{PAGE}/published_posts", limit=3))
    assert len({p["id"] for p in all_posts}) == len(all_posts) >= 4
    assert all(re.fullmatch(rf"{PAGE}_\d+", p["id"]) for p in all_posts)
    times = [_ts(p["created_time"]) for p in all_posts]
    assert times == sorted(times, reverse=True)
    since, until = times[-2], times[1]
    window = follow_all(
        graph_get(
            server.base_url, f"{PAGE}/feed", limit=1,
            since=int(since.timestamp()), until=int(until.timestamp()),
            fields="id,message,created_time,comments.limit(2).summary(true){id,message,from,parent}",
        )
    )  # fmt: skip
    assert [p["id"] for p in window] == [p["id"] for p in all_posts[1:-1]]
    with_comments = [p for p in window if p["comments"]["summary"]["total_count"] > 0]
    assert with_comments
    for post in window:
        comments = post["comments"]
        assert comments["summary"]["order"] == "chronological"
        assert len(comments["data"]) <= 2
        assert len(comments["data"]) == min(2, comments["summary"]["total_count"])


def test_comments_stream_replies_carry_parent(server: ServerThread) -> None:
    posts = follow_all(
        graph_get(server.base_url, f"{PAGE}/feed", fields="id,comments.summary(true).limit(0)")
    )
    post = max(posts, key=lambda p: p["comments"]["summary"]["total_count"])
    top = follow_all(graph_get(server.base_url, f"{post['id']}/comments", limit=2))
    stream_resp = graph_get(
        server.base_url, f"{post['id']}/comments", filter="stream", summary="true", limit=3,
        order="reverse_chronological", fields="id,message,from,created_time,parent{id}",
    )  # fmt: skip
    stream = follow_all(stream_resp)
    assert stream_resp.json()["summary"]["total_count"] == len(stream) > len(top)
    top_ids = {c["id"] for c in top}
    replies = [c for c in stream if "parent" in c]
    assert replies
    assert all(c["parent"]["id"] in top_ids for c in replies)
    assert {c["id"] for c in stream if "parent" not in c} == top_ids
    times = [_ts(c["created_time"]) for c in stream]
    assert times == sorted(times, reverse=True)
    post_digits = post["id"].split("_")[1]
    assert all(c["id"].startswith(post_digits + "_") for c in stream)


def test_error_shapes(server: ServerThread) -> None:
    bad = graph_get(server.base_url, PAGE, access_token="not-a-token")
    assert bad.status_code == 400
    err = bad.json()["error"]
    assert err["code"] == 190
    assert "error_subcode" not in err
    assert err["message"] == "Invalid OAuth access token - Cannot parse access token"
    assert err["type"] == "OAuthException"
    assert err["fbtrace_id"]

    other = graph_get(server.base_url, f"{PAGE}/conversations", page=OTHER_PAGE)
    assert other.status_code == 403
    assert other.json()["error"]["code"] == 200

    missing = graph_get(server.base_url, "999999999")
    assert missing.status_code == 400
    err = missing.json()["error"]
    assert (err["code"], err["error_subcode"], err["type"]) == (100, 33, "GraphMethodException")

    no_token = requests.get(f"{server.base_url}/v21.0/{PAGE}", timeout=10)
    assert no_token.json()["error"]["code"] == 104

    bad_field = graph_get(server.base_url, PAGE, fields="id,nope")
    assert bad_field.json()["error"]["code"] == 100
    assert "nonexisting field (nope)" in bad_field.json()["error"]["message"]


def test_any_version_prefix_and_me(server: ServerThread) -> None:
    resp = requests.get(
        f"{server.base_url}/v19.0/me", params={"access_token": page_token()}, timeout=10
    )
    assert resp.json() == {"name": "Công an tỉnh Thanh Hóa", "id": PAGE}
    assert resp.headers["facebook-api-version"] == "v19.0"


def test_usage_headers_on_every_response(server: ServerThread) -> None:
    ok = graph_get(server.base_url, PAGE)
    failed = graph_get(server.base_url, "999999999")
    for resp in (ok, failed):
        app = json.loads(resp.headers["X-App-Usage"])
        assert set(app) == {"call_count", "total_time", "total_cputime"}
        buc = json.loads(resp.headers["X-Business-Use-Case-Usage"])
        entry = buc[PAGE][0]
        assert entry["type"] == "pages"
        assert entry["estimated_time_to_regain_access"] == 0


def _last_citizen_message(conv: dict) -> datetime:
    msgs = conv["messages"]["data"]
    return max(_ts(m["created_time"]) for m in msgs if m["from"]["id"] != PAGE)


def test_send_api_24_hour_window(make_sim) -> None:
    sim, srv = make_sim()
    convs = follow_all(
        graph_get(
            srv.base_url, f"{PAGE}/conversations",
            fields="id,participants,messages.limit(25){from,created_time}",
        )
    )  # fmt: skip
    now = sim.clock
    with_citizen = [c for c in convs if any(m["from"]["id"] != PAGE for m in c["messages"]["data"])]
    fresh = next(c for c in with_citizen if now - _last_citizen_message(c) < timedelta(hours=20))
    stale = next(
        c
        for c in with_citizen
        if timedelta(days=2) < now - _last_citizen_message(c) < timedelta(days=6)
    )

    def send(conv: dict, **extra: str) -> requests.Response:
        psid = next(p["id"] for p in conv["participants"]["data"] if p["id"] != PAGE)
        body = {
            "recipient": {"id": psid},
            "messaging_type": "RESPONSE",
            "message": {"text": "Chào bạn, Công an đã nhận tin."},
            **extra,
        }
        return requests.post(
            f"{srv.base_url}/v21.0/{PAGE}/messages",
            params={"access_token": page_token()},
            json=body,
            timeout=10,
        )

    ok = send(fresh)
    assert ok.status_code == 200
    assert set(ok.json()) == {"recipient_id", "message_id"}
    assert ok.json()["message_id"].startswith("m_")

    late = send(stale)
    assert late.status_code == 400
    err = late.json()["error"]
    assert (err["code"], err["error_subcode"]) == (10, 2018278)

    tagged = send(stale, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    assert tagged.status_code == 200
    newest = graph_get(srv.base_url, f"{stale['id']}/messages", fields="id,message,from").json()
    assert newest["data"][0]["id"] == tagged.json()["message_id"]
    assert newest["data"][0]["from"]["id"] == PAGE
    api_truth = [r for r in sim.truth()["messages"] if r["source"] == "api"]
    assert {r["id"] for r in api_truth} == {ok.json()["message_id"], tagged.json()["message_id"]}

    unknown = requests.post(
        f"{srv.base_url}/v21.0/me/messages",
        params={"access_token": page_token()},
        json={"recipient": {"id": "123"}, "messaging_type": "RESPONSE", "message": {"text": "x"}},
        timeout=10,
    )
    assert unknown.json()["error"]["code"] == 100


def test_publish_duplicate_and_scheduled(make_sim) -> None:
    sim, srv = make_sim(days=3)
    url = f"{srv.base_url}/v21.0/{PAGE}/feed"
    first = requests.post(url, data={"access_token": page_token(), "message": "Tuần 47: 12 tin"})
    assert first.status_code == 200
    post_id = first.json()["id"]
    assert re.fullmatch(rf"{PAGE}_\d+", post_id)
    dup = requests.post(
        url, json={"message": "Tuần 47: 12 tin"}, params={"access_token": page_token()}
    )
    assert dup.status_code == 400
    assert dup.json()["error"]["code"] == 506
    feed = graph_get(srv.base_url, f"{PAGE}/feed", limit=1).json()
    assert feed["data"][0]["id"] == post_id

    too_soon = int((sim.clock + timedelta(minutes=5)).timestamp())
    bad = requests.post(
        url,
        data={"access_token": page_token(), "message": "Lịch", "published": "false",
              "scheduled_publish_time": str(too_soon)},
    )  # fmt: skip
    assert bad.json()["error"]["code"] == 100
    later = int((sim.clock + timedelta(days=1)).timestamp())
    scheduled = requests.post(
        url,
        data={"access_token": page_token(), "message": "Lịch", "published": "false",
              "scheduled_publish_time": str(later)},
    )  # fmt: skip
    assert scheduled.status_code == 200
    posts = requests.get(f"{srv.base_url}/_sim/posts", timeout=10).json()["pages"][PAGE]
    assert [p["id"] for p in posts] == [post_id, scheduled.json()["id"]]
    assert posts[1]["scheduled_publish_time"] == later
    assert graph_get(srv.base_url, f"{PAGE}/feed", limit=1).json()["data"][0]["id"] == post_id
    sim.advance(timedelta(days=1, minutes=1))
    feed = graph_get(srv.base_url, f"{PAGE}/feed", limit=1).json()
    assert feed["data"][0]["id"] == scheduled.json()["id"]


def test_reply_under_comment_and_private_reply(make_sim) -> None:
    _, srv = make_sim(days=3)
    posts = follow_all(
        graph_get(srv.base_url, f"{PAGE}/feed", fields="id,comments{id,from,can_reply_privately}")
    )
    citizen_comments = [
        c for p in posts for c in p.get("comments", {}).get("data", []) if c["from"]["id"] != PAGE
    ]
    comment = next(c for c in citizen_comments if c["can_reply_privately"])
    reply = requests.post(
        f"{srv.base_url}/v21.0/{comment['id']}/comments",
        data={"access_token": page_token(), "message": "Cảm ơn bạn, Công an đã ghi nhận."},
        timeout=10,
    )
    assert reply.status_code == 200
    reply_id = reply.json()["id"]
    assert reply_id.split("_")[0] == comment["id"].split("_")[0]
    node = graph_get(srv.base_url, reply_id, fields="id,from,parent{id},message").json()
    assert node["parent"]["id"] == comment["id"]
    assert node["from"]["id"] == PAGE

    private = {"recipient": {"comment_id": comment["id"]}, "message": {"text": "Bạn nhắn số ĐT"}}
    url = f"{srv.base_url}/v21.0/{PAGE}/messages?access_token={page_token()}"
    first = requests.post(url, json=private, timeout=10)
    assert first.status_code == 200
    assert first.json()["recipient_id"] == comment["from"]["id"]
    again = requests.post(url, json=private, timeout=10)
    assert again.json()["error"]["code"] == 10
    node = graph_get(
        srv.base_url, comment["id"], fields="can_reply_privately,private_reply_conversation"
    ).json()
    assert node["can_reply_privately"] is False
    assert node["private_reply_conversation"]["id"].startswith("t_")


def test_insights_shape(server: ServerThread) -> None:
    since = int(datetime(2026, 11, 10).timestamp())
    until = int(datetime(2026, 11, 17).timestamp())
    body = graph_get(
        server.base_url, f"{PAGE}/insights", period="day", since=since, until=until,
        metric="page_impressions,page_post_engagements,page_follows",
    ).json()  # fmt: skip
    assert [m["name"] for m in body["data"]] == [
        "page_impressions",
        "page_post_engagements",
        "page_follows",
    ]
    for metric in body["data"]:
        assert metric["period"] == "day"
        assert metric["id"] == f"{PAGE}/insights/{metric['name']}/day"
        assert len(metric["values"]) == 7
        assert all(isinstance(v["value"], int) and v["value"] >= 0 for v in metric["values"])
        assert all(TS_RE.match(v["end_time"]) for v in metric["values"])
    follows = [v["value"] for v in body["data"][2]["values"]]
    assert follows == sorted(follows)
    assert "next" in body["paging"]
    assert "previous" in body["paging"]
    week = graph_get(
        server.base_url, f"{PAGE}/insights", period="week", metric="page_impressions"
    ).json()
    assert week["data"][0]["period"] == "week"
    bad = graph_get(server.base_url, f"{PAGE}/insights", metric="page_fans_magic")
    assert bad.json()["error"]["code"] == 100


@pytest.mark.parametrize("period", ["day", "week"])
def test_insights_obey_the_platforms_relations(server: ServerThread, period: str) -> None:
    names = (
        "page_impressions",
        "page_impressions_unique",
        "page_post_engagements",
        "page_daily_follows_unique",
    )
    body = graph_get(
        server.base_url, f"{PAGE}/insights", period=period, metric=",".join(names),
        since=int(datetime(2026, 10, 1).timestamp()), until=int(datetime(2026, 11, 30).timestamp()),
    ).json()  # fmt: skip
    series = {m["name"]: [v["value"] for v in m["values"]] for m in body["data"]}
    assert len(series["page_impressions"]) == 60
    for impressions, reach, engaged, follows in zip(*(series[n] for n in names), strict=True):
        assert impressions >= reach >= engaged >= 0
        assert 0 <= follows <= reach


def test_budget_headers_rise_then_80001_then_regain(make_sim) -> None:
    sim, srv = make_sim(days=2, graph_page_budget=4)
    counts = []
    for _ in range(4):
        resp = graph_get(srv.base_url, PAGE)
        assert resp.status_code == 200
        counts.append(json.loads(resp.headers["X-Business-Use-Case-Usage"])[PAGE][0]["call_count"])
    assert counts == [25, 50, 75, 100]
    limited = graph_get(srv.base_url, PAGE)
    assert limited.status_code == 400
    err = limited.json()["error"]
    assert err["code"] == 80001
    assert err["is_transient"] is True
    buc = json.loads(limited.headers["X-Business-Use-Case-Usage"])[PAGE][0]
    assert buc["call_count"] == 100
    assert buc["estimated_time_to_regain_access"] >= 1
    other_page = graph_get(srv.base_url, OTHER_PAGE, page=OTHER_PAGE)
    assert other_page.status_code == 200
    sim.advance(timedelta(hours=1, minutes=1))
    assert graph_get(srv.base_url, PAGE).status_code == 200


def test_only_recent_messages_are_readable_when_limited(make_sim) -> None:
    _, srv = make_sim(days=10, message_detail_limit=2)
    convs = follow_all(graph_get(srv.base_url, f"{PAGE}/conversations", fields="message_count"))
    conv = next(c for c in convs if c["message_count"] >= 3)
    ids = [m["id"] for m in follow_all(graph_get(srv.base_url, f"{conv['id']}/messages"))]
    assert graph_get(srv.base_url, ids[0]).status_code == 200
    old = graph_get(srv.base_url, ids[-1])
    assert old.status_code == 400
    assert "deleted" in old.json()["error"]["message"]


def test_stats_count_requests_errors_and_reset(make_sim) -> None:
    _, srv = make_sim(days=1)
    requests.post(f"{srv.base_url}/_sim/reset-stats", timeout=10)
    graph_get(srv.base_url, f"{PAGE}/conversations")
    graph_get(srv.base_url, PAGE, access_token="bad")
    stats = requests.get(f"{srv.base_url}/_sim/stats", timeout=10).json()
    assert stats["requests"]["graph"] == 2
    assert stats["endpoints"]["graph.conversations"] == 1
    assert stats["by_page"]["graph"] == {PAGE: 1}
    assert stats["by_token"][page_token()] == 1
    assert stats["errors"]["graph"] == {"190": 1}
    requests.post(f"{srv.base_url}/_sim/reset-stats", timeout=10)
    assert requests.get(f"{srv.base_url}/_sim/stats", timeout=10).json()["requests"] == {}
