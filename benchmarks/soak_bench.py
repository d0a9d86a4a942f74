"""A soak test of the HTTP server: mixed load for minutes, then the checks a busy team relies on.

Starts `serve` on 127.0.0.1 with the embedded default models and a KB of the sample documents, measures an
idle server's latency for a normal request, then runs ``--clients`` clients for ``--minutes``: plain and
streamed chat, KB questions, uploads and deletes, searches, and clients that drop their stream after the
first chunk. Reports status counts, p50/p95 latency of normal requests, /health latency, the server's RSS
and threads every 30 s, how long the server takes to be idle (CPU < 5 %, queue 0) after the last client
leaves, and a normal request right after a storm of dropped streams, as a ratio to the idle one.

    python benchmarks/soak_bench.py --minutes 10 --clients 12

Targets (issue 16): no 5xx; RSS at the end within 15 % of RSS after the first minute; idle within 5 s of
the last client; the request after the drop storm no slower than 2x the idle one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parents[1]
NORMAL = {"model": "default", "messages": [{"role": "user", "content": "用一句话介绍知识库。"}], "max_tokens": 16}
KB_QUESTIONS = ["kb-assistant 的 HTTP 服务默认监听哪个端口？", "Which embedding model is the default?", "如何更新知识库？"]


def start(store: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KB_PERSIST_DIR": str(store), "KB_MAX_NEW_TOKENS": "32", "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "kb_assistant", "ingest", str(REPO / "data")], env=env, check=True, capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "kb_assistant", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).json()["status"] == "ready":
                return process
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("server did not start")


def timed_normal(url: str) -> float:
    started = time.perf_counter()
    response = requests.post(f"{url}/v1/chat/completions", json=NORMAL, timeout=300)
    response.raise_for_status()
    return time.perf_counter() - started


def drop_stream(session: requests.Session, url: str, body: dict) -> int:
    with session.post(f"{url}/v1/chat/completions", json={**body, "stream": True}, stream=True, timeout=300) as response:
        if response.status_code == 200:
            next(response.iter_lines(), None)
        return response.status_code


class Load:
    """The clients, the statuses they saw and the latencies of their normal requests."""

    def __init__(self, url: str, seconds: float) -> None:
        self.url = url
        self.stop_at = time.time() + seconds
        self.statuses: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.lock = threading.Lock()

    def record(self, kind: str, status: int | str, seconds: float | None = None) -> None:
        with self.lock:
            self.statuses[f"{kind} {status}"] += 1
            if seconds is not None and status == 200:
                self.latencies.append(seconds)

    def client(self, index: int) -> None:
        rng = random.Random(index)
        session = requests.Session()
        url = self.url
        while time.time() < self.stop_at:
            action = rng.choices(["plain", "stream", "kb", "drop", "upload", "search"], [3, 2, 3, 3, 1, 1])[0]
            started = time.perf_counter()
            try:
                if action == "plain":
                    r = session.post(f"{url}/v1/chat/completions", json=NORMAL, timeout=300)
                    self.record(action, r.status_code, time.perf_counter() - started)
                elif action == "stream":
                    with session.post(f"{url}/v1/chat/completions", json={**NORMAL, "stream": True}, stream=True, timeout=300) as r:
                        for _ in r.iter_lines():
                            pass
                    self.record(action, r.status_code, time.perf_counter() - started)
                elif action == "kb":
                    body = {"model": "kb:default", "messages": [{"role": "user", "content": rng.choice(KB_QUESTIONS)}]}
                    r = session.post(f"{url}/v1/chat/completions", json=body, timeout=300)
                    self.record(action, r.status_code, time.perf_counter() - started)
                elif action == "drop":
                    self.record(action, drop_stream(session, url, {"model": "kb:default", "messages": [
                        {"role": "user", "content": rng.choice(KB_QUESTIONS)}]}))
                elif action == "upload":
                    name = f"soak-{index}-{rng.randrange(10**6)}.md"
                    text = f"# 记录 {index}\n第 {rng.randrange(1000)} 号设备的巡检周期是 {rng.randrange(2, 30)} 天。\n" * 20
                    r = session.post(f"{url}/v1/kbs/soak/files", files=[("files", (name, text.encode(), "text/markdown"))], timeout=300)
                    self.record(action, r.status_code)
                    if r.status_code == 200:
                        d = session.delete(f"{url}/v1/kbs/soak/files/{name}", timeout=300)
                        self.record("delete", d.status_code)
                else:
                    r = session.post(f"{url}/v1/kbs/default/search", json={"query": rng.choice(KB_QUESTIONS), "k": 3}, timeout=300)
                    self.record(action, r.status_code, time.perf_counter() - started)
                if self.statuses.get(f"{action} 429"):
                    time.sleep(0.5)
            except requests.RequestException as e:
                self.record(action, type(e).__name__)


def monitor(url: str, process: psutil.Process, stop: threading.Event, samples: list[dict[str, float]], health: list[float]) -> None:
    started = time.time()
    next_sample = started
    while not stop.is_set():
        t = time.perf_counter()
        try:
            requests.get(f"{url}/health", timeout=30)
            health.append(time.perf_counter() - t)
        except requests.RequestException:
            health.append(float("inf"))
        if time.time() >= next_sample:
            samples.append({"t": round(time.time() - started), "rss_mb": round(process.memory_info().rss / 2**20),
                            "threads": process.num_threads()})
            next_sample += 30
        stop.wait(1.0)


def seconds_to_idle(url: str, process: psutil.Process, limit: float = 120) -> float:
    """From now until the server uses under 5 % CPU over half a second and its queue is empty."""
    started = time.perf_counter()
    process.cpu_percent(None)
    while time.perf_counter() - started < limit:
        time.sleep(0.5)
        cpu = process.cpu_percent(None)
        active = requests.get(f"{url}/health", timeout=30).json()["queue"]["active"]
        if cpu < 5 and active == 0:
            return time.perf_counter() - started
    return float("inf")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--drops", type=int, default=40, help="streams dropped in the storm after the load")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    port = 6300 + os.getpid() % 500
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        server = start(Path(tmp) / "store", port)
        process = psutil.Process(server.pid)
        try:
            timed_normal(url)  # warm-up
            idle = statistics.median(timed_normal(url) for _ in range(3))
            load = Load(url, args.minutes * 60)
            samples: list[dict[str, float]] = []
            health: list[float] = []
            stop = threading.Event()
            watcher = threading.Thread(target=monitor, args=(url, process, stop, samples, health), daemon=True)
            watcher.start()
            clients = [threading.Thread(target=load.client, args=(i,), daemon=True) for i in range(args.clients)]
            for c in clients:
                c.start()
            for c in clients:
                c.join()
            to_idle = seconds_to_idle(url, process)
            stop.set()
            watcher.join()
            # The drop storm: many streams opened and closed after their first chunk, as fast as possible.
            session = requests.Session()
            storm = Counter(drop_stream(session, url, {**NORMAL, "max_tokens": 32}) for _ in range(args.drops))
            after_storm = timed_normal(url)
            storm_idle = seconds_to_idle(url, process)
            rss_first = next((s["rss_mb"] for s in samples if s["t"] >= 60), samples[-1]["rss_mb"])
            rss_end = process.memory_info().rss / 2**20
        finally:
            server.terminate()
            server.wait(timeout=30)
    server_errors = sum(n for k, n in load.statuses.items() if k.split()[-1].startswith("5"))
    result = {
        "minutes": args.minutes, "clients": args.clients, "statuses": dict(sorted(load.statuses.items())),
        "server_errors": server_errors,
        "normal_p50_s": round(pct(load.latencies, 0.5), 2), "normal_p95_s": round(pct(load.latencies, 0.95), 2),
        "health_p50_ms": round(pct(health, 0.5) * 1000, 1), "health_p95_ms": round(pct(health, 0.95) * 1000, 1),
        "samples": samples, "rss_after_1min_mb": rss_first, "rss_end_mb": round(rss_end),
        "rss_growth": round(rss_end / rss_first - 1, 3),
        "seconds_to_idle": round(to_idle, 1),
        "storm": dict(storm), "seconds_to_idle_after_storm": round(storm_idle, 1),
        "idle_request_s": round(idle, 2), "after_storm_request_s": round(after_storm, 2),
        "after_storm_ratio": round(after_storm / idle, 2),
    }
    for sample in samples:
        print(f"t={sample['t']:>5}s  rss {sample['rss_mb']:>6} MB  threads {sample['threads']}")
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, ensure_ascii=False, indent=1))
    checks = {
        "no 5xx": server_errors == 0,
        "RSS within 15% of minute 1": result["rss_growth"] <= 0.15,
        "idle within 5 s": to_idle <= 5,
        "after the storm <= 2x idle": result["after_storm_ratio"] <= 2,
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
