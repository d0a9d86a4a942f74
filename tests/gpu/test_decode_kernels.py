"""The decode step's Triton kernels (rotary embedding + cache write, split attention) against PyTorch's operations,
and the engine that uses them against plain ``generate``. Skipped without a GPU.

Runs on the GPU machine without LangChain: ``python -m pytest --noconftest tests/gpu``.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from kb_assistant.llms import decode_kernels
from kb_assistant.llms.engine import GenerationEngine, Sampling

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def _reference(qkv: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, positions: torch.Tensor, k_cache: torch.Tensor,
               v_cache: torch.Tensor, heads: int, kv_heads: int, length: int, scale: float) -> torch.Tensor:
    rows, _, dim = qkv.shape
    qk = qkv[:, : heads + kv_heads].float()
    qk = qk * cos[:, None].float() + torch.roll(qk, dim // 2, dims=-1) * sin[:, None].float()
    index = torch.arange(rows, device=qkv.device)
    k_cache[index, :, positions] = qk[:, heads:].to(k_cache.dtype)
    v_cache[index, :, positions] = qkv[:, heads + kv_heads :]
    future = torch.arange(length, device=qkv.device)[None] > positions[:, None]
    mask = torch.zeros(rows, length, device=qkv.device).masked_fill(future, float("-inf"))[:, None, None]
    queries = qk[:, :heads].to(qkv.dtype).reshape(rows, kv_heads, heads // kv_heads, dim)
    return F.scaled_dot_product_attention(queries.float(), k_cache[:rows, :, :length].float(),
                                          v_cache[:rows, :, :length].float(), attn_mask=mask, scale=scale)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=["float32", "bfloat16", "float16"])
@pytest.mark.parametrize(("rows", "heads", "kv_heads", "dim", "length"),
                         [(1, 28, 4, 128, 1536), (3, 32, 8, 128, 512), (32, 28, 4, 128, 1024), (5, 14, 2, 16, 2048)])
def test_kernels_compute_what_pytorch_does(dtype: torch.dtype, rows: int, heads: int, kv_heads: int, dim: int, length: int) -> None:
    torch.manual_seed(0)
    device = torch.device("cuda")
    assert decode_kernels.available(dim, device)
    qkv = torch.randn(rows, heads + 2 * kv_heads, dim, device=device, dtype=dtype)
    angles = torch.rand(rows, dim // 2, device=device) * 6.28
    cos = torch.cat([angles.cos()] * 2, dim=-1).to(dtype)
    sin = torch.cat([-angles.sin(), angles.sin()], dim=-1).to(dtype)
    positions = torch.randint(0, length, (rows,), device=device)
    positions[0] = 0  # a row that sees only its own new key
    caches = [torch.randn(rows + 2, kv_heads, 2048, dim, device=device, dtype=dtype) for _ in range(2)]
    expected_caches = [c.clone() for c in caches]
    scale = dim**-0.5
    expected = _reference(qkv, cos, sin, positions, *expected_caches, heads, kv_heads, length, scale)

    queries = decode_kernels.rope_and_cache(qkv, cos, sin, positions, *caches, heads, kv_heads)
    got = decode_kernels.decode_attention(queries.view(rows, kv_heads, heads // kv_heads, dim), *caches, positions, length, scale)

    tolerance = 1e-4 if dtype == torch.float32 else 2e-2
    assert torch.allclose(caches[0].float(), expected_caches[0].float(), atol=tolerance)  # rotated keys written in place
    assert torch.equal(caches[1], expected_caches[1])  # values copied as they are
    assert torch.allclose(got.float(), expected, atol=tolerance, rtol=tolerance)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=["float32", "bfloat16", "float16"])
@pytest.mark.parametrize(("rows", "hidden"), [(1, 3584), (7, 4096), (32, 200)])
def test_fused_residual_norm_and_activation(dtype: torch.dtype, rows: int, hidden: int) -> None:
    torch.manual_seed(0)
    x = torch.randn(rows, hidden, device="cuda", dtype=dtype)
    delta = torch.randn_like(x)
    weight = torch.rand(hidden, device="cuda", dtype=dtype) + 0.5
    expected_x = x + delta
    expected = F.rms_norm(expected_x.float(), (hidden,), weight.float(), 1e-6)
    normed = decode_kernels.add_rms_norm(x, delta, weight, 1e-6)
    tolerance = 1e-5 if dtype == torch.float32 else 2e-2
    assert torch.equal(x, expected_x)  # the residual stream, updated in place
    assert torch.allclose(normed.float(), expected, atol=tolerance, rtol=tolerance)

    gate_up = torch.randn(rows, 2 * hidden, device="cuda", dtype=dtype)
    gate, up = gate_up.chunk(2, dim=-1)
    assert torch.allclose(decode_kernels.silu_mul(gate_up).float(), (F.silu(gate) * up).float(), atol=tolerance, rtol=tolerance)


def _model(kind: str) -> torch.nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(1)
    # head size 32 (a power of two, as in the real models): the engine's Triton decode path
    common = {"vocab_size": 300, "hidden_size": 256, "intermediate_size": 320, "num_hidden_layers": 2,
              "num_attention_heads": 8, "num_key_value_heads": 2, "max_position_embeddings": 1024}
    config = Qwen2Config(**common, tie_word_embeddings=True) if kind == "qwen2" else LlamaConfig(**common)
    model = (Qwen2ForCausalLM if kind == "qwen2" else LlamaForCausalLM)(config)
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    return model.eval().cuda()


def _generated(model: torch.nn.Module, prompt: list[int], new: int) -> list[int]:
    """Plain greedy ``generate``: the tokens the engine must produce."""
    with torch.inference_mode():
        ids = torch.tensor([prompt], device="cuda")
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new, min_new_tokens=new,
                             do_sample=False)
    return out[0, len(prompt):].tolist()


@pytest.mark.parametrize("kind", ["qwen2", "llama3"])
def test_engine_with_the_kernels_matches_generate(kind: str) -> None:
    model = _model(kind)
    engine = GenerationEngine(model, max_batch=8, max_len=1024)
    assert engine.decoder.triton_decode and engine.decoder.cuda_graphs
    try:
        prompts = [[(7 * i + j) % 290 + 5 for j in range(n)] for i, n in enumerate((5, 130, 600))]
        expected = [_generated(model, prompt, 40) for prompt in prompts]
        requests = [engine.submit(p, Sampling(max_new_tokens=40)) for p in prompts]
        assert [list(r.stream(timeout=300)) for r in requests] == expected
    finally:
        engine.close()
