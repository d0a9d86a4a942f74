"""Chat models shipped as GGUF files inside PyPI packages, turned into plain transformers folders.

transformers reads GGUF by dequantising it, which takes 20-40 s on two cores and refuses
``save_pretrained`` afterwards. We dequantise once, rebuild the model from its config without the
GGUF quantisation marker, and save a normal folder; later loads take a few seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def join_parts(parts: list[Path], target: Path) -> None:
    """Concatenate a GGUF split across packages (written to a temp name first: never a half file)."""
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, length=16 << 20)
    partial.replace(target)


def convert_gguf(gguf_path: Path, target: Path) -> None:
    """Dequantise ``gguf_path`` into a transformers model + tokenizer folder at ``target``."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=False)
    model.tie_weights()
    model.generation_config = loaded.generation_config
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(target))
    tokenizer.save_pretrained(str(target))
