"""``KBStore``: one knowledge base and everything it keeps, behind one small interface.

A KB is a Chroma collection ``kb_NAME`` (whose metadata records the embedding model that built it), a lexical
index (BM25 in tantivy), an English companion index, ingest records with a change log, and a write lock.
Ingest, removal, retrieval, the server and ``eval`` all read and write it through this class, so the rule
"after every write, the side indexes follow" lives here only::

    store = KBStore(settings, embeddings=embeddings)
    with store.write_lock():
        store.write_files(chunks, records)   # Chroma, records, lexical index; ``sync()`` adds the English index
        store.remove_sources([path])         # Chroma, records and both side indexes
    store.search_dense(query, k); store.search_lexical(query, k); store.chunks(ids); store.stamp()
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout
from langchain_core.documents import Document

from kb_assistant.config import Settings
from kb_assistant.errors import EmbeddingMismatchError, KBNotFoundError, StoreBusyError, StoreError
from kb_assistant.kb.client import collection_name, delete_ids, open_client, where_in
from kb_assistant.kb.english import (
    drop_english_index,
    english_embeddings,
    open_english_index,
    sync_english_index,
)
from kb_assistant.kb.records import FileRecord, IngestRecords

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings

    from kb_assistant.embeddings import LocalEmbeddings
    from kb_assistant.kb.lexical import LexicalIndex

_MAX_WRITE = 4096
"""Chunks in one Chroma write at most (a local Chroma takes up to 5,461; a server may take fewer, and says so)."""


class KBStore:
    """One knowledge base. ``embeddings`` (its model) is needed to create it and to search it densely."""

    def __init__(self, settings: Settings, client: ClientAPI | None = None, embeddings: LocalEmbeddings | None = None) -> None:
        self.settings = settings
        self.kb = settings.kb
        self.client = client or open_client(settings)
        self.embeddings = embeddings
        self.records = IngestRecords(settings.persist_dir, self.kb, collection_name(self.kb))
        self._lexical: LexicalIndex | None = None
        self._english: Any = None
        self._vectorstore: tuple[Any, Chroma] | None = None
        self._handle: Any = None  # the collection, looked up once: every query reads chunks through it

    # --- the collection -----------------------------------------------------------------------
    def exists(self) -> bool:
        """Whether the KB's collection exists."""
        return collection_name(self.kb) in {c.name for c in self.client.list_collections()}

    def collection(self, embeddings: LocalEmbeddings | None = None, *, create: bool = False) -> Any:
        """The KB's Chroma collection, checked against ``embeddings`` when given (created with ``create``)."""
        name = collection_name(self.kb)
        if not self.exists():
            if not create:
                msg = f"knowledge base {self.kb!r} does not exist; create it with `python -m kb_assistant ingest PATH --kb {self.kb}`"
                raise KBNotFoundError(msg)
            if embeddings is None:
                msg = "creating a knowledge base needs its embedding model"
                raise StoreError(msg)
            return self.client.create_collection(
                name,
                metadata={
                    "kb": self.kb,
                    "embedding_model": embeddings.identity,
                    "embedding_dim": embeddings.dimension,
                    "created_at": time.time(),
                },
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        collection = self.client.get_collection(name, embedding_function=None)
        if embeddings is not None:
            check_embedding_model(self.kb, collection.metadata or {}, embeddings)
        return collection

    def vectorstore(self, embeddings: Embeddings | None = None, *, create: bool = False) -> Chroma:
        """A LangChain ``Chroma`` over the KB's collection (relevance = 1 - cosine distance)."""
        from langchain_chroma import Chroma

        embeddings = embeddings or self._embeddings()
        if self._vectorstore is None or self._vectorstore[0] is not embeddings or create:
            self.collection(embeddings if hasattr(embeddings, "identity") else None, create=create)  # type: ignore[arg-type]
            chroma = Chroma(
                client=self.client,
                collection_name=collection_name(self.kb),
                embedding_function=embeddings,
                create_collection_if_not_exists=False,
            )
            self._vectorstore = (embeddings, chroma)
        return self._vectorstore[1]

    def count(self) -> int:
        """Chunks in the KB (0 when it does not exist)."""
        try:
            return int(self._collection().count())
        except KBNotFoundError:
            return 0
        except Exception:  # noqa: BLE001 - a handle to a collection dropped elsewhere: look it up again
            self._handle = None
            return int(self._collection().count()) if self.exists() else 0

    def _collection(self) -> Any:
        if self._handle is None:
            self._handle = self.collection()
        return self._handle

    def stamp(self) -> tuple[int, int]:
        """Changes when the KB changes (here, from another process, or from a replica over the same Chroma
        server): the newest change-log entry and the chunk count. Cheap: for caches to compare."""
        return self.records.last_change(), self.count()

    def _embeddings(self) -> LocalEmbeddings:
        if self.embeddings is None:
            msg = "searching a knowledge base by meaning needs its embedding model: KBStore(settings, embeddings=...)"
            raise StoreError(msg)
        return self.embeddings

    # --- writing (hold ``write_lock``) ----------------------------------------------------------
    @contextmanager
    def write_lock(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the KB's write lock; another holder makes this wait ``timeout`` s, then ``StoreBusyError``."""
        lock_dir = self.settings.persist_dir / "locks"
        lock_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(lock_dir / f"{self.kb}.lock"))
        wait = self.settings.lock_timeout if timeout is None else timeout
        try:
            lock.acquire(timeout=wait)
        except Timeout as e:
            msg = (
                f"another ingest is writing to knowledge base {self.kb!r}; wait for it to finish "
                f"or pass --wait SECONDS"
            )
            raise StoreBusyError(msg) from e
        try:
            (lock_dir / f"{self.kb}.pid").write_text(str(os.getpid()))
            yield
        finally:
            lock.release()

    def write_files(self, chunks: list[Document], records: list[FileRecord], embeddings: Embeddings | None = None) -> dict[str, int]:
        """Replace these files' chunks (each chunk's ``path`` metadata names its file) and save their records;
        the lexical index follows. Only chunks whose hash is new are embedded (LangChain's record manager).
        Returns LangChain's ``index`` counts (``num_added``, ``num_updated``, ``num_deleted``, ...)."""
        from langchain_core.indexing import index

        self.records.note_changes(sorted({r.path for r in records}))
        result = index(
            chunks,
            self.records.record_manager(),
            self.vectorstore(embeddings),
            cleanup="incremental",
            source_id_key=lambda d: str(d.metadata["path"]),
            key_encoder="sha256",
            # one Chroma write for the whole group: each costs ~0.1 s whatever its size
            batch_size=min(max(len(chunks), 1), self._max_write()),
        )
        self.records.save_files(records)
        self.sync(english=False)
        return dict(result)

    def _max_write(self) -> int:
        """Chunks in one Chroma write: ``_MAX_WRITE``, or fewer where the server says it takes fewer (a server
        that says nothing answers -1)."""
        limit = self.client.get_max_batch_size()
        return min(_MAX_WRITE, limit) if limit > 0 else _MAX_WRITE

    def remove_sources(self, paths: list[str]) -> int:
        """Delete every chunk of these files (absolute paths) and their records; both side indexes follow.
        Returns the chunks removed."""
        if not paths:
            return 0
        manager = self.records.record_manager()
        keys = manager.list_keys(group_ids=paths)
        if keys and self.exists():
            self.records.note_changes(paths)
            collection = self._collection()
            delete_ids(collection, keys)
            self.sync()
        manager.delete_keys(keys)
        self.records.forget_files(paths)
        return len(keys)

    def sync(self, *, english: bool = True) -> None:
        """Bring the side indexes up to the change log: the lexical index, and the English index (which may
        load the English model). Costs what changed since their last sync."""
        if not self.exists():
            return
        from kb_assistant.kb.lexical import sync_lexical_index

        collection = self._collection()
        sync_lexical_index(self.lexical_index(repair=False), collection, self.records,
                           shared_server=bool(self.settings.chroma_host))
        if english:
            sync_english_index(self.client, collection, self.settings, self.records)

    def drop(self) -> None:
        """Delete the KB's collection, its side indexes and all its records."""
        if self.exists():
            self.client.delete_collection(collection_name(self.kb))
        self._lexical = self._handle = self._vectorstore = None
        shutil.rmtree(self.settings.persist_dir / "lexical" / self.kb, ignore_errors=True)
        (self.settings.persist_dir / "bm25" / f"{self.kb}.pkl").unlink(missing_ok=True)  # the old pickled BM25
        drop_english_index(self.client, self.settings, self.records)
        self.records.clear()

    # --- records --------------------------------------------------------------------------------
    def file_records(self) -> dict[str, FileRecord]:
        """The KB's files by absolute path."""
        return self.records.files()

    # --- the side indexes -------------------------------------------------------------------------
    def lexical_index(self, *, repair: bool = True) -> LexicalIndex:
        """The KB's lexical (BM25) index (the collection must exist). With ``repair`` (hold ``write_lock``),
        caught up with the change log first; without it, opened as committed."""
        from kb_assistant.kb.lexical import open_lexical_index

        if self._lexical is None or repair:
            self._lexical = open_lexical_index(
                self.settings.persist_dir, self.kb, self._collection(), self.records, repair=repair,
                shared_server=bool(self.settings.chroma_host),
            )
        return self._lexical

    def open_for_reading(self) -> None:
        """Open the side indexes for searching: the lexical index caught up when no write is under way (the lock
        is free now), else as committed (the writer catches it up); the English index as it is."""
        try:
            with self.write_lock(timeout=0):
                self.lexical_index()
        except StoreBusyError:
            self.lexical_index(repair=False)
        self._english = open_english_index(self.client, self.settings)  # None without English chunks

    @property
    def has_english_index(self) -> bool:
        """Whether English queries also search the English index (opened by ``open_for_reading``)."""
        return self._english is not None

    @property
    def english_share(self) -> float | None:
        """The share of the KB's chunks in its English index (opened by ``open_for_reading``): 0 when it has none;
        None when no English index is configured, or the KB is empty."""
        total = self.count()
        if not self.settings.english_embedding_model or not total:
            return None
        return min(1.0, self._english.count() / total) if self._english is not None else 0.0

    # --- searching --------------------------------------------------------------------------------
    def search_dense(
        self, query: str, k: int, sources: list[str] | None = None, *, mmr: bool = False
    ) -> list[tuple[Document, float]]:
        """The ``k`` chunks nearest in meaning (relevance = 1 - cosine distance; NaN in MMR order)."""
        store = self.vectorstore()
        where = _where(sources)
        if mmr:
            return [(d, float("nan")) for d in store.max_marginal_relevance_search(query, k=k, fetch_k=k * 3, filter=where)]
        return store.similarity_search_with_relevance_scores(query, k=k, filter=where)

    def search_lexical(self, query: str, k: int, sources: list[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` best (chunk id, BM25 score) pairs."""
        return self.lexical_index(repair=False).search(query, k, sources)

    def chunks_holding(self, tokens: list[str], k: int, sources: list[str] | None = None) -> list[str]:
        """Up to ``k`` ids of chunks that hold every one of these search tokens."""
        return self.lexical_index(repair=False).holding(tokens, k, sources)

    def term_frequencies(self, tokens: list[str]) -> tuple[list[int], int]:
        """How many chunks hold each search token (``tokens.tokenize``), and how many chunks there are."""
        return self.lexical_index(repair=False).frequencies(tokens)

    def search_english(self, query: str, k: int, sources: list[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` nearest (chunk id, relevance) pairs in the English index; empty when it has none. May
        name chunks removed since its last sync: look them up with ``chunks``, which drops them."""
        if self._english is None:
            return []
        vector = english_embeddings(self.settings).embed_query(query)
        hits = self._english.query(query_embeddings=[vector], n_results=k, where=_where(sources), include=["distances"])
        return [(doc_id, 1.0 - float(d)) for doc_id, d in zip(hits["ids"][0], hits["distances"][0], strict=True)]

    def chunks(self, ids: list[str]) -> dict[str, Document]:
        """The chunks with these ids that the KB holds, by id."""
        if not ids:
            return {}
        got = self._collection().get(ids=ids, include=["documents", "metadatas"])
        return {
            doc_id: Document(id=doc_id, page_content=text or "", metadata=dict(meta or {}))
            for doc_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }


def _where(sources: list[str] | None) -> dict[str, Any] | None:
    return where_in("source", sources) if sources else None


def check_embedding_model(kb: str, metadata: dict[str, Any], embeddings: LocalEmbeddings) -> None:
    """Raise ``EmbeddingMismatchError`` when the collection was built with another model."""
    built_with = metadata.get("embedding_model")
    dim = metadata.get("embedding_dim")
    if built_with is None:
        return
    if built_with != embeddings.identity or (dim is not None and int(dim) != embeddings.dimension):
        msg = (
            f"knowledge base {kb!r} was built with embedding model {built_with!r} ({dim}-d), "
            f"not {embeddings.identity!r} ({embeddings.dimension}-d); "
            f"run `python -m kb_assistant reindex --kb {kb}` to rebuild it with the new model"
        )
        raise EmbeddingMismatchError(msg)
