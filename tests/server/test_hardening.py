"""The server under abuse: clients that vanish, bodies over the limit in any encoding, other web pages that
try to write, odd names and empty files, blank keys. Each test failed on the server before it was hardened."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from tests.server.conftest import Server, upload_dir

pytestmark = pytest.mark.slow

LONG_STORY = {"model": "default", "messages": [{"role": "user", "content": "Write a long story about a cat and a dog."}],
              "max_tokens": 48}


def _active(server: Server) -> int:
    return int(requests.get(f"{server.url}/health", timeout=10).json()["queue"]["active"])


def _wait_idle(server: Server, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while _active(server) and time.time() < deadline:
        time.sleep(0.2)
    assert _active(server) == 0, "work for clients that left was still counted after 30 s"


def _cpu_seconds(server: Server) -> float:
    times = psutil.Process(server.process.pid).cpu_times()
    return float(times.user + times.system)


def _cpu_until_idle(server: Server, since: float) -> float:
    """CPU seconds the server used from ``since`` until its queue is empty and it sits idle."""
    _wait_idle(server)
    while True:
        before = _cpu_seconds(server)
        time.sleep(0.5)
        if _cpu_seconds(server) - before < 0.1:
            return before - since


def test_clients_that_leave_stop_their_generation(server: Server) -> None:
    """Dropped streams and timed-out plain requests free the model: the work done for nine clients that
    left is less than the work of one complete answer."""
    _cpu_until_idle(server, 0)
    start = _cpu_seconds(server)
    complete = requests.post(f"{server.url}/v1/chat/completions", json=LONG_STORY, timeout=120)
    assert complete.json()["usage"]["completion_tokens"] >= 40
    one_answer = _cpu_until_idle(server, start)

    start = _cpu_seconds(server)
    question = {"model": "kb:default", "messages": [{"role": "user", "content": "kb-assistant 的 HTTP 服务默认监听哪个端口？"}]}
    for _ in range(6):  # KB streams closed after their first chunk
        with requests.post(f"{server.url}/v1/chat/completions", json={**question, "stream": True}, stream=True, timeout=60) as r:
            next(r.iter_lines())
    for _ in range(3):  # plain requests whose client gives up (an HTTP read timeout)
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(f"{server.url}/v1/chat/completions", json=LONG_STORY, timeout=(5, 0.3))
    abandoned = _cpu_until_idle(server, start)
    # Before: every abandoned request still ran its prompt, the plain ones to the end (about 5x one answer).
    assert abandoned < 1.5 * one_answer, f"{abandoned:.1f} CPU s for clients that left vs {one_answer:.1f} s for one answer"
    ok = requests.post(f"{server.url}/v1/chat/completions", json={**LONG_STORY, "max_tokens": 4}, timeout=60)
    assert ok.status_code == 200 and ok.json()["choices"][0]["message"]["content"]


def _chunked(total: int, piece: int = 2**16) -> Iterator[bytes]:
    boundary = b"--kbtest\r\n"
    yield boundary + b'Content-Disposition: form-data; name="files"; filename="huge.md"\r\nContent-Type: text/markdown\r\n\r\n'
    line = "部署说明：调度器每 42 秒同步一次配置。\n".encode()
    sent = 0
    while sent < total:
        block = line * (piece // len(line))
        sent += len(block)
        yield block
    yield b"\r\n--kbtest--\r\n"


def test_the_body_limit_holds_for_chunked_uploads(server: Server) -> None:
    """A multipart body with no Content-Length is cut off at the limit: 413, nothing indexed or kept."""
    response = requests.post(
        f"{server.url}/v1/kbs/chunky/files", data=_chunked(6 * 2**20), timeout=120,
        headers={"Content-Type": "multipart/form-data; boundary=kbtest"},
    )
    assert response.status_code == 413 and "MB" in response.json()["detail"]
    assert requests.get(f"{server.url}/v1/kbs/chunky/files", timeout=30).status_code == 404
    assert not any(upload_dir(server, "chunky").glob("*")) if upload_dir(server, "chunky").exists() else True


def test_other_web_pages_cannot_write_and_rebinding_hosts_are_refused(server: Server) -> None:
    doc = [("files", ("planted.md", "# 植入\n这是别的网页上传的文件。".encode(), "text/markdown"))]
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"}
    # A page on another origin posting a form (fetch with mode: "no-cors" sends Origin; no preflight).
    planted = requests.post(f"{server.url}/v1/kbs/planted/files", files=doc, timeout=60,
                            headers={**browser, "Origin": "http://localhost:6199", "Sec-Fetch-Site": "same-site"})
    assert planted.status_code == 403 and "cors_origins" in planted.json()["detail"]
    chat = requests.post(f"{server.url}/v1/chat/completions", json=LONG_STORY, timeout=60,
                         headers={"Origin": "http://evil.example"})
    assert chat.status_code == 403
    # An old browser that sends no Origin: a form post must carry the page's own header.
    bare_form = requests.post(f"{server.url}/v1/kbs/planted/files", files=doc, headers=browser, timeout=60)
    assert bare_form.status_code == 403 and "x-kb-client" in bare_form.json()["detail"]
    assert requests.get(f"{server.url}/v1/kbs/planted/files", timeout=30).status_code == 404
    # DNS rebinding: the attacker's name resolves to 127.0.0.1, the browser sends its Host.
    rebound = requests.get(f"{server.url}/v1/kbs", headers={"Host": "rebind.evil.example"}, timeout=30)
    assert rebound.status_code == 400 and "host" in rebound.json()["detail"]
    # The page itself (same origin) and clients that are not browsers still work.
    port = server.url.rsplit(":", 1)[1]
    own = requests.post(f"{server.url}/v1/kbs/planted/search", json={"query": "x"}, timeout=60,
                        headers={**browser, "Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 404  # past the guard: the KB does not exist
    assert requests.get(f"{server.url}/v1/kbs", headers={"Host": f"localhost:{port}"}, timeout=30).status_code == 200


def test_long_cjk_names_and_empty_files_get_their_own_outcome(server: Server) -> None:
    name = "关于调度器配置同步周期的详细说明" * 6 + ".md"  # 96 CJK characters: 288 bytes
    files = [
        ("files", (name, "# 同步\n调度器每 42 秒同步一次配置。".encode(), "text/markdown")),
        ("files", ("empty2.md", b"  \n", "text/markdown")),
        ("files", ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")),
    ]
    response = requests.post(f"{server.url}/v1/kbs/names/files", files=files, timeout=300)
    assert response.status_code == 422, response.text
    outcomes = {f["source"]: f for f in response.json()["files"]}
    assert outcomes["empty2.md"]["status"] == "failed" and "empty" in outcomes["empty2.md"]["reason"]
    assert outcomes["logo.svg"]["status"] in ("skipped", "failed")
    long_one = next(f for s, f in outcomes.items() if s.startswith("关于调度器"))
    assert long_one["status"] == "added" and len(long_one["source"].encode()) <= 255
    kept = {p.name for p in upload_dir(server, "names").iterdir()}
    assert kept == {long_one["source"]}  # the empty file and the skipped .svg are not kept
    listed = requests.get(f"{server.url}/v1/kbs/names/files", timeout=30).json()["data"]
    assert [d["source"] for d in listed] == [long_one["source"]]


def test_blank_api_key_and_docs(server: Server, tmp_path: Path) -> None:
    env = {**os.environ, "KB_PERSIST_DIR": str(tmp_path / "store"), "KB_API_KEY": " "}
    started = time.time()
    blank = subprocess.run([sys.executable, "-m", "kb_assistant", "serve", "--host", "0.0.0.0"], env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert blank.returncode != 0 and "API key is blank" in blank.stderr and "Traceback" not in blank.stderr
    assert time.time() - started < 30  # refused before any model loads
    assert requests.get(f"{server.url}/docs", timeout=30).status_code == 404  # CDN assets: blank offline, so off
    assert requests.get(f"{server.url}/openapi.json", timeout=30).json()["info"]["title"] == "kb-assistant"


def test_a_busy_kb_fails_before_any_model_loads(tmp_path: Path) -> None:
    from filelock import FileLock

    store = tmp_path / "store"
    (store / "locks").mkdir(parents=True)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# a\ntext", encoding="utf-8")
    # A model that cannot load: had the CLI loaded it before trying the lock, this would be its error.
    env = {**os.environ, "KB_PERSIST_DIR": str(store), "KB_EMBEDDING_MODEL": str(tmp_path / "no-such-model")}
    with FileLock(str(store / "locks" / "default.lock")):
        result = subprocess.run([sys.executable, "-m", "kb_assistant", "ingest", str(docs)], env=env,
                                capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "another ingest is writing" in result.stderr and "Traceback" not in result.stderr
