"""Chat models shipped as GGUF files inside PyPI packages, turned into plain transformers folders.

transformers reads GGUF by dequantising it, which takes 20-40 s on two cores and refuses
``save_pretrained`` afterwards. We dequantise once and save a normal folder; later loads take a few seconds.
The model is never built: its parameter names come from a model on PyTorch's meta device, and the float32
weights go to disk in shards, so the peak memory is the weights once plus a shard (the 1.5B model: 14 GB when
a model was built and filled, measured; a weight-sized peak now).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

SHARD_BYTES = 1 << 30
"""Weights per ``model-NNNNN.safetensors`` file: the saved copy of one shard is the conversion's extra memory."""


def join_parts(parts: list[Path], target: Path) -> None:
    """Concatenate a GGUF split across packages (written to a temp name first: never a half file)."""
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, length=16 << 20)
    partial.replace(target)


def convert_gguf(gguf_path: Path, target: Path) -> None:
    """Dequantise ``gguf_path`` into a transformers model + tokenizer folder at ``target`` (float32 weights)."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    config = _config(gguf_path)
    config.dtype = torch.float32
    with torch.device("meta"):  # only for the GGUF -> transformers parameter names
        names = AutoModelForCausalLM.from_config(config)
    tensors: dict[str, Any] = load_gguf_checkpoint(
        str(gguf_path), return_tensors=True, model_to_load=names, torch_dtype=torch.float32
    )["tensors"]
    wanted = set(names.state_dict())
    if getattr(config, "tie_word_embeddings", False):
        wanted.discard("lm_head.weight")  # the embedding matrix is the output layer too
    missing = wanted - set(tensors)
    if missing:
        msg = (f"{gguf_path.name}: no weights for {sorted(missing)[:3]}…; this GGUF does not fit its own config "
               "and cannot be converted: set llm_model to another model")
        raise ValueError(msg)
    for key in set(tensors) - wanted:
        del tensors[key]
    target.mkdir(parents=True, exist_ok=True)
    _save_shards(tensors, target)
    config.architectures = [type(names).__name__]
    _save_prompting(gguf_path, config, target)


def save_prompting(gguf_path: Path, target: Path) -> None:
    """What prompting a GGUF model needs, without its weights (for llama.cpp, which reads the GGUF itself): the
    config, the generation config and the tokenizer, saved at ``target``. Seconds, where :func:`convert_gguf`
    dequantises every weight (the 1.5B model: about 90 s and its float32 size in memory)."""
    target.mkdir(parents=True, exist_ok=True)
    _save_prompting(gguf_path, _config(gguf_path), target)


def _config(gguf_path: Path) -> Any:
    """The model's transformers config, read from the GGUF's metadata, without its quantisation (ours to choose)."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    return config


def _save_prompting(gguf_path: Path, config: Any, target: Path) -> None:
    """``config``, the generation config it implies and the GGUF's tokenizer, saved at ``target``."""
    from transformers import AutoTokenizer, GenerationConfig

    config.save_pretrained(str(target))
    GenerationConfig.from_model_config(config).save_pretrained(str(target))
    AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name).save_pretrained(str(target))


def _save_shards(tensors: dict[str, Any], target: Path) -> None:
    """Save as ``model-0000i-of-0000n.safetensors`` files of about ``SHARD_BYTES`` with transformers' index,
    taking each shard's tensors out of ``tensors`` (so their memory goes once written)."""
    from safetensors.torch import save_file

    shards: list[list[str]] = [[]]
    size = 0
    for key, tensor in tensors.items():
        nbytes = tensor.numel() * tensor.element_size()
        if shards[-1] and size + nbytes > SHARD_BYTES:
            shards.append([])
            size = 0
        shards[-1].append(key)
        size += nbytes
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    weight_map = {}
    for i, keys in enumerate(shards, start=1):
        file = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
        save_file({k: tensors.pop(k).contiguous() for k in keys}, str(target / file), metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(keys, file))
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (target / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
