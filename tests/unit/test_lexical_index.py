"""The lexical index (BM25 in tantivy over our tokens): same rankings as the old index, incremental writes that
follow the KB's change log, no pickle read, and a crash between the Chroma write and the index write is caught
up on the next open."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any
from unittest.mock import patch

import chromadb
import pytest

from kb_assistant.kb.lexical import READER, lexical_dir, open_lexical_index, sync_lexical_index
from kb_assistant.kb.records import IngestRecords
from kb_assistant.kb.reference_bm25 import BM25Index
from kb_assistant.kb.tokens import tokenize
from tests.conftest import shared_path

CHUNKS = {
    "a": ("Treatment with metformin increased survival in elderly patients with diabetes.", "/docs/a.md"),
    "b": ("The survey asks patients about their diet and the longer treatments they prefer.", "/docs/b.md"),
    "c": ("知识库助手的默认端口是 8000，可以在配置文件中修改。", "/docs/c.md"),
}


def _collection(tmp_path: Path, chunks: dict[str, tuple[str, str]] = CHUNKS) -> Any:
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    collection = client.get_or_create_collection("kb_test", embedding_function=None)
    if chunks:
        _add(collection, chunks)
    return collection


def _records(tmp_path: Path) -> IngestRecords:
    return IngestRecords(tmp_path, "test", "kb_test")


def _open(tmp_path: Path, collection: Any) -> Any:
    return open_lexical_index(tmp_path, "test", collection, _records(tmp_path))


def _add(collection: Any, chunks: dict[str, tuple[str, str]]) -> None:
    collection.add(
        ids=list(chunks), documents=[t for t, _ in chunks.values()], embeddings=[[1.0, 0.0]] * len(chunks),
        metadatas=[{"path": p, "source": Path(p).name} for _, p in chunks.values()],
    )


def test_inflected_english_and_segmented_chinese_find_their_chunk(tmp_path: Path) -> None:
    index = _open(tmp_path, _collection(tmp_path))
    # Word for word, "treatments" and "patients" point at the survey (b); the answer (a) says "treatment",
    # "increased" and "survival".
    assert index.search("Do treatments increase how long patients survive?", 3)[0][0] == "a"
    assert tokenize("studies increased")[:2] == tokenize("study increases")[:2]
    assert "端口" in tokenize("默认端口是多少")
    assert index.search("默认端口", 1)[0][0] == "c"
    assert [doc_id for doc_id, _ in index.search("patients", 5, sources=["b.md"])] == ["b"]
    assert index.search("的 了", 3) == []  # stop words only: nothing to look for


def test_files_are_added_and_removed_incrementally(tmp_path: Path) -> None:
    collection = _collection(tmp_path)
    records = _records(tmp_path)
    index = _open(tmp_path, collection)
    new = {"d1": ("调度器每 42 秒同步一次配置。", "/docs/d.md"), "d2": ("同步失败时调度器会重试三次。", "/docs/d.md")}
    records.note_changes(["/docs/d.md"])
    _add(collection, new)
    sync_lexical_index(index, collection, records)
    assert index.count() == 5 and {i for i, _ in index.search("调度器 同步", 5)} == {"d1", "d2"}
    # how many chunks hold each token (the answer check weighs a question's words by it)
    assert index.frequencies(["同步", "patient", "metformin", "端口", "absent"]) == ([2, 2, 1, 1, 0], 5)
    records.note_changes(["/docs/a.md"])
    collection.delete(ids=["a"])
    with patch.object(collection, "get", wraps=collection.get) as reads:
        sync_lexical_index(index, collection, records)
    assert index.count() == 4 and all(doc_id != "a" for doc_id, _ in index.search("metformin survival", 5))
    # Only the changed file was read back from Chroma: no listing of the KB's ids.
    assert [c.kwargs.get("where") for c in reads.call_args_list] == [{"path": "/docs/a.md"}]
    assert records.changes_since(records.applied(READER) or 0)[0] == []  # the log is read up to its end


def test_a_crash_between_the_two_writes_is_caught_up_on_open(tmp_path: Path) -> None:
    collection = _collection(tmp_path)
    index = _open(tmp_path, collection)
    _records(tmp_path).note_changes(["/docs/a.md"])  # then Chroma changes the file's chunk and the process dies
    collection.update(ids=["a"], documents=["Metformin lowered blood sugar in a cohort of 900 adults."], embeddings=[[0.0, 1.0]])
    reopened = _open(tmp_path, collection)
    assert reopened.search("blood sugar cohort", 1)[0][0] == "a"
    assert all(doc_id != "a" for doc_id, _ in reopened.search("elderly diabetes survival", 3))  # old text gone
    # A collection that changed behind the index's back (another replica): counts differ, ids are compared.
    _add(collection, {"e": ("Backups run nightly at 02:00.", "/docs/e.md")})
    collection.delete(ids=["b"])
    _add(collection, {"f": ("Backups are kept for 30 days.", "/docs/f.md")})
    caught = _open(tmp_path, collection)
    assert caught.count() == 4 and {i for i, _ in caught.search("backups", 5)} == {"e", "f"}


def test_a_local_store_opens_without_counting_and_rebuilds_a_deleted_index(tmp_path: Path) -> None:
    collection = _collection(tmp_path)
    records = _records(tmp_path)
    open_lexical_index(tmp_path, "test", collection, records, shared_server=False)
    records.note_changes(["/docs/e.md"])
    _add(collection, {"e": ("Backups run nightly at 02:00.", "/docs/e.md")})
    # The log names the change: no count of the collection (its first one loads the vector index).
    with patch.object(collection, "count", wraps=collection.count) as counted:
        index = open_lexical_index(tmp_path, "test", collection, records, shared_server=False)
    assert counted.call_count == 0 and index.search("backups nightly", 1)[0][0] == "e"
    shutil.rmtree(lexical_dir(tmp_path, "test"))  # the index lost; the records still say it read the log
    rebuilt = open_lexical_index(tmp_path, "test", collection, records, shared_server=False)
    assert rebuilt.count() == 4 and rebuilt.search("默认端口", 1)[0][0] == "c"


class _Planted:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {os.environ['KB_TEST_MARKER']}",))


def test_the_old_pickled_index_is_never_unpickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran"
    monkeypatch.setenv("KB_TEST_MARKER", str(marker))
    legacy = tmp_path / "bm25" / "test.pkl"
    legacy.parent.mkdir()
    legacy.write_bytes(pickle.dumps(_Planted()))
    index = _open(tmp_path, _collection(tmp_path))
    assert not marker.exists() and not legacy.exists()  # deleted unread; the index was built from Chroma
    assert index.count() == 3 and lexical_dir(tmp_path, "test").is_dir()


def test_rankings_match_the_old_index_on_a_real_set(tmp_path: Path) -> None:
    folder = shared_path("eval", "xquad_zh")
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
    queries = {q["id"]: q["text"] for q in map(json.loads, (folder / "queries.jsonl").open(encoding="utf-8"))}
    gold: dict[str, set[str]] = {}
    for line in list((folder / "qrels.tsv").open(encoding="utf-8"))[1:]:
        qid, doc_id, _ = line.rstrip("\n").split("\t")
        gold.setdefault(qid, set()).add(doc_id)
    chunks = {d["id"]: (d["text"], f"/corpus/{d['id']}.md") for d in corpus}
    collection = _collection(tmp_path, {})
    for start in range(0, len(corpus), 500):
        _add(collection, dict(list(chunks.items())[start : start + 500]))
    new = _open(tmp_path, collection)
    old = BM25Index()
    for doc_id, (text, _) in chunks.items():
        old.add(doc_id, text)
    asked = [qid for qid in sorted(gold) if qid in queries][:300]
    hit_new = sum(bool(gold[q] & {i for i, _ in new.search(queries[q], 5)}) for q in asked) / len(asked)
    hit_old = sum(bool(gold[q] & {i for i, _ in old.search(queries[q], 5)}) for q in asked) / len(asked)
    assert abs(hit_new - hit_old) <= 0.02, (hit_new, hit_old)


def test_records_work_again_after_their_persist_folder_is_deleted(tmp_path: Path) -> None:
    import shutil

    records = IngestRecords(tmp_path / "store", "docs", "kb_docs")
    records.note_changes(["a.md"])
    shutil.rmtree(tmp_path / "store")  # a user empties the store while a server keeps running
    again = IngestRecords(tmp_path / "store", "docs", "kb_docs")
    assert again.last_change() == 0 and again.files() == {}
    again.note_changes(["b.md"])
    assert again.changes_since(0)[0] == ["b.md"]


def test_a_rebuild_tokenised_by_worker_processes_finds_what_one_process_finds(tmp_path: Path) -> None:
    # A large KB rebuilds its index (a tokenizer change) with its chunks tokenised in worker processes, a batch
    # ahead of the indexing; the index must be the one a single process builds.
    from kb_assistant.kb import lexical

    folder = shared_path("eval", "drcd_dev")
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")][:300]
    collection = _collection(tmp_path, {d["id"]: (d["text"], f"/corpus/{d['id']}.md") for d in corpus})
    queries = [json.loads(line)["text"] for line in (folder / "queries.jsonl").open(encoding="utf-8")][:40]
    found = {}
    with patch.object(lexical, "_GET_BATCH", 70):  # several batches, the last one short
        for workers in (0, 2):
            index = lexical.LexicalIndex(tmp_path / f"lexical-{workers}")
            assert index.rebuild(collection, workers=workers) == 300
            found[workers] = [index.search(q, 5) for q in queries]
    assert found[2] == found[0] and any(found[0])

    def failing(texts: list[str]) -> list[tuple[str, ...]]:  # a worker that fails: the batch is tokenised here
        raise MemoryError("worker out of memory")

    with patch.object(lexical, "_GET_BATCH", 70), patch.object(lexical, "tokenize_all", failing):
        index = lexical.LexicalIndex(tmp_path / "lexical-failing")
        assert index.rebuild(collection, workers=2) == 300
        assert [index.search(q, 5) for q in queries] == found[0]
