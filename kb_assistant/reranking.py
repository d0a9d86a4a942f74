"""A cross-encoder that reorders the fused candidates (``reranker_model``): sentence-transformers' ``CrossEncoder``
over a folder the user downloaded (bge-reranker, bce-reranker…). No PyPI package ships reranker weights, so
there is no offline default (README, "Retrieval quality")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kb_assistant.errors import KBError

if TYPE_CHECKING:
    from langchain_core.documents import Document


def load_reranker(reference: str, device: str | None = None) -> Any:
    """The cross-encoder at ``reference`` (a folder, or a name already in the Hugging Face cache), on ``device``
    (default: a GPU when there is one), in bfloat16 on a GPU."""
    import torch
    from sentence_transformers import CrossEncoder

    try:
        reranker = CrossEncoder(reference, local_files_only=True, device=device)
    except (OSError, ValueError) as e:
        msg = f"reranker_model {reference!r} cannot be loaded ({str(e).splitlines()[0]}): give a cross-encoder folder"
        raise KBError(msg) from e
    if reranker.device.type == "cuda":  # 2.3-5.9x faster than float32 on the H200 (benchmarks/reranker_bench.py)
        reranker.model.to(torch.bfloat16)
    return reranker


def rerank(reranker: Any, query: str, candidates: Sequence[Document]) -> list[Document]:
    """``candidates`` ordered by the cross-encoder's score for ``query`` (kept in ``metadata["rerank_score"]``)."""
    if not candidates:
        return []
    scores = reranker.predict([(query, d.page_content) for d in candidates])
    for doc, score in zip(candidates, scores, strict=True):
        doc.metadata["rerank_score"] = float(score)
    return sorted(candidates, key=lambda d: -d.metadata["rerank_score"])
