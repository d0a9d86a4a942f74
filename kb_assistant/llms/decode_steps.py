"""The engine's decode step, one token for each of a batch of cache rows, three ways: the fused PyTorch step
(q/k/v and gate/up as single products, about 17 kernels a layer), the same with the Triton kernels of
:mod:`decode_kernels` on CUDA (about 11), and the model's own modules (quantised or unusual layers).
:class:`kv_decoder.SlotDecoder` picks one and captures it in CUDA graphs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from kb_assistant.llms import decode_kernels
from kb_assistant.llms.int8_weights import linear

if TYPE_CHECKING:
    from kb_assistant.llms.kv_decoder import SlotDecoder


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


def fused_step(d: SlotDecoder, batch: int, length: int) -> torch.Tensor:
    """The decode step in about 17 kernels a layer (a captured graph still pays a few microseconds for
    each kernel, and at batch 1 that, not the weights, was a third of the time)."""
    tokens, positions, rows = d.step_tokens[:batch], d.step_positions[:batch], d.rows[:batch]
    heads, kv_heads, dim, hidden = d.heads, d.kv_heads, d.head_dim, d.config.hidden_size
    x = d.embed(tokens)
    cos, sin = d.cos[positions][:, None], d.sin_signed[positions][:, None]
    future = d.key_positions[:length][None] > positions[:, None]
    mask = torch.zeros(batch, length, dtype=d.dtype, device=d.device).masked_fill(future, float("-inf"))
    mask = mask[:, None, None]
    half = dim // 2
    for i, w in enumerate(d.fused):  # type: ignore[arg-type]
        h = F.rms_norm(x, (hidden,), w.norm1, w.eps1)
        qkv = linear(h, w.qkv, w.qkv_bias).view(batch, heads + 2 * kv_heads, dim)
        qk = qkv[:, : heads + kv_heads]
        qk = torch.addcmul(qk * cos, torch.roll(qk, half, dims=-1), sin)
        d.k_cache[i][rows, :, positions] = qk[:, heads:]
        d.v_cache[i][rows, :, positions] = qkv[:, heads + kv_heads :]
        out = F.scaled_dot_product_attention(
            qk[:, :heads].reshape(batch, kv_heads, d.group, dim),
            d.k_cache[i][:batch, :, :length],
            d.v_cache[i][:batch, :, :length],
            attn_mask=mask,
            scale=d.scale,
        )
        x = x + linear(out.reshape(batch, heads * dim), w.out, w.out_bias)
        gate, up = linear(F.rms_norm(x, (hidden,), w.norm2, w.eps2), w.gate_up).chunk(2, dim=-1)
        x = x + linear(F.silu(gate) * up, w.down, w.down_bias)
    return d.lm_head(F.rms_norm(x, (hidden,), d.norm.weight, d.final_eps)).float()


def triton_step(d: SlotDecoder, batch: int, length: int) -> torch.Tensor:
    """The fused step with the Triton kernels of :mod:`decode_kernels` (CUDA): rotary embedding and cache write
    in one kernel, split attention, each residual add fused with the norm after it, the MLP's activation in
    one kernel: about 11 kernels a layer, and attention that reads only the cached rows."""
    positions = d.step_positions[:batch]
    heads, kv_heads, dim, hidden = d.heads, d.kv_heads, d.head_dim, d.config.hidden_size
    layers = d.fused or []
    x = d.embed(d.step_tokens[:batch])  # the residual stream, updated in place by add_rms_norm
    cos, sin = d.cos[positions], d.sin_signed[positions]
    h = F.rms_norm(x, (hidden,), layers[0].norm1, layers[0].eps1)
    for i, w in enumerate(layers):
        qkv = linear(h, w.qkv, w.qkv_bias).view(batch, heads + 2 * kv_heads, dim)
        queries = decode_kernels.rope_and_cache(qkv, cos, sin, positions, d.k_cache[i], d.v_cache[i], heads,
                                                kv_heads, count=d.step_count)
        out = decode_kernels.decode_attention(queries.view(batch, kv_heads, d.group, dim), d.k_cache[i],
                                              d.v_cache[i], positions, length, d.scale)
        h = triton_layer_rest(d, i, x, out.reshape(batch, heads * dim))
    return d.lm_head(h).float()


def triton_layer_rest(d: SlotDecoder, index: int, x: torch.Tensor, attended: torch.Tensor) -> torch.Tensor:
    """Layer ``index`` after attention, with the Triton kernels: the output projection added to the residual
    stream ``x`` (in place) fused with the norm, the MLP, its residual add fused with the next layer's norm (the
    final norm after the last layer). Returns that normed input of what comes next."""
    layers = d.fused or []
    w = layers[index]
    h = decode_kernels.add_rms_norm(x, linear(attended, w.out, w.out_bias), w.norm2, w.eps2)
    delta = linear(decode_kernels.silu_mul(linear(h, w.gate_up)), w.down, w.down_bias)
    if index + 1 < len(layers):
        return decode_kernels.add_rms_norm(x, delta, layers[index + 1].norm1, layers[index + 1].eps1)
    return decode_kernels.add_rms_norm(x, delta, d.norm.weight, d.final_eps)


def module_step(d: SlotDecoder, batch: int, length: int) -> torch.Tensor:
    """The decode step through the model's own modules (quantised or unusual layers)."""
    tokens, positions, rows = d.step_tokens[:batch], d.step_positions[:batch], d.rows[:batch]
    x = d.embed(tokens)
    cos, sin = d.cos[positions][:, None], d.sin[positions][:, None]
    future = d.key_positions[:length][None] > positions[:, None]
    bias = torch.zeros(batch, length, device=d.device).masked_fill(future, float("-inf"))[:, None, None]
    for i, layer in enumerate(d.layers):
        attention = layer.self_attn
        h = layer.input_layernorm(x)
        q = _rotate(attention.q_proj(h).view(batch, d.heads, d.head_dim), cos, sin)
        k = _rotate(attention.k_proj(h).view(batch, d.kv_heads, d.head_dim), cos, sin)
        v = attention.v_proj(h).view(batch, d.kv_heads, d.head_dim)
        d.k_cache[i][rows, :, positions] = k
        d.v_cache[i][rows, :, positions] = v
        keys = d.k_cache[i][:batch, :, :length]
        values = d.v_cache[i][:batch, :, :length]
        scores = torch.matmul(q.view(batch, d.kv_heads, d.group, d.head_dim), keys.transpose(-1, -2))
        weights = torch.softmax(scores.float() * d.scale + bias, dim=-1).to(d.dtype)
        out = torch.matmul(weights, values).reshape(batch, d.heads * d.head_dim)
        x = x + attention.o_proj(out)
        x = x + layer.mlp(layer.post_attention_layernorm(x))
    return d.lm_head(d.norm(x)).float()
