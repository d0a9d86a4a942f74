"""The batching engine with CUDA graphs: greedy output equals plain ``generate``. Skipped without a GPU.

Runs on the GPU machine without LangChain: ``python -m pytest --noconftest tests/gpu``.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import torch

from kb_assistant.llms.engine import GenerationEngine, Sampling
from tests.unit.test_engine import random_model, reference

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.mark.parametrize("kind", ["qwen2", "llama3"])
def test_graph_decoding_matches_generate(kind: str) -> None:
    model = random_model(kind).cuda()
    engine = GenerationEngine(model, max_batch=8, max_len=512)
    assert engine.decoder.cuda_graphs
    try:
        prompts = [[(7 * i + j) % 290 + 5 for j in range(n)] for i, n in enumerate((5, 40, 130, 600 // 4, 9, 77))]
        expected = [reference(model, p, 40) for p in prompts]
        results: dict[int, list[int]] = {}
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, engine.generate(prompts[i], Sampling(max_new_tokens=40))))
                   for i in range(len(prompts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert [results[i] for i in range(len(prompts))] == expected
        assert engine.decoder._graphs  # decoding went through captured graphs
        assert engine.steps_ahead >= 30  # and greedy steps were queued on the GPU's own tokens (37 of 40 on an H200)
    finally:
        engine.close()


@pytest.mark.parametrize("kind", ["qwen2", "llama3"])
def test_packed_prefill_chunks_and_prefix_reuse_match_generate(kind: str) -> None:
    model = random_model(kind).cuda()
    engine = GenerationEngine(model, max_batch=8, max_len=512, prefix_rows=2, prefill_chunk=16, min_prefix=16)
    try:
        system = [(11 * j) % 290 + 5 for j in range(120)]
        prompts = [system + [(5 * i + j) % 290 + 5 for j in range(3 + 7 * i)] for i in range(6)]
        expected = [reference(model, p, 30) for p in prompts]
        first = engine.generate(prompts[0], Sampling(max_new_tokens=30))
        assert first == expected[0]
        # A burst: packed passes (16-token pieces while others decode), each prompt starting from the kept one.
        requests = [engine.submit(p, Sampling(max_new_tokens=30)) for p in prompts[1:]]
        assert [list(r.stream(timeout=300)) for r in requests] == expected[1:]
        assert all(r.reused >= 120 for r in requests)
    finally:
        engine.close()


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32], ids=["bfloat16", "float16", "float32"])
def test_int8_kernel_matches_the_widened_weights(dtype: torch.dtype) -> None:
    from kb_assistant.llms.int8_weights import Int8Weight, linear

    torch.manual_seed(0)
    weight = Int8Weight.quantize(torch.randn(1000, 520) * 0.02)
    gpu = Int8Weight(weight.values.cuda(), weight.scales.cuda())
    for rows in (1, 7, 32, 100, 1100):  # decode-step tiles, then prompt-pass tiles (1,100: past the widest class)
        x = torch.randn(rows, 520)
        expected = linear(x, weight)  # CPU: the whole matrix widened, fp32 sums
        got = linear(x.to("cuda", dtype), gpu).float().cpu()
        tolerance = 1e-4 if dtype == torch.float32 else 2e-2 * float(expected.abs().max())
        assert torch.allclose(got, expected, atol=tolerance, rtol=0 if dtype == torch.float32 else 1e-2), rows


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32], ids=["bfloat16", "float16", "float32"])
def test_int8_batch_one_product_matches_the_widened_weights(dtype: torch.dtype) -> None:
    from kb_assistant.llms.int8_weights import Int8Weight, linear

    torch.manual_seed(0)
    weight = Int8Weight.quantize(torch.randn(4100, 1100) * 0.02)  # a model-sized matrix: the tuned kernel
    gpu = Int8Weight(weight.values.cuda(), weight.scales.cuda())
    x = torch.randn(1, 1100)
    expected = linear(x, weight)
    got = linear(x.to("cuda", dtype), gpu).float().cpu()
    tolerance = 1e-4 if dtype == torch.float32 else 2e-2 * float(expected.abs().max())
    assert torch.allclose(got, expected, atol=tolerance, rtol=0 if dtype == torch.float32 else 1e-2)


def test_int8_engine_with_graphs_computes_what_the_widened_model_does() -> None:
    from tests.unit.test_engine import test_int8_weights_compute_what_their_dequantised_weights_compute as check

    check(device="cuda")


def test_grammars_hold_their_requests_in_graph_steps_and_leave_the_others_alone(tmp_path: Any) -> None:
    """Tool calls and JSON through the engine on CUDA: each constrained request's output parses and matches its
    schema whatever the (random) weights, and a free request decoding in the same steps is what it is alone."""
    import json

    from kb_assistant.llms.constrained import GrammarConstraint, guidance_tokenizer, json_grammar
    from tests.tiny_model import build_tiny_model

    model, tokenizer = build_tiny_model(tmp_path / "tiny")
    model = model.cuda()
    eos = [tokenizer.convert_tokens_to_ids("<|im_end|>")]
    guidance = guidance_tokenizer(tokenizer, eos)
    schema = {"type": "object", "properties": {"pick": {"enum": ["a", "b"]}, "n": {"type": "integer", "minimum": 0, "maximum": 99}},
              "required": ["pick", "n"], "additionalProperties": False}
    grammar = json_grammar(schema)
    engine = GenerationEngine(model, max_batch=8, max_len=512)
    assert engine.decoder.cuda_graphs
    try:
        prompt = tokenizer("Hello world, how are you today?")["input_ids"]
        alone = engine.generate(prompt, Sampling(max_new_tokens=60))
        free = engine.submit(prompt, Sampling(max_new_tokens=60))
        constrained = [engine.submit(prompt[: 4 + i], Sampling(max_new_tokens=60, eos_token_ids=tuple(eos), temperature=1.0,
                                                                constraint=GrammarConstraint(grammar, guidance)))
                       for i in range(4)]
        assert list(free.stream(timeout=300)) == alone
        for request in constrained:
            value = json.loads(tokenizer.decode([t for t in request.stream(timeout=300) if t not in eos]))
            assert value["pick"] in ("a", "b") and isinstance(value["n"], int)
    finally:
        engine.close()


@pytest.mark.parametrize("int8", [False, True])
def test_the_engine_in_float16_computes_what_float32_does(int8: bool) -> None:
    """``llm_dtype = "float16"``: the engine on cards without bfloat16, and int8 weights with finer arithmetic
    than bfloat16's. Its prompt passes (the packed kernels, int8 products with large tiles) give the float32
    model's last-token logits (with the same int8 rounding where int8 is on) within half precision's rounding;
    the decode kernels are checked in float16 in tests/gpu/test_decode_kernels.py."""
    from kb_assistant.llms.int8_weights import Int8Weight
    from kb_assistant.llms.kv_decoder import Chunk
    from tests.gpu.test_decode_kernels import _model

    reference_model = _model("qwen2")  # float32, head size 32: the Triton kernels' path
    if int8:
        with torch.no_grad():
            for layer in reference_model.model.layers:
                for module in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj,
                               layer.self_attn.o_proj, layer.mlp.gate_proj, layer.mlp.up_proj, layer.mlp.down_proj):
                    module.weight.copy_(Int8Weight.quantize(module.weight).dequantize())
            head = Int8Weight.quantize(reference_model.lm_head.weight).dequantize()
            reference_model.lm_head.weight = torch.nn.Parameter(head)  # untied: the input embedding stays
    text = [(7 * j) % 290 + 5 for j in range(150)]
    lengths = (16, 40, 77, 150)
    with torch.inference_mode():
        logits = reference_model(torch.tensor([text], device="cuda")).logits[0].float()
    expected = torch.stack([logits[n - 1] for n in lengths])
    engine = GenerationEngine(_model("qwen2").half(), max_batch=1, max_len=256, int8=int8)
    try:
        decoder = engine.decoder
        assert decoder.dtype == torch.float16 and decoder.triton_decode
        with torch.inference_mode():
            # a pass's logits live in its graph's output buffer, which the next pass overwrites: each is copied
            got = torch.stack([decoder.forward_packed(0, [], [], [Chunk(0, text[:n], 0, True)])[0].float().clone()
                               for n in lengths])
    finally:
        engine.close()
    error = float((got - expected).abs().max()) / float(expected.abs().max())
    assert error < 1e-2, error


@pytest.mark.parametrize("graphs", [True, False], ids=["graphs", "eager"])
@pytest.mark.parametrize("kind", ["qwen2", "llama3"])
def test_decode_steps_after_a_prompt_pass_give_the_models_logits(kind: str, graphs: bool) -> None:
    """A text read teacher-forced, as ``benchmarks/int8_agreement.py`` reads it: a 16-token prompt pass, then one
    decode step a position. Every step's logits are the float32 model's at that position (Triton's float32
    products may round inputs to tf32, hence the tolerance; a wrong position or cache row is off by O(1))."""
    from kb_assistant.llms.kv_decoder import Chunk, SlotDecoder
    from tests.gpu.test_decode_kernels import _model

    model = _model(kind)
    text = [(7 * j) % 290 + 5 for j in range(150)]
    prompt = 16
    with torch.inference_mode():
        expected = model(torch.tensor([text], device="cuda")).logits[0, prompt - 1 : -1].float()
    decoder = SlotDecoder(model, max_batch=1, max_len=160, cuda_graphs=graphs)
    assert decoder.triton_decode
    with torch.inference_mode():
        # each step's logits live in its graph's output buffer, which the next step overwrites: each is copied
        got = [decoder.forward_packed(0, [], [], [Chunk(0, text[:prompt], 0, True)])[0].float().clone()]
        got += [decoder.decode([token], [prompt + step])[0].float().clone() for step, token in enumerate(text[prompt:-1])]
    errors = (torch.stack(got) - expected).abs().amax(-1) / expected.abs().amax(-1)
    wrong = [(prompt - 1 + i, round(float(e), 4)) for i, e in enumerate(errors) if e >= 1e-2]
    assert not wrong, wrong[:10]
