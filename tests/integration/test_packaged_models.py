"""A packaged chat model's GGUF becomes a plain transformers folder holding exactly the weights it carries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_a_packaged_gguf_converts_into_the_weights_transformers_reads_from_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from kb_assistant.packaged import PACKAGED_MODELS, source_files
    from kb_assistant.packaged import gguf as gguf_module

    gguf = source_files(PACKAGED_MODELS["smollm2-135m-instruct"])[0]  # Llama architecture, tied embeddings
    monkeypatch.setattr(gguf_module, "SHARD_BYTES", 64 << 20)  # several shards, as the larger models get
    gguf_module.convert_gguf(gguf, tmp_path / "model")

    index = json.loads((tmp_path / "model" / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 3
    ours = AutoModelForCausalLM.from_pretrained(str(tmp_path / "model"))
    theirs = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    assert ours.dtype == torch.float32
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert mine.keys() == reference.keys()
    assert all(torch.equal(mine[k], reference[k]) for k in reference)
    assert AutoTokenizer.from_pretrained(str(tmp_path / "model"))("知识库 answers").input_ids
