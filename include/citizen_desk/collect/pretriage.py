"""Triage a channel's citizen messages while its sources are still being read.

A source is read in a reader thread (`Reads.start`); the items it reads come to the collecting
thread through a queue, a few dozen at a time, and `Reads.result` triages the citizen messages
among them until that read has ended, then returns its batch. The read waits on the platform's
API and triage on the CPU, so a source's triage is done while the rest of it is read rather than
after it: the GIL is free whenever the reader waits on the network, and the collecting thread,
once it has triaged what came, waits on the queue. `store.store_batch` takes the results
(`Triaged`) only when they were made with the model it triages with under the channel's lock (a
champion promoted in between: it triages again), so what is stored is what it would triage
itself. Nothing here touches the database, so no transaction is open while a source is read.

Triage is a function of the text and the model: a batch triages each distinct text once (an
inbox's "Alo", "???" and thumbs-up are triaged once, not once each).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from citizen_desk.collect import triage_worker
from citizen_desk.collect.records import Item, SourceBatch
from citizen_desk.learning.champion import triage_model_for
from citizen_desk.triage.model import TriageModel

if TYPE_CHECKING:
    from citizen_desk.triage.classify import Triage

HANDOFF = 50  # items a reader passes on at a time


class Triaged:
    """The triage of citizen messages with one model, once per distinct text. Past
    `offload_after` distinct texts (or at once when this process already has one), what readers
    `offer` goes to a worker process (`collect.triage_worker`); None: never."""

    def __init__(self, model: TriageModel | None, offload_after: int | None = None) -> None:
        self.model = model
        self._by_text: dict[str, Triage] = {}
        self._offload_after = offload_after if triage_worker.enabled() else None
        self._offered: set[str] = set()
        self._sent: dict[str, tuple[list[str], Future[list[Triage]]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def of_session(cls, session: Session, offload_after: int | None = None) -> Triaged:
        """With the model a store in this session would triage with now (`learning.champion`)."""
        return cls(triage_model_for(session), offload_after)

    def __call__(self, item: Item) -> Triage | None:
        """The item's triage; None for a page's own message."""
        if item.direction != "in":
            return None
        triage = self._by_text.get(item.text)
        if triage is None:
            sent = self._sent.get(item.text)
            if sent is not None:
                self._collect(*sent)
                triage = self._by_text.get(item.text)
        if triage is None:
            from citizen_desk.triage import classify

            triage = self._by_text[item.text] = classify(item.text, model=self.model)
        return triage

    def early(self, item: Item) -> None:
        """Triage `item` now unless its text went to the worker (the collecting thread)."""
        if item.direction == "in" and item.text not in self._sent:
            self(item)

    def offer(self, items: list[Item]) -> None:
        """Send the new texts among `items` to the worker once there have been enough (a
        reader thread, before it passes the items on)."""
        if self._offload_after is None:
            return
        with self._lock:
            texts = [
                text
                for text in dict.fromkeys(i.text for i in items if i.direction == "in")
                if text not in self._offered
            ]
            self._offered.update(texts)
            if not texts or (
                len(self._offered) <= self._offload_after and not triage_worker.running()
            ):
                return
        worker = triage_worker.shared_worker(self.model)
        if worker is None:
            self._offload_after = None
            return
        future = worker.submit(texts)
        with self._lock:
            for text in texts:
                self._sent[text] = (texts, future)

    def _collect(self, texts: list[str], future: Future[list[Triage]]) -> None:
        """The worker's triages of a chunk (none if it failed: then they are triaged here)."""
        try:
            triages = future.result()
        except Exception:
            triages = []
        for text, triage in zip(texts, triages, strict=False):
            self._by_text.setdefault(text, triage)
        with self._lock:
            for text in texts:
                self._sent.pop(text, None)

    def __len__(self) -> int:
        """How many distinct texts were triaged (so far collected from the worker)."""
        return len(self._by_text)


class Reads:
    """Sources read in `pool`'s threads, their citizen messages triaged by `triaged` in the
    thread that asks for their batches."""

    def __init__(self, pool: ThreadPoolExecutor, triaged: Triaged) -> None:
        self._pool = pool
        self.triaged = triaged
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._ended: set[Future[SourceBatch]] = set()

    def start(
        self, read: Callable[..., SourceBatch], *args: Any, **kwargs: Any
    ) -> Future[SourceBatch]:
        """Start `read(*args, **kwargs, on_item=...)` in the pool (a reader of `collect`)."""
        future = self._pool.submit(self._read, read, *args, **kwargs)
        # After the read's last items (the queue keeps their order): the read has ended.
        future.add_done_callback(self._queue.put)
        return future

    def _read(self, read: Callable[..., SourceBatch], *args: Any, **kwargs: Any) -> SourceBatch:
        """`read`, its items passed on `HANDOFF` at a time: waking the collecting thread for
        each item would cost more than letting a few wait."""
        pending: list[Item] = []

        def on_item(item: Item) -> None:
            pending.append(item)
            if len(pending) >= HANDOFF:
                self.triaged.offer(pending)
                self._queue.put(pending.copy())
                pending.clear()

        try:
            return read(*args, on_item=on_item, **kwargs)
        finally:
            if pending:
                self.triaged.offer(pending)
                self._queue.put(pending)

    def result(self, future: Future[SourceBatch]) -> SourceBatch:
        """Triage what the reads bring until this one has ended; its batch (or its error)."""
        while future not in self._ended:
            entry = self._queue.get()
            if isinstance(entry, Future):
                self._ended.add(entry)
                continue
            for item in entry:
                self.triaged.early(item)
        return future.result()
