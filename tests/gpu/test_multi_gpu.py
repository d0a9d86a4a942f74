"""A model split over two GPUs by ``llm_device_map = "balanced"`` gives the same greedy tokens as on one GPU.
Skipped where fewer than two GPUs are visible.

Runs on the GPU machine without LangChain: ``python -m pytest --noconftest tests/gpu``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from kb_assistant.config import Settings
from kb_assistant.llms.loading import load_model
from tests.tiny_model import build_tiny_model

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA GPUs")]


def layered_model(folder: Path) -> None:
    """A small Qwen2 whose decoder layers outweigh its embedding, so that "balanced" puts layers on both GPUs."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    _, tokenizer = build_tiny_model(folder)
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=256, intermediate_size=1024, num_hidden_layers=6,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         tie_word_embeddings=True)
    model = Qwen2ForCausalLM(config).eval()
    model.generation_config.eos_token_id = None
    model.save_pretrained(str(folder))


def greedy(folder: Path, device_map: str) -> tuple[list[int], set[str]]:
    loaded = load_model(str(folder), Settings(llm_device_map=device_map, llm_dtype="float32", llm_family="qwen2-7b"))
    ids = torch.tensor([[(7 * j) % 300 + 5 for j in range(40)]], device="cuda:0")
    out = loaded.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=32,
                                min_new_tokens=32, do_sample=False)
    devices = {str(p.device) for p in loaded.model.parameters()}
    return out[0, ids.shape[1]:].tolist(), devices


def test_a_model_split_over_two_gpus_generates_what_one_gpu_does(tmp_path: Path) -> None:
    layered_model(tmp_path / "model")
    one, one_devices = greedy(tmp_path / "model", "cuda:0")
    split, split_devices = greedy(tmp_path / "model", "balanced")
    assert one_devices == {"cuda:0"}
    assert split_devices == {"cuda:0", "cuda:1"}
    assert split == one
