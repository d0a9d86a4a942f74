"""Texts longer than the embedding model reads are embedded whole (windows, averaged), never cut silently."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from kb_assistant.config import Settings
from kb_assistant.embeddings import LocalEmbeddings, resolve_model_path

FILLER = "The committee met on Tuesday and reviewed the quarterly budget, the staffing plan and the travel rules. "
TAIL = "The vaccine trial enrolled 4,200 volunteers in Ghana and reported 77 percent protection against malaria."


@pytest.fixture(scope="module")
def minilm() -> Any:
    settings = Settings()
    path = resolve_model_path("packaged:all-MiniLM-L6-v2", settings.cache_dir, offline=True, kind="embedding")
    return LocalEmbeddings(path, precision="float32")  # reads 256 tokens, the English index's model


def test_text_past_the_limit_is_split_into_overlapping_windows(minilm: Any) -> None:
    long_text = FILLER * 30 + TAIL
    assert len(minilm.tokenizer(long_text, add_special_tokens=False)["input_ids"]) > 2 * minilm.max_tokens
    (pieces,) = minilm.windows([long_text])
    assert len(pieces) >= 3 and pieces[-1].endswith(TAIL)
    for piece in pieces:
        assert len(minilm.tokenizer(piece, add_special_tokens=False)["input_ids"]) <= minilm.max_tokens
    assert minilm.windows(["short text"]) == [["short text"]]


def test_the_end_of_a_long_text_still_counts(minilm: Any) -> None:
    long_text = FILLER * 30 + TAIL
    query = np.array(minilm.embed_query("How well did the malaria vaccine protect volunteers in Ghana?"))
    whole = np.array(minilm.embed_documents([long_text])[0])
    truncated = minilm.model.encode(long_text, normalize_embeddings=True)  # what the model alone keeps
    assert abs(np.linalg.norm(whole) - 1.0) < 1e-5
    assert float(query @ whole) > float(query @ truncated) + 0.1
    assert minilm.texts_embedded == 2  # windows are one text each to the caller's count
