"""BM25's tokenizer: English word forms meet, Chinese is segmented, and an index from another tokenizer is rebuilt."""

from __future__ import annotations

import pickle
from pathlib import Path

import chromadb

from kb_assistant.bm25 import BM25Index, load_bm25, sync_bm25, tokenize

CHUNKS = {
    "a": "Treatment with metformin increased survival in elderly patients with diabetes.",
    "b": "The survey asks patients about their diet and the longer treatments they prefer.",
    "c": "知识库助手的默认端口是 8000，可以在配置文件中修改。",
}


def _index() -> BM25Index:
    index = BM25Index()
    for doc_id, text in CHUNKS.items():
        index.add(doc_id, text)
    return index


def test_inflected_english_finds_its_chunk() -> None:
    # Word for word, "treatments" and "patients" point at the survey (b); the answer (a) says "treatment",
    # "increased" and "survival".
    hits = _index().search("Do treatments increase how long patients survive?", 3)
    assert hits[0][0] == "a"
    assert tokenize("studies increased")[:2] == tokenize("study increases")[:2]


def test_chinese_is_segmented_not_stemmed() -> None:
    assert "端口" in tokenize("默认端口是多少")
    assert _index().search("默认端口", 1)[0][0] == "c"


def test_index_from_another_tokenizer_is_rebuilt(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    collection = client.create_collection("kb_test", embedding_function=None)
    collection.add(ids=list(CHUNKS), documents=list(CHUNKS.values()), embeddings=[[1.0, 0.0]] * len(CHUNKS))
    old = BM25Index()  # as saved before stemming: whole words, no tokenizer field
    for doc_id, text in CHUNKS.items():
        old.doc_ids.append(doc_id)
        words = text.lower().replace(".", " ").split()
        old.lengths.append(len(words))
        for word in words:
            old.postings.setdefault(word, {})[len(old.doc_ids) - 1] = 1
    del old.__dict__["tokenizer"]
    path = tmp_path / "bm25.pkl"
    path.write_bytes(pickle.dumps(old))

    index = sync_bm25(collection, path)

    assert index.search("increase survival", 1)[0][0] == "a"  # stemmed query terms match the rebuilt index
    assert load_bm25(path).doc_ids == index.doc_ids  # and the rebuilt index was saved
