"""Concurrent calls combined into batches: each caller gets its own result, errors reach every caller of the
batch, and the real embedding model embeds concurrent queries together as it would one by one."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from kb_assistant.combined_calls import CombinedCalls


def call_from_threads(calls: CombinedCalls[Any, Any], items: list[Any]) -> dict[Any, Any]:
    """``calls(item)`` for every item, each from its own thread, started together; item -> result or error."""
    outcomes: dict[Any, Any] = {}
    start = threading.Barrier(len(items))

    def one(item: Any) -> None:
        start.wait()
        try:
            outcomes[item] = calls(item)
        except Exception as error:  # noqa: BLE001 - the test looks at what each caller got
            outcomes[item] = error

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_calls_that_queue_during_a_batch_run_together_and_each_gets_its_own_result() -> None:
    first_batch_started, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def run_batch(items: list[int]) -> list[int]:
        batches.append(list(items))
        if len(batches) == 1:
            first_batch_started.set()
            release.wait(timeout=30)
        return [item * 10 for item in items]

    calls: CombinedCalls[int, int] = CombinedCalls(run_batch)
    holder = threading.Thread(target=lambda: calls(0))
    holder.start()
    first_batch_started.wait(timeout=30)
    waiting = threading.Thread(target=lambda: results.update(call_from_threads(calls, list(range(1, 9)))))
    results: dict[int, int] = {}
    waiting.start()
    while calls.waiting < 8:  # all eight queued behind the running batch
        time.sleep(0.01)
    release.set()
    holder.join(timeout=30)
    waiting.join(timeout=30)
    assert results == {item: item * 10 for item in range(1, 9)}
    assert [sorted(batch) for batch in batches] == [[0], list(range(1, 9))]
    assert calls.batches == 2


def test_an_error_reaches_every_caller_of_its_batch_and_later_calls_still_run() -> None:
    def run_batch(items: list[str]) -> list[str]:
        if "bad" in items:
            raise ValueError("no vector for 'bad'")
        return [item.upper() for item in items]

    calls: CombinedCalls[str, str] = CombinedCalls(run_batch, max_batch=1)
    outcomes = call_from_threads(calls, ["a", "bad", "b"])
    assert outcomes["a"] == "A" and outcomes["b"] == "B"
    assert isinstance(outcomes["bad"], ValueError)
    assert calls("c") == "C"
    assert calls.batches == 4  # max_batch 1: one by one


def test_concurrent_queries_get_the_vectors_they_get_one_by_one(embeddings: Any) -> None:
    """To float rounding; in int8 (on x86 CPUs, after a first large batch) activations share one scale per
    batch, so a vector depends a little on its batch, as a chunk's does at ingestion: the int8 encoder's own
    tolerance (cosine 0.99 to float32) applies."""
    from kb_assistant.int8_encoder import _MIN_COSINE

    least = _MIN_COSINE if embeddings.precision == "int8" else 0.998  # reading it settles int8 where it applies
    questions = ["周明远的办公室在哪里？", "How much does the enterprise license cost?", "备份多久做一次？",
                 "Which port does the server listen on?", "值班电话是多少？", "Who is on call this week?"]
    alone = {q: np.array(embeddings.embed_query(q)) for q in questions}
    before = embeddings.query_batches.batches
    together = call_from_threads(embeddings.query_batches, questions)
    assert embeddings.query_batches.batches - before < len(questions)  # some were embedded together
    for question in questions:
        vector = np.array(together[question])
        assert float(vector @ alone[question]) >= least
        assert max(questions, key=lambda q: float(vector @ alone[q])) == question
