"""The KB's lexical index: BM25 in tantivy (a Rust search engine), fed with our own tokens.

Our tokenizer (``tokens.tokenize``: jieba search-mode words, Snowball-stemmed English) decides what a term is;
tantivy stores the postings in segments on disk, memory-maps them when opened, adds and deletes documents
incrementally (a delete marks, merges reclaim), and scores with BM25. Nothing is unpickled from the persist
folder. Each chunk is indexed with its ``path`` so that re-indexing or removing a file touches only its chunks.
The index follows the KB's change log (``records``): a sync re-reads the files noted since it last read the log.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb_assistant.kb.client import get_by_paths, scan
from kb_assistant.kb.tokens import TOKENIZER_VERSION, tokenize, tokenize_all

if TYPE_CHECKING:
    from kb_assistant.kb.records import IngestRecords

logger = logging.getLogger(__name__)
_ANALYZER = "kb_tokens"
_GET_BATCH = 2000
_WRITER_HEAP = 64 * 2**20


_SLUG = TOKENIZER_VERSION.replace("/", "-").replace("+", "-")
READER = f"lexical/{_SLUG}"
"""The index's name in the change log's read positions (another tokenizer starts from nothing)."""


def lexical_dir(persist_dir: Path, kb: str) -> Path:
    """Where a KB's lexical index lives (a tantivy index folder)."""
    return persist_dir / "lexical" / kb / _SLUG


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
        self.created = not folder.exists()
        """Made empty by this open (first use, or its folder was deleted): it has read no change log."""
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

    def holding(self, tokens: list[str], k: int, sources: list[str] | None = None) -> list[str]:
        """Up to ``k`` chunk ids that hold every one of ``tokens`` (search tokens, ``tokens.tokenize``'s form)."""
        import tantivy

        if not tokens or k <= 0:
            return []
        Q, Occur = tantivy.Query, tantivy.Occur
        clauses = [(Occur.Must, Q.term_query(self._schema, "text", t)) for t in tokens]
        if sources:
            clauses.append((Occur.Must, Q.term_set_query(self._schema, "source", list(sources))))
        searcher = self._index.searcher()
        hits = searcher.search(Q.boolean_query(clauses), k, count=False).hits
        return [searcher.doc(address)["id"][0] for _, address in hits]

    def frequencies(self, tokens: list[str]) -> tuple[list[int], int]:
        """How many chunks hold each token, and how many chunks there are."""
        searcher = self._index.searcher()
        return [int(searcher.doc_freq("text", token)) for token in tokens], int(searcher.num_docs)

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

    def rebuild(self, collection: Any, workers: int | None = None) -> int:
        """Index every chunk of the collection afresh (conversion, repair). Its chunks are tokenised by ``workers``
        processes, the next batch while this one is indexed: tokenising is nearly all of a rebuild's time. By
        default one per CPU core (at most ``MAX_REBUILD_WORKERS``) for ``PARALLEL_FROM`` chunks or more, else none."""
        with self._lock:
            writer = self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            writer.delete_all_documents()
            writer.commit()
            writer.wait_merging_threads()
        total = collection.count()
        if workers is None:
            workers = min(os.cpu_count() or 1, MAX_REBUILD_WORKERS) if total >= PARALLEL_FROM else 0
        logger.info("building the lexical index of %d chunks (once)", total)
        batches = (_chunks(got) for got in scan(collection, ["documents", "metadatas"], _GET_BATCH))
        done = 0
        for chunks in (_tokenised(batches, workers) if workers > 1 else batches):
            done += self.write(add=chunks)
            logger.info("lexical index: %d / %d chunks", done, total)
        return done


MAX_REBUILD_WORKERS = 8
"""Each worker holds jieba's dictionary (110 MB measured): a 64-core server starts 8, not 64."""
PARALLEL_FROM = 20_000
"""Chunks from which a rebuild tokenises in worker processes: starting one (jieba's dictionary loaded in each) takes
1-2 s, which a few thousand chunks do not repay."""


def _tokenised(batches: Iterator[list[Chunk]], workers: int) -> Iterator[list[Chunk]]:
    """``batches`` with their tokens, computed by ``workers`` processes, each batch split among them; the next batch
    is tokenised while the caller indexes this one."""
    # loky's processes start fresh (fork is unsafe once torch's threads run), as the ingest workers' do
    from loky import ProcessPoolExecutor
    from loky.backend.context import get_context

    def submit(chunks: list[Chunk]) -> tuple[list[Chunk], list[Any]]:
        size = max(1, -(-len(chunks) // workers))
        parts = [[c.text for c in chunks[i : i + size]] for i in range(0, len(chunks), size)]
        try:
            return chunks, [pool.submit(tokenize_all, part) for part in parts]
        except Exception as error:  # noqa: BLE001 - a pool broken by a dead worker: write() tokenises them here
            logger.warning("lexical index: no tokenising workers (%s); tokenising here", error)
            return chunks, []

    with ProcessPoolExecutor(workers, context=get_context("loky")) as pool:
        pending = None
        for chunks in batches:
            following = submit(chunks)
            if pending is not None:
                yield _with_tokens(*pending)
            pending = following
        if pending is not None:
            yield _with_tokens(*pending)


def _with_tokens(chunks: list[Chunk], futures: list[Any]) -> list[Chunk]:
    """The chunks with their workers' tokens; a batch whose worker died (killed, out of memory) is left to ``write``
    to tokenise here, so the rebuild finishes either way."""
    import dataclasses

    if not futures:
        return chunks
    try:
        tokens = [t for future in futures for t in future.result()]
    except Exception as error:  # noqa: BLE001 - any worker failure: this process tokenises the batch instead
        logger.warning("lexical index: a tokenising worker failed (%s); tokenising here", error)
        return chunks
    return [dataclasses.replace(chunk, tokens=t) for chunk, t in zip(chunks, tokens, strict=True)]


def _chunk(doc_id: str, text: str | None, meta: dict[str, Any] | None) -> Chunk:
    meta = meta or {}
    return Chunk(doc_id, text or "", str(meta.get("path", "")), str(meta.get("source", "")))


def _chunks(got: dict[str, Any]) -> list[Chunk]:
    return [_chunk(i, t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]


def _chunks_of(collection: Any, paths: list[str]) -> Iterator[Chunk]:
    for got, _ in get_by_paths(collection, paths, ["documents", "metadatas"]):
        yield from _chunks(got)


def open_lexical_index(
    persist_dir: Path, kb: str, collection: Any, records: IngestRecords, *, repair: bool = True,
    shared_server: bool = True,
) -> LexicalIndex:
    """The KB's lexical index, caught up with the collection when ``repair`` (the caller holds the KB's write
    lock; without it the index is opened as it is committed and nothing is written). ``shared_server``: see
    :func:`sync_lexical_index`.

    A KB whose index was made by the old pickled BM25 (or by another tokenizer) is rebuilt once from the
    collection, with progress in the log; the old file is deleted unread.
    """
    index = LexicalIndex(lexical_dir(persist_dir, kb))
    if repair:
        legacy = persist_dir / "bm25" / f"{kb}.pkl"
        legacy.unlink(missing_ok=True)
        for other in (persist_dir / "lexical" / kb).glob("*"):
            if other != lexical_dir(persist_dir, kb) and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)  # made by another tokenizer version
        (persist_dir / "lexical" / kb / "pending.json").unlink(missing_ok=True)  # older versions' crash note
        sync_lexical_index(index, collection, records, shared_server=shared_server)
    return index


def sync_lexical_index(index: LexicalIndex, collection: Any, records: IngestRecords, *, shared_server: bool = True) -> None:
    """Apply the change log since the index last read it: re-read the changed files' chunks (none left: the
    file was removed). An index that never read the log (or whose folder is new) is built in full, or, when it
    holds chunks already, compared by id.

    With ``shared_server`` (the collection is on a Chroma server that replicas with their own persist folders may
    write to), a count that still differs means writes this log never saw: ids are compared then too. A local
    store has one change log for every process that writes to it, so its count is not asked: Chroma's first
    count of a collection loads its whole vector index (3-6.5 s at a million chunks), which only a dense search
    needs."""
    seq = records.applied(READER)
    if seq is None or index.created:
        top = records.last_change()
        catch_up(index, collection)
        index.created = False
    else:
        paths, top = records.changes_since(seq)
        index.replace_paths(collection, paths)
    if shared_server and index.count() != collection.count():
        catch_up(index, collection)
    if top != seq:
        records.set_applied(READER, top)


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
        index.write(add=_chunks(collection.get(ids=new[start : start + _GET_BATCH], include=["documents", "metadatas"])))
    logger.info("lexical index caught up: +%d -%d chunks", len(new), len(gone))


def _collection_ids(collection: Any) -> set[str]:
    return {doc_id for got in scan(collection, [], 20000) for doc_id in got["ids"]}
