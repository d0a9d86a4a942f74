"""Property-based fuzzing of the OpenAPI schema against the real server: no input yields a 5xx."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.server.conftest import start_server, stop_server

pytestmark = pytest.mark.slow


def test_no_server_errors_from_schema_fuzzing(tmp_path: Path) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings

    # Generation is capped at 4 tokens so hundreds of requests finish in a couple of minutes on a CPU.
    server = start_server(tmp_path / "store", {"KB_MAX_TOKENS_LIMIT": "4", "KB_MAX_BODY_MB": "1"})
    try:
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        failures: list[str] = []
        session = requests.Session()
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy())
            @hypothesis_settings(
                max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
            )
            def check(case: object) -> None:
                response = case.call(base_url=server.url, session=session, timeout=120)  # type: ignore[attr-defined]
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")  # type: ignore[attr-defined]

            check()
        assert not failures, "\n".join(failures[:10])
        assert requests.get(f"{server.url}/health", timeout=10).json()["status"] == "ready"
    finally:
        stop_server(server)
