"""Fault injection: every kind, through the HTTP control endpoint and the Python API."""

from __future__ import annotations

import json

import pytest
import requests

from platform_simulator.faults import FaultError, parse_fault_arg
from tests.devtools.platform_simulator.support import OA, PAGE, follow_all, graph_get


def add_fault(base_url: str, **spec) -> dict:
    resp = requests.post(f"{base_url}/_sim/faults", json=spec, timeout=10)
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["faults"][0])


def zalo_recent(base_url: str, token: str) -> requests.Response:
    return requests.get(
        f"{base_url}/v2.0/oa/listrecentchat",
        params={"data": json.dumps({"offset": 0, "count": 5})},
        headers={"access_token": token},
        timeout=10,
    )


def test_error_rate_shapes_and_determinism(make_sim) -> None:
    def run(code: int) -> list[int]:
        sim, srv = make_sim(days=1)
        sim.add_fault({"kind": "error_rate", "target": "graph.node", "rate": 0.5, "code": code})
        return [graph_get(srv.base_url, PAGE).status_code for _ in range(12)]

    first, second = run(1), run(1)
    assert first == second
    assert set(first) == {200, 500}
    _, srv = make_sim(days=1)
    add_fault(srv.base_url, kind="error_rate", target="graph", count=1, code=2)
    failed = graph_get(srv.base_url, PAGE)
    assert failed.status_code == 503
    err = failed.json()["error"]
    assert (err["code"], err["is_transient"]) == (2, True)
    assert "X-App-Usage" in failed.headers
    assert graph_get(srv.base_url, PAGE).status_code == 200
    add_fault(srv.base_url, kind="error_rate", target="graph", count=1)
    assert graph_get(srv.base_url, PAGE).json()["error"]["code"] == 1


def test_error_rate_for_zalo_and_slack(make_sim) -> None:
    sim, srv = make_sim(days=1)
    token = sim.zalo_credentials(OA)["access_token"]
    add_fault(srv.base_url, kind="error_rate", target="zalo", count=1)
    assert zalo_recent(srv.base_url, token).status_code == 502
    assert zalo_recent(srv.base_url, token).json()["error"] == 0
    add_fault(srv.base_url, kind="error_rate", target="slack.chat.postMessage", count=1)
    resp = requests.post(
        f"{srv.base_url}/api/chat.postMessage",
        json={"channel": "C07THDUTY01", "text": "x"},
        headers={"Authorization": "Bearer xoxb-sim-citizen-desk"},
        timeout=10,
    )
    assert resp.status_code == 500


def test_latency_and_timeout(make_sim) -> None:
    sim, srv = make_sim(days=1)
    latency = add_fault(srv.base_url, kind="latency", target="graph.node", ms=50)
    assert graph_get(srv.base_url, PAGE).status_code == 200
    faults = requests.get(f"{srv.base_url}/_sim/faults", timeout=10).json()["faults"]
    assert next(f for f in faults if f["id"] == latency["id"])["fired"] == 1
    sim.clear_faults()
    add_fault(srv.base_url, kind="timeout", target="graph.conversations", seconds=1.5, count=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(
            f"{srv.base_url}/v21.0/{PAGE}/conversations",
            params={"access_token": f"sim-page-token-{PAGE}"},
            timeout=0.3,
        )
    assert graph_get(srv.base_url, f"{PAGE}/conversations").status_code == 200


@pytest.mark.parametrize(
    ("code", "status", "app_full"), [(80001, 400, False), (4, 403, True), (17, 403, True)]
)
def test_rate_limit_bursts(make_sim, code: int, status: int, app_full: bool) -> None:
    _, srv = make_sim(days=1)
    add_fault(srv.base_url, kind="rate_limit", page=PAGE, code=code, count=2, regain_minutes=7)
    for _ in range(2):
        resp = graph_get(srv.base_url, PAGE)
        assert resp.status_code == status
        assert resp.json()["error"]["code"] == code
        buc = json.loads(resp.headers["X-Business-Use-Case-Usage"])[PAGE][0]
        assert buc["call_count"] == 100
        assert buc["estimated_time_to_regain_access"] == 7
        app = json.loads(resp.headers["X-App-Usage"])
        assert (app["call_count"] == 100) is app_full
    assert graph_get(srv.base_url, PAGE).status_code == 200


def test_zalo_rate_limit_burst(make_sim) -> None:
    sim, srv = make_sim(days=1)
    token = sim.zalo_credentials(OA)["access_token"]
    add_fault(srv.base_url, kind="rate_limit", oa=OA, count=1)
    limited = zalo_recent(srv.base_url, token)
    assert limited.status_code == 200
    assert limited.json()["error"] == -32
    assert limited.headers["X-RateLimit-Remain"] == "0"
    assert zalo_recent(srv.base_url, token).json()["error"] == 0


def test_token_faults(make_sim) -> None:
    sim, srv = make_sim(days=1)
    add_fault(srv.base_url, kind="expired_token", page=PAGE)
    err = graph_get(srv.base_url, PAGE).json()["error"]
    assert (err["code"], err["error_subcode"]) == (190, 463)
    assert "Session has expired" in err["message"]
    sim.clear_faults()
    add_fault(srv.base_url, kind="invalid_token", page=PAGE)
    err = graph_get(srv.base_url, PAGE).json()["error"]
    assert (err["code"], err["error_subcode"]) == (190, 460)
    token = sim.zalo_credentials(OA)["access_token"]
    add_fault(srv.base_url, kind="expired_token", oa=OA)
    assert zalo_recent(srv.base_url, token).json()["error"] == -220
    requests.delete(f"{srv.base_url}/_sim/faults", timeout=10)
    add_fault(srv.base_url, kind="invalid_token", oa=OA)
    assert zalo_recent(srv.base_url, token).json()["error"] == -216
    assert requests.delete(f"{srv.base_url}/_sim/faults", timeout=10).json()["removed"] == 1
    assert graph_get(srv.base_url, PAGE).status_code == 200
    assert zalo_recent(srv.base_url, token).json()["error"] == 0


def test_malformed_json(make_sim) -> None:
    _, srv = make_sim(days=1)
    add_fault(srv.base_url, kind="malformed_json", target="graph.conversations", count=1)
    broken = graph_get(srv.base_url, f"{PAGE}/conversations")
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.text)
    assert graph_get(srv.base_url, f"{PAGE}/conversations").json()["data"]


def test_truncated_pages_keep_next(make_sim) -> None:
    _, srv = make_sim(days=4)
    complete = follow_all(graph_get(srv.base_url, f"{PAGE}/conversations", limit=5))
    add_fault(srv.base_url, kind="truncated_pages", target="graph.conversations", drop=2, count=1)
    first = graph_get(srv.base_url, f"{PAGE}/conversations", limit=5).json()
    assert len(first["data"]) == 3
    assert "next" in first["paging"]
    rest = follow_all(requests.get(first["paging"]["next"], timeout=10))
    seen = [c["id"] for c in first["data"] + rest]
    assert len(seen) == len(complete) - 2
    assert set(seen) < {c["id"] for c in complete}


def test_zalo_truncated_pages_answer_short_and_the_next_offset_serves_the_rest(make_sim) -> None:
    sim, srv = make_sim(days=4)
    token = sim.zalo_credentials(OA)["access_token"]

    def walk() -> tuple[list[str], list[int]]:
        ids: list[str] = []
        sizes: list[int] = []
        while True:
            data = json.dumps({"offset": len(ids), "count": 10})
            page = requests.get(
                f"{srv.base_url}/v2.0/oa/listrecentchat",
                params={"data": data},
                headers={"access_token": token},
                timeout=10,
            ).json()["data"]
            if not page:
                return ids, sizes
            ids += [m["message_id"] for m in page]
            sizes.append(len(page))

    complete, _ = walk()
    assert len(complete) > 30
    add_fault(srv.base_url, kind="truncated_pages", target="zalo.listrecentchat", drop=6, count=2)
    ids, sizes = walk()
    assert ids == complete  # nothing hidden: the short pages' rows come at the next offsets
    assert sizes[:2] == [4, 4]
    assert sim.faults.snapshot() == []


def test_fault_spec_validation_and_cli_syntax(make_sim) -> None:
    _, srv = make_sim(days=1)
    bad = requests.post(f"{srv.base_url}/_sim/faults", json={"kind": "meteor"}, timeout=10)
    assert bad.status_code == 400
    assert parse_fault_arg("rate_limit:page=100064512300001,code=4,count=3") == {
        "kind": "rate_limit",
        "page": 100064512300001,
        "code": 4,
        "count": 3,
    }
    assert parse_fault_arg('{"kind": "latency", "target": "zalo", "ms": 5}')["ms"] == 5
    with pytest.raises(FaultError):
        parse_fault_arg("latency:target")
