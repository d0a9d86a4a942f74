"""`ask` as a user meets it: mistakes are one line, said before any model loads."""

from __future__ import annotations

import pytest

from tests.cli.test_ingest_cli import run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", ""), "the question is empty"),
        (("ask", "   "), "the question is empty"),
        (("ask", "--kb", "nosuchkb", "默认端口是多少？"), "knowledge base 'nosuchkb' does not exist"),
        (("--llm-model", "nosuchmodel", "ask", "hi"), "chat model 'nosuchmodel' is not a known family"),
    ],
)
def test_mistakes_are_one_line_before_any_model_loads(args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "Loading" not in result.stderr
