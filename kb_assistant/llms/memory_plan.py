"""How much memory a chat model needs before it is loaded, and where it would go: a clear refusal instead of an
out-of-memory error half-way through loading or at the first long prompt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kb_assistant.errors import InsufficientMemoryError

GIB = 2**30
BYTES_PER_PARAM = {"float32": 4.0, "bfloat16": 2.0, "float16": 2.0, "8bit": 1.0, "4bit": 0.55}
_WEIGHT_SLACK = 1.05  # buffers, rotary tables and the allocator's rounding of each weight tensor
_CUDA_CONTEXT = 0.6 * GIB  # what a process's CUDA context and cuBLAS workspace take on each GPU it uses


@dataclass(frozen=True)
class MemoryPlan:
    """Bytes a model needs (its weights, and the KV cache and activations of one prompt of ``tokens``) against
    the bytes it may use on ``devices`` (free memory, each GPU capped at ``cap`` bytes when set)."""

    weights: float
    context: float
    tokens: int
    devices: int
    free: float
    where: str
    cap: float | None = None

    @property
    def needed(self) -> float:
        """All bytes the model takes to answer a prompt of ``tokens``, CUDA contexts included."""
        return self.weights + self.context + (self.devices * _CUDA_CONTEXT if self.where != "CPU RAM" else 0.0)

    def weights_budget(self) -> float:
        """Bytes of weights each GPU may take so that its share of the prompt's memory still fits under the cap."""
        cap = self.cap if self.cap is not None else self.free / self.devices
        return cap - _CUDA_CONTEXT - self.context / self.devices


def kv_bytes_per_token(config: Mapping[str, Any], value_bytes: float) -> float:
    """KV cache bytes one token takes in all layers, from a model's ``config.json``."""
    layers = int(config.get("num_hidden_layers") or 0)
    if config.get("kv_lora_rank"):  # DeepSeek-V2's latent attention caches one compressed latent + the rotary key
        return layers * (int(config["kv_lora_rank"]) + int(config.get("qk_rope_head_dim") or 0)) * value_bytes
    heads = int(config.get("num_attention_heads") or 1)
    kv_heads = int(config.get("num_key_value_heads") or heads)
    head_dim = int(config.get("head_dim") or int(config.get("hidden_size") or 0) // heads)
    return layers * 2 * kv_heads * head_dim * value_bytes


def context_bytes(config: Mapping[str, Any], tokens: int, value_bytes: float) -> float:
    """KV cache plus the largest activations of a ``tokens``-long prompt's prefill (``generate`` keeps only the
    last position's logits): the MLP's gate, up and product rows and a few copies of the hidden states; and where
    query and value heads differ in size (DeepSeek-V2), the attention scores of a head, which the fused
    attention kernels do not take, for every head at once."""
    hidden = int(config.get("hidden_size") or 0)
    intermediate = int(config.get("intermediate_size") or 4 * hidden)
    activations = tokens * (3 * intermediate + 8 * hidden) * value_bytes
    q_dim = int(config.get("qk_nope_head_dim") or 0) + int(config.get("qk_rope_head_dim") or 0)
    if q_dim and config.get("v_head_dim") and q_dim != int(config["v_head_dim"]):
        activations += tokens * tokens * int(config.get("num_attention_heads") or 1) * value_bytes
    return kv_bytes_per_token(config, value_bytes) * tokens + activations


def gpu_count(device_map: str) -> int:
    """GPUs a device map spreads the model over: all visible ones for auto/balanced, else one."""
    import torch

    return torch.cuda.device_count() if device_map in ("auto", "balanced") else 1


def available_memory(device_map: str, cap: float | None = None) -> tuple[float, str]:
    """Free bytes where the model will live (each GPU counted at most ``cap``), and a description of it."""
    import torch

    if device_map != "cpu" and torch.cuda.is_available():
        if device_map in ("auto", "balanced"):
            indices = list(range(torch.cuda.device_count()))
        else:
            indices = [int(device_map.split(":")[1]) if ":" in device_map else 0]
        free = [torch.cuda.mem_get_info(i)[0] for i in indices]
        if cap is not None:
            free = [min(f, cap) for f in free]
        where = f"{len(indices)} GPU(s)" if len(indices) > 1 or device_map in ("auto", "balanced") else f"cuda:{indices[0]}"
        if cap is not None:
            where += f" (at most {cap / GIB:g} GB each, llm_max_memory_gb)"
        return float(sum(free)), where
    with open("/proc/meminfo") as f:
        info = dict(line.split(":", 1) for line in f)
    return int(info["MemAvailable"].split()[0]) * 1024, "CPU RAM"


def value_bytes(precision: str) -> float:
    """Bytes of one activation or KV value: quantised weights compute in 16 bits."""
    return 4.0 if precision == "float32" else 2.0


def memory_plan(parameters: int, precision: str, device_map: str, *, config: Mapping[str, Any] | None = None,
                tokens: int = 0, max_memory_gb: float | None = None) -> MemoryPlan:
    """The plan for a model of ``parameters`` in ``precision`` on ``device_map``, with room for a ``tokens`` prompt."""
    cap = max_memory_gb * GIB if max_memory_gb is not None and device_map != "cpu" else None
    free, where = available_memory(device_map, cap)
    devices = gpu_count(device_map) if where != "CPU RAM" else 1
    context = context_bytes(config, tokens, value_bytes(precision)) if config and tokens else 0.0
    weights = parameters * BYTES_PER_PARAM[precision] * _WEIGHT_SLACK
    return MemoryPlan(weights=weights, context=context, tokens=tokens, devices=max(devices, 1), free=free,
                      where=where, cap=cap)


def check_plan(plan: MemoryPlan, display_name: str, precision: str) -> None:
    """Raise ``InsufficientMemoryError``, saying what is needed and what to try, when ``plan`` does not fit."""
    if plan.needed <= plan.free:
        return
    room = f" for its weights and a prompt of {plan.tokens:,} tokens" if plan.tokens else ""
    msg = (
        f"{display_name} needs ~{plan.needed / GIB:.1f} GB in {precision}{room}, you have "
        f"{plan.free / GIB:.1f} GB free on {plan.where}; try llm_quantization 8bit/4bit, llm_device_map balanced "
        f"(two GPUs), a smaller llm_context_window, or a smaller model"
    )
    raise InsufficientMemoryError(msg)


def planned_tokens(config: Mapping[str, Any], context_window: int) -> int:
    """The prompt length the plan keeps room for: the configured window, or the model's own if shorter."""
    trained = int(config.get("max_position_embeddings") or context_window)
    return min(context_window, trained)
