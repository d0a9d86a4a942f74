"""Triton kernels for the engine's decode step on CUDA, where a step over a few rows is a few microseconds of
work per kernel and PyTorch's general kernels cost more than the work:

- ``rope_and_cache``: rotary embedding of the new token's queries and keys, and the key/value write into the
  cache rows, in one kernel (five before: two multiplies, a roll and two indexed writes);
- ``add_rms_norm``: the residual add and the next RMS norm in one kernel; ``silu_mul``: the MLP's activation
  and product in one;
- ``decode_attention``: one query token per row against its cached keys ("flash decoding"): the keys are cut
  into slices that run in parallel, each with its own running softmax, then the slices are combined. At batch 1
  cuDNN's attention took 33 us a layer for 1,536 cached positions (a prefill kernel's tiles for one token);
  this pair takes 5.5 us.

They read the current positions from device memory, so they run inside the captured decode graphs. Elsewhere
(CPU, no Triton, a head size that is not a power of two) ``available`` says no and the engine keeps PyTorch's
operations. Float32 inputs multiply in full precision (the CPU-equal tests), not TF32. On Hopper and later they are
launched as dependent (:mod:`dependent_launch`): each starts while the kernel before it finishes.
"""

from __future__ import annotations

import torch

from kb_assistant.llms import dependent_launch

try:  # Triton ships with CUDA builds of torch; the CPU wheel has none
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the install
    triton = None

BLOCK_N = 64
"""Cached positions a slice reads per iteration."""
TARGET_PROGRAMS = 264
"""Slices in flight for a step: about two per multiprocessor of an H100/H200."""
ROPE_TOKENS = 16
"""Tokens one rotary/cache program takes in a pass of more than ``ROPE_ONE_BY_ONE`` tokens (a prompt piece): one
program per token and head made a cold 1,000-token prompt's rotary kernels 1.3 ms of its 22 (Qwen2-7B, H200)."""
ROPE_ONE_BY_ONE = 32
"""Passes of at most this many tokens (decode steps: one token a row) take one token a rotary/cache program."""


def available(head_dim: int, device: torch.device) -> bool:
    """Whether the kernels can run for this head size on this device."""
    return triton is not None and device.type == "cuda" and head_dim >= 16 and head_dim & (head_dim - 1) == 0


def rope_and_cache(
    qkv: torch.Tensor, cos: torch.Tensor, sin_signed: torch.Tensor, positions: torch.Tensor,
    k_cache: torch.Tensor, v_cache: torch.Tensor, heads: int, kv_heads: int,
    cache_rows: torch.Tensor | None = None, count: torch.Tensor | None = None,
) -> torch.Tensor:
    """Rotate the queries and keys of ``qkv`` (tokens x (heads + 2 kv_heads) x head_dim), write keys and values
    to cache row ``cache_rows[i]`` (default: row i) at ``positions[i]``, and return the rotated queries (tokens x
    heads x head_dim). ``cos`` and ``sin_signed`` are the tokens' tables (tokens x head_dim, the sine negated on
    its first half). With ``count`` (a one-element tensor), tokens from ``count[0]`` on are padding: nothing of
    theirs is written to the cache."""
    rows, _, dim = qkv.shape
    queries = torch.empty((rows, heads, dim), dtype=qkv.dtype, device=qkv.device)
    pdl = dependent_launch.enabled(qkv.device)
    tokens = 1 if rows <= ROPE_ONE_BY_ONE else ROPE_TOKENS
    _rope_and_cache[(triton.cdiv(rows, tokens), heads + 2 * kv_heads)](
        qkv, cos, sin_signed, positions, queries, k_cache, v_cache,
        positions if cache_rows is None else cache_rows, positions if count is None else count, rows,
        qkv.stride(0), qkv.stride(1), cos.stride(0), k_cache.stride(0), k_cache.stride(1), k_cache.stride(2),
        HEADS=heads, KV_HEADS=kv_heads, D=dim, HAS_ROWS=cache_rows is not None, HAS_COUNT=count is not None,
        TOKENS=tokens, PDL=pdl, launch_pdl=pdl,
    )
    return queries


def decode_attention(
    queries: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor, positions: torch.Tensor, length: int,
    scale: float,
) -> torch.Tensor:
    """Attention of ``queries`` (rows x kv_heads x group x head_dim) to cache row i's positions
    ``0..positions[i]`` (``length`` bounds them: the step's cache-length bucket). Returns the same shape."""
    rows, kv_heads, group, dim = queries.shape
    slices = max(1, min(triton.cdiv(TARGET_PROGRAMS, rows * kv_heads), triton.cdiv(length, BLOCK_N)))
    per_slice = triton.cdiv(triton.cdiv(length, slices), BLOCK_N) * BLOCK_N
    slices = triton.cdiv(length, per_slice)
    group_pad = max(16, triton.next_power_of_2(group))
    maxima = torch.empty((rows, kv_heads, slices, group_pad), dtype=torch.float32, device=queries.device)
    sums = torch.empty_like(maxima)
    partial = torch.empty((rows, kv_heads, slices, group_pad, dim), dtype=torch.float32, device=queries.device)
    ieee = queries.dtype == torch.float32
    pdl = dependent_launch.enabled(queries.device)
    _attend_slice[(rows, kv_heads, slices)](
        queries, k_cache, v_cache, positions, maxima, sums, partial,
        queries.stride(0), queries.stride(1), queries.stride(2),
        k_cache.stride(0), k_cache.stride(1), k_cache.stride(2), scale,
        G=group, G_PAD=group_pad, D=dim, PER_SLICE=per_slice, BLOCK=BLOCK_N, SLICES=slices, IEEE=ieee,
        PDL=pdl, launch_pdl=pdl,
    )
    out = torch.empty((rows, kv_heads, group, dim), dtype=queries.dtype, device=queries.device)
    _combine_slices[(rows, kv_heads * group)](maxima, sums, partial, out, G=group, G_PAD=group_pad, D=dim,
                                              SLICES=slices, SLICES_PAD=max(2, triton.next_power_of_2(slices)),
                                              PDL=pdl, launch_pdl=pdl)
    return out


def add_rms_norm(x: torch.Tensor, delta: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """``x += delta`` in place (the residual stream), and return the RMS norm of the new ``x`` times ``weight``:
    one kernel instead of an add and a norm. ``x`` and ``delta`` are contiguous rows x hidden."""
    rows, hidden = x.shape
    normed = torch.empty_like(x)
    pdl = dependent_launch.enabled(x.device)
    _add_rms_norm[(rows,)](x, delta, weight, normed, eps, N=hidden, BLOCK=triton.next_power_of_2(hidden), PDL=pdl,
                           launch_pdl=pdl)
    return normed


def silu_mul(gate_up: torch.Tensor) -> torch.Tensor:
    """``silu(gate) * up`` of the fused gate/up product's two halves (rows x 2n -> rows x n), in one kernel."""
    rows, double = gate_up.shape
    out = torch.empty((rows, double // 2), dtype=gate_up.dtype, device=gate_up.device)
    pdl = dependent_launch.enabled(gate_up.device)
    _silu_mul[(rows, triton.cdiv(double // 2, 1024))](gate_up, out, N=double // 2, BLOCK=1024, PDL=pdl,
                                                       launch_pdl=pdl)
    return out


if triton is not None:

    @triton.jit
    def wait_for_previous(PDL: tl.constexpr):
        """In a kernel launched as dependent: wait until the kernel before has finished and its writes are
        visible, then let the next kernel launch (it waits in turn before reading what this one writes)."""
        if PDL:
            tl.extra.cuda.gdc_wait()
            tl.extra.cuda.gdc_launch_dependents()

    @triton.jit
    def _rope_and_cache(qkv_ptr, cos_ptr, sin_ptr, pos_ptr, q_ptr, k_ptr, v_ptr, rows_ptr, count_ptr, n_rows,
                        s_row, s_head, s_table, s_cache_row, s_cache_head, s_cache_pos,
                        HEADS: tl.constexpr, KV_HEADS: tl.constexpr, D: tl.constexpr, HAS_ROWS: tl.constexpr,
                        HAS_COUNT: tl.constexpr, TOKENS: tl.constexpr, PDL: tl.constexpr):
        # One program: TOKENS consecutive tokens x one head (a query, key or value head).
        wait_for_previous(PDL)
        block, head = tl.program_id(0), tl.program_id(1)
        t = block * TOKENS + tl.arange(0, TOKENS)
        d = tl.arange(0, D)
        inside = t < n_rows
        written = inside
        if HAS_COUNT:  # padding tokens (from count on) write nothing
            written = inside & (t < tl.load(count_ptr))
        token = t.to(tl.int64)
        cache_row = token
        if HAS_ROWS:
            cache_row = tl.load(rows_ptr + t, mask=inside, other=0).to(tl.int64)
        x = tl.load(qkv_ptr + token[:, None] * s_row + head * s_head + d[None, :], mask=inside[:, None], other=0.0)
        if head < HEADS + KV_HEADS:
            partner = tl.load(qkv_ptr + token[:, None] * s_row + head * s_head + ((d + D // 2) % D)[None, :],
                              mask=inside[:, None], other=0.0)
            cos = tl.load(cos_ptr + token[:, None] * s_table + d[None, :], mask=inside[:, None], other=0.0)
            sin = tl.load(sin_ptr + token[:, None] * s_table + d[None, :], mask=inside[:, None], other=0.0)
            rotated = (x.to(tl.float32) * cos.to(tl.float32) + partner.to(tl.float32) * sin.to(tl.float32)).to(x.dtype)
            if head < HEADS:
                tl.store(q_ptr + (token[:, None] * HEADS + head) * D + d[None, :], rotated, mask=inside[:, None])
            else:
                position = tl.load(pos_ptr + t, mask=inside, other=0).to(tl.int64)
                tl.store(k_ptr + cache_row[:, None] * s_cache_row + (head - HEADS) * s_cache_head
                         + position[:, None] * s_cache_pos + d[None, :], rotated, mask=written[:, None])
        else:
            position = tl.load(pos_ptr + t, mask=inside, other=0).to(tl.int64)
            tl.store(v_ptr + cache_row[:, None] * s_cache_row + (head - HEADS - KV_HEADS) * s_cache_head
                     + position[:, None] * s_cache_pos + d[None, :], x, mask=written[:, None])

    @triton.jit
    def _attend_slice(q_ptr, k_ptr, v_ptr, pos_ptr, max_ptr, sum_ptr, part_ptr,
                      s_q_row, s_q_head, s_q_group, s_row, s_head, s_pos, scale,
                      G: tl.constexpr, G_PAD: tl.constexpr, D: tl.constexpr, PER_SLICE: tl.constexpr,
                      BLOCK: tl.constexpr, SLICES: tl.constexpr, IEEE: tl.constexpr, PDL: tl.constexpr):
        wait_for_previous(PDL)
        row, head, piece = tl.program_id(0), tl.program_id(1), tl.program_id(2)
        g = tl.arange(0, G_PAD)
        d = tl.arange(0, D)
        q = tl.load(q_ptr + row * s_q_row + head * s_q_head + g[:, None] * s_q_group + d[None, :],
                    mask=g[:, None] < G, other=0.0)
        last = tl.load(pos_ptr + row)
        start = piece * PER_SLICE
        end = tl.minimum(start + PER_SLICE, last + 1)
        best = tl.full([G_PAD], float("-inf"), tl.float32)
        total = tl.zeros([G_PAD], tl.float32)
        acc = tl.zeros([G_PAD, D], tl.float32)
        base = row * s_row + head * s_head
        for first in range(start, end, BLOCK):
            n = first + tl.arange(0, BLOCK)
            visible = n < end
            k = tl.load(k_ptr + base + n[:, None] * s_pos + d[None, :], mask=visible[:, None], other=0.0)
            if IEEE:
                scores = tl.dot(q, tl.trans(k), input_precision="ieee")
            else:
                scores = tl.dot(q, tl.trans(k))
            scores = tl.where(visible[None, :], scores * scale, float("-inf"))
            new_best = tl.maximum(best, tl.max(scores, 1))
            weights = tl.exp(scores - new_best[:, None])
            fade = tl.exp(best - new_best)
            total = total * fade + tl.sum(weights, 1)
            v = tl.load(v_ptr + base + n[:, None] * s_pos + d[None, :], mask=visible[:, None], other=0.0)
            if IEEE:
                acc = acc * fade[:, None] + tl.dot(weights.to(v.dtype), v, input_precision="ieee")
            else:
                acc = acc * fade[:, None] + tl.dot(weights.to(v.dtype), v)
            best = new_best
        slot = (row * tl.num_programs(1) + head) * SLICES + piece
        tl.store(max_ptr + slot * G_PAD + g, best)
        tl.store(sum_ptr + slot * G_PAD + g, total)
        tl.store(part_ptr + (slot * G_PAD + g[:, None]) * D + d[None, :], acc)

    @triton.jit
    def _combine_slices(max_ptr, sum_ptr, part_ptr, out_ptr,
                        G: tl.constexpr, G_PAD: tl.constexpr, D: tl.constexpr, SLICES: tl.constexpr,
                        SLICES_PAD: tl.constexpr, PDL: tl.constexpr):
        # one program per query head: its slices' partial results in one load, weighted by their maxima
        wait_for_previous(PDL)
        row, head = tl.program_id(0), tl.program_id(1)
        kv_heads = tl.num_programs(1) // G
        kv_head, g = head // G, head % G
        s = tl.arange(0, SLICES_PAD)
        d = tl.arange(0, D)
        present = s < SLICES
        slot = (row * kv_heads + kv_head) * SLICES + s
        maxima = tl.load(max_ptr + slot * G_PAD + g, mask=present, other=float("-inf"))
        weight = tl.exp(maxima - tl.max(maxima, 0))  # an empty slice (-inf) weighs 0
        total = tl.sum(tl.load(sum_ptr + slot * G_PAD + g, mask=present, other=0.0) * weight, 0)
        part = tl.load(part_ptr + (slot[:, None] * G_PAD + g) * D + d[None, :], mask=present[:, None], other=0.0)
        out = tl.sum(part * weight[:, None], 0) / total
        tl.store(out_ptr + (row * tl.num_programs(1) + head) * D + d, out.to(out_ptr.dtype.element_ty))

    @triton.jit
    def _add_rms_norm(x_ptr, delta_ptr, w_ptr, normed_ptr, eps, N: tl.constexpr, BLOCK: tl.constexpr,
                      PDL: tl.constexpr):
        # x += delta (rounded to x's type, as the separate add did), then the RMS norm of the new x
        wait_for_previous(PDL)
        row = tl.program_id(0)
        i = tl.arange(0, BLOCK)
        inside = i < N
        x = tl.load(x_ptr + row * N + i, mask=inside, other=0.0)
        summed = (x.to(tl.float32) + tl.load(delta_ptr + row * N + i, mask=inside, other=0.0).to(tl.float32)).to(x.dtype)
        tl.store(x_ptr + row * N + i, summed, mask=inside)
        value = summed.to(tl.float32)
        scale = 1.0 / tl.sqrt(tl.sum(value * value, 0) / N + eps)
        weight = tl.load(w_ptr + i, mask=inside, other=0.0).to(tl.float32)
        tl.store(normed_ptr + row * N + i, (value * scale * weight).to(x.dtype), mask=inside)

    @triton.jit
    def _silu_mul(gate_up_ptr, out_ptr, N: tl.constexpr, BLOCK: tl.constexpr, PDL: tl.constexpr):
        wait_for_previous(PDL)
        row, block = tl.program_id(0), tl.program_id(1)
        i = block * BLOCK + tl.arange(0, BLOCK)
        inside = i < N
        gate = tl.load(gate_up_ptr + row * 2 * N + i, mask=inside, other=0.0).to(tl.float32)
        up = tl.load(gate_up_ptr + row * 2 * N + N + i, mask=inside, other=0.0).to(tl.float32)
        # rounded between the steps as F.silu(gate) * up is
        activated = (gate / (1.0 + tl.exp(-gate))).to(out_ptr.dtype.element_ty).to(tl.float32)
        tl.store(out_ptr + row * N + i, (activated * up).to(out_ptr.dtype.element_ty), mask=inside)
