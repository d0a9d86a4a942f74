"""A lexical index rebuilt from a Chroma collection (what a tokenizer change does to every KB once): in one process
and with its chunks tokenised by worker processes, alternated, in one run.

The collection holds the passages of the given ``../shared/eval`` sets, one chunk each (no embedding model: the
rebuild reads texts only).

    python benchmarks/lexical_rebuild_bench.py ../shared/eval/rgb_zh ../shared/eval/domainrag_zh ../shared/eval/drcd_dev
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb_assistant.kb.lexical import LexicalIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", type=Path, help="folders with a corpus.jsonl")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="worker processes, each a run")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import chromadb

    docs, seen = [], set()
    for folder in args.sets:
        for line in (folder / "corpus.jsonl").open(encoding="utf-8"):
            doc = json.loads(line)
            if doc["id"] not in seen:
                seen.add(doc["id"])
                docs.append(doc)
    scratch = Path(tempfile.mkdtemp(prefix="rebuild-bench-"))
    collection = chromadb.PersistentClient(path=str(scratch / "chroma")).get_or_create_collection(
        "kb_bench", embedding_function=None)
    for start in range(0, len(docs), 1000):
        part = docs[start : start + 1000]
        collection.add(ids=[d["id"] for d in part], documents=[d["text"] for d in part],
                       embeddings=[[1.0, 0.0]] * len(part),
                       metadatas=[{"path": f"/corpus/{d['id']}.md", "source": d["id"]} for d in part])
    characters = sum(len(d["text"]) for d in docs)
    for round_ in range(args.rounds):
        for workers in args.workers:
            index = LexicalIndex(scratch / f"lexical-{round_}-{workers}")
            started = time.perf_counter()
            chunks = index.rebuild(collection, workers=workers)
            seconds = time.perf_counter() - started
            print(json.dumps({"workers": workers, "chunks": chunks, "characters": characters,
                              "seconds": round(seconds, 2), "chunks_per_s": round(chunks / seconds)}), flush=True)


if __name__ == "__main__":
    main()
