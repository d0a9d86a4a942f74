"""Int8 inference of BERT-style sentence encoders on x86 CPUs (multilingual-e5, bge, m3e, text2vec, ...).

On a CPU nearly all of an ingest's time is the embedding model's matrix products. Each linear layer here is
one oneDNN int8 kernel (VNNI on recent x86): weights quantised per output channel once, activations
quantised per batch at run time (asymmetric uint8), the bias, GELU and residual sum fused into the same
kernel. Q, K and V share one product. Attention, LayerNorm and the embeddings stay float32. The vectors
keep a cosine of about 0.997 to the float32 model's, and retrieval quality is unchanged on our eval sets
(README, "Ingest speed").

``quantize_encoder(model)`` swaps the encoder of a loaded ``SentenceTransformer`` or
:class:`~kb_assistant.sentence_encoder.SentenceEncoder` in place; the model's
pooling, normalisation, prompts and tokenizer are untouched. Models of other shapes, machines without the
kernels and a failed self-check leave the model as it was and say why.
"""

from __future__ import annotations

import logging
import platform
import warnings
from typing import Any

import torch
import torch.nn.functional as F

logger = logging.getLogger(__name__)

_MODEL_TYPES = {"bert", "xlm-roberta", "roberta"}
_GELU = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh"}  # oneDNN's name for the variant
_MIN_COSINE = 0.99


def _onednn() -> Any:
    return torch.ops.onednn


def _quantize(x: torch.Tensor) -> tuple[torch.Tensor, float, int]:
    """``x`` as uint8 with one scale and zero point for the whole tensor (the range always holds 0)."""
    low, high = torch.aminmax(x)
    low_f, high_f = min(float(low), 0.0), max(float(high), 0.0)
    scale = max(high_f - low_f, 1e-8) / 255.0
    zero_point = round(-low_f / scale)
    with warnings.catch_warnings():  # quantised tensors are deprecated API; we only borrow their kernel
        warnings.simplefilter("ignore")
        quantized = torch.quantize_per_tensor(x, scale, zero_point, torch.quint8)
    return torch.ops.aten.view.dtype(quantized, torch.uint8), scale, zero_point


class _Int8Linear:
    """One or more ``nn.Linear`` with the same input, as a single int8 product."""

    def __init__(self, layers: list[torch.nn.Linear]) -> None:
        weight = torch.cat([layer.weight.detach().float() for layer in layers])
        bias = torch.cat([layer.bias.detach().float() for layer in layers])
        scale = weight.abs().amax(dim=1).clamp(min=1e-8) / 127.0
        quantized = torch.round(weight / scale[:, None]).to(torch.int8)
        self.packed = _onednn().qlinear_prepack(quantized, None)
        self.scale = scale
        self.zero_point = torch.zeros(scale.shape, dtype=torch.int64)
        self.bias = bias

    def __call__(self, x: torch.Tensor, *, gelu: str | None = None) -> torch.Tensor:
        q, scale, zero_point = _quantize(x)
        return _onednn().qlinear_pointwise(
            q, scale, zero_point, self.packed, self.scale, self.zero_point, self.bias,
            1.0, 0, torch.float32, "gelu" if gelu else "none", [], gelu or "",
        )

    def add(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """``linear(x) + residual``; the kernel accumulates into ``residual``'s storage."""
        q, scale, zero_point = _quantize(x)
        return _onednn().qlinear_pointwise.binary(
            q, scale, zero_point, self.packed, self.scale, self.zero_point, residual, self.bias,
            1.0, 0, torch.float32, 1.0, 0, "sum", 1.0, "none", [], "",
        )


class _Int8Layer:
    def __init__(self, layer: Any, heads: int, gelu: str) -> None:
        attention = layer.attention
        self.qkv = _Int8Linear([attention.self.query, attention.self.key, attention.self.value])
        self.out = _Int8Linear([attention.output.dense])
        self.norm1 = attention.output.LayerNorm
        self.up = _Int8Linear([layer.intermediate.dense])
        self.down = _Int8Linear([layer.output.dense])
        self.norm2 = layer.output.LayerNorm
        self.heads = heads
        self.gelu = gelu

    def __call__(self, x: torch.Tensor, mask: torch.Tensor | None, batch: int, length: int) -> torch.Tensor:
        qkv = self.qkv(x).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=mask)
        attended = attended.transpose(1, 2).reshape(batch * length, -1)
        h = self.out.add(attended, x)  # x is not used again, so it may take the sum
        h = F.layer_norm(h, h.shape[-1:], self.norm1.weight, self.norm1.bias, self.norm1.eps)
        y = self.down.add(self.up(h, gelu=self.gelu), h)
        return F.layer_norm(y, y.shape[-1:], self.norm2.weight, self.norm2.bias, self.norm2.eps)


class Int8Encoder(torch.nn.Module):
    """Drop-in for a Hugging Face BERT-style ``AutoModel`` at inference: same inputs, ``last_hidden_state``."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        config = model.config
        self.config = config
        self.embeddings = model.embeddings
        gelu = _GELU[config.hidden_act]
        self._layers = [_Int8Layer(layer, config.num_attention_heads, gelu) for layer in model.encoder.layer]

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        **_: Any,
    ) -> Any:
        from transformers.modeling_outputs import BaseModelOutput

        batch, length = input_ids.shape
        with torch.inference_mode():
            x = self.embeddings(input_ids=input_ids, token_type_ids=token_type_ids).reshape(batch * length, -1)
            mask = None if attention_mask is None else attention_mask[:, None, None, :].bool()
            for layer in self._layers:
                x = layer(x, mask, batch, length)
        return BaseModelOutput(last_hidden_state=x.view(batch, length, -1))


def _transformer(model: Any) -> Any:
    """The module holding ``auto_model`` (the float model) and ``model`` (what the forward pass calls): the
    ``SentenceEncoder`` itself, or a ``SentenceTransformer``'s first module."""
    return model if hasattr(model, "auto_model") else model[0]


def unsupported_reason(model: Any) -> str | None:
    """Why ``model`` (a ``SentenceTransformer`` or ``SentenceEncoder``) cannot run in int8 here, or None if it can."""
    if platform.machine().lower() not in {"x86_64", "amd64", "i686", "x86"}:
        return f"int8 kernels are for x86 CPUs, this is {platform.machine()}"
    if not torch.backends.mkldnn.is_available() or not hasattr(torch.ops.onednn, "qlinear_pointwise"):
        return "this torch build has no oneDNN int8 kernels"
    if str(model.device) != "cpu":
        return f"the model is on {model.device}, int8 is for the CPU"
    auto_model = getattr(_transformer(model), "auto_model", None)
    config = getattr(auto_model, "config", None)
    if config is None or config.model_type not in _MODEL_TYPES:
        kind = getattr(config, "model_type", type(auto_model).__name__)
        return f"{kind} is not a BERT-style encoder"
    if getattr(config, "position_embedding_type", "absolute") != "absolute" or config.is_decoder:
        return "only encoders with absolute positions are supported"
    if config.hidden_act not in _GELU:
        return f"activation {config.hidden_act!r} is not supported"
    return None


def _self_check(model: Any, quantized: Int8Encoder) -> float:
    """Lowest cosine between the float32 and int8 pooled vectors on a few mixed texts."""
    texts = ["知识库里的文档被切成块并编码为向量。", "Retrieval finds the chunks nearest to a query.",
             "GPU 显存不足时可以使用 int8 量化。" * 6, "hello"]
    features = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
    features = {key: features[key] for key in ("input_ids", "attention_mask") if key in features}
    auto_model = _transformer(model).auto_model
    with torch.inference_mode():
        reference = auto_model(**features).last_hidden_state
        got = quantized(**features).last_hidden_state
    mask = features["attention_mask"][..., None].float()

    def pooled(h: torch.Tensor) -> torch.Tensor:
        return F.normalize((h * mask).sum(1) / mask.sum(1), dim=-1)

    return float((pooled(reference) * pooled(got)).sum(-1).min())


def quantize_encoder(model: Any) -> str | None:
    """Run ``model``'s encoder in int8 from now on. Returns None on success, else why it stayed float32."""
    reason = unsupported_reason(model)
    if reason is not None:
        return reason
    try:
        quantized = Int8Encoder(_transformer(model).auto_model)
        cosine = _self_check(model, quantized)
    except (RuntimeError, KeyError, AttributeError) as error:  # kernels missing or refusing this shape
        return f"int8 kernels failed here ({str(error).splitlines()[0]})"
    if cosine < _MIN_COSINE:
        return f"int8 vectors drift from float32 (cosine {cosine:.4f} < {_MIN_COSINE})"
    _transformer(model).model = quantized  # the forward pass calls .model (sentence-transformers' Transformer too)
    logger.info("embedding model runs in int8 (self-check cosine %.4f)", cosine)
    return None
