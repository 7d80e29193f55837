"""Long-running child processes, each in its own process group (session), with a log file.

Stopping follows what works for Airflow 3 (see the Airflow notes): SIGINT to the whole group,
a grace period, then SIGKILL. `kill9` is the chaos primitive: no grace at all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Proc:
    """One started process group."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    cwd: Path
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    _log: object | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self) -> Proc:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        log.write(f"\n===== start {self.name}: {' '.join(self.argv)}\n".encode())
        log.flush()
        self._log = log
        self.popen = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def _group_alive(self) -> bool:
        if self.popen is None:
            return False
        try:
            os.killpg(self.popen.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def stop(self, grace: float = 15.0) -> None:
        """SIGINT to the group, wait up to `grace` seconds, then SIGKILL the group."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGINT)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and self._group_alive():
            if self.popen.poll() is not None and not self._group_alive():
                break
            time.sleep(0.3)
        self._signal_group(signal.SIGKILL)
        self._reap()

    def terminate(self, grace: float = 20.0) -> None:
        """SIGTERM to the group (graceful service shutdown), then SIGKILL after `grace`."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and self._group_alive():
            time.sleep(0.3)
        self._signal_group(signal.SIGKILL)
        self._reap()

    def kill9(self) -> None:
        """kill -9 the whole process group: the process and every task it was running."""
        self._signal_group(signal.SIGKILL)
        self._reap()

    def restart(self) -> Proc:
        self.restarts += 1
        return self.start()

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def _reap(self) -> None:
        if self.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=10)
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    timeout: float = 300,
) -> None:
    """Run a one-shot command, appending its output to `log_path`; raise on failure."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"\n===== run: {' '.join(argv)}\n".encode())
        log.flush()
        result = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if result.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
        raise RuntimeError(f"{argv[:3]} exited {result.returncode}:\n" + "\n".join(tail))
