"""A float32 chat model's linear layers through oneDNN on the CPU (kb_assistant.cpu_linear)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from kb_assistant import cpu_linear
from kb_assistant.config import Settings
from kb_assistant.cpu_linear import OneDnnLinear, linear_through_onednn
from kb_assistant.llms import loading
from tests.tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module]:
    folder = tmp_path_factory.mktemp("tiny") / "tiny-onednn"
    model, _ = build_tiny_model(folder)
    return folder, model


def test_the_model_computes_what_it_did_with_the_same_weights(tiny) -> None:  # type: ignore[no-untyped-def]
    _, model = tiny
    fast = copy.deepcopy(model)
    random_state = torch.get_rng_state()
    assert linear_through_onednn(fast) == 2 * 7 + 1  # 2 layers x (q, k, v, o, gate, up, down), the output layer
    assert torch.equal(torch.get_rng_state(), random_state)  # a seeded caller's sampling is not moved
    assert {type(m) for m in fast.modules() if isinstance(m, torch.nn.Linear)} == {OneDnnLinear}
    assert fast.lm_head.weight is fast.model.embed_tokens.weight  # tied weights stay tied
    prompt = torch.randint(0, model.config.vocab_size, (2, 30))
    with torch.inference_mode():
        assert torch.allclose(fast(prompt).logits, model(prompt).logits, atol=1e-5)
        step = prompt[:1, :12]
        expected = model.generate(step, attention_mask=torch.ones_like(step), max_new_tokens=10, do_sample=False)
        got = fast.generate(step, attention_mask=torch.ones_like(step), max_new_tokens=10, do_sample=False)
    assert torch.equal(got, expected)


def test_where_onednn_fails_the_layers_stay_as_they_were(tiny, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _, model = tiny
    fast = copy.deepcopy(model)

    def unsupported(*_: object) -> torch.Tensor:
        raise RuntimeError("could not create a primitive descriptor for the inner product")

    monkeypatch.setattr(cpu_linear, "_onednn_linear", unsupported)
    assert linear_through_onednn(fast) == 0
    assert not any(isinstance(m, OneDnnLinear) for m in fast.modules())


@pytest.mark.parametrize(("overrides", "through_onednn"), [({}, True), ({"llm_dtype": "bfloat16"}, False)])
def test_loading_on_the_cpu_in_float32_uses_onednn(  # type: ignore[no-untyped-def]
    tiny, monkeypatch: pytest.MonkeyPatch, overrides: dict, through_onednn: bool
) -> None:
    folder, _ = tiny
    monkeypatch.setattr(loading, "cpu_has_bfloat16", lambda: False)  # auto: float32
    model = loading.load_model(str(folder), Settings(llm_device_map="cpu", **overrides)).model
    assert isinstance(model.lm_head, OneDnnLinear) == through_onednn
    assert all(isinstance(m, OneDnnLinear) == through_onednn
               for m in model.modules() if isinstance(m, torch.nn.Linear))
