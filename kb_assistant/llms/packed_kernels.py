"""Attention for the engine's packed passes on CUDA, as one Triton kernel: every token of a pass (a decoding
row's next token, or a prompt piece's tokens) attends to the cached keys of its own cache row, up to its own
position. The work list (which tokens, which row, from which position) is a small table in device memory, so
the same kernel launch serves any mix of decoding rows and prompt pieces and a whole pass can be captured as a
CUDA graph and replayed with new tables.

Why: a packed pass through PyTorch's operations calls attention once per prompt piece and once for the
decoding rows, with a mask built on the host, about 25 kernels a layer; a pass of a few hundred tokens (a
prompt whose start was cached, a piece prefilled while others decode) spent more time launching them than
computing.
"""

from __future__ import annotations

import torch

from kb_assistant.llms.decode_kernels import triton

if triton is not None:
    import triton.language as tl

BLOCK_M = 16
"""Query tokens of one prompt piece a program takes (with all query heads of one key/value head)."""
SMALL_PASS = 256
"""Passes of at most this many tokens take ``SMALL_BLOCK_M`` tokens a program: twice the programs, where a few
hundred tokens leave most of the GPU's multiprocessors idle (a prompt whose start was cached). On an H200 it
moved such a pass by -0.1 to +0.1 ms (Qwen2-7B) and -0.4 ms with 4 decoding rows beside it (Llama-3-8B); in
passes of 1,000 tokens it cost 0.35 ms, so large passes keep ``BLOCK_M``."""
SMALL_BLOCK_M = 8
"""Query tokens a program takes in passes of at most ``SMALL_PASS`` tokens."""
BLOCK_N = 128
"""Cached positions a program reads per iteration (64 before: a 200-token pass after 800 cached positions took
0.3-0.4 ms longer on an H200, Qwen2-7B; a cold 1,000-token pass the same)."""
FLOAT32_BLOCK_N = 64
"""The same for float32 inputs, whose tiles of 128 positions would need twice the shared memory."""
LAUNCH = {"num_warps": 8, "num_stages": 2}
"""Warps and software-pipeline stages of the attention kernel (``benchmarks/packed_profile.py`` compares)."""


def block_rows(tokens: int) -> int:
    """Query tokens a program takes in a pass of ``tokens`` tokens (a graph's bucket size, or the eager pass's)."""
    return SMALL_BLOCK_M if tokens <= SMALL_PASS else BLOCK_M


def table_capacity(tokens: int, rows: int) -> int:
    """Entries a pass of ``tokens`` tokens over at most ``rows`` cache rows can need: each piece adds at most one
    partial block, each decoding token is a block of its own."""
    return -(-tokens // block_rows(tokens)) + 2 * rows


def block_table(decode_count: int, pieces: list[tuple[int, int, int]], block_m: int = BLOCK_M) -> list[list[int]]:
    """The work list of a pass: ``[first token in the pass, tokens, cache row, position of the first]`` for each
    block of at most ``block_m`` tokens. Decoding rows come first (token i is row i's next token; its position is
    filled in by the caller), then the ``pieces`` as ``(cache row, first position, tokens)`` in pass order."""
    table = [[i, 1, i, -1] for i in range(decode_count)]
    offset = decode_count
    for row, start, size in pieces:
        for first in range(0, size, block_m):
            table.append([offset + first, min(block_m, size - first), row, start + first])
        offset += size
    return table


def packed_attention(queries: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor, table: torch.Tensor,
                     scale: float, block_m: int = BLOCK_M) -> torch.Tensor:
    """Causal attention of ``queries`` (tokens x heads x head_dim, already rotated) to cache rows, as ``table``
    (blocks x 4, int32, see :func:`block_table`, built with the same ``block_m``; unused entries all zero) says.
    Tokens in no block are left unwritten (padding)."""
    _, heads, dim = queries.shape
    kv_heads = k_cache.shape[1]
    group = heads // kv_heads
    out = torch.empty_like(queries)
    _packed_attention[(table.shape[0], kv_heads)](
        queries, k_cache, v_cache, table, out,
        queries.stride(0), queries.stride(1), k_cache.stride(0), k_cache.stride(1), k_cache.stride(2), scale,
        G=group, G_PAD=triton.next_power_of_2(group), D=dim, BLOCK_M=block_m,
        BLOCK_N=FLOAT32_BLOCK_N if queries.dtype == torch.float32 else BLOCK_N,
        IEEE=queries.dtype == torch.float32, **LAUNCH,
    )
    return out


if triton is not None:

    @triton.jit
    def _packed_attention(q_ptr, k_ptr, v_ptr, table_ptr, out_ptr, s_token, s_head, s_row, s_kv_head, s_pos, scale,
                          G: tl.constexpr, G_PAD: tl.constexpr, D: tl.constexpr, BLOCK_M: tl.constexpr,
                          BLOCK_N: tl.constexpr, IEEE: tl.constexpr):
        # One program: up to BLOCK_M consecutive tokens of one piece x the G query heads of one key/value head,
        # as BLOCK_M * G_PAD rows of one tile, against the piece's cache row in BLOCK_N-position steps.
        block, kv_head = tl.program_id(0), tl.program_id(1)
        first = tl.load(table_ptr + block * 4)
        count = tl.load(table_ptr + block * 4 + 1)
        row = tl.load(table_ptr + block * 4 + 2)
        start = tl.load(table_ptr + block * 4 + 3)
        r = tl.arange(0, BLOCK_M * G_PAD)
        m, g = r // G_PAD, r % G_PAD
        live = (m < count) & (g < G)
        d = tl.arange(0, D)
        heads = kv_head * G + g
        q = tl.load(q_ptr + (first + m)[:, None] * s_token + heads[:, None] * s_head + d[None, :],
                    mask=live[:, None], other=0.0)
        seen = start + m  # each query token's own position: it sees keys 0..seen
        end = start + count
        best = tl.full([BLOCK_M * G_PAD], float("-inf"), tl.float32)
        total = tl.zeros([BLOCK_M * G_PAD], tl.float32)
        acc = tl.zeros([BLOCK_M * G_PAD, D], tl.float32)
        base = row.to(tl.int64) * s_row + kv_head * s_kv_head
        for key in range(0, end, BLOCK_N):
            n = key + tl.arange(0, BLOCK_N)
            k = tl.load(k_ptr + base + n[:, None] * s_pos + d[None, :], mask=(n < end)[:, None], other=0.0)
            if IEEE:
                scores = tl.dot(q, tl.trans(k), input_precision="ieee")
            else:
                scores = tl.dot(q, tl.trans(k))
            # base-2 exponentials: the scale carries log2(e)
            scores = tl.where(n[None, :] <= seen[:, None], scores * (scale * 1.4426950408889634), float("-inf"))
            new_best = tl.maximum(best, tl.max(scores, 1))
            weights = tl.exp2(scores - new_best[:, None])
            fade = tl.exp2(best - new_best)
            total = total * fade + tl.sum(weights, 1)
            v = tl.load(v_ptr + base + n[:, None] * s_pos + d[None, :], mask=(n < end)[:, None], other=0.0)
            if IEEE:
                acc = acc * fade[:, None] + tl.dot(weights.to(v.dtype), v, input_precision="ieee")
            else:
                acc = acc * fade[:, None] + tl.dot(weights.to(v.dtype), v)
            best = new_best
        out = acc / total[:, None]
        tl.store(out_ptr + (first + m)[:, None] * s_token + heads[:, None] * s_head + d[None, :],
                 out.to(out_ptr.dtype.element_ty), mask=live[:, None])
