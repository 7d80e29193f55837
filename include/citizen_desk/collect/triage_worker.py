"""Triage in a second process while the collecting process reads and writes (`collect.pretriage`).

Triage is pure Python CPU work, and a source's reader thread (HTTP, JSON, items) and the thread
that writes the database share one interpreter lock with it: in one process they take turns. A
big batch (a first collection, a backfill) therefore hands its texts to one worker process
(`python -m citizen_desk.collect.triage_worker`, started once per collecting process and kept
for the next channels), which triages them with the same model while the collection goes on.
Small batches (every incremental run) never start it.

The worker computes only: it reads `(key, texts)` and writes `(key, triages)` as pickles on its
standard input and output (its own child, so nothing untrusted is unpickled), writes nothing
else anywhere, and its standard error goes nowhere (no text can reach a log from it). A chunk it
cannot triage, a worker that dies or cannot start: the collecting process triages those texts
itself, as without a worker, and raises there if triage fails; nothing is lost or stored twice
because the worker never touches the database.

`CITIZEN_DESK_TRIAGE_WORKER=off` keeps all triage in the collecting process.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import pickle
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citizen_desk.triage.classify import Triage
    from citizen_desk.triage.model import TriageModel

ENV_VAR = "CITIZEN_DESK_TRIAGE_WORKER"
# Distinct texts a collecting process triages itself before a worker helps: starting one costs
# about as much as triaging a few hundred texts.
OFFLOAD_AFTER = 400


class WorkerGone(RuntimeError):
    """The worker could not triage a chunk (the collecting process triages it itself)."""


def enabled() -> bool:
    return os.environ.get(ENV_VAR, "").strip().lower() != "off"


class TriageWorker:
    """One worker process and the chunks sent to it."""

    def __init__(self, model: TriageModel | None) -> None:
        self.model = model
        env = dict(os.environ)
        # the collecting process's import path (Airflow adds the DAGs and plugins folders)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._stdin: IO[bytes] = self._proc.stdin
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._futures: dict[int, Future[list[Triage]]] = {}
        self._next = 0
        self.broken = False
        self._send(_fields(model))
        self._receiver = threading.Thread(
            target=self._receive, args=(self._proc.stdout,), name="triage-worker", daemon=True
        )
        self._receiver.start()

    def submit(self, texts: list[str]) -> Future[list[Triage]]:
        """The triages of `texts` (in their order), computed by the worker."""
        future: Future[list[Triage]] = Future()
        with self._lock:
            if self.broken:
                future.set_exception(WorkerGone("triage worker stopped"))
                return future
            key = self._next
            self._next += 1
            self._futures[key] = future
        # Not under `_lock`: a full pipe waits for the worker, which may wait for `_receive`.
        with self._send_lock:
            try:
                self._send((key, texts))
            except (OSError, ValueError):
                with self._lock:
                    self._fail_locked()
        return future

    def _send(self, value: Any) -> None:
        pickle.dump(value, self._stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self._stdin.flush()

    def _receive(self, stdout: IO[bytes]) -> None:
        try:
            while True:
                key, triages = pickle.load(stdout)
                with self._lock:
                    future = self._futures.pop(key, None)
                if future is None:
                    continue
                if triages is None:
                    future.set_exception(WorkerGone("the worker could not triage a chunk"))
                else:
                    future.set_result(triages)
        except Exception:  # EOF or a broken stream: the worker is gone
            with self._lock:
                self._fail_locked()

    def _fail_locked(self) -> None:
        self.broken = True
        for future in self._futures.values():
            future.set_exception(WorkerGone("triage worker stopped"))
        self._futures.clear()

    def close(self) -> None:
        with self._lock:
            self.broken = True
        with self._send_lock, contextlib.suppress(OSError, ValueError):
            self._stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._receiver.join(timeout=5)
        with self._lock:
            self._fail_locked()


def _fields(model: TriageModel | None) -> tuple[Any, ...] | None:
    """The model's fields, not the model: another thread may be filling its caches meanwhile."""
    if model is None:
        return None
    return tuple(getattr(model, f.name) for f in dataclasses.fields(model))


_shared: TriageWorker | None = None
_shared_lock = threading.Lock()


def shared_worker(model: TriageModel | None) -> TriageWorker | None:
    """This process's worker for `model` (started on first use); None if it cannot start."""
    global _shared
    with _shared_lock:
        if _shared is not None and (_shared.model is not model or _shared.broken):
            _shared.close()
            _shared = None
        if _shared is None:
            try:
                _shared = TriageWorker(model)
            except (OSError, ValueError, pickle.PicklingError):
                return None
        return _shared


def running() -> bool:
    """Whether this process has a worker (a collection may then use it from its first text)."""
    return _shared is not None and not _shared.broken


@atexit.register
def close_shared() -> None:
    """Stop this process's worker (it also stops when the collecting process's pipe closes)."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.close()
            _shared = None


def main() -> None:
    """The worker: `(key, texts)` in, `(key, triages)` out, until its input closes."""
    source = sys.stdin.buffer
    sink = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot break the stream
    from citizen_desk.triage import classify
    from citizen_desk.triage.model import TriageModel

    fields = pickle.load(source)
    model = None if fields is None else TriageModel(*fields)

    while True:
        try:
            key, texts = pickle.load(source)
        except EOFError:
            return
        try:
            triages: list[Triage] | None = [classify(text, model=model) for text in texts]
        except Exception:  # the collecting process triages these and raises there
            triages = None
        pickle.dump((key, triages), sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    main()
