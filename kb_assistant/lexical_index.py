"""The KB's lexical index: BM25 in tantivy (a Rust search engine), fed with our own tokens.

Our tokenizer (``bm25.tokenize``: jieba search-mode words, Snowball-stemmed English) decides what a term is;
tantivy stores the postings in segments on disk, memory-maps them when opened, adds and deletes documents
incrementally (a delete marks, merges reclaim), and scores with BM25. Nothing is unpickled from the persist
folder. Each chunk is indexed with its ``path`` so that re-indexing or removing a file touches only its chunks.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb_assistant.bm25 import TOKENIZER_VERSION, tokenize

logger = logging.getLogger(__name__)
_ANALYZER = "kb_tokens"
_GET_BATCH = 2000
_WRITER_HEAP = 64 * 2**20


def lexical_dir(persist_dir: Path, kb: str) -> Path:
    """Where a KB's lexical index lives (a tantivy index folder)."""
    slug = TOKENIZER_VERSION.replace("/", "-").replace("+", "-")
    return persist_dir / "lexical" / kb / slug


@dataclass(frozen=True)
class Chunk:
    """What the lexical index needs of a chunk."""

    id: str
    text: str
    path: str
    source: str
    tokens: tuple[str, ...] | None = None
    """``tokenize(text)`` when the caller has it already (bulk loads)."""


def _schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("path", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("source", tokenizer_name="raw", index_option="basic")
    # Our tokens joined by spaces; term frequencies for BM25, no positions (no phrase queries).
    builder.add_text_field("text", tokenizer_name=_ANALYZER, index_option="freq")
    return builder.build()


class LexicalIndex:
    """BM25 over one KB's chunks, on disk. Thread-safe; other processes' commits are seen after ``refresh``."""

    def __init__(self, folder: Path) -> None:
        import tantivy

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._schema = _schema()
        self._index = tantivy.Index(self._schema, path=str(folder), reuse=True)
        self._index.register_tokenizer(_ANALYZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        self._lock = threading.Lock()

    # --- reading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """See commits made since (by this or another process)."""
        self._index.reload()

    def count(self) -> int:
        return int(self._index.searcher().num_docs)

    def search(self, query: str, k: int, sources: list[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` best (chunk id, BM25 score) pairs, optionally only among chunks of these ``sources``."""
        import tantivy

        terms = sorted(set(tokenize(query)))
        if not terms or k <= 0:
            return []
        Q, Occur = tantivy.Query, tantivy.Occur
        query_ = Q.boolean_query([(Occur.Should, Q.term_query(self._schema, "text", t)) for t in terms])
        if sources:
            only = Q.const_score_query(Q.term_set_query(self._schema, "source", list(sources)), 0.0)
            query_ = Q.boolean_query([(Occur.Must, query_), (Occur.Must, only)])
        searcher = self._index.searcher()
        hits = searcher.search(query_, k, count=False).hits
        return [(searcher.doc(address)["id"][0], float(score)) for score, address in hits]

    def ids(self) -> set[str]:
        """Every chunk id in the index (a full scan: repairs only)."""
        import tantivy

        searcher = self._index.searcher()
        total = searcher.num_docs
        if not total:
            return set()
        hits = searcher.search(tantivy.Query.all_query(), total, count=False).hits
        return {searcher.doc(address)["id"][0] for _, address in hits}

    # --- writing ------------------------------------------------------------------------------
    def write(self, remove_paths: Iterable[str] = (), remove_ids: Iterable[str] = (), add: Iterable[Chunk] = ()) -> int:
        """Delete by file path and by chunk id, then add chunks; one commit. Returns the chunks added. Callers
        hold the KB's write lock, so no other process holds tantivy's writer."""
        import tantivy

        added = 0
        with self._lock:
            writer = self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            try:
                for path in remove_paths:
                    writer.delete_documents_by_term("path", path)
                for doc_id in remove_ids:
                    writer.delete_documents_by_term("id", doc_id)
                for chunk in add:
                    writer.add_document(tantivy.Document(
                        id=chunk.id, path=chunk.path, source=chunk.source,
                        text=" ".join(chunk.tokens if chunk.tokens is not None else tokenize(chunk.text))))
                    added += 1
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self._index.reload()
        return added

    def replace_paths(self, collection: Any, paths: list[str]) -> int:
        """Re-read these files' chunks from the Chroma collection (none left: the file was removed)."""
        if not paths:
            return 0
        return self.write(remove_paths=paths, add=_chunks_of(collection, paths))

    def remove_paths(self, paths: list[str]) -> None:
        self.write(remove_paths=paths)

    # --- crash safety -------------------------------------------------------------------------
    # A write to Chroma and the matching write here are two commits. Before the first, the files are
    # noted as pending; after the second, the note goes. A process killed in between leaves the note, and
    # the next open re-reads those files from Chroma.
    @property
    def _pending_file(self) -> Path:
        return self.folder.parent / "pending.json"

    def mark_pending(self, paths: list[str]) -> None:
        """Note files about to change in Chroma (see ``settle``)."""
        if not paths:
            return
        noted = sorted(set(self.pending()) | set(paths))
        partial = self._pending_file.with_suffix(".tmp")
        partial.write_text(json.dumps(noted, ensure_ascii=False), encoding="utf-8")
        partial.replace(self._pending_file)

    def pending(self) -> list[str]:
        try:
            return list(json.loads(self._pending_file.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return []

    def settle(self, collection: Any, paths: list[str] | None = None) -> None:
        """Re-read these files' and the noted files' chunks from Chroma, then drop the note. Only a holder of
        the KB's write lock may call it (else it could drop a note another process still needs)."""
        todo = sorted(set(self.pending()) | set(paths or []))
        if todo:
            self.replace_paths(collection, todo)
        self._pending_file.unlink(missing_ok=True)

    def rebuild(self, collection: Any) -> int:
        """Index every chunk of the collection afresh (conversion, repair)."""
        with self._lock:
            writer = self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            writer.delete_all_documents()
            writer.commit()
            writer.wait_merging_threads()
        total = collection.count()
        logger.info("building the lexical index of %d chunks (once)", total)
        done = 0
        for batch in _all_chunks(collection):
            done += self.write(add=batch)
            logger.info("lexical index: %d / %d chunks", done, total)
        return done


def _chunk(doc_id: str, text: str | None, meta: dict[str, Any] | None) -> Chunk:
    meta = meta or {}
    return Chunk(doc_id, text or "", str(meta.get("path", "")), str(meta.get("source", "")))


def _chunks_of(collection: Any, paths: list[str]) -> Iterator[Chunk]:
    for start in range(0, len(paths), 100):
        group = paths[start : start + 100]
        where = {"path": {"$in": group}} if len(group) > 1 else {"path": group[0]}
        got = collection.get(where=where, include=["documents", "metadatas"])
        for doc_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            yield _chunk(doc_id, text, meta)


def _all_chunks(collection: Any) -> Iterator[list[Chunk]]:
    offset = 0
    while True:
        got = collection.get(include=["documents", "metadatas"], limit=_GET_BATCH, offset=offset)
        if not got["ids"]:
            return
        yield [_chunk(i, t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
        offset += len(got["ids"])


def open_lexical_index(persist_dir: Path, kb: str, collection: Any, *, repair: bool = True) -> LexicalIndex:
    """The KB's lexical index, caught up with the collection when ``repair`` (the caller holds the KB's write
    lock; without it the index is opened as it is committed and nothing is written).

    Catching up is cheap when nothing drifted (a count compare). A KB whose index was made by the old
    pickled BM25 (or by another tokenizer) is rebuilt once from the collection, with progress in the log;
    the old file is deleted unread.
    """
    index = LexicalIndex(lexical_dir(persist_dir, kb))
    if not repair:
        return index
    legacy = persist_dir / "bm25" / f"{kb}.pkl"
    if legacy.exists():
        legacy.unlink()
    for other in (persist_dir / "lexical" / kb).glob("*"):
        if other != lexical_dir(persist_dir, kb) and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)  # made by another tokenizer version
    index.settle(collection)
    if index.count() != collection.count():
        catch_up(index, collection)
    return index


def catch_up(index: LexicalIndex, collection: Any) -> None:
    """Make the index hold exactly the collection's chunks (after a crash, or another replica's writes)."""
    if index.count() == 0:
        index.rebuild(collection)
        return
    current = _collection_ids(collection)
    known = index.ids()
    gone, new = known - current, sorted(current - known)
    if gone:
        index.write(remove_ids=gone)
    for start in range(0, len(new), _GET_BATCH):
        got = collection.get(ids=new[start : start + _GET_BATCH], include=["documents", "metadatas"])
        index.write(add=[_chunk(i, t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)])
    logger.info("lexical index caught up: +%d -%d chunks", len(new), len(gone))


def _collection_ids(collection: Any) -> set[str]:
    ids: set[str] = set()
    offset = 0
    while True:
        got = collection.get(include=[], limit=20000, offset=offset)
        if not got["ids"]:
            return ids
        ids.update(got["ids"])
        offset += len(got["ids"])
