"""The GPU embedding path's batching, checked on the CPU with the real default model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from kb_assistant.config import Settings
from kb_assistant.embedding_runtime import encode_on_device
from kb_assistant.embeddings import make_embeddings


@pytest.fixture(scope="module")
def float32() -> Any:
    # float32, as on a GPU: int8's per-batch activation scales would make batching itself visible
    return make_embeddings(Settings(embedding_precision="float32", embedding_device="cpu"))


def test_token_budget_batches_keep_order_and_match_encode(float32: Any) -> None:
    model = float32.model
    texts = [f"passage: 第{i}段。" + "知识库助手把文档切成块。" * (i % 17 + 1) + " \n" * (i % 2) for i in range(60)]
    texts.append("passage: " + "很长的文本。" * 400)  # truncated at the model's limit, as encode does
    ours = encode_on_device(model, texts, tokens_per_batch=700)  # many small batches of mixed sizes
    reference = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == reference.shape
    assert np.min(np.sum(ours * reference, axis=1)) > 0.9999
    assert encode_on_device(model, []).shape == (0, reference.shape[1])
