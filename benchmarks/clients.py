"""What the benchmarks that play many clients share: start them as threads and wait, and read percentiles."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


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
