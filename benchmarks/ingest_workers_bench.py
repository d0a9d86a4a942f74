"""How fast files are read, split and tokenised, the part of ingest that worker processes take, by worker count.

Writes the documents of one or more corpora (``corpus.jsonl`` of ``../shared/eval`` sets) as Markdown files, then
reads them all through ``ReadAhead`` (chunks in the embedding model's tokens, and the lexical index's jieba
tokens) with each ``--workers`` value in turn, and reports chunks/s with the ratio to the first value, measured in
the same run. The embedding model and the store are left out: this is the rate that keeps an embedder fed, to
set beside the embedder's own (on a GPU, ``tests/gpu/test_sentence_encoder_cuda.py`` and the README's figure).

    python benchmarks/ingest_workers_bench.py ../shared/eval/*/corpus.jsonl --workers 0 1 2
    python benchmarks/ingest_workers_bench.py corpus/*.jsonl --tokenizer tokenizer.json.gz --workers 0 4 8 15
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path


def write_documents(corpora: list[Path], folder: Path) -> int:
    """One Markdown file per document (title as heading); returns how many."""
    count = 0
    for corpus in corpora:
        for line in corpus.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            title = (doc.get("title") or "").strip()
            name = hashlib.sha1(f"{corpus}:{doc['id']}".encode()).hexdigest()[:16] + ".md"
            (folder / name).write_text(f"# {title}\n\n{doc['text']}\n" if title else f"{doc['text']}\n", encoding="utf-8")
            count += 1
    return count


def tokenizer_json(path: Path | None) -> str:
    """The embedding model's tokenizer.json (gzipped or not); by default the packaged e5's."""
    if path is None:
        from kb_assistant.config import Settings
        from kb_assistant.packaged import resolve_packaged

        path = resolve_packaged(Settings().embedding_model, Settings().cache_dir, kind="embedding") / "tokenizer.json"
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tokenizer", type=Path, default=None, help="tokenizer.json(.gz); default: packaged e5's")
    parser.add_argument("--chunk-size", type=int, default=300)
    parser.add_argument("--window", type=int, default=64, help="files read ahead (2 groups of 32 in ingest)")
    args = parser.parse_args()

    from tokenizers import Tokenizer

    from kb_assistant.ingestion.discovery import FoundFile
    from kb_assistant.ingestion.file_reader import FileReader, ReadOptions
    from kb_assistant.ingestion.loaders import LoadOptions
    from kb_assistant.ingestion.splitting import TokenCounter
    from kb_assistant.ingestion.workers import ReadAhead

    backend = Tokenizer.from_str(tokenizer_json(args.tokenizer))
    options = ReadOptions(load=LoadOptions(), chunk_size=args.chunk_size, chunk_overlap=40, max_bytes=100 * 2**20,
                          kb="bench", search_tokens=True)  # the same work in this process as in a worker
    reader = FileReader(options, TokenCounter.from_backend(backend))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        documents = write_documents(args.corpora, folder)
        files = [FoundFile(root=folder, path=p) for p in sorted(folder.iterdir())]
        report = {"documents": documents, "cores": os.cpu_count(), "results": []}
        base = None
        for workers in args.workers:
            started = time.perf_counter()
            chunks = 0
            with ReadAhead(reader, workers, window=args.window) as ahead:
                for read in ahead.results((f, None) for f in files):
                    chunks += len(read.chunks)
            seconds = time.perf_counter() - started  # worker start-up included, as an ingest pays it
            rate = chunks / seconds
            base = base or rate
            report["results"].append({"workers": workers, "chunks": chunks, "seconds": round(seconds, 2),
                                      "chunks_per_s": round(rate, 1), "vs_first": round(rate / base, 2)})
            print(json.dumps(report["results"][-1]), flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
