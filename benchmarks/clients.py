"""What the benchmarks share: start clients as threads and wait, read percentiles, and time methods by thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

_inner = threading.local()


def percentile(values: list[float], q: float) -> float:
    """The value at quantile ``q`` (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_threads(count: int, client: Callable[[int], None]) -> float:
    """Run ``client(0)`` .. ``client(count - 1)`` in threads at once; seconds until the last one ended."""
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def timed_methods(obj: Any, names: list[str]) -> None:
    """Wrap ``obj``'s methods ``names`` so that each call's seconds add to the calling thread's totals
    (:func:`step_totals`). ``del obj.NAME`` takes a wrapper off again."""
    for name in names:
        method = getattr(obj, name)

        def wrapper(*args: Any, _method: Any = method, _name: str = name, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                totals = step_totals()
                totals[_name] = totals.get(_name, 0.0) + time.perf_counter() - started

        setattr(obj, name, wrapper)


def step_totals(reset: bool = False) -> dict[str, float]:
    """Seconds the calling thread spent in each timed method (since the last reset)."""
    if reset or not hasattr(_inner, "totals"):
        _inner.totals = {}
    return _inner.totals  # type: ignore[no-any-return]
