"""What one generation asks of the model: the sampling values (family defaults, then the chat model's fields,
then the call's overrides), the token ids that end it, those values as ``generate`` keywords or as the batching
engine's ``Sampling``, and which of the two runs it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kb_assistant.errors import ModelError
from kb_assistant.llms.llama_cpp_model import LlamaCppModel
from kb_assistant.llms.specs import ModelSpec
from kb_assistant.llms.streaming import single_token

SAMPLING_KEYS = ("temperature", "top_p", "top_k", "repetition_penalty", "max_new_tokens")


def merge_sampling(spec: ModelSpec, fields: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Sampling values for one call: the family's defaults, the set ``fields``, then the call's ``overrides``
    (``max_tokens`` is accepted for ``max_new_tokens``); at most 512 new tokens when nothing says otherwise."""
    values = dict(spec.generation)
    values.update({k: fields[k] for k in SAMPLING_KEYS if fields.get(k) is not None})
    if "max_tokens" in overrides:
        overrides = {**overrides, "max_new_tokens": overrides["max_tokens"]}
    values.update({k: overrides[k] for k in SAMPLING_KEYS if overrides.get(k) is not None})
    values.setdefault("max_new_tokens", 512)
    return values


def eos_token_ids(model: Any, tokenizer: Any, spec: ModelSpec) -> list[int]:
    """Token ids that end an answer: the model's configured end tokens, the tokenizer's, and the family's stop
    strings that are single tokens (so generation ends at once instead of at the next text check)."""
    ids = set()
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids.update(int(i) for i in configured)
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    ids.update(t for s in spec.stop if (t := single_token(tokenizer, s)) is not None)
    return sorted(ids)


def generate_kwargs(sampling: Mapping[str, Any], eos: list[int], pad_token_id: int | None) -> dict[str, Any]:
    """``sampling`` as keywords of transformers' ``generate`` (greedy when the temperature is unset or 0)."""
    kwargs: dict[str, Any] = {"max_new_tokens": int(sampling["max_new_tokens"])}
    if sampling.get("repetition_penalty") is not None:
        kwargs["repetition_penalty"] = float(sampling["repetition_penalty"])
    temperature = sampling.get("temperature")
    if temperature is None or float(temperature) <= 0:
        kwargs["do_sample"] = False
    else:
        kwargs.update(do_sample=True, temperature=float(temperature))
        if sampling.get("top_p") is not None:
            kwargs["top_p"] = float(sampling["top_p"])
        if sampling.get("top_k") is not None:
            kwargs["top_k"] = int(sampling["top_k"])
    if eos:
        kwargs["eos_token_id"] = eos
    kwargs["pad_token_id"] = pad_token_id if pad_token_id is not None else (eos[0] if eos else 0)
    return kwargs


def plain_options(model: Any, sampling: Mapping[str, Any], eos: list[int], constraint: Any,
                  extra: Mapping[str, Any], pad_token_id: int | None) -> dict[str, Any]:
    """The keywords of ``model.generate`` for one request without the batching engine: transformers' (``sampling``
    as :func:`generate_kwargs`, with ``extra``: its grammar's logits processor, prompt lookup), or those of
    :class:`~kb_assistant.llms.llama_cpp_model.LlamaCppModel` (the values as they are, the grammar ``constraint``)."""
    if isinstance(model, LlamaCppModel):
        return {"sampling": sampling, "eos": eos, "constraint": constraint}
    return {**extra, **generate_kwargs(sampling, eos, pad_token_id)}


def engine_sampling(sampling: Mapping[str, Any], eos: list[int], constraint: Any = None) -> Any:
    """``sampling`` as the batching engine's :class:`~kb_assistant.llms.engine.Sampling`, with the request's
    grammar (a :class:`~kb_assistant.llms.constrained.GrammarConstraint`) when it has one."""
    from kb_assistant.llms.engine import Sampling

    temperature = sampling.get("temperature")
    return Sampling(
        max_new_tokens=int(sampling["max_new_tokens"]),
        temperature=float(temperature) if temperature is not None else None,
        top_p=sampling.get("top_p"),
        top_k=sampling.get("top_k"),
        repetition_penalty=sampling.get("repetition_penalty"),
        eos_token_ids=tuple(eos),
        constraint=constraint,
    )


def choose_engine(model: Any, spec: ModelSpec, *, mode: str, max_batch: int, max_len: int, prefix_rows: int,
                  prefill_chunk: int, int8: bool, decode_share: float = 0.55) -> Any:
    """The model's shared :class:`~kb_assistant.llms.engine.GenerationEngine` (built at the first call), or None
    for plain ``generate``. ``mode`` auto takes the engine on CUDA for models it runs, unquantised; ``batched``
    insists on it. ``int8`` needs the engine: asking for it where the engine cannot run is an error that says
    what to change, not a silent bf16 model."""
    if isinstance(model, LlamaCppModel):  # llama.cpp generates itself, one request at a time
        if mode == "batched" or int8:
            raise ModelError("the batching engine runs transformers models: set llm_engine to auto and engine_int8 "
                             "off, or llm_runtime to transformers")
        return None
    if mode == "plain":
        if int8:
            raise ModelError("engine_int8 needs the batching engine: set llm_engine to auto or batched")
        return None
    from kb_assistant.llms.engine import GenerationEngine, engine_for, running_engine, unsupported_reason

    built = running_engine(model)
    if built is not None:
        return built
    on_cuda = getattr(getattr(model, "device", None), "type", "cpu") == "cuda"
    reason = unsupported_reason(model)
    quantized = bool(getattr(model, "is_quantized", False))
    if mode == "auto" and (not on_cuda or reason or quantized):  # 8/4-bit: not measured, opt in
        if int8:
            why = reason or ("the model is quantised already" if quantized else "there is no CUDA GPU")
            msg = (f"engine_int8 needs the batching engine, which cannot run {spec.display_name} here ({why}); "
                   "turn engine_int8 off, or use llm_quantization = \"8bit\"")
            raise ModelError(msg)
        return None
    if reason:
        raise ModelError(f"engine 'batched' cannot run {spec.display_name}: {reason}; use engine 'plain'")
    return engine_for(model, lambda: GenerationEngine(
        model, max_batch=max_batch, max_len=max_len, cuda_graphs=on_cuda and not quantized,
        prefix_rows=prefix_rows, prefill_chunk=prefill_chunk, decode_share=decode_share, int8=int8,
    ))
