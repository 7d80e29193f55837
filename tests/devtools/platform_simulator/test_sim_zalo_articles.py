"""Zalo Article API and broadcast in the simulator: validation, the async job, the list, the
night ban, persistence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

from platform_simulator import ServerThread, Simulator
from tests.devtools.platform_simulator.support import OA

ARTICLE = {
    "type": "normal",
    "title": "Công an thị trấn Nga Sơn – kết quả Tuần 47 #Tuan47_2026",
    "author": "Công an thị trấn Nga Sơn",
    "cover": {"cover_type": "photo", "photo_url": "https://cdn.example/c.jpg", "status": "show"},
    "description": "Tiếp nhận 14 tin nhắn.",
    "body": [{"type": "text", "content": "Dòng 1"}],
    "status": "show",
    "comment": "show",
}
OTHER_OA = "4318800000000000012"  # zalo-th-ns-ngathuy


def token(sim: Simulator, oa: str = OA) -> str:
    return sim.zalo_credentials(oa)["access_token"]


def post(srv: ServerThread, path: str, tok: str, body: Any) -> dict[str, Any]:
    resp = requests.post(
        f"{srv.base_url}/v2.0/{path}", json=body, headers={"access_token": tok}, timeout=10
    )
    assert resp.status_code == 200  # Zalo answers every error with HTTP 200
    return dict(resp.json())


def getslice(srv: ServerThread, tok: str, **params: Any) -> dict[str, Any]:
    params = {"offset": 0, "limit": 10, "type": "normal", **params}
    resp = requests.get(
        f"{srv.base_url}/v2.0/article/getslice",
        params=params,
        headers={"access_token": tok},
        timeout=10,
    )
    assert resp.status_code == 200
    return dict(resp.json())


def test_create_is_asynchronous_then_verify_gives_the_id(make_sim) -> None:
    sim, srv = make_sim(days=1)
    tok = token(sim)
    created = post(srv, "article/create", tok, ARTICLE)
    assert created["error"] == 0
    job = created["data"]["token"]
    assert getslice(srv, tok)["data"]["medias"] == []  # nothing published yet
    first = post(srv, "article/verify", tok, {"token": job})
    assert (first["error"], first["message"]) == (-214, "Article is being processed")
    second = post(srv, "article/verify", tok, {"token": job})
    assert second["error"] == 0
    article_id = second["data"]["id"]
    assert post(srv, "article/verify", tok, {"token": job})["data"]["id"] == article_id
    (listed,) = getslice(srv, tok)["data"]["medias"]
    assert (listed["id"], listed["title"]) == (article_id, ARTICLE["title"])
    assert getslice(srv, token(sim, OTHER_OA))["data"]["medias"] == []  # per OA
    (article,) = sim.zalo.articles.published()
    assert article["body"] == ARTICLE["body"]
    inspected = requests.get(f"{srv.base_url}/_sim/zalo/articles", timeout=10).json()
    assert [a["id"] for a in inspected["articles"]] == [article_id]


def test_a_job_is_done_after_enough_simulated_time(make_sim) -> None:
    sim, srv = make_sim(days=1)
    tok = token(sim)
    post(srv, "article/create", tok, ARTICLE)
    assert getslice(srv, tok)["data"]["total"] == 0
    sim.advance(timedelta(minutes=1))
    assert getslice(srv, tok)["data"]["total"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "x" * 150}, "title allow 1 to 150 characters"),
        ({"description": "x" * 300}, "description allow 1 to 300 characters"),
        ({"author": ""}, "author allow 1 to 50 characters"),
        ({"cover": None}, "cover value is invalid"),
        ({"cover": {"cover_type": "photo", "photo_url": "", "status": "show"}}, "cover value"),
        ({"body": []}, "body is invalid!"),
        ({"type": "video"}, "type is invalid!"),
    ],
)
def test_an_invalid_article_is_refused(make_sim, change: dict[str, Any], message: str) -> None:
    sim, srv = make_sim(days=1)
    body = post(srv, "article/create", token(sim), {**ARTICLE, **change})
    assert body["error"] == -201
    assert body["message"].startswith(message)
    assert sim.zalo.articles.jobs() == []


def test_verify_of_an_unknown_or_foreign_token_is_refused(make_sim) -> None:
    sim, srv = make_sim(days=1)
    job = post(srv, "article/create", token(sim), ARTICLE)["data"]["token"]
    assert post(srv, "article/verify", token(sim, OTHER_OA), {"token": job})["error"] == -201
    assert post(srv, "article/verify", token(sim), {"token": "nope"})["error"] == -201


def test_getslice_limits(make_sim) -> None:
    sim, srv = make_sim(days=1)
    tok = token(sim)
    assert getslice(srv, tok, limit=11)["message"] == "maximum limit is 10"
    bad_type = getslice(srv, tok, type="all")
    assert (bad_type["error"], bad_type["message"]) == (
        -201,
        "type accept only 2 value normal and video.",
    )
    assert getslice(srv, "bad-token")["error"] == -216


def _broadcast(article_id: str) -> dict[str, Any]:
    return {
        "recipient": {"target": {}},
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [{"media_type": "article", "attachment_id": article_id}],
                },
            }
        },
    }


def test_broadcast_of_a_published_article_and_the_night_ban(make_sim) -> None:
    sim, srv = make_sim(days=1)  # NOW: Friday 16:00 local
    tok = token(sim)
    job = post(srv, "article/create", tok, ARTICLE)["data"]["token"]
    post(srv, "article/verify", tok, {"token": job})
    article_id = post(srv, "article/verify", tok, {"token": job})["data"]["id"]
    assert post(srv, "oa/message", tok, _broadcast("unknown"))["error"] == -201
    sent = post(srv, "oa/message", tok, _broadcast(article_id))
    assert sent["error"] == 0
    assert sent["data"]["message_id"]
    sim.advance(timedelta(hours=6))  # 22:00 local
    banned = post(srv, "oa/message", tok, _broadcast(article_id))
    assert banned["error"] == -234
    (record,) = sim.zalo.articles.broadcasts()
    assert record["articles"] == [article_id]


def test_articles_survive_a_restart(make_sim, tmp_path) -> None:
    sim, srv = make_sim(days=1, state_dir=tmp_path)
    tok = token(sim)
    job = post(srv, "article/create", tok, ARTICLE)["data"]["token"]
    post(srv, "article/verify", tok, {"token": job})
    srv.shutdown()
    again, srv2 = make_sim(days=1, state_dir=tmp_path)
    assert post(srv2, "article/verify", token(again), {"token": job})["error"] == 0
    assert len(again.zalo.articles.published()) == 1
