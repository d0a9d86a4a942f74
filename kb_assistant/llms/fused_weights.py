"""A decoder layer's weights laid out for few kernels a step: q/k/v as one matrix, gate/up as one (the model's
own weights, re-laid out without copies), optionally as weight-only int8. Used by :mod:`kv_decoder`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from kb_assistant.llms.int8_weights import Int8Weight


@dataclass(frozen=True)
class FusedLayer:
    """One layer's weights laid out for few kernels per decode step: q/k/v in one matrix, gate/up in one."""

    norm1: torch.Tensor
    eps1: float
    qkv: torch.Tensor | Int8Weight
    qkv_bias: torch.Tensor | None
    out: torch.Tensor | Int8Weight
    out_bias: torch.Tensor | None
    norm2: torch.Tensor
    eps2: float
    gate_up: torch.Tensor | Int8Weight
    down: torch.Tensor | Int8Weight
    down_bias: torch.Tensor | None


def share_weights(linears: list[Any]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Concatenate the weights (and biases) of ``linears`` into one tensor and point each module at its
    slice of it, so the model keeps working and no memory is duplicated."""
    weight = torch.cat([linear.weight.data for linear in linears])
    has_bias = [linear.bias is not None for linear in linears]
    bias = torch.cat([linear.bias.data for linear in linears]) if all(has_bias) else None
    start = 0
    for linear in linears:
        rows = linear.weight.shape[0]
        linear.weight.data = weight[start : start + rows]
        if bias is not None:
            linear.bias.data = bias[start : start + rows]
        start += rows
    return weight, bias


def fuse_layers(layers: list[Any]) -> list[FusedLayer] | None:
    """The fused layout, or None when a layer has quantised or otherwise special parts (then the engine
    calls the modules instead)."""
    for layer in layers:
        attention, mlp = layer.self_attn, layer.mlp
        parts = [attention.q_proj, attention.k_proj, attention.v_proj, attention.o_proj, mlp.gate_proj, mlp.up_proj,
                 mlp.down_proj]
        if any(type(part) is not torch.nn.Linear for part in parts):
            return None
        if any(sum(p.bias is not None for p in group) not in (0, len(group))
               for group in ([attention.q_proj, attention.k_proj, attention.v_proj], [mlp.gate_proj, mlp.up_proj])):
            return None
        norms = [layer.input_layernorm, layer.post_attention_layernorm]
        if any(not hasattr(n, "variance_epsilon") or getattr(n, "weight", None) is None for n in norms):
            return None
    fused = []
    with torch.no_grad():
        for layer in layers:
            attention, mlp = layer.self_attn, layer.mlp
            qkv, qkv_bias = share_weights([attention.q_proj, attention.k_proj, attention.v_proj])
            gate_up, gate_up_bias = share_weights([mlp.gate_proj, mlp.up_proj])
            if gate_up_bias is not None:
                return None
            fused.append(FusedLayer(
                norm1=layer.input_layernorm.weight, eps1=float(layer.input_layernorm.variance_epsilon),
                qkv=qkv, qkv_bias=qkv_bias, out=attention.o_proj.weight, out_bias=attention.o_proj.bias,
                norm2=layer.post_attention_layernorm.weight, eps2=float(layer.post_attention_layernorm.variance_epsilon),
                gate_up=gate_up, down=mlp.down_proj.weight, down_bias=mlp.down_proj.bias,
            ))
    return fused


def to_int8(fused: list[FusedLayer], layers: list[Any]) -> list[FusedLayer]:
    """Quantise the fused matrices layer by layer and drop the model's own copies as it goes, so peak memory
    stays at the bf16 model plus one layer. The model's linear layers are left empty: only the engine runs it."""
    quantised = []
    for layer in layers:
        w = fused.pop(0)  # the list lets go of each bf16 layer as soon as its int8 copy exists
        attention, mlp = layer.self_attn, layer.mlp
        quantised.append(FusedLayer(
            norm1=w.norm1, eps1=w.eps1, qkv=Int8Weight.quantize(w.qkv), qkv_bias=w.qkv_bias,
            out=Int8Weight.quantize(w.out), out_bias=w.out_bias, norm2=w.norm2, eps2=w.eps2,
            gate_up=Int8Weight.quantize(w.gate_up), down=Int8Weight.quantize(w.down), down_bias=w.down_bias,
        ))
        for module in (attention.q_proj, attention.k_proj, attention.v_proj, attention.o_proj, mlp.gate_proj,
                       mlp.up_proj, mlp.down_proj):
            module.weight.data = module.weight.data.new_empty(0)
        del w
    return quantised
