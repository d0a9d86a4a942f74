"""A sentence-transformers model folder of the common shape (a transformer, then mean or CLS pooling, then
normalisation) run with transformers alone.

Importing sentence-transformers takes 4.9 s on 2 cores (scikit-learn and SciPy among it) before a model is loaded:
a quarter of a one-off ``ask``. Loading the same e5 folder with transformers takes 6.3-6.4 s from a fresh process
against 8.5-8.8 s (README, "Answer quality"). The vectors are sentence-transformers' own to float rounding (the test
suite compares both). Folders of any other shape (dense layers, other pooling modes) keep loading with
sentence-transformers (:func:`plain_layout` returns None for them).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

_ST = "sentence_transformers.models."
_POOLING_MODES = ("pooling_mode_mean_tokens", "pooling_mode_cls_token", "pooling_mode_max_tokens",
                  "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken")


@dataclass(frozen=True)
class Layout:
    """What a plain sentence-transformers folder says: pooling, normalisation, length limit and prompts."""

    pooling: str  # "mean" or "cls"
    normalize: bool
    max_seq_length: int | None
    prompts: dict[str, str]


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def plain_layout(folder: Path | str) -> Layout | None:
    """The folder's layout when it is a transformer, mean or CLS pooling and optional normalisation, else None."""
    folder = Path(folder)
    modules_file = folder / "modules.json"
    if not modules_file.exists():
        return None
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    types = [str(m.get("type", "")).removeprefix(_ST) for m in modules]
    if types not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) or modules[0].get("path"):
        return None
    pooling_config = _read(folder / modules[1]["path"] / "config.json")
    modes = [mode for mode in _POOLING_MODES if pooling_config.get(mode)]
    if modes not in (["pooling_mode_mean_tokens"], ["pooling_mode_cls_token"]) or pooling_config.get(
        "include_prompt", True
    ) is False:
        return None
    transformer_config = _read(folder / "sentence_bert_config.json")
    if transformer_config.get("do_lower_case"):
        return None
    return Layout(
        pooling="mean" if modes == ["pooling_mode_mean_tokens"] else "cls",
        normalize=len(types) == 3,
        max_seq_length=transformer_config.get("max_seq_length"),
        prompts=dict(_read(folder / "config_sentence_transformers.json").get("prompts") or {}),
    )


def _fast_tokenizer(folder: Path) -> Any:
    """The folder's tokenizer.json as a ``tokenizers.Tokenizer`` (None without one)."""
    path = folder / "tokenizer.json"
    if not path.exists():
        return None
    from tokenizers import Tokenizer

    fast = Tokenizer.from_file(str(path))
    fast.no_truncation()  # some files carry their own (all-MiniLM-L6-v2's: 128); we cut where the model says
    fast.no_padding()
    return fast


class SentenceEncoder:
    """The parts of ``SentenceTransformer`` this package uses (``encode``, ``tokenize``, calling it on features,
    ``tokenizer``, ``max_seq_length``, ``prompts``, ``half``), over a plain folder. ``model`` is what the forward
    pass calls: the int8 encoder replaces it and leaves ``auto_model`` as loaded."""

    def __init__(self, folder: Path | str, layout: Layout, device: str = "cpu") -> None:
        from transformers import AutoModel

        self.folder = Path(folder)
        self._tokenizer: Any = None
        # The tokenizers library reads tokenizer.json in 0.7 s; transformers' tokenizer around it takes 2 s more
        # (it parses the 17 MB file again in Python). Questions and answer checks need only the fast one.
        self.fast = _fast_tokenizer(self.folder)
        self.auto_model = AutoModel.from_pretrained(str(folder), dtype=torch.float32).to(device).eval()
        from kb_assistant.cpu_linear import linear_through_onednn

        linear_through_onednn(self.auto_model)  # on the CPU; a GPU's layers stay as they are
        self.model: Any = self.auto_model
        self.layout = layout
        self.prompts = dict(layout.prompts)
        limit = layout.max_seq_length or _read(self.folder / "tokenizer_config.json").get("model_max_length") \
            or self.tokenizer.model_max_length
        positions = getattr(self.auto_model.config, "max_position_embeddings", None)
        self.max_seq_length = int(min(limit, positions) if positions and positions > 0 else limit)

    @property
    def tokenizer(self) -> Any:
        """The folder's Hugging Face tokenizer, loaded on first use (the splitter measures chunks with it)."""
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(str(self.folder))
        return self._tokenizer

    def offsets(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """Character offsets of each text's tokens, special tokens left out."""
        if self.fast is None:
            encoded = self.tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
            return [list(map(tuple, o)) for o in encoded["offset_mapping"]]
        return [e.offsets for e in self.fast.encode_batch(texts, add_special_tokens=False)]

    @functools.cache  # noqa: B019 - one value per encoder, and encoders live as long as the process
    def special_tokens(self) -> int:
        """Special tokens added around one text."""
        if self.fast is None:
            return int(self.tokenizer.num_special_tokens_to_add(pair=False))
        return len(self.fast.encode("", add_special_tokens=True).ids) - len(self.fast.encode("", add_special_tokens=False).ids)

    @property
    def device(self) -> torch.device:
        """Where the model's weights are."""
        return next(self.auto_model.parameters()).device

    def get_embedding_dimension(self) -> int:
        """Length of the vectors."""
        return int(self.auto_model.config.hidden_size)

    def half(self) -> SentenceEncoder:
        """Run in float16 (on a GPU)."""
        self.auto_model.half()
        return self

    def tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """Padded, truncated model inputs for ``texts`` (what the Hugging Face tokenizer gives, without token
        type ids: all zeros for one text, which is what the model assumes without them)."""
        if self.fast is None:
            features = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length,
                                      return_tensors="pt")
            return {key: value for key, value in features.items() if key in ("input_ids", "attention_mask")}
        room = self.max_seq_length - self.special_tokens()
        rows = []
        for encoding in self.fast.encode_batch(texts, add_special_tokens=False):
            encoding.truncate(room)
            rows.append(self.fast.post_process(encoding).ids)
        ids = np.full((len(rows), max(map(len, rows))), self._pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}

    @functools.cached_property
    def _pad_id(self) -> int:
        token = _read(self.folder / "tokenizer_config.json").get("pad_token")
        token = token.get("content") if isinstance(token, dict) else token
        found = self.fast.token_to_id(token) if token and self.fast is not None else None
        return int(found if found is not None else self.tokenizer.pad_token_id)

    def __call__(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``{"sentence_embedding": ...}`` for tokenised inputs, as a ``SentenceTransformer`` returns it."""
        hidden = self.model(**features).last_hidden_state
        if self.layout.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = features["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        if self.layout.normalize:
            pooled = F.normalize(pooled, p=2, dim=1)
        return {"sentence_embedding": pooled}

    def encode(
        self, texts: list[str] | str, *, batch_size: int = 32, normalize_embeddings: bool = False, **_: Any
    ) -> np.ndarray:
        """Vectors of ``texts`` in order (one vector for a single string), computed longest first in batches of
        ``batch_size`` (so that each batch pads to similar lengths), as ``SentenceTransformer.encode`` does."""
        if isinstance(texts, str):
            return self.encode([texts], batch_size=batch_size, normalize_embeddings=normalize_embeddings)[0]
        if not texts:
            return np.zeros((0, self.get_embedding_dimension()), dtype=np.float32)
        order = np.argsort([-len(text) for text in texts], kind="stable")
        vectors = np.empty((len(texts), self.get_embedding_dimension()), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                picked = order[start : start + batch_size]
                features = {k: v.to(self.device) for k, v in self.tokenize([texts[i] for i in picked]).items()}
                embedded = self(features)["sentence_embedding"].float()
                if normalize_embeddings:
                    embedded = F.normalize(embedded, p=2, dim=1)
                vectors[picked] = embedded.cpu().numpy()
        return vectors
