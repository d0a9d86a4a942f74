"""Embedding many texts on a GPU: one tokenisation pass for all texts, length-sorted batches sized by a token
budget and padded only to their own longest text, half precision, results kept on the device until the end.

sentence-transformers' ``encode`` sorts by length too, but it tokenises batch by batch and its batches hold
a fixed number of texts, so on a GPU a small model waits on the CPU and batches of short chunks leave the
device idle. This module imports torch and numpy only (benchmarks run it on machines without LangChain).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F


def encode_on_device(
    model: Any, texts: list[str], *, tokens_per_batch: int = 32768, max_batch: int = 1024
) -> np.ndarray:
    """Normalised embeddings of ``texts`` (in order) from a ``SentenceTransformer`` or ``SentenceEncoder``, as its ``encode`` would
    give them (same tokenisation, truncated at the model's max_seq_length)."""
    if not texts:
        return np.zeros((0, model.get_embedding_dimension()), dtype=np.float32)
    tokenizer = model.tokenizer
    ids = tokenizer(texts, truncation=True, max_length=int(model.max_seq_length),
                    return_attention_mask=False, return_token_type_ids=False)["input_ids"]
    lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(-lengths, kind="stable")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = model.device
    vectors: torch.Tensor | None = None
    start = 0
    with torch.inference_mode():
        while start < len(order):
            longest = int(lengths[order[start]])
            picked = order[start : start + max(1, min(max_batch, tokens_per_batch // max(1, longest)))]
            tokens = np.full((len(picked), longest), pad, dtype=np.int64)
            mask = np.zeros((len(picked), longest), dtype=np.int64)
            for row, index in enumerate(picked):
                tokens[row, : lengths[index]] = ids[index]
                mask[row, : lengths[index]] = 1
            features = {"input_ids": torch.from_numpy(tokens).to(device, non_blocking=True),
                        "attention_mask": torch.from_numpy(mask).to(device, non_blocking=True)}
            embedded = model(features)["sentence_embedding"].float()
            if vectors is None:
                vectors = torch.empty(len(texts), embedded.shape[1], device=device)
            vectors[torch.from_numpy(picked).to(device)] = embedded
            start += len(picked)
    assert vectors is not None
    return F.normalize(vectors, dim=-1).cpu().numpy()
