"""Which runtime runs a local chat model on the CPU (``llm_runtime``), and what the llama.cpp side computes itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kb_assistant.config import Settings
from kb_assistant.errors import ConfigError
from kb_assistant.llms import llama_cpp_model
from kb_assistant.llms.llama_cpp_model import _RepetitionPenalty, cpu_threads
from kb_assistant.llms.loading import runs_on_llama_cpp

PACKAGED = "packaged:qwen2.5-0.5b-instruct"


def test_the_repetition_penalty_is_that_of_transformers_over_the_prompt_too() -> None:
    # llama.cpp's own penalty looks at the last 64 tokens; the family's 1.05 must weigh the whole prompt as
    # transformers does, or the two runtimes answer differently
    from transformers import RepetitionPenaltyLogitsProcessor

    rng = np.random.default_rng(0)
    ids = rng.integers(0, 500, size=300).astype(np.intc)
    scores = rng.normal(size=500).astype(np.float32)
    expected = RepetitionPenaltyLogitsProcessor(1.05)(torch.from_numpy(ids.astype(np.int64))[None],
                                                      torch.from_numpy(scores.copy())[None])[0].numpy()
    got = _RepetitionPenalty(1.05)(ids, scores.copy())
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert not np.allclose(got, scores)  # it did penalise


def test_llama_cpp_runs_only_when_asked_and_only_a_packaged_gguf_with_a_message_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not runs_on_llama_cpp(PACKAGED, Settings())  # transformers unless asked: its bfloat16 prompt pass is faster
    assert runs_on_llama_cpp(PACKAGED, Settings(llm_runtime="llama.cpp"))
    for other in ("qwen2-7b", "/models/qwen2-7b", "packaged:multilingual-e5-small"):
        with pytest.raises(ConfigError, match="llm_runtime to transformers"):
            runs_on_llama_cpp(other, Settings(llm_runtime="llama.cpp"))
    assert runs_on_llama_cpp(PACKAGED, Settings(llm_runtime="llama.cpp", llm_device_map="cpu"))
    for setting in ({"llm_dtype": "float32"}, {"llm_quantization": "8bit"}, {"llm_device_map": "cuda"}):
        with pytest.raises(ConfigError, match=f"takes no {next(iter(setting))}: unset"):  # not quietly ignored
            runs_on_llama_cpp(PACKAGED, Settings(llm_runtime="llama.cpp", **setting))
    monkeypatch.setattr(llama_cpp_model, "llama_cpp_available", lambda: False)
    with pytest.raises(ConfigError, match="llama-cpp-python"):
        llama_cpp_model.LlamaCppModel(None, None, context=4096)  # type: ignore[arg-type]


def test_llama_cpp_takes_the_threads_torch_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert cpu_threads() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert cpu_threads() == (__import__("os").cpu_count() or 1)


def test_the_batching_engine_is_not_asked_of_llama_cpp_and_insisting_on_it_says_what_to_change() -> None:
    from kb_assistant.errors import ModelError
    from kb_assistant.llms.decoding_options import choose_engine
    from kb_assistant.llms.specs import get_spec

    model = object.__new__(llama_cpp_model.LlamaCppModel)  # what decides is its kind, not its weights
    spec = get_spec("qwen2.5-0.5b-instruct")
    options = {"max_batch": 4, "max_len": 512, "prefix_rows": 0, "prefill_chunk": 256}
    assert choose_engine(model, spec, mode="auto", int8=False, **options) is None
    for mode, int8 in (("batched", False), ("auto", True)):
        with pytest.raises(ModelError, match="llm_runtime to transformers"):
            choose_engine(model, spec, mode=mode, int8=int8, **options)
