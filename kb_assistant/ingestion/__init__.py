"""Ingestion: loaders (suffix -> loader), Chinese-aware splitting, the incremental pipeline.

The pipeline's names are imported on first use, so a worker process that only reads files
(:mod:`kb_assistant.ingestion.workers`) does not import the store, Chroma and LangChain's indexing.
"""

from __future__ import annotations

import importlib
from typing import Any

_PIPELINE = ("FileOutcome", "IngestReport", "Ingestor", "ingest", "reindex", "remove_paths")

__all__ = sorted(_PIPELINE)


def __getattr__(name: str) -> Any:
    if name not in _PIPELINE:
        msg = f"module 'kb_assistant.ingestion' has no attribute {name!r}"
        raise AttributeError(msg)
    return getattr(importlib.import_module("kb_assistant.ingestion.pipeline"), name)
