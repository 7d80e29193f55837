"""The platform simulator as a child process, and its `/_sim/*` inspection and fault API."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from e2e.environment import REPO
from e2e.processes import Proc

SEED = 42
DAYS = 14  # covers the previous ISO week (the weekly publication) whatever the weekday
# Citizen messages per channel per day (the simulator's default is 3-12, random per channel): a
# smaller world keeps the e2e run inside its time budget; scale is what bench/ measures.
RATE = float(os.environ.get("CITIZEN_DESK_E2E_RATE", "3"))

# Planted informants. Their names, platform ids and phone numbers must never leave the domain
# DB: the confidentiality sweep searches every output for them. Names are unusual on purpose
# (so a hit is never a coincidence) but well-formed Vietnamese. Their phone numbers are written
# the ways real citizens write them (issue 16): with no-break and thin spaces, in Vietnamese words,
# in teencode with en dashes; `digits` is the number itself, for the sweep's needles. Two of them
# introduce themselves in the message (`intro`): a given name after a kinship word (`alias`) and
# their home (`address`), both needles too.
CANARIES: tuple[dict[str, str], ...] = (
    {
        "name": "Khổng Thị Diệu Huyền",
        "psid": "7311958204417731",
        "phone": "0915\u00a0274\u202f863",
        "digits": "0915274863",
        "intro": "Em là chị Diệu Huyền ở số 47 ngõ 218 phố Lê Hoàn",
        "alias": "chị Diệu Huyền",
        "address": "số 47 ngõ 218",
        "channel": "fb-th-ns-ngathuy",
    },
    {
        "name": "Âu Dương Quốc Khánh",
        "psid": "7311958204417732",
        "phone": "không ba tám bảy, sáu một lăm, bốn hai chín",
        "digits": "0387615429",
        "intro": "Tôi là anh Quốc Khánh, nhà tôi ở xóm 17 thôn Yên Mỹ",
        "alias": "anh Quốc Khánh",
        "address": "xóm 17 thôn Yên Mỹ",
        "channel": "fb-th-ss-bacson",
    },
    {
        "name": "Lạc Văn Tường Vi",
        "user_id": "4318899123456789012",
        "phone": "O868 – 431 – 9O7",
        "digits": "0868431907",
        "channel": "zalo-th-ss-truongson",
    },
)


@dataclass
class SimulatorClient:
    base_url: str

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, path: str, **params: Any) -> Any:
        resp = self.http.get(f"{self.base_url}{path}", params=params, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def healthy(self) -> bool:
        try:
            return self.http.get(f"{self.base_url}/_sim/health", timeout=3).status_code == 200
        except requests.RequestException:
            return False

    def truth(self) -> dict[str, Any]:
        return self.get("/_sim/truth")

    def slack_messages(self) -> list[dict[str, Any]]:
        return self.get("/_sim/slack/messages")["messages"]

    def posts(self) -> dict[str, list[dict[str, Any]]]:
        return self.get("/_sim/posts")["pages"]

    def zalo_articles(self) -> list[dict[str, Any]]:
        """The articles on every OA (published weekly texts), oldest first."""
        return self.get("/_sim/zalo/articles")["articles"]

    def generate(
        self, messages: int, category: str | None = None, urgent: bool = False
    ) -> list[str]:
        """New citizen threads now (in live mode also pushed by webhook); first message ids."""
        body: dict[str, Any] = {"messages": messages, "urgent": urgent}
        if category is not None:
            body["category"] = category
        resp = self.http.post(f"{self.base_url}/_sim/generate", json=body, timeout=30)
        resp.raise_for_status()
        return list(resp.json()["created"])

    def webhooks(self) -> dict[str, Any]:
        """The webhook pusher's record: attempts by platform:status, pending, given up."""
        return self.get("/_sim/webhooks")

    def stats(self) -> dict[str, Any]:
        return self.get("/_sim/stats")

    def add_faults(self, *specs: dict[str, Any]) -> list[dict[str, Any]]:
        resp = self.http.post(
            f"{self.base_url}/_sim/faults", json={"faults": list(specs)}, timeout=10
        )
        resp.raise_for_status()
        return resp.json()["faults"]

    def faults(self) -> list[dict[str, Any]]:
        return self.get("/_sim/faults")["faults"]

    def clear_faults(self, fault_id: int | None = None) -> int:
        params = {"id": fault_id} if fault_id is not None else {}
        resp = self.http.delete(f"{self.base_url}/_sim/faults", params=params, timeout=10)
        resp.raise_for_status()
        return int(resp.json()["removed"])


def simulator_proc(
    port: int,
    now: datetime,
    state_dir: Path,
    log_path: Path,
    env: dict[str, str],
    extra_args: tuple[str, ...] = (),
) -> Proc:
    """`python -m platform_simulator serve` with a frozen world clock and the canaries
    (`extra_args`: e.g. live mode pushing webhooks)."""
    argv = [
        sys.executable,
        "-m",
        "platform_simulator",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--registry",
        str(REPO / "include" / "config" / "registry.yaml"),
        "--seed",
        str(SEED),
        "--days",
        str(DAYS),
        "--rate",
        f"{RATE:g}",
        "--now",
        now.isoformat(),
    ]
    for canary in CANARIES:
        argv += ["--canary", json.dumps(canary, ensure_ascii=False)]
    if state_dir:
        argv += ["--state", str(state_dir)]
    argv += list(extra_args)
    tooling_path = os.pathsep.join([str(REPO / "devtools"), str(REPO / "include")])
    return Proc("simulator", argv, {**env, "PYTHONPATH": tooling_path}, log_path, REPO)


def wait_healthy(client: SimulatorClient, proc: Proc, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.healthy():
            return
        if not proc.alive():
            raise RuntimeError(f"the simulator exited:\n{proc.tail()}")
        time.sleep(0.5)
    raise TimeoutError(f"the simulator did not answer within {timeout:.0f}s:\n{proc.tail()}")
