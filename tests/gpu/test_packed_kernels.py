"""Packed passes on the GPU: the one-kernel attention against PyTorch's, the graph-replayed Triton pass against
the PyTorch pass, and the engine using them against plain ``generate``. Skipped without a GPU.

Runs on the GPU machine without LangChain: ``python -m pytest --noconftest tests/gpu``.
"""

from __future__ import annotations

import threading

import pytest
import torch
import torch.nn.functional as F

from kb_assistant.llms import decode_kernels, packed_kernels
from kb_assistant.llms.engine import SETTLED_TOKENS, GenerationEngine, Sampling
from kb_assistant.llms.kv_decoder import Chunk, SlotDecoder
from tests.gpu.test_decode_kernels import _generated, _model

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.mark.parametrize("block_m", [packed_kernels.SMALL_BLOCK_M, packed_kernels.BLOCK_M])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=["float32", "bfloat16", "float16"])
@pytest.mark.parametrize(("heads", "kv_heads", "dim"), [(28, 4, 128), (32, 8, 128), (14, 2, 16)])
def test_packed_attention_computes_what_pytorch_does(dtype: torch.dtype, heads: int, kv_heads: int, dim: int,
                                                     block_m: int) -> None:
    torch.manual_seed(0)
    device = torch.device("cuda")
    assert decode_kernels.available(dim, device)
    k_cache = torch.randn(6, kv_heads, 1024, dim, device=device, dtype=dtype)
    v_cache = torch.randn_like(k_cache)
    # Two decoding rows (rows 0 and 1 at positions 700 and 0), a whole prompt in row 4, a piece of row 5 that
    # starts after 300 cached positions (33 tokens: two full blocks and a partial one).
    decode_positions = [700, 0]
    pieces = [(4, 0, 50), (5, 300, 33)]
    table = packed_kernels.block_table(len(decode_positions), pieces, block_m)
    for i, position in enumerate(decode_positions):
        table[i][3] = position
    tokens = len(decode_positions) + sum(size for _, _, size in pieces)
    padded = torch.zeros(packed_kernels.table_capacity(tokens, 6), 4, dtype=torch.long)
    padded[: len(table)] = torch.tensor(table)
    queries = torch.randn(tokens + 5, heads, dim, device=device, dtype=dtype)  # 5 padding tokens at the end
    out = packed_kernels.packed_attention(queries, k_cache, v_cache, padded.to(device), dim**-0.5, block_m)

    owners = [(i, p) for i, p in enumerate(decode_positions)]
    owners += [(row, start + j) for row, start, size in pieces for j in range(size)]
    tolerance = 1e-4 if dtype == torch.float32 else 2e-2
    for token, (row, position) in enumerate(owners):
        keys, values = k_cache[row, :, : position + 1].float(), v_cache[row, :, : position + 1].float()
        query = queries[token].float().view(kv_heads, heads // kv_heads, dim)
        expected = F.scaled_dot_product_attention(query, keys, values, scale=dim**-0.5).reshape(heads, dim)
        assert torch.allclose(out[token].float(), expected, atol=tolerance, rtol=tolerance), token


@pytest.mark.parametrize("kind", ["qwen2", "llama3"])
def test_graph_replayed_packed_passes_compute_what_the_pytorch_pass_does(kind: str) -> None:
    model = _model(kind).float()
    triton_side = SlotDecoder(model, max_batch=4, max_len=512)
    torch_side = SlotDecoder(model, max_batch=4, max_len=512)
    torch_side.packed = None
    assert triton_side.packed is not None and triton_side.cuda_graphs
    generator = torch.Generator().manual_seed(3)
    prompts = [torch.randint(5, 300, (n,), generator=generator).tolist() for n in (40, 20, 57, 1100 // 4)]
    passes = [
        (0, [], [], [Chunk(0, prompts[0], 0, True), Chunk(1, prompts[1], 0, True)]),  # two prompts: a graph
        (2, [7, 9], [40, 20], [Chunk(2, prompts[2][:30], 0, False)]),  # two decoding rows and a first piece
        (2, [11, 13], [41, 21], [Chunk(2, prompts[2][30:], 30, True), Chunk(3, prompts[3], 0, True)]),
    ]
    for decode_count, tokens, positions, chunks in passes:
        got = triton_side.forward_packed(decode_count, tokens, positions, chunks)
        expected = torch_side.forward_packed(decode_count, tokens, positions, chunks)
        assert got.shape == expected.shape
        assert torch.allclose(got, expected, atol=1e-4, rtol=1e-4)
    assert triton_side.packed._graphs  # the passes above went through captured graphs
    for mine, theirs in zip(triton_side.k_cache + triton_side.v_cache, torch_side.k_cache + torch_side.v_cache, strict=True):
        assert torch.allclose(mine[:4, :, :300], theirs[:4, :, :300], atol=1e-5)
    # a pass larger than the largest graph (two prompts, 1,100 tokens) runs the same kernels eagerly
    long_prompts = [torch.randint(5, 300, (n,), generator=generator).tolist() for n in (600, 500)]
    chunks = [Chunk(0, long_prompts[0], 0, True), Chunk(1, long_prompts[1], 0, True)]
    small, plain = SlotDecoder(model, max_batch=2, max_len=1024), SlotDecoder(model, max_batch=2, max_len=1024)
    plain.packed = None
    assert torch.allclose(small.forward_packed(0, [], [], chunks), plain.forward_packed(0, [], [], chunks),
                          atol=1e-4, rtol=1e-4)


def test_engine_with_packed_graphs_matches_generate_under_a_burst_and_prefix_reuse() -> None:
    model = _model("qwen2").float()
    engine = GenerationEngine(model, max_batch=8, max_len=1024, prefix_rows=2, prefill_chunk=16, min_prefix=16)
    engine.warm_up(400)
    try:
        system = [(11 * j) % 290 + 5 for j in range(120)]
        prompts = [system + [(5 * i + j) % 290 + 5 for j in range(3 + 17 * i)] for i in range(6)]
        expected = [_generated(model, prompt, 30) for prompt in prompts]
        # An earlier request decodes through the burst: pieces of <= 16 tokens, decode steps between them.
        earlier = engine.submit(prompts[0], Sampling(max_new_tokens=200))
        stream = earlier.stream(timeout=300)
        first = [next(stream) for _ in range(SETTLED_TOKENS)]
        results: dict[int, list[int]] = {}
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, engine.generate(prompts[i], Sampling(max_new_tokens=30))))
                   for i in range(1, len(prompts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert [results[i] for i in range(1, len(prompts))] == expected[1:]
        assert (first + list(stream))[:30] == expected[0]
        assert engine.reused_tokens >= 120 * 5  # every burst prompt started from the kept system prompt
    finally:
        engine.close()
