"""Resolving a chat model reference, planning its memory, and loading it: the only ``from_pretrained``."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb_assistant.config import Settings
from kb_assistant.errors import (
    ConfigError,
    ModelNotFoundError,
    RemoteCodeNotAllowedError,
)
from kb_assistant.llms.llama_cpp_model import LlamaCppModel
from kb_assistant.llms.memory_plan import check_plan, memory_plan, planned_tokens
from kb_assistant.llms.specs import ModelSpec, find_spec, get_spec, spec_for_model_type
from kb_assistant.packaged import (
    PACKAGED_MODELS,
    in_dtype,
    is_packaged,
    packaged_gguf,
    packaged_prompting,
    resolve_packaged,
)

logger = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    """A model, its tokenizer and the family spec that says how to prompt it."""

    model: Any
    tokenizer: Any
    spec: ModelSpec
    path: Path


def downloaded_path(spec: ModelSpec, settings: Settings) -> Path | None:
    """Where ``download`` put this family's weights, if it did."""
    if spec.modelscope_id is None:
        return None
    path = settings.cache_dir / "modelscope" / spec.modelscope_id
    return path if (path / "config.json").exists() else None


def check_llm_reference(reference: str, settings: Settings) -> None:
    """Fail at once, without converting or loading anything, when ``reference`` names no usable chat model."""
    if is_packaged(reference):
        from kb_assistant.packaged import PACKAGED_MODELS

        if reference.removeprefix("packaged:") not in PACKAGED_MODELS:
            resolve_packaged(reference, settings.cache_dir, kind="chat")  # raises with the known names
        return
    spec = find_spec(reference)
    if spec is None or not spec.packaged:
        resolve_llm(reference, settings)  # families and folders resolve without loading anything


def resolve_llm(reference: str, settings: Settings) -> tuple[Path, ModelSpec]:
    """A model folder and its family spec, from ``packaged:NAME``, a family name, or a path."""
    if is_packaged(reference):
        name = reference.removeprefix("packaged:")
        return resolve_packaged(reference, settings.cache_dir, kind="chat"), get_spec(name)
    spec = find_spec(reference)
    if spec is not None:
        if spec.packaged:
            return resolve_packaged(spec.packaged, settings.cache_dir, kind="chat"), spec
        path = downloaded_path(spec, settings)
        if path is None:
            msg = f"{spec.display_name} is not downloaded: run `python -m kb_assistant download {spec.family}`"
            raise ModelNotFoundError(msg)
        return path, spec
    path = Path(reference).expanduser()
    if not (path / "config.json").exists():
        msg = f"chat model {reference!r} is not a known family, a packaged model, or a model folder with config.json"
        raise ModelNotFoundError(msg)
    if settings.llm_family:
        return path, get_spec(settings.llm_family)
    model_type = json.loads((path / "config.json").read_text()).get("model_type", "")
    guessed = spec_for_model_type(model_type)
    if guessed is None:
        msg = f"cannot tell the family of {path} (model_type {model_type!r}); set llm_family (one of qwen2-7b, llama3-8b, deepseek-coder-v2-lite, xverse-7b)"
        raise ConfigError(msg)
    return path, guessed


def choose_dtype(spec: ModelSpec, settings: Settings, on_gpu: bool) -> str:
    """The configured dtype, else the spec's on GPU; on a CPU, bfloat16 where it has bfloat16 instructions
    (AVX512-BF16, AMX: the packaged model's first token 1.9x sooner and each token 1.5x faster than in
    float32, same answers, see README "Answer quality"), else float32 (emulated half precision is slow)."""
    if settings.llm_dtype != "auto":
        return settings.llm_dtype
    if on_gpu:
        return spec.dtype
    return "bfloat16" if cpu_has_bfloat16() else "float32"


def cpu_has_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (oneDNN's own test)."""
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _safetensors_parameters(path: Path) -> int | None:
    """Parameters stored in ``path``'s safetensors files, read from their headers; None without them."""
    files = sorted(path.glob("*.safetensors"))
    config_file = path / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}
    if not files or "quantization_config" in config:
        return None  # packed quantised weights hold several parameters per stored element
    shapes: dict[str, list[int]] = {}
    for file in files:
        with file.open("rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size))
        shapes.update({name: entry["shape"] for name, entry in header.items() if name != "__metadata__"})
    if config.get("tie_word_embeddings") and any(n.endswith("embed_tokens.weight") for n in shapes):
        shapes = {n: shape for n, shape in shapes.items() if not n.endswith("lm_head.weight")}  # one tensor in memory
    return sum(math.prod(int(d) for d in shape) for shape in shapes.values())


def count_parameters(path: Path, trust_remote_code: bool) -> int:
    """Parameters of the model in ``path``: from its safetensors headers, else counted on the meta device (no
    weights read either way; the headers take milliseconds, building the model on the meta device about 0.5 s)."""
    stored = _safetensors_parameters(path)
    if stored:
        return stored
    from accelerate import init_empty_weights
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(str(path), trust_remote_code=trust_remote_code)
    with init_empty_weights():
        model = AutoModelForCausalLM.from_config(config, trust_remote_code=trust_remote_code)
    return sum(p.numel() for p in model.parameters())


def read_config(path: Path) -> dict[str, Any]:
    """A model folder's ``config.json``, or nothing."""
    config_file = path / "config.json"
    return json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}


def runs_on_llama_cpp(reference: str, settings: Settings) -> bool:
    """Whether llama.cpp runs the chat model ``reference``: ``llm_runtime`` asks for it, and then ``reference`` must
    be a packaged GGUF model (an error says so otherwise)."""
    if settings.llm_runtime != "llama.cpp":
        return False
    model = PACKAGED_MODELS.get(reference.removeprefix("packaged:")) if is_packaged(reference) else None
    if model is None or model.kind != "chat":
        msg = (f"llm_runtime llama.cpp runs the packaged GGUF chat models, not {reference!r}: set llm_runtime to "
               "transformers")
        raise ConfigError(msg)
    ignored = [name for name, value, default in (("llm_dtype", settings.llm_dtype, "auto"),
                                                 ("llm_quantization", settings.llm_quantization, "none"),
                                                 ("llm_device_map", settings.llm_device_map or "cpu", "cpu"))
               if value != default]
    if ignored:  # llama.cpp runs the GGUF's own 4-bit weights on the CPU: say so rather than ignore the setting
        msg = (f"llm_runtime llama.cpp runs the packaged GGUF's 4-bit weights on the CPU and takes no {ignored[0]}: "
               f"unset {ignored[0]} or set llm_runtime to transformers")
        raise ConfigError(msg)
    return True


def load_model(reference: str, settings: Settings) -> LoadedModel:
    """Load a chat model and tokenizer for ``reference`` with the settings' runtime, dtype, devices and
    quantisation."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if runs_on_llama_cpp(reference, settings):
        gguf = packaged_gguf(reference, settings.cache_dir)
        assert gguf is not None  # runs_on_llama_cpp took only packaged chat models
        folder = packaged_prompting(reference, settings.cache_dir, gguf)  # the weights stay in the GGUF
        spec = get_spec(reference.removeprefix("packaged:"))
        logger.info("loading %s from %s (llama.cpp)", spec.display_name, gguf)
        model = LlamaCppModel(gguf, folder, context=settings.llm_context_window, threads=settings.llm_threads)
        return LoadedModel(model=model, tokenizer=AutoTokenizer.from_pretrained(str(folder)), spec=spec, path=folder)
    path, spec = resolve_llm(reference, settings)
    if spec.trust_remote_code and not settings.trust_remote_code:
        msg = (
            f"{spec.display_name} runs Python code shipped with the checkpoint; if you trust it, allow it with "
            f"--trust-remote-code or KB_TRUST_REMOTE_CODE=true"
        )
        raise RemoteCodeNotAllowedError(msg)
    on_gpu = torch.cuda.is_available() and settings.llm_device_map != "cpu"
    device_map = settings.llm_device_map or ("cuda:0" if on_gpu else "cpu")
    dtype = choose_dtype(spec, settings, on_gpu)
    kwargs: dict[str, Any] = {"dtype": getattr(torch, dtype), "trust_remote_code": spec.trust_remote_code}
    precision = dtype
    if settings.llm_quantization != "none":
        if not on_gpu:
            msg = "8-bit/4-bit loading needs a CUDA GPU (bitsandbytes); use llm_quantization none on CPU"
            raise ConfigError(msg)
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = (
            BitsAndBytesConfig(load_in_8bit=True)
            if settings.llm_quantization == "8bit"
            else BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=getattr(torch, dtype), bnb_4bit_quant_type="nf4")
        )
        precision = settings.llm_quantization
    if precision == dtype and path.parent == settings.cache_dir / "packaged":
        path = in_dtype(path, dtype)  # our own float32 conversion: a copy in this dtype loads 4-10x faster
    config = read_config(path)
    plan = memory_plan(count_parameters(path, spec.trust_remote_code), precision, device_map, config=config,
                       tokens=planned_tokens(config, settings.llm_context_window),
                       max_memory_gb=settings.llm_max_memory_gb)
    check_plan(plan, spec.display_name, precision)
    if device_map != "cpu":
        kwargs["device_map"] = device_map
        if device_map in ("auto", "balanced") and plan.cap is not None:
            # the caps bound the weights' spread, leaving each GPU its share of the prompt's memory
            kwargs["max_memory"] = {i: int(plan.weights_budget()) for i in range(plan.devices)}
    logger.info("loading %s from %s (%s, %s)", spec.display_name, path, precision, device_map)
    tokenizer = AutoTokenizer.from_pretrained(str(path), trust_remote_code=spec.trust_remote_code)
    model = AutoModelForCausalLM.from_pretrained(str(path), **kwargs)
    model.eval()
    from kb_assistant.cpu_linear import linear_through_onednn

    linear_through_onednn(model)  # its float32 layers on the CPU, if any
    return LoadedModel(model=model, tokenizer=tokenizer, spec=spec, path=path)
