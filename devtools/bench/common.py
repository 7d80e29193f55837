"""What the benchmarks share: timing statistics, the machine, the simulator process, databases."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
REGISTRY = REPO / "include" / "config" / "registry.yaml"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 10:00 in Asia/Ho_Chi_Minh
PG_URL = os.environ.get(
    "CITIZEN_DESK_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
PACKAGES = (
    "apache-airflow",
    "apache-airflow-task-sdk",
    "SQLAlchemy",
    "alembic",
    "psycopg2-binary",
    "requests",
    "PyYAML",
    "cryptography",
)


@dataclass
class Env:
    """Where a benchmark may write scratch files, the PostgreSQL admin URL (None: skip PG)."""

    workdir: Path
    pg_url: str | None = PG_URL
    log: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr))


# --- statistics ----------------------------------------------------------------------------------


def spread(samples: Sequence[float], digits: int = 4) -> dict[str, Any]:
    """Median, min and max of repeated measurements (and the samples themselves)."""
    values = [float(s) for s in samples]
    if not values:
        return {"n": 0, "median": None, "min": None, "max": None, "samples": []}
    return {
        "n": len(values),
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "samples": [round(v, digits) for v in values],
    }


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def fmt_spread(item: dict[str, Any] | None, unit: str = "", digits: int = 3) -> str:
    """`1.23 s (1.20-1.31, n=3)`."""
    if not item or item.get("median") is None:
        return "n/a"
    med, lo, hi = (_num(item[k], digits) for k in ("median", "min", "max"))
    suffix = f" {unit}" if unit else ""
    if item["n"] == 1:
        return f"{med}{suffix} (n=1)"
    return f"{med}{suffix} ({lo}-{hi}, n={item['n']})"


def _num(value: float, digits: int) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


# --- the machine ---------------------------------------------------------------------------------


def _cpu_model() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    with suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pg_server_version(pg_url: str | None) -> str | None:
    if not pg_url:
        return None
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(pg_url)
        with engine.connect() as conn:
            version = str(conn.execute(text("SHOW server_version")).scalar())
        engine.dispose()
        return version
    except Exception:  # unreachable server: PostgreSQL parts are skipped
        return None


def machine(pg_url: str | None) -> dict[str, Any]:
    """CPU, cores, RAM, load, Python and package versions."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "load_avg_at_start": [round(x, 2) for x in load] if load else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "postgresql": pg_server_version(pg_url),
    }


def load_now() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


# --- the simulator, in its own process -----------------------------------------------------------


def export_registry(path: Path, scale: int | None) -> dict[str, dict[str, Any]]:
    """Write the registry with the simulator's synthetic channels; returns channels by key."""
    from platform_simulator.config import SimulatorConfig, load_registry, registry_with_channels

    channels = load_registry(SimulatorConfig(registry_path=REGISTRY, scale=scale)).channels
    path.write_text(registry_with_channels(REGISTRY, channels), encoding="utf-8")
    return {c.key: c.as_dict() for c in channels}


def world_registry(path: Path, channels: int) -> tuple[Path, dict[str, dict[str, Any]]]:
    """A registry with exactly `channels` channels: the simulator's synthetic ones added, or the
    sample registry's cut down (keeping one Zalo OA in four, like the synthetic mix)."""
    import yaml

    found = export_registry(path, max(channels, 1))
    if len(found) <= channels:
        return path, found
    facebook = [k for k, c in sorted(found.items()) if c["platform"] == "facebook"]
    zalo = [k for k, c in sorted(found.items()) if c["platform"] == "zalo"]
    n_zalo = max(1, channels // 4) if channels > 1 else 0
    keep = set(facebook[: channels - n_zalo] + zalo[:n_zalo])
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["channels"] = [c for c in raw["channels"] if c["key"] in keep]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, {k: c for k, c in found.items() if k in keep}


class SimProcess:
    """`python -m platform_simulator serve ...` on a free port (a separate process, like the real
    APIs are), driven through its `/_sim/*` endpoints."""

    def __init__(
        self,
        *,
        scale: int,
        days: int,
        rate: float | None = None,
        live: bool = False,
        now: datetime = NOW,
        seed: int = 42,
        registry: Path = REGISTRY,
    ) -> None:
        args = [
            sys.executable,
            "-m",
            "platform_simulator",
            "serve",
            "--port",
            "0",
            "--registry",
            str(registry),
            "--seed",
            str(seed),
            "--days",
            str(days),
            "--now",
            now.isoformat(),
            "--scale",
            str(scale),
        ]
        if rate is not None:
            args += ["--rate", str(rate)]
        if live:
            args += ["--live", "--clock-speed", "0"]  # traffic only when the bench advances
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO / "include"), str(REPO / "devtools"), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        started = time.perf_counter()
        # stderr to a file, not a pipe: nobody drains a pipe while the benchmark runs
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env, cwd=REPO
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            self.proc.kill()
            self.proc.wait()
            self._stderr.seek(0)
            raise RuntimeError(f"simulator did not start: {line!r} {self._stderr.read()[-2000:]}")
        self.startup_seconds = time.perf_counter() - started  # includes generating the world
        self.base_url = match.group(1)
        self.http = local_session()
        self.now = now

    def get(self, path: str) -> Any:
        response = self.http.get(self.base_url + path, timeout=600)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(self.base_url + path, json=body or {}, timeout=600)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        return dict(self.get("/_sim/stats"))

    def reset_stats(self) -> None:
        self.post("/_sim/reset-stats")

    def advance(self, delta: timedelta) -> datetime:
        self.post("/_sim/advance", {"seconds": delta.total_seconds()})
        self.now += delta
        return self.now

    def truth(self) -> list[dict[str, Any]]:
        return list(self.get("/_sim/truth")["messages"])

    def tokens(self) -> dict[str, Any]:
        return dict(self.get("/_sim/tokens"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def local_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies for 127.0.0.1
    return session


def api_calls(stats: dict[str, Any]) -> int:
    """Graph + Zalo OA + Zalo OAuth requests in a `/_sim/stats` snapshot (Slack excluded)."""
    requests_by_family = stats.get("requests") or {}
    return int(sum(v for k, v in requests_by_family.items() if k != "slack"))


@dataclass
class Collector:
    """Runs `citizen_desk.collect.run.collect_channel` against a `SimProcess`."""

    engine: Any
    sim: SimProcess
    channels: dict[str, dict[str, Any]]
    fernet_key: bytes = field(default_factory=lambda: _fernet_key())
    http: requests.Session = field(default_factory=local_session)
    _zalo: dict[str, Any] | None = None

    def connection(self, conn_id: str) -> Any:
        from citizen_desk.collect.run import ConnInfo

        channel = next(c for c in self.channels.values() if c["connection_id"] == conn_id)
        pid = channel["platform_id"]
        base = self.sim.base_url
        if channel["platform"] == "facebook":
            return ConnInfo(None, f"sim-page-token-{pid}", {"base_url": f"{base}/v21.0/"})
        if self._zalo is None:  # the current pair: an earlier run may have rotated it
            self._zalo = self.sim.tokens()["zalo"]
        return ConnInfo(
            f"sim-app-{pid}",
            f"sim-secret-{pid}",
            {
                "refresh_token": self._zalo[pid]["refresh_token"],
                "base_url": f"{base}/",
                "oauth_url": f"{base}/v4/oa/access_token",
            },
        )

    def options(self) -> Any:
        from cryptography.fernet import Fernet

        from citizen_desk.collect.run import Options

        fernet = Fernet(self.fernet_key)
        return Options(
            timeout=30.0,
            sleep=lambda _s: None,
            http=self.http,
            connection=self.connection,
            fernet=lambda: fernet,
            clock=lambda: self.sim.now,
        )

    def channel(self, key: str, run_id: str) -> dict[str, Any]:
        from citizen_desk.collect.run import collect_channel

        return collect_channel(
            key, engine=self.engine, run_id=run_id, now=self.sim.now, options=self.options()
        )

    def all(self, run_id: str) -> dict[str, dict[str, Any]]:
        return {key: self.channel(key, run_id) for key in sorted(self.channels)}


def _fernet_key() -> bytes:
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


# --- databases -----------------------------------------------------------------------------------


def migrated_engine(url: str) -> Any:
    """The production engine for `url` (SQLite pragmas, pool), migrated to head."""
    from citizen_desk.db import migrate
    from citizen_desk.db.engine import get_engine

    engine = get_engine(url)
    migrate.upgrade(engine)
    return engine


def sync_registry(engine: Any, registry_path: Path, now: datetime = NOW) -> Any:
    from citizen_desk.config.registry import load_registry
    from citizen_desk.config.sync import sync_registry as sync
    from citizen_desk.db.engine import session_scope

    registry = load_registry(registry_path)
    with session_scope(engine) as session:
        sync(session, registry, now=now - timedelta(days=60), actor="bench")
    return registry


@contextmanager
def pg_database(admin_url: str, prefix: str = "cd_bench") -> Iterator[str]:
    """A throwaway PostgreSQL database (dropped afterwards); yields its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin_db = make_url(admin_url).set(database="postgres")
    admin = create_engine(admin_db, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from citizen_desk.db.engine import get_engine

        with suppress(Exception):
            get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pg_available(pg_url: str | None) -> bool:
    return pg_server_version(pg_url) is not None


def quiet_logging() -> None:
    """The collector and sweeps log a block per channel/run at INFO: keep the bench output short."""
    import logging

    for name in ("citizen_desk", "alembic", "sqlalchemy", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, default=str)
