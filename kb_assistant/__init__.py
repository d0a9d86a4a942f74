"""kb-assistant: a local, offline-first knowledge-base assistant on LangChain.

Public API (imported lazily, so ``import kb_assistant`` does not import torch)::

    from kb_assistant import Settings, ingest, make_retriever, build_qa_chain, LocalChatModel
"""

from __future__ import annotations

import importlib
import os
from typing import Any

__version__ = "0.1.0"

# OpenMP threads that wait for work sleep instead of spinning, unless the user chose (read when torch's OpenMP
# runtime loads, so only where torch comes after this package). Spinning threads keep the cores from everything
# else: the server's generation beside an ingest, two processes sharing a laptop's cores. Two processes generating
# at once on 2 cores took 9.5 s a generation against 51 s with OpenMP's default (one alone: 5.5 against 5.1 s;
# benchmarks/contention_bench.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_EXPORTS = {
    "Settings": "kb_assistant.config",
    "KBError": "kb_assistant.errors",
    "ingest": "kb_assistant.ingestion",
    "reindex": "kb_assistant.ingestion",
    "remove_paths": "kb_assistant.ingestion",
    "IngestReport": "kb_assistant.ingestion",
    "make_embeddings": "kb_assistant.embeddings",
    "LocalEmbeddings": "kb_assistant.embeddings",
    "KBStore": "kb_assistant.kb",
    "list_kbs": "kb_assistant.kb",
    "HybridRetriever": "kb_assistant.retrieval",
    "make_retriever": "kb_assistant.retrieval",
    "build_qa_chain": "kb_assistant.qa",
    "build_retrieval_qa": "kb_assistant.qa",
    "QAChain": "kb_assistant.qa",
    "LocalChatModel": "kb_assistant.llms",
    "LocalLLM": "kb_assistant.llms",
    "Qwen2_LLM": "kb_assistant.llms",
    "LLaMA3_LLM": "kb_assistant.llms",
    "DeepSeek_Coder_LLM": "kb_assistant.llms",
    "XVERSE_LLM": "kb_assistant.llms",
    "ModelSpec": "kb_assistant.llms",
    "SPECS": "kb_assistant.llms",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'kb_assistant' has no attribute {name!r}"
        raise AttributeError(msg)
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
