"""A real uvicorn server on 127.0.0.1 in a subprocess, with the embedded default models."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO


@dataclass
class Server:
    url: str
    api_key: str | None
    process: subprocess.Popen[bytes]
    store: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(persist_dir: Path, env: dict[str, str] | None = None, timeout: float = 240) -> Server:
    port = free_port()
    full_env = {**os.environ, "KB_PERSIST_DIR": str(persist_dir), **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "kb_assistant", "serve", "--port", str(port)],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            if requests.get(f"{url}/health", timeout=2).json()["status"] == "ready":
                return Server(url, full_env.get("KB_API_KEY"), process, persist_dir)
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("server did not become ready")


def upload_dir(server: Server, kb: str) -> Path:
    """Where the server keeps the files uploaded to ``kb``."""
    return server.store / "uploads" / kb


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the package: KB 'default' holds the sample documents."""
    store = tmp_path_factory.mktemp("server") / "vectorstore"
    env = {**os.environ, "KB_PERSIST_DIR": str(store)}
    subprocess.run([sys.executable, "-m", "kb_assistant", "ingest", str(REPO / "data")], env=env, check=True, capture_output=True)
    running = start_server(store, {"KB_MAX_NEW_TOKENS": "48", "KB_MAX_BODY_MB": "4"})
    yield running
    stop_server(running)
