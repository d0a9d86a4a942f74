"""Schemathesis with all its checks against the real server: no 5xx, every status and body as documented,
schema-valid requests accepted, schema-violating ones refused, ``Allow`` headers right."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.server.conftest import start_server, stop_server

pytestmark = pytest.mark.slow
CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_the_api_matches_its_schema_under_fuzzing(tmp_path: Path) -> None:
    # Generation is capped at 4 tokens so hundreds of requests finish in a minute or two on a CPU.
    server = start_server(tmp_path / "store", {"KB_MAX_TOKENS_LIMIT": "4", "KB_MAX_BODY_MB": "1"})
    try:
        cli = Path(sys.executable).with_name("schemathesis")
        result = subprocess.run(
            [str(cli), "--no-color", "--config-file", str(CONFIG), "run", f"{server.url}/openapi.json",
             "--checks", "all", "--max-examples", "12", "--seed", "16", "--request-timeout", "120"],
            capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )
        assert result.returncode == 0, result.stdout[-6000:]
        assert requests.get(f"{server.url}/health", timeout=10).json()["status"] == "ready"
    finally:
        stop_server(server)
