"""Local sentence-transformers models as a LangChain ``Embeddings`` (plain folders run with transformers alone, see
:mod:`kb_assistant.sentence_encoder`)."""

from __future__ import annotations

import itertools
import logging
import threading
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from kb_assistant.combined_calls import CombinedCalls
from kb_assistant.config import Settings
from kb_assistant.errors import ConfigError, ModelNotFoundError
from kb_assistant.packaged import is_packaged, resolve_packaged

logger = logging.getLogger(__name__)

_WINDOW_OVERLAP = 32  # tokens shared by neighbouring windows of a text longer than the model reads


def resolve_model_path(reference: str, cache_dir: Path, *, offline: bool, kind: str) -> Path | str:
    """A local folder for a model reference: ``packaged:NAME``, a path, or a ModelScope id downloaded into
    ``cache_dir``. With ``offline`` false an unknown reference is returned as is, for transformers to fetch
    from its hub.
    """
    if is_packaged(reference):
        return resolve_packaged(reference, cache_dir, kind=kind)
    path = Path(reference).expanduser()
    if path.exists():
        return path
    downloaded = cache_dir / "modelscope" / reference
    if downloaded.exists():
        return downloaded
    if not offline:
        return reference
    msg = (
        f"{kind} model {reference!r} is neither a local folder nor downloaded: "
        f"run `python -m kb_assistant download {reference}` or give a path"
    )
    raise ModelNotFoundError(msg)


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class LocalEmbeddings(Embeddings):
    """A sentence-transformers model on disk, with the query/passage prompts the model was trained with.

    ``texts_embedded`` counts every text sent through the model, so callers can check that an unchanged
    re-ingest computed nothing. ``precision`` (auto, float32, int8) picks how the model runs; the one it
    runs in is ``self.precision`` (float16 on GPU, int8 on x86 CPUs when the model allows; with auto on a
    CPU, int8 is set up at the first call, or when ``precision`` is read: one precision for the process's whole
    life, so a question finds the same chunks whatever was embedded before it).
    """

    def __init__(
        self,
        model_path: Path | str,
        *,
        identity: str | None = None,
        device: str | None = None,
        batch_size: int = 8,
        query_prefix: str | None = None,
        document_prefix: str | None = None,
        precision: str = "auto",
    ) -> None:
        from kb_assistant.sentence_encoder import SentenceEncoder, plain_layout

        self.device = device or _default_device()
        layout = plain_layout(model_path) if Path(model_path).is_dir() else None
        if layout is not None:
            self.model: Any = SentenceEncoder(model_path, layout, self.device)
        else:  # other module stacks (dense layers, other pooling): sentence-transformers itself
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(str(model_path), device=self.device, local_files_only=True)
        self._lock = threading.Lock()
        # int8 on a CPU is set up at the first call (0.3-0.5 s), not at load: a process that only opens the KB
        # never pays it. Not later either: set up at the first big batch, it gave the questions before it float32
        # vectors and those after it int8 ones, and the same question other chunks once an answer was checked.
        self._deferred = precision == "auto" and not self.device.startswith("cuda")
        self._precision = "float32" if self._deferred else self._set_precision(precision)
        self.identity = identity or str(model_path)
        self.batch_size = batch_size
        prompts: dict[str, str] = dict(self.model.prompts or {})
        self.query_prefix = query_prefix if query_prefix is not None else prompts.get("query", "")
        self.document_prefix = (
            document_prefix
            if document_prefix is not None
            else prompts.get("document", prompts.get("passage", ""))
        )
        self.texts_embedded = 0
        self.query_batches: CombinedCalls[str, list[float]] = CombinedCalls(
            lambda queries: self._encode(queries, self.query_prefix))
        """Queries from concurrent callers, embedded together (``max_batch = 1`` embeds them one by one)."""

    def _set_precision(self, wanted: str) -> str:
        if self.device.startswith("cuda"):
            if wanted == "int8":
                raise ConfigError("embedding_precision int8 is for CPUs: use auto or float32 on a GPU")
            if wanted == "auto":
                self.model.half()  # cosine to the float32 vectors > 0.999; twice the speed and half the memory
                return "float16"
            return "float32"
        if wanted == "float32":
            return "float32"
        from kb_assistant.int8_encoder import quantize_encoder

        reason = quantize_encoder(self.model)
        if reason is None:
            return "int8"
        if wanted == "int8":
            raise ConfigError(f"embedding_precision int8 is not possible here: {reason}; use auto or float32")
        logger.info("embedding model stays float32: %s", reason)
        return "float32"

    @property
    def precision(self) -> str:
        """What the model runs in: float16 on a GPU, int8 on x86 CPUs where the model allows, else float32."""
        with self._lock:
            self._settle_precision()
        return self._precision

    def _settle_precision(self) -> None:
        if self._deferred:
            self._deferred = False
            self._precision = self._set_precision("auto")

    @property
    def dimension(self) -> int:
        """Length of the vectors this model returns."""
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Content tokens a document may have before the model truncates it (prefix and specials excluded)."""
        if hasattr(self.model, "offsets"):  # SentenceEncoder: its fast tokenizer, no Hugging Face one to load
            prefix, specials = len(self.model.offsets([self.document_prefix])[0]), self.model.special_tokens()
        else:
            prefix = len(self.tokenizer(self.document_prefix, add_special_tokens=False)["input_ids"])
            specials = self.tokenizer.num_special_tokens_to_add(pair=False)
        return int(self.model.max_seq_length) - prefix - specials

    def count_tokens(self, texts: list[str]) -> int:
        """Tokens the model is given for ``texts``, special tokens included (usage figures)."""
        if hasattr(self.model, "offsets"):
            return sum(len(o) for o in self.model.offsets(texts)) + self.model.special_tokens() * len(texts)
        return sum(len(self.tokenizer(t)["input_ids"]) for t in texts)

    @property
    def tokenizer(self) -> Any:
        """The model's Hugging Face tokenizer (the splitter measures chunks with it)."""
        return self.model.tokenizer

    def windows(self, texts: list[str]) -> list[list[str]]:
        """Each text in pieces the model reads whole: the text itself when it fits ``max_tokens``, else
        windows of ``max_tokens`` tokens overlapping by ``_WINDOW_OVERLAP``, cut at token boundaries."""
        limit = self.max_tokens
        if hasattr(self.model, "offsets"):
            mapping = self.model.offsets(texts)
        else:
            mapping = self.tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]
        pieces = []
        for text, offsets in zip(texts, mapping, strict=True):
            if len(offsets) <= limit:
                pieces.append([text])
                continue
            step = max(limit - _WINDOW_OVERLAP, 1)
            starts = range(0, max(len(offsets) - _WINDOW_OVERLAP, 1), step)
            pieces.append([text[offsets[a][0] : offsets[min(a + limit, len(offsets)) - 1][1]] for a in starts])
        return pieces

    def _encode(self, texts: list[str], prefix: str) -> list[list[float]]:
        if not texts:
            return []
        # Past max_tokens the model would silently drop the rest of a text: embed its windows, average by length.
        pieces = self.windows(texts)
        flat = [prefix + piece for text_pieces in pieces for piece in text_pieces]
        with self._lock:
            self._settle_precision()
            if self.device.startswith("cuda"):
                from kb_assistant.embedding_runtime import encode_on_device

                vectors = encode_on_device(self.model, flat)
            else:
                vectors = self.model.encode(
                    flat,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            self.texts_embedded += len(texts)
        if len(flat) > len(texts):
            import numpy as np

            bounds = np.cumsum([0] + [len(p) for p in pieces])
            weights = np.array([len(piece) for text_pieces in pieces for piece in text_pieces], dtype=np.float32)
            # weighted by length: a short tail window must not count as much as a full one
            means = np.stack([weights[a:b] @ vectors[a:b] for a, b in itertools.pairwise(bounds)])
            vectors = means / np.linalg.norm(means, axis=1, keepdims=True)
        return vectors.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed chunks (with the model's document prompt, e.g. ``passage: `` for e5)."""
        return self._encode(list(texts), self.document_prefix)

    def embed_query(self, text: str) -> list[float]:
        """Embed a search query (with the model's query prompt, e.g. ``query: `` for e5). Queries from other
        threads that arrive while one is embedded are embedded together in the next pass."""
        return self.query_batches(text)


def make_embeddings(settings: Settings) -> LocalEmbeddings:
    """The configured embedding model."""
    path = resolve_model_path(settings.embedding_model, settings.cache_dir, offline=settings.offline, kind="embedding")
    return LocalEmbeddings(
        path,
        identity=settings.embedding_model,
        device=settings.embedding_device,
        batch_size=settings.embedding_batch_size,
        precision=settings.embedding_precision,
    )
