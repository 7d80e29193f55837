"""The generated world: determinism, realism, canaries, secrecy of labels, state, live mode."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from platform_simulator import ServerThread, Simulator, SimulatorConfig
from platform_simulator.world import LOCAL_TZ, in_office
from tests.devtools.platform_simulator.support import (
    CANARIES,
    NOW,
    OA,
    PAGE,
    REGISTRY,
    ROOT,
    follow_all,
    graph_get,
)

CATEGORIES = {"question", "tip", "feedback", "lost_found", "spam", "greeting"}


def small(seed: int = 42, **extra) -> Simulator:
    return Simulator(SimulatorConfig(registry_path=REGISTRY, seed=seed, days=3, now=NOW, **extra))


def test_same_seed_same_truth_bytes_and_other_seed_differs() -> None:
    first, second, other = small(), small(), small(seed=7)
    assert first.truth_json() == second.truth_json()
    assert first.truth_json() != other.truth_json()
    assert first.truth()["messages"]


def test_volume_mix_and_variety(shared_sim: Simulator) -> None:
    records = shared_sim.truth()["messages"]
    incoming = [r for r in records if r["direction"] == "in"]
    channels = len(shared_sim.registry.channels)
    per_channel_day = len(incoming) / channels / 14
    assert 3 <= per_channel_day <= 12
    assert {r["label"]["category"] for r in incoming} == CATEGORIES
    assert any(r["label"]["urgent"] for r in incoming)
    assert {r["surface"] for r in records} == {"messenger", "comment", "zalo"}
    assert len({r["text"] for r in incoming}) > 500
    stripped = [r for r in incoming if r["text"].isascii() and len(r["text"]) > 40]
    assert stripped, "some texts are written without diacritics"
    assert any(re.search(r"\b(ko|dc|đk|ad)\b", r["text"]) for r in incoming)
    assert any(re.search(r"36[A-Z][A-Z0-9]?-\d{3}\.\d{2}", r["text"]) for r in incoming)
    assert any(re.search(r"\b0\d{3}[ .]?\d{3}[ .]?\d{3}\b", r["text"]) for r in incoming)
    names = {r["citizen_name"] for r in incoming}
    assert any(unicodedata.normalize("NFC", n).startswith("Nguyễn") for n in names)
    threads = Counter((r["channel"], r["thread_id"]) for r in incoming)
    assert sum(1 for n in threads.values() if n > 1) > 50  # multi-turn threads


def test_staff_replies_and_unanswered_share(shared_sim: Simulator) -> None:
    records = shared_sim.truth()["messages"]
    by_thread: dict[tuple[str, str], list[dict]] = {}
    for rec in records:
        by_thread.setdefault((rec["channel"], rec["thread_id"]), []).append(rec)
    questions = [
        msgs for msgs in by_thread.values()
        if msgs[0]["direction"] == "in" and msgs[0]["label"]["category"] == "question"
    ]  # fmt: skip
    unanswered = [m for m in questions if all(r["direction"] == "in" for r in m)]
    assert 0.08 <= len(unanswered) / len(questions) <= 0.35
    urgent_threads = {
        key
        for key, msgs in by_thread.items()
        if any(m["label"] and m["label"]["urgent"] for m in msgs)
    }
    replies = [
        r for r in records
        if r["direction"] == "out" and (r["channel"], r["thread_id"]) not in urgent_threads
    ]  # fmt: skip
    in_hours = sum(1 for r in replies if in_office(r["created_ms"]))
    assert in_hours / len(replies) > 0.9
    delays = []
    for msgs in by_thread.values():
        waiting_since = None
        for rec in msgs:
            if rec["direction"] == "in":
                waiting_since = rec["created_ms"] if waiting_since is None else waiting_since
            elif waiting_since is not None:
                delays.append(rec["created_ms"] - waiting_since)
                waiting_since = None
    delays.sort()
    assert sum(1 for d in delays if d < 10 * 60_000) / len(delays) < 0.05
    assert delays[int(len(delays) * 0.8)] <= 3 * 86_400_000
    assert 10 * 60_000 <= delays[len(delays) // 2] <= 2 * 86_400_000


def test_id_formats(shared_sim: Simulator) -> None:
    records = shared_sim.truth()["messages"]
    for rec in records:
        if rec["surface"] == "zalo":
            assert re.fullmatch(r"\d{19}", rec["thread_id"])
            assert re.fullmatch(r"[0-9a-f]{20}", rec["id"])
        elif rec["surface"] == "messenger":
            assert re.fullmatch(r"t_\d{15}", rec["thread_id"])
            assert rec["id"].startswith("m_")
            assert re.fullmatch(r"\d{16}", rec["citizen_id"])
        else:
            post_digits = rec["post_id"].split("_")[1]
            assert rec["post_id"].startswith(rec["platform_id"] + "_")
            assert re.fullmatch(rf"{post_digits}_\d+", rec["id"])


def test_canaries_are_planted(server: ServerThread, shared_sim: Simulator) -> None:
    canary_records = [r for r in shared_sim.truth()["messages"] if r["canary"]]
    assert {r["citizen_id"] for r in canary_records} == {c["psid"] for c in CANARIES}
    assert all(r["label"]["category"] == "tip" for r in canary_records)
    with_phone = next(r for r in canary_records if r["citizen_id"] == CANARIES[0]["psid"])
    assert CANARIES[0]["phone"] in with_phone["text"]
    convs = follow_all(
        graph_get(server.base_url, f"{PAGE}/conversations", fields="participants,messages{message}")
    )
    names = {p["name"] for c in convs for p in c["participants"]["data"]}
    assert CANARIES[0]["name"] in names
    texts = [m["message"] for c in convs for m in c["messages"]["data"]]
    assert any(CANARIES[0]["phone"] in t for t in texts)


def _crawl(srv: ServerThread, sim: Simulator) -> list[str]:
    """Raw bodies of every platform listing for every channel."""
    bodies: list[str] = []
    for channel in sim.registry.channels:
        pid = channel.platform_id
        if channel.platform == "facebook":
            fields = "id,participants,messages.limit(100){id,message,from,to,tags,attachments}"
            url = f"{srv.base_url}/v21.0/{pid}/conversations"
            resp = requests.get(
                url, params={"access_token": f"sim-page-token-{pid}", "fields": fields}, timeout=10
            )
            while True:
                bodies.append(resp.text)
                nxt = resp.json().get("paging", {}).get("next")
                if not nxt:
                    break
                resp = requests.get(nxt, timeout=10)
            feed = graph_get(
                srv.base_url, f"{pid}/feed", page=pid,
                fields="id,message,comments.filter(stream).limit(100){id,message,from,parent}",
            )  # fmt: skip
            bodies.append(feed.text)
        else:
            token = sim.zalo_credentials(pid)["access_token"]
            for offset in range(0, 200, 10):
                resp = requests.get(
                    f"{srv.base_url}/v2.0/oa/listrecentchat",
                    params={"data": json.dumps({"offset": offset, "count": 10})},
                    headers={"access_token": token},
                    timeout=10,
                )
                bodies.append(resp.text)
                if not resp.json()["data"]:
                    break
    return bodies


def test_truth_labels_never_leak_into_platform_responses(make_sim) -> None:
    sim, srv = make_sim(days=3)
    bodies = _crawl(srv, sim)
    joined = "\n".join(bodies)
    assert "Công an" in joined
    topics = {
        r["label"]["topic"]
        for r in sim.truth()["messages"]
        if r["label"] and "_" in r["label"]["topic"]
    }
    for marker in ['"category"', '"topic"', '"urgent"', '"label"', '"canary"', *topics]:
        assert marker not in joined, marker


def test_state_survives_restart(tmp_path: Path) -> None:
    config = {"registry_path": REGISTRY, "seed": 42, "days": 3, "now": NOW, "state_dir": tmp_path}
    sim = Simulator(SimulatorConfig(**config))
    srv = sim.serve_in_thread()
    token = f"sim-page-token-{PAGE}"
    post = requests.post(
        f"{srv.base_url}/v21.0/{PAGE}/feed", data={"access_token": token, "message": "Tuần 48"}
    ).json()["id"]
    rotated = requests.post(
        f"{srv.base_url}/v4/oa/access_token",
        data={"refresh_token": f"sim-refresh-{OA}-0", "app_id": f"sim-app-{OA}",
              "grant_type": "refresh_token"},
        headers={"secret_key": f"sim-secret-{OA}"},
    ).json()  # fmt: skip
    requests.post(
        f"{srv.base_url}/api/chat.postMessage",
        json={"channel": "C07THDUTY01", "text": "Tin báo #1"},
        headers={"Authorization": "Bearer xoxb-sim-citizen-desk"},
    )
    sim.advance(timedelta(hours=2))
    truth_before = sim.truth_json()
    srv.shutdown()
    assert (tmp_path / "world.json").exists()

    again = Simulator(SimulatorConfig(**config))
    srv2 = again.serve_in_thread()
    try:
        assert again.clock == NOW + timedelta(hours=2)
        assert again.truth_json() == truth_before
        posts = requests.get(f"{srv2.base_url}/_sim/posts", timeout=10).json()["pages"][PAGE]
        assert [p["id"] for p in posts] == [post]
        messages = requests.get(f"{srv2.base_url}/_sim/slack/messages", timeout=10).json()
        assert [m["text"] for m in messages["messages"]] == ["Tin báo #1"]
        reuse = requests.post(
            f"{srv2.base_url}/v4/oa/access_token",
            data={"refresh_token": f"sim-refresh-{OA}-0", "app_id": f"sim-app-{OA}",
                  "grant_type": "refresh_token"},
            headers={"secret_key": f"sim-secret-{OA}"},
        ).json()  # fmt: skip
        assert reuse["error"] == -14014
        assert again.zalo_credentials(OA)["refresh_token"] == rotated["refresh_token"]
    finally:
        srv2.shutdown()


def test_live_mode_generates_traffic_as_time_advances(make_sim) -> None:
    sim, srv = make_sim(days=1, live=True, live_rate=120.0)
    before = len(sim.truth()["messages"])
    clock = requests.post(f"{srv.base_url}/_sim/advance", json={"seconds": 3 * 3600}, timeout=10)
    assert clock.status_code == 200
    assert clock.json()["generated"] > 0
    records = sim.truth()["messages"]
    live = [r for r in records if r["source"] == "live"]
    assert len(records) > before
    assert len([r for r in live if r["direction"] == "in"]) >= 100
    assert max(r["created_ms"] for r in records) <= sim.now_ms()
    twin, _ = make_sim(days=1, live=True, live_rate=120.0)
    twin.advance(timedelta(hours=3))
    assert twin.truth_json() == sim.truth_json()


def test_generate_injects_messages_now(make_sim) -> None:
    sim, srv = make_sim(days=1)
    resp = requests.post(f"{srv.base_url}/_sim/generate", json={"messages": 6}, timeout=10)
    created = resp.json()["created"]
    assert len(created) == 6
    by_id = {r["id"]: r for r in sim.truth()["messages"]}
    assert all(by_id[i]["created_ms"] == sim.now_ms() for i in created)
    assert all(by_id[i]["direction"] == "in" and by_id[i]["label"] for i in created)
    clock = requests.get(f"{srv.base_url}/_sim/clock", timeout=10).json()
    assert clock["frozen"] is True
    assert clock["now"] == "2026-11-20T09:00:00+0000"


def test_generate_injects_threads_of_one_kind(make_sim) -> None:
    sim, srv = make_sim(days=1)
    resp = requests.post(
        f"{srv.base_url}/_sim/generate",
        json={"messages": 5, "category": "tip", "urgent": True},
        timeout=10,
    )
    created = resp.json()["created"]
    by_id = {r["id"]: r for r in sim.truth()["messages"]}
    assert len(created) == 5
    assert all(by_id[i]["label"]["category"] == "tip" for i in created)
    assert all(by_id[i]["label"]["urgent"] for i in created)
    refused = requests.post(
        f"{srv.base_url}/_sim/generate", json={"messages": 1, "category": "nope"}, timeout=10
    )
    assert refused.status_code == 400
    assert "nope" in refused.json()["error"]


def test_scale_adds_synthetic_channels(make_sim) -> None:
    sim, srv = make_sim(days=1, scale=50)
    assert len(sim.registry.channels) == 50
    synthetic = [c for c in sim.registry.channels if c.synthetic]
    assert len(synthetic) == 32
    fb = next(c for c in synthetic if c.platform == "facebook")
    assert re.fullmatch(r"\d{15}", fb.platform_id)
    resp = graph_get(srv.base_url, f"{fb.platform_id}/conversations", page=fb.platform_id)
    assert resp.status_code == 200
    zalo = next(c for c in synthetic if c.platform == "zalo")
    assert re.fullmatch(r"\d{19}", zalo.platform_id)


def test_local_time_helpers() -> None:
    friday_morning = int(NOW.replace(hour=2).timestamp() * 1000)  # 09:00 local
    sunday = int((NOW + timedelta(days=2)).timestamp() * 1000)
    assert in_office(friday_morning)
    assert not in_office(sunday)
    assert LOCAL_TZ.utcoffset(None) == timedelta(hours=7)


@pytest.mark.timeout(60)
def test_cli_serve_prints_ready_line() -> None:
    cmd = [
        sys.executable, "-m", "platform_simulator", "serve", "--port", "0", "--days", "1",
        "--registry", str(REGISTRY), "--seed", "42", "--now", "2026-11-20T09:00:00Z",
    ]  # fmt: skip
    env = {"PYTHONPATH": f"{ROOT / 'devtools'}:{ROOT / 'include'}", "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        match = re.fullmatch(r"platform simulator listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        health = requests.get(match.group(1) + "/_sim/health", timeout=10)
        assert health.status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_the_server_queues_a_national_runs_connections(server: ServerThread) -> None:
    """The stdlib's listen backlog of 5 dropped connections under 8 collection tasks x 4 channel
    threads on a busy machine (ConnectTimeouts no real platform causes)."""
    import socket

    assert server.httpd.request_queue_size >= 128
    clients = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(40)]
    for client in clients:
        client.close()


def test_saves_pace_themselves_by_their_cost(tmp_path, monkeypatch) -> None:
    """A dirty world is saved every SAVE_INTERVAL while saves are cheap, and a save that costs
    d seconds is followed by a pause of d / SAVE_SHARE (a national world: ~0.5 s per save)."""
    import platform_simulator.simulator as simulator_module

    sim = Simulator(SimulatorConfig(registry_path=REGISTRY, seed=42, days=1, now=NOW))
    waits: list[float] = []
    costs = iter([0.0, 1.0, 0.001])
    clock = [0.0]

    def perf_counter() -> float:
        return clock[0]

    def save() -> None:
        clock[0] += next(costs)
        sim._dirty = False

    class Stop:
        def wait(self, pause: float) -> bool:
            waits.append(pause)
            sim._dirty = True
            return len(waits) > 3

    monkeypatch.setattr(simulator_module.time, "perf_counter", perf_counter)
    monkeypatch.setattr(sim, "save", save)
    monkeypatch.setattr(sim, "_stop", Stop())
    sim._save_loop()
    interval, share = simulator_module.SAVE_INTERVAL, simulator_module.SAVE_SHARE
    assert waits == [interval, interval, 1.0 / share, interval]
