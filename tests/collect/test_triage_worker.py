"""Triage in a worker process for big batches (`collect.triage_worker`): the same triage as in
the collecting process, small batches never start it, and a worker that fails or dies costs
nothing but time (its texts are triaged in the collecting process)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import citizen_desk.triage as triage_package
from citizen_desk.collect import triage_worker
from citizen_desk.collect.pretriage import HANDOFF, Reads, Triaged
from citizen_desk.collect.records import SourceBatch
from citizen_desk.triage.classify import classify
from citizen_desk.triage.model import load_model
from tests.collect.test_store import QUESTION, TIP, URGENT_TIP, msg

TEXTS = (QUESTION, TIP, URGENT_TIP)


@pytest.fixture(autouse=True)
def no_worker() -> Iterator[None]:
    """Each test starts without this process's worker, and stops the one it started."""
    triage_worker.close_shared()
    yield
    triage_worker.close_shared()


@pytest.fixture
def inline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts triaged in the collecting process."""
    seen: list[str] = []

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(text)
        return classify(text, *args, **kwargs)

    monkeypatch.setattr(triage_package, "classify", counting)
    return seen


def text(n: int) -> str:
    return f"{TEXTS[n % 3]} {n}"


def read(count: int, *, on_item: Any) -> SourceBatch:
    """A reader of `count` citizen messages with distinct texts and a page reply every 10."""
    batch = SourceBatch("messenger", on_item=on_item)
    for n in range(count):
        batch.add(msg(f"m{n}", n, "out" if n % 10 == 9 else "in", text=text(n)))
    return batch


def collect(triaged: Triaged, count: int) -> SourceBatch:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="collect-read") as pool:
        reads = Reads(pool, triaged)
        return reads.result(reads.start(read, count))


def test_a_big_batch_is_triaged_by_the_worker_as_the_collecting_process_would(inline) -> None:
    model = load_model()
    triaged = Triaged(model, offload_after=HANDOFF)
    batch = collect(triaged, 4 * HANDOFF)
    assert triage_worker.running()
    results = [triaged(item) for item in batch.items]
    citizen = [i for i in batch.items if i.direction == "in"]
    # the first hand-off here, the rest in the worker
    assert len(inline) == len({i.text for i in citizen[: HANDOFF - HANDOFF // 10]})
    assert len(inline) < len(citizen)
    assert results == [
        classify(i.text, model=model) if i.direction == "in" else None for i in batch.items
    ]


def test_a_small_batch_starts_no_worker(inline) -> None:
    triaged = Triaged(load_model(), offload_after=triage_worker.OFFLOAD_AFTER)
    batch = collect(triaged, 2 * HANDOFF)
    assert not triage_worker.running()
    assert len(inline) == len(triaged) == sum(i.direction == "in" for i in batch.items)


def test_a_running_worker_is_used_from_the_first_text(inline) -> None:
    model = load_model()
    assert triage_worker.shared_worker(model) is not None
    triaged = Triaged(model, offload_after=triage_worker.OFFLOAD_AFTER)
    batch = collect(triaged, HANDOFF)
    assert inline == []
    assert triaged(batch.items[0]) == classify(text(0), model=model)


def test_off_keeps_triage_in_the_collecting_process(monkeypatch, inline) -> None:
    monkeypatch.setenv(triage_worker.ENV_VAR, "off")
    triaged = Triaged(load_model(), offload_after=0)
    collect(triaged, 2 * HANDOFF)
    assert not triage_worker.running()
    assert len(inline) == len(triaged)


def test_a_dead_worker_s_texts_are_triaged_in_the_collecting_process(monkeypatch, inline):
    model = load_model()
    worker = triage_worker.shared_worker(model)
    assert worker is not None
    worker._proc.kill()  # as if the OOM killer took it
    worker._receiver.join(timeout=30)
    assert worker.broken
    monkeypatch.setattr(triage_worker, "shared_worker", lambda _model: worker)  # no new one
    triaged = Triaged(model, offload_after=0)
    batch = collect(triaged, 2 * HANDOFF)
    results = [triaged(item) for item in batch.items]
    assert results == [
        classify(i.text, model=model) if i.direction == "in" else None for i in batch.items
    ]
    assert len(inline) == sum(i.direction == "in" for i in batch.items)


def test_a_chunk_the_worker_cannot_triage_fails_alone_and_says_no_text() -> None:
    worker = triage_worker.shared_worker(None)
    assert worker is not None
    bad = worker.submit([5])  # type: ignore[list-item]  # classify raises on it
    with pytest.raises(triage_worker.WorkerGone) as failed:
        bad.result(timeout=30)
    assert "5" not in str(failed.value)
    assert worker.submit([URGENT_TIP]).result(timeout=30) == [classify(URGENT_TIP, model=None)]


def test_the_worker_writes_nothing_the_collecting_process_could_log() -> None:
    worker = triage_worker.shared_worker(None)
    assert worker is not None
    assert worker._proc.args[-1] == triage_worker.__name__
    assert worker._proc.stderr is None  # not piped here: sent to /dev/null
