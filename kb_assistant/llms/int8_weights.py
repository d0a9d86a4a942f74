"""Weight-only int8 for the generation engine: one scale per 128 columns of each row, a Triton kernel on CUDA.

Decoding one token reads every weight once, so at small batches speed is weight bytes over memory bandwidth:
int8 weights halve the bytes of bf16 ones. Each row is rounded in groups of :data:`GROUP` columns, each group
with its own scale (a row's largest weight no longer sets the step for all its columns), which costs one float32
per 128 int8 values (3% more bytes). The kernel reads int8 tiles, widens them to bf16 in registers and multiplies
on the tensor cores with an fp32 accumulator; each group's sum is scaled once. Decode steps (up to 64 rows) and
prompt passes (more) use the same kernel with tiles tuned for each; a single row (batch 1) goes through a plain
multiply-and-sum kernel over wide slices, which reads most matrices faster. Without CUDA or Triton (the CPU
tests) the same numbers come from widening the whole matrix, which is slow but exact to the same rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from kb_assistant.llms import dependent_launch

try:  # Triton ships with CUDA builds of torch; the CPU wheel has none
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the install
    triton = None


GROUP = 128
"""Columns of a row that share one scale. On the packaged Qwen2.5 0.5B model (`benchmarks/int8_agreement.py`,
6,125 positions) one scale per row agreed with the model's own top-1 token 0.967 of the time, one per 128 columns
0.9825 (the model in bfloat16: 0.976-0.978). The scales are float32: in bfloat16 they made no step faster on an
H200 (what costs is the per-group work, not the scale bytes) and agreed a little less (0.9819)."""

KERNEL_ROWS = 64
"""Up to this many rows (decode steps) the int8 kernel runs with tiles for few rows; longer inputs (prompt
passes) run it with large tiles."""

GEMV_MAX_OUTPUTS = 16384
"""Matrices with at least this many outputs (a model's fused gate and up projections) have tiles enough to fill the
GPU either way, and the tensor-core tiles read them faster at batch 1 (Qwen2-7B's 37,888 x 3,584: 3.56 against
3.29 TB/s on an H200)."""

_QUANTIZE_ROWS = 4096
"""Rows rounded at a time: the float32 copy of the output layer of a 7B model (2.2 GB) would not fit beside the
model on a 24 GB card."""


@dataclass(frozen=True)
class Int8Weight:
    """A linear layer's weight as int8 rows (``out_features x in_features``) and the scales of their column
    groups, laid out ``groups x out_features`` so that a tile of rows reads its scales contiguously."""

    values: torch.Tensor
    scales: torch.Tensor

    @classmethod
    def quantize(cls, weight: torch.Tensor) -> Int8Weight:
        """Symmetric rounding in groups of :data:`GROUP` columns: each group's largest magnitude maps to 127."""
        rows, columns = weight.shape
        groups = -(-columns // GROUP)
        values = torch.empty((rows, columns), dtype=torch.int8, device=weight.device)
        scales = torch.empty((rows, groups), dtype=torch.float32, device=weight.device)
        for start in range(0, rows, _QUANTIZE_ROWS):
            part = weight[start : start + _QUANTIZE_ROWS].float()
            grouped = F.pad(part, (0, groups * GROUP - columns)).view(len(part), groups, GROUP)
            step = grouped.abs().amax(dim=2).clamp(min=1e-8) / 127.0
            rounded = torch.round(grouped / step[:, :, None]).clamp(-127, 127).to(torch.int8)
            values[start : start + len(part)] = rounded.view(len(part), -1)[:, :columns]
            scales[start : start + len(part)] = step
        return cls(values.contiguous(), scales.t().contiguous())

    def dequantize(self) -> torch.Tensor:
        """The rounded weight in float32 (what the kernels compute with, widened)."""
        columns = self.values.shape[1]
        return self.values.float() * self.scales.t().repeat_interleave(GROUP, dim=1)[:, :columns]

    @property
    def shape(self) -> torch.Size:
        return self.values.shape

    @property
    def nbytes(self) -> int:
        return self.values.numel() + self.scales.numel() * 4


@dataclass(frozen=True)
class Int8Head:
    """The output layer with int8 weights, called like the ``nn.Linear`` it replaces. At batch 1 it is the
    largest single read of a step (Qwen2-7B's 152,064 x 3,584: 1.09 GB in bf16)."""

    weight: Int8Weight
    bias: torch.Tensor | None = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)


def linear(x: torch.Tensor, weight: torch.Tensor | Int8Weight, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``F.linear`` for a plain or an int8 weight."""
    if not isinstance(weight, Int8Weight):
        return F.linear(x, weight, bias)
    if x.is_cuda and triton is not None:
        return _triton_linear(x, weight, bias)  # the bias added in the kernel: no pass of its own
    if x.is_cuda:
        out = F.linear(x, weight.dequantize().to(x.dtype))
    else:
        out = F.linear(x.float(), weight.dequantize()).to(x.dtype)
    return out + bias if bias is not None else out


def available() -> str | None:
    """Why the int8 kernel cannot run here (None when it can)."""
    if triton is None:
        return "Triton is not installed (it comes with CUDA builds of torch)"
    if not torch.cuda.is_available():
        return "int8 engine weights need a CUDA GPU"
    return None


def _triton_linear(x: torch.Tensor, weight: Int8Weight, bias: torch.Tensor | None) -> torch.Tensor:
    shape = x.shape
    rows = x.reshape(-1, shape[-1])
    if not rows.is_contiguous():
        rows = rows.contiguous()
    m, k = rows.shape
    n = weight.values.shape[0]
    out = torch.empty((m, n), dtype=x.dtype, device=x.device)
    b = out if bias is None else bias  # any pointer when there is none
    pdl = dependent_launch.enabled(x.device)
    extra = {"HAS_BIAS": bias is not None, "GROUP": GROUP, "PDL": pdl, "launch_pdl": pdl}
    grid = lambda meta: (triton.cdiv(m, meta["BLOCK_M"]), triton.cdiv(n, meta["BLOCK_N"]))
    # float32 inputs multiply in full precision (the tests compare against float32), not TF32
    ieee = x.dtype == torch.float32
    if m > KERNEL_ROWS:
        # Prompt passes: compute-bound, large tiles. Widening the matrix for cuBLAS instead cost ~20 ms a pass
        # of Qwen2-7B on an H200 (27 against 7.6 ms for 200 tokens after 800 cached); tuned per shape and size
        # class (the rows change with every pass)
        _int8_matmul_wide[grid](rows, weight.values, weight.scales, out, b, m, n, k, ROWS=_row_class(m), IEEE=ieee,
                                 **extra)
        return out.reshape(*shape[:-1], n)
    if m == 1 and n * k >= 2**22 and n < GEMV_MAX_OUTPUTS and not ieee:
        # Batch 1: a product with one row reads the matrix once and does little else; a plain multiply-and-sum
        # over wide int8 slices reads closer to the bandwidth than 16-row tensor-core tiles of which 15 are empty
        # (H200, Qwen2-7B's matrices: q/k/v 2.66 against 1.61 TB/s, out 2.45 / 1.61, down 2.62 / 1.99)
        _int8_gemv[lambda meta: (triton.cdiv(n, meta["BLOCK_N"]),)](
            rows, weight.values, weight.scales, out, b, n, k, **extra)
        return out.reshape(*shape[:-1], n)
    block_m = 16 if m <= 16 else 32 if m <= 32 else 64
    if n * k >= 2**22:  # a model's matrices: tuned once per shape
        _int8_matmul_tuned[grid](rows, weight.values, weight.scales, out, b, m, n, k, BLOCK_M=block_m, IEEE=ieee, ROWS=0,
                                 **extra)
    else:  # small ones (tests, tiny models) skip tuning, which compiles every candidate
        _int8_matmul[grid](rows, weight.values, weight.scales, out, b, m, n, k, BLOCK_M=block_m, BLOCK_N=32, BLOCK_K=64,
                           IEEE=ieee, ROWS=0, **extra)
    return out.reshape(*shape[:-1], n)


if triton is not None:
    from kb_assistant.llms.decode_kernels import wait_for_previous

    def _configs() -> list[Any]:
        return [
            triton.Config({"BLOCK_N": bn, "BLOCK_K": bk}, num_warps=warps, num_stages=stages)
            for bn, bk, warps, stages in [
                (16, 256, 4, 4), (32, 128, 4, 4), (32, 256, 4, 3), (64, 128, 4, 4), (64, 256, 8, 3),
                (16, 512, 4, 4), (32, 512, 4, 4), (64, 512, 8, 3), (128, 256, 8, 4), (128, 128, 8, 5),
                (16, 1024, 8, 3), (32, 1024, 8, 3),
            ]
        ]

    def _wide_configs() -> list[Any]:
        return [
            triton.Config({"BLOCK_M": bm, "BLOCK_N": bn, "BLOCK_K": bk}, num_warps=warps, num_stages=stages)
            for bm, bn, bk, warps, stages in [
                (64, 128, 64, 4, 4), (128, 64, 64, 4, 4), (128, 128, 64, 8, 3), (128, 128, 64, 4, 4),
                (128, 256, 64, 8, 3), (128, 128, 128, 8, 3),
            ]
        ]

    @triton.jit
    def _tile_product(x_ptr, w_ptr, offs_m, offs_n, k0, acc, M, N: tl.constexpr, K: tl.constexpr,
                      WIDTH: tl.constexpr, IEEE: tl.constexpr):
        # acc + x[:, k0:k0+WIDTH] @ w[:, k0:k0+WIDTH].T, the int8 tile widened to x's type
        offs_k = k0 + tl.arange(0, WIDTH)
        k_ok = offs_k < K
        x = tl.load(x_ptr + offs_m[:, None] * K + offs_k[None, :], mask=(offs_m[:, None] < M) & k_ok[None, :],
                    other=0.0)
        w = tl.load(w_ptr + offs_n[None, :] * K + offs_k[:, None], mask=(offs_n[None, :] < N) & k_ok[:, None],
                    other=0)
        if IEEE:
            return tl.dot(x, w.to(x.dtype), acc, input_precision="ieee")
        return tl.dot(x, w.to(x.dtype), acc)

    # Rows vary with every pass: not specialised on, so no pass size compiles the kernel again
    @triton.jit(do_not_specialize=["M", "ROWS"])
    def _int8_matmul(x_ptr, w_ptr, s_ptr, out_ptr, b_ptr, M, N: tl.constexpr, K: tl.constexpr,
                     BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP: tl.constexpr,
                     HAS_BIAS: tl.constexpr, IEEE: tl.constexpr, PDL: tl.constexpr, ROWS):
        # N and K are the weight's shape: a few values per model, so compiled in (known loop bounds). ROWS is
        # only the tuning key of prompt passes. Each group's product is summed apart and scaled once: tiles
        # wider than a group take one product per group, narrower ones accumulate a group's products first.
        wait_for_previous(PDL)
        pid_m, pid_n = tl.program_id(0), tl.program_id(1)
        offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        n_ok = offs_n < N
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        if BLOCK_K >= GROUP:
            for start in range(0, K, BLOCK_K):
                for j in tl.static_range(BLOCK_K // GROUP):
                    k0 = start + j * GROUP
                    part = _tile_product(x_ptr, w_ptr, offs_m, offs_n, k0,
                                         tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32), M, N, K, GROUP, IEEE)
                    scales = tl.load(s_ptr + (k0 // GROUP) * N + offs_n, mask=n_ok & (k0 < K), other=0.0)
                    acc += part * scales.to(tl.float32)[None, :]
        else:
            for start in range(0, K, GROUP):
                part = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
                for j in tl.static_range(GROUP // BLOCK_K):
                    part = _tile_product(x_ptr, w_ptr, offs_m, offs_n, start + j * BLOCK_K, part, M, N, K,
                                         BLOCK_K, IEEE)
                scales = tl.load(s_ptr + (start // GROUP) * N + offs_n, mask=n_ok, other=0.0)
                acc += part * scales.to(tl.float32)[None, :]
        if HAS_BIAS:
            acc += tl.load(b_ptr + offs_n, mask=n_ok, other=0.0).to(tl.float32)[None, :]
        out_ptrs = out_ptr + offs_m[:, None] * N + offs_n[None, :]
        tl.store(out_ptrs, acc.to(out_ptr.dtype.element_ty), mask=(offs_m[:, None] < M) & n_ok[None, :])

    _int8_matmul_tuned = triton.autotune(configs=_configs(), key=["BLOCK_M", "N", "K", "IEEE"])(_int8_matmul)
    _int8_matmul_wide = triton.autotune(configs=_wide_configs(), key=["ROWS", "N", "K", "IEEE"])(_int8_matmul)

    def _gemv_configs() -> list[Any]:
        return [
            triton.Config({"BLOCK_N": bn, "BLOCK_K": bk}, num_warps=warps, num_stages=stages)
            for bn, bk, warps, stages in [  # the best of a sweep over Qwen2-7B's matrices on an H200
                (1, 512, 4, 2), (2, 512, 4, 2), (4, 512, 4, 2), (4, 512, 8, 2), (8, 512, 8, 2), (1, 1024, 4, 2),
                (4, 1024, 4, 2), (2, 2048, 4, 2), (1, 2048, 8, 2),
            ]
        ]

    @triton.jit
    def _gemv_slice_weights(w_ptrs, s_ptrs, start, n_ok, offs_g, offs_k, K: tl.constexpr, GROUP: tl.constexpr,
                            EVEN_K: tl.constexpr):
        # the int8 slice at column ``start`` of the program's rows, and its groups' scales
        if EVEN_K:
            w = tl.load(w_ptrs, mask=n_ok[:, None, None], other=0)
            scales = tl.load(s_ptrs, mask=n_ok[:, None], other=0.0)
        else:
            w = tl.load(w_ptrs, mask=n_ok[:, None, None] & ((start + offs_k) < K)[None, :, :], other=0)
            scales = tl.load(s_ptrs, mask=n_ok[:, None] & ((start + offs_g * GROUP) < K)[None, :], other=0.0)
        return w, scales

    @triton.jit
    def _gemv_slice_sums(x_ptr, w, scales, start, offs_k, K: tl.constexpr, EVEN_K: tl.constexpr):
        # each row's sum over each group of the slice, scaled
        if EVEN_K:
            x = tl.load(x_ptr + start + offs_k)
        else:
            x = tl.load(x_ptr + start + offs_k, mask=(start + offs_k) < K, other=0.0)
        return tl.sum(w.to(tl.float32) * x.to(tl.float32)[None, :, :], axis=2) * scales.to(tl.float32)

    @triton.autotune(configs=_gemv_configs(), key=["N", "K"])
    @triton.heuristics({"EVEN_K": lambda args: args["K"] % args["BLOCK_K"] == 0})
    @triton.jit
    def _int8_gemv(x_ptr, w_ptr, s_ptr, out_ptr, b_ptr, N: tl.constexpr, K: tl.constexpr, BLOCK_N: tl.constexpr,
                   BLOCK_K: tl.constexpr, GROUP: tl.constexpr, HAS_BIAS: tl.constexpr, EVEN_K: tl.constexpr,
                   PDL: tl.constexpr):
        # One input row: each program sums BLOCK_N rows of the matrix against it, BLOCK_K int8 columns at a time
        # (contiguous in memory: wide loads) seen as BLOCK_K // GROUP groups, in fp32; each group's sum is
        # scaled as it is taken. The first slice of weights is read before waiting for the kernel before (no
        # kernel writes weights), so a dependent launch overlaps it with that kernel's end.
        GROUPS: tl.constexpr = BLOCK_K // GROUP
        pid = tl.program_id(0)
        offs_n = pid * BLOCK_N + tl.arange(0, BLOCK_N)
        offs_g = tl.arange(0, GROUPS)
        offs_k = offs_g[:, None] * GROUP + tl.arange(0, GROUP)[None, :]
        n_ok = offs_n < N
        w_ptrs = w_ptr + offs_n[:, None, None] * K + offs_k[None, :, :]
        s_ptrs = s_ptr + offs_g[None, :] * N + offs_n[:, None]
        w, scales = _gemv_slice_weights(w_ptrs, s_ptrs, 0, n_ok, offs_g, offs_k, K, GROUP, EVEN_K)
        wait_for_previous(PDL)
        acc = _gemv_slice_sums(x_ptr, w, scales, 0, offs_k, K, EVEN_K)
        for start in range(BLOCK_K, K, BLOCK_K):
            w_ptrs += BLOCK_K
            s_ptrs += GROUPS * N
            w, scales = _gemv_slice_weights(w_ptrs, s_ptrs, start, n_ok, offs_g, offs_k, K, GROUP, EVEN_K)
            acc += _gemv_slice_sums(x_ptr, w, scales, start, offs_k, K, EVEN_K)
        total = tl.sum(acc, axis=1)
        if HAS_BIAS:
            total += tl.load(b_ptr + offs_n, mask=n_ok, other=0.0).to(tl.float32)
        tl.store(out_ptr + offs_n, total.to(out_ptr.dtype.element_ty), mask=n_ok)


WIDEST_CLASS = 1024
"""Row classes stop here: larger passes (compute-bound, rare) use its tuning rather than tuning while serving."""


def _row_class(rows: int) -> int:
    """Rows rounded up to a power of two, at most :data:`WIDEST_CLASS`: the wide kernel is tuned once per class
    (during the engine's warm-up, which runs passes of up to 1,024 tokens), not for every pass size."""
    return min(WIDEST_CLASS, 1 << (rows - 1).bit_length())
