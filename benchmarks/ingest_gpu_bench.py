"""The whole ingest pipeline with the embedding model on a GPU: reading in worker processes, the GPU embedder,
Chroma and the lexical index together, in chunks/s by worker count and group size.

Writes the documents of ``../shared/eval`` corpora (``corpus.jsonl``, or ``.jsonl.gz`` as they travel to the GPU
machine) as Markdown files, then ingests them all with kb-assistant's own ``Ingestor`` into a fresh persistent KB
for each setting. The embedding model is multilingual-e5-small with random weights in its real shape (config and
tokenizer from ``--embedding-files``; the GPU machine cannot download weights, and speed does not depend on their
values); the English index is off. Each run reports chunks/s and where the ingesting process spent its time:
embedding (``embed_documents``), writing (``KBStore.write_files``: Chroma, records, the lexical index) and the
rest (waiting on the readers, bookkeeping). A warm-up ingest of a few files comes first.

    python benchmarks/ingest_gpu_bench.py corpus/*.jsonl.gz --embedding-files e5/ --workers 0 8 --group-files 32 0
    python benchmarks/ingest_gpu_bench.py ../shared/eval/xquad_zh/corpus.jsonl --embedding-files E5 --device cpu --smoke
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from clients import step_totals, timed_methods
from rag_gpu_bench import embedding_folder

from kb_assistant.config import Settings


def write_documents(corpora: list[Path], folder: Path, limit: int | None) -> int:
    """One Markdown file per document (title as heading); with ``limit``, that many spread evenly over all the
    corpora's documents (the same mix of lengths and languages). Returns how many."""
    folder.mkdir(parents=True)
    lines = []
    for corpus in corpora:
        data = corpus.read_bytes()
        lines += [(corpus.name, line) for line in (gzip.decompress(data) if corpus.suffix == ".gz" else data).decode("utf-8").splitlines()]
    if limit is not None and limit < len(lines):
        lines = [lines[i * len(lines) // limit] for i in range(limit)]
    for corpus_name, line in lines:
        doc = json.loads(line)
        title = (doc.get("title") or "").strip()
        name = hashlib.sha1(f"{corpus_name}:{doc['id']}".encode()).hexdigest()[:16] + ".md"
        (folder / name).write_text(f"# {title}\n\n{doc['text']}\n" if title else f"{doc['text']}\n", encoding="utf-8")
    return len(lines)


def ingest_once(settings: Settings, embeddings: Any, docs: Path) -> dict[str, Any]:
    """Ingest ``docs`` into a fresh KB with these settings; chunks/s and the time by step."""
    from kb_assistant.ingestion import Ingestor
    from kb_assistant.kb import KBStore

    store = KBStore(settings)
    timed_methods(embeddings, ["embed_documents"])
    timed_methods(store, ["write_files"])
    step_totals(reset=True)
    try:
        started = time.perf_counter()
        report = Ingestor(settings, embeddings, store).run([docs])
        seconds = time.perf_counter() - started
    finally:
        del embeddings.embed_documents  # the instance attribute goes; the class's method is back
    totals = step_totals()
    steps = {"embed_s": round(totals.get("embed_documents", 0.0), 2), "write_s": round(totals.get("write_files", 0.0), 2),
             "other_s": round(seconds - sum(totals.values()), 2)}
    return {"chunks": report.chunks_written, "seconds": round(seconds, 2),
            "chunks_per_s": round(report.chunks_written / seconds, 1), **steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--embedding-files", type=Path, required=True,
                        help="e5-small's config and tokenizer files (random weights are made beside them)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 8])
    parser.add_argument("--group-files", type=int, nargs="+", default=[0],
                        help="files embedded and written together (the setting ingest_group_files; 0: sized by time, "
                             "the default); repeat values to alternate")
    parser.add_argument("--limit", type=int, default=None, help="at most this many documents")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--smoke", action="store_true", help="a check of this script: 300 documents")
    args = parser.parse_args()

    import torch

    from kb_assistant.embeddings import make_embeddings

    work = Path(tempfile.mkdtemp())
    documents = write_documents(args.corpora, work / "docs", 300 if args.smoke else args.limit)
    warm = work / "warm"
    warm.mkdir()
    for path in sorted((work / "docs").iterdir())[:8]:
        (warm / path.name).write_bytes(path.read_bytes())
    settings = Settings(persist_dir=work / "vectorstore", embedding_device=args.device, english_embedding_model=None,
                        embedding_model=str(embedding_folder(args.embedding_files, work / "e5")))
    embeddings = make_embeddings(settings)
    ingest_once(settings.with_overrides(kb="warm"), embeddings, warm)
    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if args.device == "cuda" else args.device,
        "cores": len(os.sched_getaffinity(0)), "documents": documents, "runs": [],
    }
    for i, group in enumerate(args.group_files):
        for workers in args.workers:
            run = ingest_once(settings.with_overrides(kb=f"w{workers}g{group}r{i}", ingest_workers=workers,
                                                      ingest_group_files=group or None), embeddings, work / "docs")
            run = {"workers": workers, "group_files": group, **run}
            result["runs"].append(run)
            print(json.dumps(run), flush=True)
    from kb_assistant.kb import KBStore

    last = settings.with_overrides(kb=f"w{args.workers[-1]}g{args.group_files[-1]}r{len(args.group_files) - 1}")
    texts = KBStore(last).collection(embeddings).get(include=["documents"])["documents"]
    started = time.perf_counter()
    embeddings.embed_documents(texts)  # the embedder alone on the same chunks, in one call
    result["embedder_alone_chunks_per_s"] = round(len(texts) / (time.perf_counter() - started), 1)
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
