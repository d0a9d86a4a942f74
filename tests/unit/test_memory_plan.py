"""The memory plan made before a chat model is loaded: the figures of the real families' configs, and per-GPU caps
(the GPU query is faked: this machine has none; the plan's arithmetic is the unit)."""

from __future__ import annotations

import pytest
import torch

from kb_assistant.errors import InsufficientMemoryError
from kb_assistant.llms.memory_plan import GIB, check_plan, kv_bytes_per_token, memory_plan, planned_tokens

# From the checkpoints' config.json.
QWEN2_7B = {"num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4, "hidden_size": 3584,
            "intermediate_size": 18944, "max_position_embeddings": 32768}
DEEPSEEK_V2_LITE = {"num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16, "hidden_size": 2048,
                    "intermediate_size": 10944, "kv_lora_rank": 512, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128,
                    "v_head_dim": 128, "max_position_embeddings": 163840}
DEEPSEEK_V2_LITE_PARAMETERS = 15_706_484_224


@pytest.fixture
def two_big_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda index=0: (140 * GIB, 141 * GIB))


def test_kv_cache_per_token_follows_the_attention_layout() -> None:
    assert kv_bytes_per_token(QWEN2_7B, 2) == 28 * 2 * 4 * 128 * 2  # grouped-query heads: 56 KiB a token
    assert kv_bytes_per_token(DEEPSEEK_V2_LITE, 2) == 27 * (512 + 64) * 2  # latent attention caches the latent


def test_the_prompt_room_is_the_configured_window_or_the_models_own() -> None:
    assert planned_tokens(QWEN2_7B, 8192) == 8192
    assert planned_tokens({"max_position_embeddings": 2048}, 8192) == 2048


@pytest.mark.usefixtures("two_big_gpus")
def test_deepseek_fits_two_24_gb_caps_with_an_8k_prompt_and_not_one() -> None:
    split = memory_plan(DEEPSEEK_V2_LITE_PARAMETERS, "bfloat16", "balanced", config=DEEPSEEK_V2_LITE, tokens=8192,
                        max_memory_gb=24)
    assert split.free == 48 * GIB and split.devices == 2
    check_plan(split, "DeepSeek-Coder-V2-Lite-Instruct", "bfloat16")
    assert 30 * GIB < split.needed < 40 * GIB
    assert split.weights_budget() < 24 * GIB  # each GPU keeps room for its share of the prompt

    one = memory_plan(DEEPSEEK_V2_LITE_PARAMETERS, "bfloat16", "cuda:0", config=DEEPSEEK_V2_LITE, tokens=8192,
                      max_memory_gb=24)
    with pytest.raises(InsufficientMemoryError, match=r"needs ~3\d\.\d GB in bfloat16 for its weights and a prompt of 8,192 "
                       r"tokens, you have 24\.0 GB free on cuda:0 \(at most 24 GB each, llm_max_memory_gb\)"):
        check_plan(one, "DeepSeek-Coder-V2-Lite-Instruct", "bfloat16")
