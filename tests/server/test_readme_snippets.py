"""The README's Python snippets run as written, with the embedded models, in one namespace as a reader would
paste them: the library example (over a ``docs/`` folder holding the sample documents), the LCEL, tools and
structured-output examples, and the HTTP client example (its ``127.0.0.1:6006`` pointed at the test's real server)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.server.conftest import Server

pytestmark = pytest.mark.slow


def python_blocks(section: str) -> list[str]:
    """The ```python blocks of one ``## section`` of the README."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)


def test_library_snippets_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks("Library API")
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "data", tmp_path / "docs")
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    answer = namespace["qa"].invoke("kb-assistant 的 HTTP 服务默认监听哪个端口？")
    assert "6006" in answer["answer"]
    assert namespace["pipeline"].invoke("kb-assistant 的 HTTP 服务默认监听哪个端口？")["cites"]
    assert "6006" in namespace["search"].invoke({"query": "HTTP 服务 默认端口"})
    assert namespace["call"]["name"] == "get_weather" and namespace["call"]["args"] == {"city": "Paris"}
    assert isinstance(namespace["person"], namespace["Person"])


def test_http_snippet_runs_against_a_real_server(server: Server) -> None:
    (block,) = python_blocks("HTTP API")
    namespace: dict[str, Any] = {}
    exec(compile(block.replace("http://127.0.0.1:6006", server.url), "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["calls"][0]["name"] == "get_weather" and namespace["calls"][0]["args"] == {"city": "Paris"}
