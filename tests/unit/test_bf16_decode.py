"""bfloat16 decode steps on a CPU that runs the chat model in float32 (kb_assistant.llms.bf16_decode)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from kb_assistant.config import Settings
from kb_assistant.llms import loading
from kb_assistant.llms.bf16_decode import Bf16DecodeLinear, decode_from_bfloat16
from tests.tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module, object]:
    folder = tmp_path_factory.mktemp("tiny") / "tiny-bf16"
    model, tokenizer = build_tiny_model(folder)
    return folder, model, tokenizer


def _rounded(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` with its linear weights rounded to bfloat16 and kept in float32: the numbers the bf16 copy holds."""
    rounded = copy.deepcopy(model)
    rounded.lm_head.weight = torch.nn.Parameter(rounded.lm_head.weight.detach().clone())  # the embeddings stay
    with torch.no_grad():
        for module in rounded.modules():
            if type(module) is torch.nn.Linear:
                module.weight.copy_(module.weight.to(torch.bfloat16).float())
    return rounded


def test_prompt_passes_compute_in_float32_from_the_rounded_weights(tiny) -> None:  # type: ignore[no-untyped-def]
    _, model, _ = tiny
    fast = copy.deepcopy(model)
    replaced = decode_from_bfloat16(fast)
    # 2 layers x (q, k, v, o, gate, up, down) + the output layer, which shares the embeddings' weight
    assert replaced == 2 * 7 + 1
    assert model.lm_head.weight is model.model.embed_tokens.weight  # the original is untouched
    assert fast.lm_head.weight.dtype == torch.bfloat16 and fast.model.embed_tokens.weight.dtype == torch.float32
    assert all(p.dtype == torch.float32 for n, p in fast.named_parameters() if "norm" in n)
    assert fast.dtype == torch.float32  # what transformers builds masks and caches in
    ids = torch.randint(0, model.config.vocab_size, (2, 40))
    with torch.inference_mode():
        # widening bfloat16 to float32 is exact: a prompt pass gives exactly the rounded float32 model's logits
        assert torch.equal(fast(ids).logits, _rounded(model)(ids).logits)


def test_decode_steps_follow_the_float32_model(tiny) -> None:  # type: ignore[no-untyped-def]
    _, model, _ = tiny
    fast = copy.deepcopy(model)
    decode_from_bfloat16(fast)
    prompt = torch.randint(0, model.config.vocab_size, (1, 12))
    with torch.inference_mode():
        reference = model(prompt, use_cache=True)
        stepped = fast(prompt, use_cache=True)
        token = reference.logits[:, -1:].argmax(-1)
        step_reference = model(token, past_key_values=reference.past_key_values).logits[0, -1]
        step = fast(token, past_key_values=stepped.past_key_values).logits[0, -1]
    assert step.dtype == torch.float32
    assert not torch.equal(step, step_reference)  # the one-row step did multiply in bfloat16
    assert torch.allclose(step, step_reference, atol=0.05 * float(step_reference.abs().max()))
    with torch.inference_mode():
        generated = fast.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=8, do_sample=False)
    assert generated.shape == (1, 20)


def test_layers_with_bias_add_it_in_float32() -> None:
    linear = torch.nn.Linear(16, 8, bias=True)
    holder = torch.nn.Sequential(linear)
    decode_from_bfloat16(holder)
    fast = holder[0]
    assert isinstance(fast, Bf16DecodeLinear) and fast.bias.dtype == torch.float32
    rounded = linear.weight.to(torch.bfloat16).float()
    step = torch.randn(1, 16)
    assert fast(step).dtype == torch.float32
    assert torch.allclose(fast(step), torch.nn.functional.linear(step, rounded, linear.bias), atol=0.05)
    prompt = torch.randn(5, 16)
    assert torch.equal(fast(prompt), torch.nn.functional.linear(prompt, rounded, linear.bias))


@pytest.mark.parametrize(
    ("overrides", "bf16_cpu", "expected"),
    [
        ({}, False, "bf16-decode"),  # the default on a CPU without bfloat16 instructions
        ({"llm_bf16_decode": False}, False, "float32"),
        ({"llm_dtype": "float32"}, False, "float32"),  # float32 asked for: float32 it is
        ({"llm_engine": "batched"}, False, "float32"),  # the engine lays out its own weights
        ({}, True, "bfloat16"),  # bfloat16 instructions: the whole model in bfloat16
    ],
)
def test_loading_decodes_from_bfloat16_only_where_float32_was_chosen_for_the_cpu(
    tiny, monkeypatch: pytest.MonkeyPatch, overrides: dict, bf16_cpu: bool, expected: str  # type: ignore[no-untyped-def]
) -> None:
    folder, _, _ = tiny
    monkeypatch.setattr(loading, "cpu_has_bfloat16", lambda: bf16_cpu)
    settings = Settings(llm_device_map="cpu", **overrides)
    model = loading.load_model(str(folder), settings).model
    kinds = {type(m).__name__ for m in model.modules() if isinstance(m, torch.nn.Linear)}
    got = "bf16-decode" if kinds == {"Bf16DecodeLinear"} else str(model.lm_head.weight.dtype).removeprefix("torch.")
    assert got == expected
