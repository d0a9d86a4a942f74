"""The Chroma store (local or server), the ingest records beside it, and the per-KB write lock.

A knowledge base is one Chroma collection ``kb_NAME`` whose metadata records the embedding model that
built it; opening it with another model is an ``EmbeddingMismatchError``. Ingest bookkeeping (one row per
file, plus LangChain's record manager for chunk hashes) lives in ``persist_dir/records.sqlite``.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from filelock import FileLock, Timeout

from kb_assistant.config import Settings
from kb_assistant.english_index import drop_english_index, remove_english_chunks
from kb_assistant.errors import EmbeddingMismatchError, KBNotFoundError, StoreBusyError, StoreError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from langchain_chroma import Chroma
    from langchain_classic.indexes import SQLRecordManager

    from kb_assistant.embeddings import LocalEmbeddings
    from kb_assistant.lexical_index import LexicalIndex

logger = logging.getLogger(__name__)

COLLECTION_PREFIX = "kb_"

_metadata = sa.MetaData()
FILES = sa.Table(
    "kb_files",
    _metadata,
    sa.Column("kb", sa.String, primary_key=True),
    sa.Column("path", sa.String, primary_key=True),  # absolute path: the record manager's group id
    sa.Column("root", sa.String, nullable=False),  # the folder given to `ingest`
    sa.Column("source", sa.String, nullable=False),  # path relative to root, shown to users
    sa.Column("sha256", sa.String, nullable=False),
    sa.Column("chunks", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)


@dataclass(frozen=True)
class FileRecord:
    """What the last successful ingest of one file left in the store."""

    path: str
    root: str
    source: str
    sha256: str
    chunks: int
    updated_at: float


@dataclass(frozen=True)
class KBInfo:
    """One row of ``list``."""

    name: str
    files: int
    chunks: int
    embedding_model: str
    updated_at: datetime | None


def collection_name(kb: str) -> str:
    """Chroma collection name of a knowledge base."""
    return COLLECTION_PREFIX + kb


def open_client(settings: Settings) -> ClientAPI:
    """A Chroma client: the persistent store under ``persist_dir``, or a server when ``chroma_host`` is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        path = settings.persist_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as e:  # chromadb raises ValueError/ConnectionError/its own errors
        where = f"Chroma server {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.persist_dir
        msg = f"cannot open the vector store at {where}: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        raise StoreError(msg) from e


class KBStore:
    """Everything an ingest or a query needs of one knowledge base."""

    def __init__(self, settings: Settings, client: ClientAPI | None = None) -> None:
        self.settings = settings
        self.kb = settings.kb
        self.client = client or open_client(settings)
        settings.persist_dir.mkdir(parents=True, exist_ok=True)
        self.db_url = f"sqlite:///{(settings.persist_dir / 'records.sqlite').resolve()}"
        self.engine = sa.create_engine(self.db_url, connect_args={"timeout": 60})
        _metadata.create_all(self.engine)

    # --- collection ---------------------------------------------------------------------------
    def exists(self) -> bool:
        """Whether the KB's collection exists."""
        return collection_name(self.kb) in {c.name for c in self.client.list_collections()}

    def collection(self, embeddings: LocalEmbeddings | None = None, *, create: bool = False) -> Any:
        """The raw Chroma collection, checked against ``embeddings`` when given."""
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

    def vectorstore(self, embeddings: LocalEmbeddings, *, create: bool = False) -> Chroma:
        """A LangChain ``Chroma`` over the KB's collection (relevance = 1 - cosine distance)."""
        from langchain_chroma import Chroma

        self.collection(embeddings, create=create)
        return Chroma(
            client=self.client,
            collection_name=collection_name(self.kb),
            embedding_function=embeddings,
            create_collection_if_not_exists=False,
        )

    def lexical_index(self, *, repair: bool = True) -> LexicalIndex:
        """The KB's lexical (BM25) index (the collection must exist). With ``repair`` (hold ``write_lock``),
        caught up with the collection first; without it, opened as committed, for reading."""
        from kb_assistant.lexical_index import open_lexical_index

        return open_lexical_index(self.settings.persist_dir, self.kb, self.collection(), repair=repair)

    def lexical_index_for_reading(self) -> LexicalIndex:
        """The lexical index for a retriever: repaired when no ingest is writing (the lock is free now),
        else as committed (the ingest settles it)."""
        try:
            with self.write_lock(timeout=0):
                return self.lexical_index()
        except StoreBusyError:
            return self.lexical_index(repair=False)

    def record_manager(self) -> SQLRecordManager:
        """LangChain's record manager for this KB's chunk hashes."""
        from langchain_classic.indexes import SQLRecordManager

        manager = SQLRecordManager(f"chroma/{collection_name(self.kb)}", engine=self.engine)
        manager.create_schema()
        return manager

    # --- file records -------------------------------------------------------------------------
    def file_records(self) -> dict[str, FileRecord]:
        """The KB's files by absolute path."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(FILES).where(FILES.c.kb == self.kb)).mappings().all()
        return {r["path"]: FileRecord(**{k: v for k, v in r.items() if k != "kb"}) for r in rows}

    def save_file_records(self, records: list[FileRecord]) -> None:
        """Insert or replace files' records in one transaction."""
        with self.engine.begin() as conn:
            for record in records:
                conn.execute(sa.delete(FILES).where(FILES.c.kb == self.kb, FILES.c.path == record.path))
                conn.execute(sa.insert(FILES).values(kb=self.kb, **record.__dict__))

    def delete_file_record(self, path: str) -> None:
        """Forget one file."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(FILES).where(FILES.c.kb == self.kb, FILES.c.path == path))

    def remove_sources(self, paths: list[str]) -> int:
        """Delete every chunk of these files (absolute paths) and their records; returns chunks removed."""
        if not paths:
            return 0
        manager = self.record_manager()
        keys = manager.list_keys(group_ids=paths)
        if keys and self.exists():
            collection = self.client.get_collection(collection_name(self.kb), embedding_function=None)
            lexical = self.lexical_index()
            lexical.mark_pending(paths)
            for i in range(0, len(keys), 5000):
                collection.delete(ids=keys[i : i + 5000])
            lexical.settle(collection, paths)  # the lexical index drops these files' chunks too
            remove_english_chunks(self.client, self.settings, keys)  # and the English index
        manager.delete_keys(keys)
        for path in paths:
            self.delete_file_record(path)
        return len(keys)

    def drop(self) -> None:
        """Delete the KB's collection and all its records."""
        if self.exists():
            self.client.delete_collection(collection_name(self.kb))
        shutil.rmtree(self.settings.persist_dir / "lexical" / self.kb, ignore_errors=True)
        (self.settings.persist_dir / "bm25" / f"{self.kb}.pkl").unlink(missing_ok=True)  # the old pickled BM25
        drop_english_index(self.client, self.settings)
        manager = self.record_manager()
        manager.delete_keys(manager.list_keys())
        with self.engine.begin() as conn:
            conn.execute(sa.delete(FILES).where(FILES.c.kb == self.kb))

    # --- locking ------------------------------------------------------------------------------
    @contextmanager
    def write_lock(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the KB's ingest lock; another holder makes this wait ``timeout`` s, then ``StoreBusyError``."""
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


def list_kbs(settings: Settings, client: ClientAPI | None = None) -> list[KBInfo]:
    """Every knowledge base in the store with its files, chunks, model and last update."""
    store = KBStore(settings, client)
    infos = []
    for collection in store.client.list_collections():
        if not collection.name.startswith(COLLECTION_PREFIX):
            continue
        kb = collection.name.removeprefix(COLLECTION_PREFIX)
        full = store.client.get_collection(collection.name, embedding_function=None)
        with store.engine.connect() as conn:
            files, last = conn.execute(
                sa.select(sa.func.count(), sa.func.max(FILES.c.updated_at)).where(FILES.c.kb == kb)
            ).one()
        infos.append(
            KBInfo(
                name=kb,
                files=int(files),
                chunks=full.count(),
                embedding_model=str((full.metadata or {}).get("embedding_model", "?")),
                updated_at=datetime.fromtimestamp(last, tz=UTC) if last else None,
            )
        )
    return sorted(infos, key=lambda i: i.name)
