"""A bounded load test of the HTTP server against the tutorial's server, measured in the same run.

32 concurrent clients POST / for 30 s each against 127.0.0.1 (16 new tokens, embedded default model).
Reports per server: requests OK, designed 429s, other errors, p50/p95 latency of OK requests, throughput,
and the p95 latency of /health probes sent meanwhile (does the server stay responsive under load?).

    python benchmarks/load_bench.py --clients 32 --seconds 30
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from kb_assistant.config import Settings
from kb_assistant.packaged import resolve_packaged

REPO = Path(__file__).resolve().parents[1]


def wait_ready(url: str, probe: str, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url + probe, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not start")


def hammer(url: str, clients: int, seconds: float, probe: str | None) -> dict[str, float]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    probes: list[float] = []
    lock = threading.Lock()
    stop_at = time.time() + seconds

    def client(i: int) -> None:
        session = requests.Session()
        while time.time() < stop_at:
            started = time.perf_counter()
            try:
                response = session.post(url, json={"prompt": f"Question {i}: what is a knowledge base?", "history": [], "max_length": 16}, timeout=seconds + 120)
                key = str(response.status_code)
                if response.status_code == 429:
                    time.sleep(float(response.headers.get("Retry-After", "1")))
            except requests.RequestException as e:
                key = type(e).__name__
            elapsed = time.perf_counter() - started
            with lock:
                statuses[key] = statuses.get(key, 0) + 1
                if key == "200":
                    latencies.append(elapsed)

    def prober() -> None:
        while time.time() < stop_at:
            started = time.perf_counter()
            try:
                requests.get(url + probe, timeout=60)
                probes.append(time.perf_counter() - started)
            except requests.RequestException:
                probes.append(60.0)
            time.sleep(1)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    if probe:
        threads.append(threading.Thread(target=prober))
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - started
    ok = statuses.get("200", 0)
    quantiles = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else [float("nan")] * 19
    return {
        "ok": ok,
        "designed_429": statuses.get("429", 0),
        "other_errors": sum(v for k, v in statuses.items() if k not in ("200", "429")),
        "statuses": statuses,
        "p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "p95_s": round(quantiles[18], 2),
        "throughput_rps": round(ok / wall, 3),
        "wall_s": round(wall, 1),
        "probe_p95_s": round(sorted(probes)[int(0.95 * (len(probes) - 1))], 3) if probes else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    model = resolve_packaged("packaged:qwen2.5-0.5b-instruct", Settings().cache_dir)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "KB_PERSIST_DIR": str(Path(scratch) / "store"), "KB_MAX_NEW_TOKENS": "16"}
        ours = subprocess.Popen([sys.executable, "-m", "kb_assistant", "serve", "--port", "6091"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready("http://127.0.0.1:6091", "/health")
            while requests.get("http://127.0.0.1:6091/health", timeout=5).json()["status"] != "ready":
                time.sleep(0.5)
            results["kb-assistant"] = hammer("http://127.0.0.1:6091/", args.clients, args.seconds, "/health")
        finally:
            ours.terminate()
            ours.wait()
        baseline = subprocess.Popen([sys.executable, str(REPO / "benchmarks" / "tutorial_server.py"), str(model), "6092"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready("http://127.0.0.1:6092", "/docs")
            results["tutorial"] = hammer("http://127.0.0.1:6092/", args.clients, args.seconds, "/docs")
        finally:
            baseline.terminate()
            baseline.wait()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
