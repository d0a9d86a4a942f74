"""The model side of the generation engine: a KV cache with one row per request, packed passes that prefill
several prompts (or pieces of them) together with the decoding rows, and the plain decode step for all rows at
once, replayed as CUDA graphs. Spare rows past the request rows keep recent prompts' keys/values, so a prompt
that starts like one of them (the same system prompt and context) reuses that prefix instead of recomputing it.

Works for Llama-style decoders (Llama 3, Qwen2, Mistral, the packaged Qwen2.5 and SmolLM2). It calls the
model's own modules and weights (q/k/v and gate/up re-laid out as single matrices without copies), so it
computes what ``generate`` computes. Imports torch only: the benchmarks run it without LangChain.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.nn.attention.bias import causal_lower_right

from kb_assistant.llms import decode_kernels, decode_steps, int8_weights, packed_steps
from kb_assistant.llms.fused_weights import fuse_layers, to_int8
from kb_assistant.llms.int8_weights import Int8Head, Int8Weight, linear

logger = logging.getLogger(__name__)
LENGTH_STEP = 512
"""Decode attends to the cache in multiples of this many positions (one graph per multiple)."""
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 48, 64, 96, 128)
"""Decode batch sizes a graph is captured for; a step runs the smallest bucket that holds its rows."""
PACKED_ATTENTION = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]
"""Attention kernels of packed passes. Not cuDNN's: it builds a plan for each new shape (tens of ms), and
every packed pass has new shapes; measured 70 ms a pass with it against 19 ms without on an H200."""


def unsupported_reason(model: Any) -> str | None:
    """Why the engine cannot run ``model`` (None when it can): it needs a Llama-style decoder."""
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    if inner is None or layers is None or not hasattr(model, "lm_head"):
        return f"{type(model).__name__} is not a decoder with model.layers and lm_head"
    for name in ("embed_tokens", "norm", "rotary_emb"):
        if not hasattr(inner, name):
            return f"{type(model).__name__} has no model.{name}"
    layer = layers[0]
    attention, mlp = getattr(layer, "self_attn", None), getattr(layer, "mlp", None)
    needed = [(attention, "q_proj"), (attention, "k_proj"), (attention, "v_proj"), (attention, "o_proj"),
              (mlp, "gate_proj"), (mlp, "up_proj"), (mlp, "down_proj"), (layer, "input_layernorm"),
              (layer, "post_attention_layernorm")]
    if any(part is None or not hasattr(part, name) for part, name in needed):
        return f"{type(model).__name__} layers are not Llama-style (attention + gated MLP)"
    if hasattr(attention, "q_norm") or hasattr(attention, "kv_a_proj_with_mqa"):
        return f"{type(model).__name__} uses query/key norms or latent attention"
    if len({p.device for p in model.parameters()}) != 1:
        return f"{type(model).__name__} is spread over several devices"
    config = model.config
    if getattr(config, "use_sliding_window", False) or getattr(config, "hidden_act", "silu") != "silu":
        return f"{type(model).__name__} uses a sliding window or a non-SiLU MLP"
    return None


@dataclass(frozen=True)
class Chunk:
    """Prompt tokens to prefill into cache row ``slot`` at positions ``start..start+len(tokens)-1``; positions
    before ``start`` are already cached (an earlier chunk, or a reused prefix)."""

    slot: int
    tokens: list[int]
    start: int
    last: bool
    """Whether this chunk ends the prompt (then its last position's logits are wanted)."""


class SlotDecoder:
    """KV cache rows, prefill and graph-replayed decode for one model.

    ``max_batch`` rows of ``max_len`` tokens each; ``max_batch`` is lowered to what ``kv_cache_bytes`` holds
    (by default what free GPU memory, or the process's memory limit, holds after a reserve for prefill).
    """

    def __init__(
        self,
        model: Any,
        *,
        max_batch: int = 32,
        max_len: int = 4096,
        kv_cache_bytes: int | None = None,
        cuda_graphs: bool | None = None,
        prefix_rows: int = 0,
        int8: bool = False,
    ) -> None:
        reason = unsupported_reason(model)
        if reason:
            raise ValueError(f"the generation engine cannot run this model: {reason}")
        self.model = model
        self.config = model.config
        inner = model.model
        self.layers = list(inner.layers)
        self.embed, self.norm, self.lm_head = inner.embed_tokens, inner.norm, model.lm_head
        self.device = next(model.parameters()).device
        self.dtype = inner.embed_tokens.weight.dtype
        self.heads = int(self.config.num_attention_heads)
        self.kv_heads = int(getattr(self.config, "num_key_value_heads", None) or self.heads)
        self.head_dim = int(getattr(self.config, "head_dim", None) or self.config.hidden_size // self.heads)
        self.group = self.heads // self.kv_heads
        self.scale = 1.0 / math.sqrt(self.head_dim)
        window = int(getattr(self.config, "max_position_embeddings", max_len) or max_len)
        self.max_len = min(max_len, window)
        per_slot = 2 * len(self.layers) * self.kv_heads * self.max_len * self.head_dim * self.dtype.itemsize
        self.fused = fuse_layers(self.layers)
        self.int8 = int8
        if int8:
            if self.device.type == "cuda" and int8_weights.available():
                raise ValueError(f"int8 engine weights: {int8_weights.available()}")
            if self.fused is None:
                raise ValueError("int8 engine weights need plain linear layers (this model is quantised already)")
            self.fused = to_int8(self.fused, self.layers)
            head = model.lm_head
            self.lm_head = Int8Head(Int8Weight.quantize(head.weight.data), head.bias)
            if head.weight is not inner.embed_tokens.weight:  # a tied one still looks up the input tokens
                head.weight.data = head.weight.data.new_empty(0)
            if self.device.type == "cuda":
                torch.cuda.empty_cache()  # the freed bf16 weights become KV cache room
        budget = kv_cache_bytes if kv_cache_bytes is not None else self._default_kv_budget()
        self.max_batch = max(1, min(max_batch, budget // per_slot))
        if self.max_batch < max_batch:
            logger.info("KV cache holds %d requests of %d tokens (asked for %d)", self.max_batch, self.max_len, max_batch)
        # Prefix rows come out of what is left after the request rows, never at their expense.
        self.prefix_rows = max(0, min(prefix_rows, budget // per_slot - self.max_batch))
        shape = (self.max_batch + self.prefix_rows, self.kv_heads, self.max_len, self.head_dim)
        # One tensor for every layer's keys and values: moving a row (a reused prefix, a request taking a
        # contiguous decoding row) is one copy kernel, not two per layer.
        self.cache = torch.zeros((2, len(self.layers), *shape), dtype=self.dtype, device=self.device)
        self.k_cache, self.v_cache = list(self.cache[0]), list(self.cache[1])
        self.cos, self.sin = self._rotary_table()
        half = self.head_dim // 2
        sign = torch.cat([-torch.ones(half), torch.ones(self.head_dim - half)]).to(self.device, self.dtype)
        self.sin_signed = self.sin * sign  # rotate_half(x) * sin == roll(x, half) * sin_signed
        self.final_eps = float(getattr(self.norm, "variance_epsilon", getattr(self.norm, "eps", 1e-6)))
        self.kv_cache_bytes = per_slot * (self.max_batch + self.prefix_rows)
        # Static inputs of the decode step (graphs read them in place).
        self.step_tokens = torch.zeros(self.max_batch, dtype=torch.long, device=self.device)
        self.step_positions = torch.zeros(self.max_batch, dtype=torch.long, device=self.device)
        self.step_count = torch.zeros(1, dtype=torch.long, device=self.device)
        """Rows of the step that are real (the Triton step writes nothing for the padding rows after them)."""
        self.rows = torch.arange(self.max_batch, device=self.device)
        self.key_positions = torch.arange(self.max_len, device=self.device)
        self.cuda_graphs = self.device.type == "cuda" if cuda_graphs is None else cuda_graphs
        # The decode step's rotary embedding, cache write and attention as Triton kernels (see decode_kernels).
        self.triton_decode = self.fused is not None and decode_kernels.available(self.head_dim, self.device)
        self._graphs: dict[tuple[int, int], tuple[Any, torch.Tensor]] = {}
        self._pool: Any = None
        # Packed passes with the Triton kernels too, replayed as graphs up to packed_steps.TOKEN_BUCKETS[-1] tokens.
        self.packed = packed_steps.PackedPasses(self, self.cuda_graphs) if self.triton_decode else None

    # --- public --------------------------------------------------------------------------------
    @torch.inference_mode()
    def decode(self, tokens: list[int], positions: list[int]) -> torch.Tensor:
        """Logits of the next token for rows ``0..len(tokens)-1``: row i holds ``tokens[i]`` at ``positions[i]``.

        With CUDA graphs the logits are the step graph's output buffer, which the next step (or packed pass)
        overwrites: copy what is kept past it."""
        count = len(tokens)
        batch, length = self._graph_key(count, positions)
        padding = [0] * (batch - count)
        # Rows past the decoding ones may hold prompts being prefilled (decode steps run between their pieces):
        # the Triton step writes nothing for padding rows; PyTorch's steps write their key/value at the cache's
        # last position, after any prompt's (the Triton rows stay at 0, where their attention reads one key).
        pad_position = 0 if self.triton_decode else self.max_len - 1
        self.step_tokens[:batch].copy_(torch.tensor(tokens + padding), non_blocking=True)
        self.step_positions[:batch].copy_(torch.tensor(positions + [pad_position] * len(padding)), non_blocking=True)
        self.step_count.copy_(torch.tensor([count]), non_blocking=True)
        return self._decode_step(batch, length)[:count]

    @torch.inference_mode()
    def chain_greedy(self, logits: torch.Tensor) -> torch.Tensor:
        """Make the argmax of each row of ``logits`` (rows ``0..n-1`` of a :meth:`decode`) that row's next input,
        one position on, on the device; returns the tokens (on the device). The next step can then be queued with
        :meth:`decode_chained` before the host has read them."""
        count = logits.shape[0]
        chosen = logits.argmax(dim=-1)
        self.step_tokens[:count].copy_(chosen)
        self.step_positions[:count] += 1
        return chosen

    @torch.inference_mode()
    def decode_chained(self, positions: list[int]) -> torch.Tensor:
        """Logits of the next token for the rows of the last :meth:`decode`, whose inputs :meth:`chain_greedy`
        set on the device; ``positions`` (each one past the last step's) only choose the step's graph."""
        return self._decode_step(*self._graph_key(len(positions), positions))[: len(positions)]

    def _graph_key(self, count: int, positions: list[int]) -> tuple[int, int]:
        """The decode graph for ``count`` rows at ``positions``: the batch bucket and the cache length bucket."""
        batch = next((b for b in BATCH_BUCKETS if count <= b <= self.max_batch), self.max_batch)
        return batch, min(self.max_len, -(-(max(positions) + 1) // LENGTH_STEP) * LENGTH_STEP)

    @torch.inference_mode()
    def forward_packed(self, decode_count: int, tokens: list[int], positions: list[int], chunks: list[Chunk]) -> torch.Tensor:
        """One pass over the decoding rows ``0..decode_count-1`` (``tokens[i]`` at ``positions[i]``, as in
        :meth:`decode`) and the prompt ``chunks``, all tokens through each weight matrix together.

        Returns logits for the decoding rows, then one row per chunk whose ``last`` is set. Prefilling many
        prompts at once keeps the matmuls large (a burst of prompts is compute-bound, not launch-bound), and
        decoding rows ride along, so they keep producing tokens while long prompts are prefilled piece by piece.
        As with :meth:`decode`, a pass replayed as a graph returns its output buffer: copy what is kept past the next.
        """
        if self.packed is not None:
            return self.packed.run(decode_count, tokens, positions, chunks)
        all_tokens = tokens[:decode_count] + [t for chunk in chunks for t in chunk.tokens]
        all_positions = positions[:decode_count] + [chunk.start + j for chunk in chunks for j in range(len(chunk.tokens))]
        all_rows = list(range(decode_count)) + [chunk.slot for chunk in chunks for _ in chunk.tokens]
        device = self.device
        ids = torch.tensor(all_tokens, device=device)
        where = torch.tensor(all_positions, device=device)
        rows = torch.tensor(all_rows, device=device)
        count = len(all_tokens)
        hidden = self.config.hidden_size
        cos, sin = self.cos[where][:, None], self.sin_signed[where][:, None]
        mask = None
        if decode_count:  # the cache length in LENGTH_STEP multiples, as the graphs use: fewer distinct shapes
            length = min(self.max_len, -(-(max(positions[:decode_count]) + 1) // LENGTH_STEP) * LENGTH_STEP)
            future = self.key_positions[:length][None] > where[:decode_count, None]
            mask = torch.zeros(decode_count, length, dtype=self.dtype, device=device).masked_fill(future, float("-inf"))
            mask = mask[:, None, None]
        x = self.embed(ids)
        with sdpa_kernel(PACKED_ATTENTION):
            x = self._packed_layers(x, count, decode_count, rows, where, cos, sin, mask, chunks)
        wanted = list(range(decode_count))
        offset = decode_count
        for chunk in chunks:
            offset += len(chunk.tokens)
            if chunk.last:
                wanted.append(offset - 1)
        picked = x[torch.tensor(wanted, dtype=torch.long, device=device)] if len(wanted) < count else x
        return self.lm_head(F.rms_norm(picked, (hidden,), self.norm.weight, self.final_eps)).float()

    def _packed_layers(self, x: torch.Tensor, count: int, decode_count: int, rows: torch.Tensor, where: torch.Tensor,
                       cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor | None, chunks: list[Chunk]) -> torch.Tensor:
        heads, kv_heads, dim, half = self.heads, self.kv_heads, self.head_dim, self.head_dim // 2
        length = mask.shape[-1] if mask is not None else 0
        for i, layer in enumerate(self.layers):
            qkv = self._qkv(i, layer, x).view(count, heads + 2 * kv_heads, dim)
            qk = torch.addcmul(qkv[:, : heads + kv_heads] * cos, torch.roll(qkv[:, : heads + kv_heads], half, dims=-1), sin)
            self.k_cache[i][rows, :, where] = qk[:, heads:]
            self.v_cache[i][rows, :, where] = qkv[:, heads + kv_heads :]
            outputs = []
            if decode_count:
                outputs.append(F.scaled_dot_product_attention(
                    qk[:decode_count, :heads].reshape(decode_count, kv_heads, self.group, dim),
                    self.k_cache[i][:decode_count, :, :length], self.v_cache[i][:decode_count, :, :length],
                    attn_mask=mask, scale=self.scale,
                ).reshape(decode_count, heads * dim))
            offset = decode_count
            for chunk in chunks:
                size, end = len(chunk.tokens), chunk.start + len(chunk.tokens)
                query = qk[offset : offset + size, :heads].transpose(0, 1)[None]
                keys, values = self.k_cache[i][chunk.slot, :, :end][None], self.v_cache[i][chunk.slot, :, :end][None]
                causal = {"is_causal": True} if chunk.start == 0 else {"attn_mask": causal_lower_right(size, end)}
                out = F.scaled_dot_product_attention(query, keys, values, scale=self.scale, enable_gqa=self.group > 1, **causal)
                outputs.append(out[0].transpose(0, 1).reshape(size, heads * dim))
                offset += size
            x = self._rest_of_layer(i, layer, x, torch.cat(outputs) if len(outputs) > 1 else outputs[0])
        return x

    def _qkv(self, index: int, layer: Any, x: torch.Tensor) -> torch.Tensor:
        """Queries, keys and values of ``x`` (tokens, hidden) side by side, before rotation."""
        if self.fused is not None:
            w = self.fused[index]
            return linear(F.rms_norm(x, (x.shape[-1],), w.norm1, w.eps1), w.qkv, w.qkv_bias)
        attention, h = layer.self_attn, layer.input_layernorm(x)
        return torch.cat([attention.q_proj(h), attention.k_proj(h), attention.v_proj(h)], dim=-1)

    def _rest_of_layer(self, index: int, layer: Any, x: torch.Tensor, attended: torch.Tensor) -> torch.Tensor:
        """The output projection, the residual and the MLP of one layer."""
        if self.fused is not None:
            w = self.fused[index]
            x = x + linear(attended, w.out, w.out_bias)
            gate, up = linear(F.rms_norm(x, (x.shape[-1],), w.norm2, w.eps2), w.gate_up).chunk(2, dim=-1)
            return x + linear(F.silu(gate) * up, w.down, w.down_bias)
        x = x + layer.self_attn.o_proj(attended)
        return x + layer.mlp(layer.post_attention_layernorm(x))

    def move_row(self, source: int, target: int, used: int) -> None:
        """Copy the first ``used`` cached positions of row ``source`` into row ``target``."""
        self.cache[:, :, target, :, :used] = self.cache[:, :, source, :, :used]

    def swap_rows(self, first: int, second: int, used: int) -> None:
        """Exchange the first ``used`` cached positions of two rows."""
        kept = self.cache[:, :, first, :, :used].clone()
        self.cache[:, :, first, :, :used] = self.cache[:, :, second, :, :used]
        self.cache[:, :, second, :, :used] = kept

    def warm_up(self, longest: int | None = None) -> float:
        """Capture the decode graphs for every batch bucket and cache length up to ``longest`` tokens, and the
        packed passes' graphs, now rather than on each shape's first use. Call it before serving, while no
        request runs; returns seconds."""
        if not self.cuda_graphs:
            return 0.0
        started = time.perf_counter()
        longest = min(self.max_len, longest or self.max_len)
        lengths = range(LENGTH_STEP, -(-longest // LENGTH_STEP) * LENGTH_STEP + 1, LENGTH_STEP)
        batches = sorted({b for b in BATCH_BUCKETS if b <= self.max_batch} | {self.max_batch})
        self.step_tokens.zero_()
        self.step_positions.zero_()
        self.step_count.zero_()
        with torch.inference_mode():
            for length in lengths:
                for batch in batches:
                    self._decode_step(batch, min(length, self.max_len))
            if self.packed is not None:
                self.packed.capture_all()
        torch.cuda.synchronize(self.device)
        return time.perf_counter() - started

    # --- set-up ---------------------------------------------------------------------------------
    def _default_kv_budget(self) -> int:
        if self.device.type != "cuda":
            return 2 * 2**30
        free, total = torch.cuda.mem_get_info(self.device)
        fraction = getattr(torch.cuda, "get_per_process_memory_fraction", lambda _: 1.0)(self.device)
        if fraction < 1.0:  # a memory limit set for this process (e.g. to show a 24 GB card is enough)
            free = min(free, int(total * fraction) - torch.cuda.memory_reserved(self.device))
        hidden = int(self.config.hidden_size)
        inter = int(getattr(self.config, "intermediate_size", 4 * hidden))
        # Prefill of a max_len prompt: hidden states, q/k/v, the gated MLP's three intermediates, logits row; and
        # the same for the largest captured packed pass, whose graph pool memory stays apart.
        tokens = self.max_len + packed_steps.TOKEN_BUCKETS[-1]
        reserve = tokens * (6 * hidden + 3 * inter) * self.dtype.itemsize + 512 * 2**20
        return max(0, int((free - reserve) * 0.9))

    @torch.inference_mode()
    def _rotary_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        positions = torch.arange(self.max_len, device=self.device)[None]
        probe = torch.zeros(1, dtype=self.dtype, device=self.device)
        cos, sin = self.model.model.rotary_emb(probe, positions)
        return cos[0].to(self.dtype).contiguous(), sin[0].to(self.dtype).contiguous()

    # --- the model, step by step ---------------------------------------------------------------
    def _decode(self, batch: int, length: int) -> torch.Tensor:
        """One token for rows ``0..batch-1`` of the static inputs, attending to ``length`` cached positions."""
        if self.triton_decode:
            return decode_steps.triton_step(self, batch, length)
        if self.fused is not None:
            return decode_steps.fused_step(self, batch, length)
        return decode_steps.module_step(self, batch, length)

    def _decode_step(self, batch: int, length: int) -> torch.Tensor:
        if not self.cuda_graphs:
            return self._decode(batch, length)
        key = (batch, length)
        if key not in self._graphs:
            # Warm-up runs write the same keys/values the real step writes, so they are harmless.
            stream = torch.cuda.Stream(self.device)
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(stream):
                for _ in range(2):
                    self._decode(batch, length)
            torch.cuda.current_stream(self.device).wait_stream(stream)
            if self._pool is None:
                self._pool = torch.cuda.graph_pool_handle()
            graph = torch.cuda.CUDAGraph()
            # thread_local: request threads may touch CUDA while the engine thread captures.
            with torch.cuda.graph(graph, pool=self._pool, capture_error_mode="thread_local"):
                logits = self._decode(batch, length)
            self._graphs[key] = (graph, logits)
        graph, logits = self._graphs[key]
        graph.replay()
        return logits
