"""A knowledge base of N chunks: opening, querying, adding and removing a file, with today's lexical index
(tantivy) and the old pickled ``BM25Index`` measured in the same run.

Chunks are real text from ``../shared/eval`` (every corpus, cut into ~300-character pieces, recombined to
reach N), 50 to a file. So that the run measures the indexes and not the embedder, vectors come from a
deterministic stand-in (a seeded random unit vector per text, 384-d like multilingual-e5-small); the output
says so. The lexical side uses our real tokenizer (jieba + Snowball).

    python benchmarks/scale_bench.py --chunks 200000 --json build/scale-200k.json

Reports (JSON): open_s (first lexical query after a fresh process start), first_dense_query_s (Chroma's first
vector search after it: Chroma loads its vector index then), bm25_query_p50_ms / p95, hybrid_query_p95_ms,
add_file_s (one new 50-chunk file), remove_file_s (one file), rss_gb, disk_gb, each for "new" and "old"; for
"new" also unchanged_reingest_s: 10,000 small files ingested through the real pipeline (and embedding model),
then again unchanged.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "eval"
DIM = 384
PER_FILE = 50


class StandInEmbeddings:
    """Deterministic unit vectors (not semantic): the benchmark measures indexes, not the embedder."""

    def _one(self, text: str) -> list[float]:
        vector = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(DIM).astype(np.float32)
        return (vector / np.linalg.norm(vector)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._one(text)


def pieces() -> list[str]:
    out = []
    for corpus in sorted(SHARED.glob("*/corpus.jsonl")):
        for line in corpus.open(encoding="utf-8"):
            text = json.loads(line)["text"]
            out.extend(text[i : i + 300] for i in range(0, len(text), 300) if len(text[i : i + 300]) > 40)
    return out


def chunk_text(base: list[str], j: int) -> str:
    # Recombined so that replicas differ: a piece plus the start of another.
    return f"{base[j % len(base)]} {base[(j * 7919 + 13) % len(base)][:80]}"


def questions(limit: int = 200) -> list[str]:
    out = []
    for path in sorted(SHARED.glob("*/queries.jsonl")):
        out.extend(json.loads(line)["text"] for line in list(path.open(encoding="utf-8"))[:25])
    return out[:limit]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build(work: Path, n: int, chroma_host: str | None) -> dict[str, Any]:
    """The KB: Chroma collection, the tantivy index and the old pickled BM25 (baseline)."""
    import chromadb

    from kb_assistant.kb.lexical import READER, Chunk, LexicalIndex, lexical_dir
    from kb_assistant.kb.records import IngestRecords
    from kb_assistant.kb.reference_bm25 import BM25Index
    from kb_assistant.kb.tokens import tokenize

    base = pieces()
    embed = StandInEmbeddings()
    client = chromadb.HttpClient(host=chroma_host) if chroma_host else chromadb.PersistentClient(path=str(work / "chroma"))
    collection = client.get_or_create_collection("kb_scale", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    lexical = LexicalIndex(lexical_dir(work, "scale"))
    old = BM25Index()
    started = time.perf_counter()
    times = {"chroma": 0.0, "tokenize": 0.0, "tantivy": 0.0, "old": 0.0}
    for start in range(0, n, 5000):
        ids = [f"c{j}" for j in range(start, min(n, start + 5000))]
        texts = [chunk_text(base, j) for j in range(start, start + len(ids))]
        metas = [{"path": f"/scale/file-{j // PER_FILE}.md", "source": f"file-{j // PER_FILE}.md"} for j in range(start, start + len(ids))]
        t = time.perf_counter()
        collection.add(ids=ids, documents=texts, metadatas=metas, embeddings=embed.embed_documents(texts))
        times["chroma"] += time.perf_counter() - t
        t = time.perf_counter()
        tokens = [tokenize(text) for text in texts]
        times["tokenize"] += time.perf_counter() - t
        t = time.perf_counter()
        lexical.write(add=[Chunk(i, "", m["path"], m["source"], tuple(tok)) for i, m, tok in zip(ids, metas, tokens, strict=True)])
        times["tantivy"] += time.perf_counter() - t
        t = time.perf_counter()
        for doc_id, tok in zip(ids, tokens, strict=True):
            old.add_tokens(doc_id, tok)
        times["old"] += time.perf_counter() - t
        print(f"  built {start + len(ids):>9,} chunks  ({time.perf_counter() - started:.0f} s)", flush=True)
    IngestRecords(work, "scale", "kb_scale").set_applied(READER, 0)  # built from the whole collection: log read
    t = time.perf_counter()
    (work / "old.pkl").write_bytes(pickle.dumps(old, protocol=pickle.HIGHEST_PROTOCOL))
    times["old"] += time.perf_counter() - t
    return {k: round(v, 1) for k, v in times.items()}


OPEN_SCRIPT = """
import sys, time, pickle
started = time.perf_counter()
from pathlib import Path
work, which, host, query = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
import chromadb  # both sides open the KB's collection, as `ask` and `serve` do
client = chromadb.HttpClient(host=host) if host else chromadb.PersistentClient(path=str(work / "chroma"))
collection = client.get_collection("kb_scale", embedding_function=None)
if which == "new":
    from kb_assistant.kb.lexical import open_lexical_index
    from kb_assistant.kb.records import IngestRecords
    index = open_lexical_index(work, "scale", collection, IngestRecords(work, "scale", "kb_scale"),
                               shared_server=bool(host))  # as KBStore opens it
else:
    index = pickle.loads((work / "old.pkl").read_bytes())
index.search(query, 30)
opened = time.perf_counter() - started
started = time.perf_counter()
collection.query(query_embeddings=[[1.0] + [0.0] * 383], n_results=30)  # Chroma loads its vector index here
print(opened, time.perf_counter() - started)
"""


def measure(work: Path, which: str, chroma_host: str | None) -> dict[str, Any]:
    import chromadb

    from kb_assistant.config import Settings
    from kb_assistant.kb import KBStore
    from kb_assistant.retrieval import HybridRetriever

    asked = questions()
    opened = subprocess.run([sys.executable, "-c", OPEN_SCRIPT, str(work), which, chroma_host or "", asked[0]],
                            capture_output=True, text=True, check=True, cwd=REPO)
    open_s, dense_s = (float(x) for x in opened.stdout.strip().splitlines()[-1].split())
    out: dict[str, Any] = {"open_s": round(open_s, 2), "first_dense_query_s": round(dense_s, 2)}
    client = chromadb.HttpClient(host=chroma_host) if chroma_host else chromadb.PersistentClient(path=str(work / "chroma"))
    collection = client.get_collection("kb_scale", embedding_function=None)
    settings = Settings.defaults().with_overrides(persist_dir=work, kb="scale", english_embedding_model="")
    embed = StandInEmbeddings()
    if which == "new":
        store = KBStore(settings, client, embeddings=embed)  # type: ignore[arg-type]
        index: Any = store.lexical_index(repair=False)
    else:
        index = pickle.loads((work / "old.pkl").read_bytes())

        class OldKB(KBStore):  # the old index behind the KB's interface
            def search_lexical(self, query: str, k: int, sources: list[str] | None = None) -> list[tuple[str, float]]:
                return index.search(query, k)

        store = OldKB(settings, client, embeddings=embed)  # type: ignore[arg-type]
    index.search(asked[0], 30)
    lexical_ms = []
    for q in asked:
        t = time.perf_counter()
        index.search(q, 30)
        lexical_ms.append((time.perf_counter() - t) * 1000)
    out["bm25_query_p50_ms"] = round(statistics.median(lexical_ms), 1)
    out["bm25_query_p95_ms"] = round(percentile(lexical_ms, 0.95), 1)
    retriever = HybridRetriever(kb=store, k=5, fetch_k=30)
    hybrid_ms = []
    for q in asked[:100]:
        t = time.perf_counter()
        retriever.invoke(q)
        hybrid_ms.append((time.perf_counter() - t) * 1000)
    out["hybrid_query_p95_ms"] = round(percentile(hybrid_ms, 0.95), 1)

    # One new 50-chunk file in, then one file out: Chroma write plus the lexical index's share of the work.
    base = pieces()
    tag = f"{which}-{int(time.time())}"
    ids = [f"add-{tag}-{i}" for i in range(PER_FILE)]
    texts = [chunk_text(base, 31 * i + 7) + f" {tag}" for i in range(PER_FILE)]
    path = f"/scale/added-{tag}.md"
    metas = [{"path": path, "source": Path(path).name}] * PER_FILE
    t = time.perf_counter()
    if which == "new":
        store.records.note_changes([path])  # what ``KBStore.write_files`` does around its Chroma write
    collection.add(ids=ids, documents=texts, metadatas=metas, embeddings=embed.embed_documents(texts))
    if which == "new":
        store.sync(english=False)
    else:
        for doc_id, text in zip(ids, texts, strict=True):
            index.add(doc_id, text)
        (work / "old.pkl").write_bytes(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    out["add_file_s"] = round(time.perf_counter() - t, 2)
    # A file that is still there (a kept --workdir has lost the victims of earlier runs).
    files = work_files(work)
    victim = next(f"/scale/file-{i}.md" for i in range(int(time.time()) % files, files)
                  if collection.get(where={"path": f"/scale/file-{i}.md"}, include=[], limit=1)["ids"])
    t = time.perf_counter()
    if which == "new":
        store.records.note_changes([victim])
    gone = collection.get(where={"path": victim}, include=[])["ids"]
    collection.delete(ids=gone)
    if which == "new":
        store.sync(english=False)
    else:
        index.remove(set(gone))
        (work / "old.pkl").write_bytes(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    out["remove_file_s"] = round(time.perf_counter() - t, 2)
    out["rss_gb"] = round(psutil.Process().memory_info().rss / 2**30, 2)
    return out


def reingest(work: Path, files: int, chroma_host: str | None) -> dict[str, Any]:
    """``files`` small files ingested into the same KB through the real pipeline and embedding model, then
    ingested again unchanged (nothing to embed: what a nightly ``sync`` of a big folder costs)."""
    import chromadb

    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings
    from kb_assistant.ingestion import Ingestor
    from kb_assistant.kb import KBStore

    folder = work / "files"
    if not folder.exists():
        base = pieces()
        for i in range(files):
            path = folder / f"part-{i // 1000:03d}" / f"note-{i:05d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"# Note {i}\n\n{chunk_text(base, 104729 * i + 3)}\n", encoding="utf-8")
    settings = Settings.defaults().with_overrides(
        persist_dir=work, kb="scale", english_embedding_model="", chroma_host=chroma_host
    )
    embeddings = make_embeddings(settings)
    # The client this process opened already (Chroma allows one per folder and settings).
    client = chromadb.HttpClient(host=chroma_host) if chroma_host else chromadb.PersistentClient(path=str(work / "chroma"))
    t = time.perf_counter()
    first = Ingestor(settings, embeddings, KBStore(settings, client)).run([folder])
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    again = Ingestor(settings, embeddings, KBStore(settings, client)).run([folder])
    again_s = time.perf_counter() - t
    assert again.count("unchanged") == files and again.chunks_written == 0, again.outcomes[:3]
    return {"files": files, "first_ingest_s": round(first_s, 1), "first_ingest_new": first.count("added"),
            "unchanged_reingest_s": round(again_s, 2)}


def work_files(work: Path) -> int:
    """How many 50-chunk files the kept KB was built with."""
    return int(json.loads((work / "built.json").read_text())["chunks"]) // PER_FILE if (work / "built.json").exists() else 1


def disk_gb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**30, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--chroma-host")
    parser.add_argument("--workdir", type=Path, help="keep the KB here (default: a temporary folder)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--files", type=int, default=10_000, help="files for the unchanged re-ingest (0: skip)")
    parser.add_argument("--measure", choices=("old", "new"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.workdir, args.measure, args.chroma_host)))
        return
    print("vectors: deterministic stand-in (seeded random unit vectors, 384-d), not the embedding model")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        built = work / "built.json"  # a kept --workdir of the same size is measured again, not rebuilt
        if built.exists() and json.loads(built.read_text())["chunks"] == args.chunks:
            build_s = json.loads(built.read_text())["build_s"]
        else:
            build_s = build(work, args.chunks, args.chroma_host)
            built.write_text(json.dumps({"chunks": args.chunks, "build_s": build_s}))
        result: dict[str, Any] = {"chunks": args.chunks, "vectors": "stand-in", "build_s": build_s}
        for which in ("old", "new"):  # the old one first: its measurements must not see the new one's caches
            # each in its own process, so that one side's memory is not counted in the other's RSS
            measured = subprocess.run([sys.executable, __file__, "--measure", which, "--workdir", str(work),
                                       *(["--chroma-host", args.chroma_host] if args.chroma_host else [])],
                                      capture_output=True, text=True, check=True, cwd=REPO)
            result[which] = json.loads(measured.stdout.strip().splitlines()[-1])
        lexical = work / "lexical"
        chroma = 0.0 if args.chroma_host else disk_gb(work / "chroma")
        result["new"]["disk_gb"] = round(disk_gb(lexical) + chroma, 2)
        result["old"]["disk_gb"] = round((work / "old.pkl").stat().st_size / 2**30 + chroma, 2)
        result["chroma_disk_gb"] = chroma
        if args.files:
            result["new"].update(reingest(work, args.files, args.chroma_host))
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
