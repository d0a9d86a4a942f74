"""A chat model's GGUF file run by llama.cpp (llama-cpp-python) on the CPU, behind the same
:class:`~kb_assistant.llms.chat_model.LocalChatModel` as a transformers model (``llm_runtime = "llama.cpp"``).

The packaged chat models ship as 4-bit GGUF files. transformers dequantises them and multiplies in bfloat16 or
float32; llama.cpp multiplies the 4-bit weights as they are: less memory (a third of float32's) and faster long
answers from the 1.5B model, but a slower pass over the prompt than transformers' bfloat16 one, so the QA chain's
answers (a long prompt, a short answer) come no sooner (``benchmarks/cpu_runtime_bench.py``).

Only generation moves: the prompt is rendered and tokenised by the model's Hugging Face tokenizer (the same
vocabulary), so stop strings, streaming, cancellation, usage counts and the tools' grammars work as on the
transformers path.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb_assistant.errors import ConfigError

INSTALL_HINT = ('pip install "llama-cpp-python==0.3.36" (the llama-cpp extra; it compiles llama.cpp: a C++ compiler '
                "and 5-8 minutes)")


def llama_cpp_available() -> bool:
    """Whether llama-cpp-python is installed (found without importing it: the import loads the library)."""
    return importlib.util.find_spec("llama_cpp") is not None


def cpu_threads() -> int:
    """Threads for llama.cpp: ``OMP_NUM_THREADS`` where set (a share of the cores, as torch takes it), else every
    core (llama-cpp-python's own default, half the cores, leaves a 2-core laptop one)."""
    configured = os.environ.get("OMP_NUM_THREADS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else (os.cpu_count() or 1)


class LlamaCppModel:
    """A GGUF model in llama.cpp, holding what generation asks of a model: ``config`` and ``generation_config``
    (from ``folder``, its config and tokenizer), ``device`` (the CPU) and :meth:`generate`. One generation at a time
    (the chat model's lock per model sees to that)."""

    def __init__(self, gguf: Path, folder: Path, *, context: int, threads: int | None = None) -> None:
        if not llama_cpp_available():
            msg = f"llm_runtime llama.cpp needs llama-cpp-python: {INSTALL_HINT}; or set llm_runtime transformers"
            raise ConfigError(msg)
        import torch
        from llama_cpp import Llama
        from transformers import AutoConfig, GenerationConfig

        self.config = AutoConfig.from_pretrained(str(folder))
        try:
            self.generation_config = GenerationConfig.from_pretrained(str(folder))
        except OSError:  # no generation_config.json: the config's own end token
            self.generation_config = GenerationConfig.from_model_config(self.config)
        self.device = torch.device("cpu")
        self.path = gguf
        self.name_or_path = str(folder)  # as a transformers model names its folder
        threads = threads or cpu_threads()
        self.context = min(context, int(getattr(self.config, "max_position_embeddings", context) or context))
        self.config.max_position_embeddings = self.context  # the window requests get: its KV cache's size
        # No prompt-lookup drafts here (transformers' path has them): llama-cpp-python then computes the logits of
        # every prompt token, and its draft path failed on a 648-token prompt (0.3.36); decoding is fast without.
        self.llama = Llama(str(gguf), n_ctx=self.context, n_batch=512, n_threads=threads, n_threads_batch=threads,
                           verbose=False)

    def generate(self, prompt: Sequence[int], *, sampling: Mapping[str, Any], eos: Sequence[int], constraint: Any,
                 cancel: threading.Event, streamer: Any) -> None:
        """Generate after ``prompt`` (token ids) with ``sampling`` (``merge_sampling``'s values), handing each new
        token id to ``streamer.put_ids``, until an ``eos`` token, ``max_new_tokens``, or ``cancel`` is set.
        ``constraint``: a transformers-style logits processor (a tool's or schema's grammar) or None."""
        limit = int(sampling["max_new_tokens"])
        if len(prompt) + limit > self.context:
            limit = self.context - len(prompt)
            if limit <= 0:
                msg = (f"the prompt has {len(prompt)} tokens and the model's window {self.context}: ask about fewer "
                       "passages (top_k) or raise llm_context_window")
                raise ConfigError(msg)
        processors = []
        penalty = sampling.get("repetition_penalty")
        if penalty is not None and float(penalty) != 1.0:
            processors.append(_RepetitionPenalty(float(penalty)))
        if constraint is not None:
            processors.append(_TorchProcessor(constraint))
        temperature = sampling.get("temperature")
        greedy = temperature is None or float(temperature) <= 0
        options: dict[str, Any] = {"temp": 0.0} if greedy else {
            "temp": float(temperature), "top_p": float(sampling.get("top_p") or 1.0),
            "top_k": int(sampling.get("top_k") or 0)}
        ends = set(eos)
        produced = 0
        # Each prompt from its first token: reusing the cache of a prompt that starts the same way recomputes the
        # last shared token alone, whose rounding differs from the batched pass's, and greedy answers to the same
        # question then differ between calls (the chain's prompts share only their instructions anyway)
        self.llama.reset()
        tokens = self.llama.generate(list(prompt), min_p=0.0, repeat_penalty=1.0, logits_processor=processors or None,
                                     **options)
        try:
            for token in tokens:
                if cancel.is_set() or token in ends:
                    break
                streamer.put_ids([int(token)])
                produced += 1
                if produced >= limit:
                    break
        finally:
            tokens.close()
        streamer.end()


class _RepetitionPenalty:
    """transformers' repetition penalty (CTRL's) over every token so far, prompt included, so an answer decodes as
    it does on the transformers path (llama.cpp's own penalty looks at the last 64 tokens only)."""

    def __init__(self, penalty: float) -> None:
        self.penalty = penalty

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        seen = np.unique(input_ids)
        values = scores[seen]
        scores[seen] = np.where(values < 0, values * self.penalty, values / self.penalty)
        return scores


class _TorchProcessor:
    """A transformers logits processor (batch of one, torch tensors) over llama.cpp's numpy arrays."""

    def __init__(self, processor: Any) -> None:
        self.processor = processor

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        import torch

        ids = torch.from_numpy(np.asarray(input_ids, dtype=np.int64))[None]
        out = self.processor(ids, torch.from_numpy(scores)[None])
        return out[0].numpy()
