"""Ingest speed and quality against the naive LangChain way, measured in the same run.

Ours: ``kb_assistant.ingest`` (load, split, embed, BM25, index with records) into a fresh persistent Chroma,
with the configured embedding precision (auto: int8 on x86 CPUs). Naive: the same chunks, the same embedding
model (float32, with its passage prompt), through LangChain's ``HuggingFaceEmbeddings`` +
``Chroma.from_documents``. Both are warmed up first on a few other documents (imports, first forward pass),
so the figures are steady-state throughput. Reports chunks/s of both, their Recall@5 on the dataset's
queries, and an unchanged re-ingest as a fraction of the full ingest.

    python benchmarks/ingest_bench.py ../shared/eval/xquad_zh --limit 200
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from kb_assistant.config import Settings, apply_offline_env
from kb_assistant.embeddings import make_embeddings
from kb_assistant.evaluation import load_dataset, retrieval_metrics, write_corpus
from kb_assistant.ingestion import Ingestor
from kb_assistant.kb import KBStore
from kb_assistant.retrieval import make_retriever


def _recall(dataset, names, search) -> float:  # type: ignore[no-untyped-def]
    rankings = {}
    for query in dataset.queries:
        ranked = list(dict.fromkeys(names[s] for s in search(query["text"])))[:10]
        rankings[query["id"]] = ranked
    return retrieval_metrics(rankings, dataset.qrels)["recall@5"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int, default=200, help="queries for Recall@5")
    parser.add_argument("--precision", choices=["auto", "float32", "int8"], default="auto",
                        help="embedding precision of our pipeline (the naive one is always float32)")
    args = parser.parse_args()
    settings = Settings(embedding_precision=args.precision)
    apply_offline_env(settings)
    dataset = load_dataset(args.dataset, args.limit)
    embeddings = make_embeddings(settings)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        names = write_corpus(dataset, root / "corpus")
        warm = root / "warm"
        warm.mkdir()
        for name in sorted(names)[:4]:
            (warm / name).write_bytes((root / "corpus" / name).read_bytes())
        Ingestor(settings.with_overrides(persist_dir=root / "warm_ours", kb="warm"), embeddings).run([warm])
        ours = settings.with_overrides(persist_dir=root / "ours", kb="bench", retrieval_mode="dense", top_k=40)
        ingestor = Ingestor(ours, embeddings)
        started = time.perf_counter()
        report = ingestor.run([root / "corpus"])
        full = time.perf_counter() - started
        started = time.perf_counter()
        again = Ingestor(ours, embeddings).run([root / "corpus"])
        unchanged = time.perf_counter() - started
        assert again.chunks_written == 0
        got = KBStore(ours).collection().get(include=["documents", "metadatas"])
        retriever = make_retriever(ours, embeddings)
        ours_recall = _recall(dataset, names, lambda q: [d.metadata["source"] for d in retriever.invoke(q)])

        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings

        chunks = [Document(page_content=t, metadata={"source": m["source"]}) for t, m in zip(got["documents"], got["metadatas"], strict=True)]
        naive_embeddings = HuggingFaceEmbeddings(
            model_name=str(embeddings.model.tokenizer.name_or_path),  # the same model folder
            encode_kwargs={"normalize_embeddings": True, "prompt": embeddings.document_prefix},
            query_encode_kwargs={"normalize_embeddings": True, "prompt": embeddings.query_prefix},
        )
        Chroma.from_documents(chunks[:4], naive_embeddings, persist_directory=str(root / "warm_naive"))
        started = time.perf_counter()
        store = Chroma.from_documents(chunks, naive_embeddings, persist_directory=str(root / "naive"))
        naive = time.perf_counter() - started
        naive_recall = _recall(dataset, names, lambda q: [d.metadata["source"] for d in store.similarity_search(q, k=40)])
    result = {
        "dataset": dataset.name,
        "chunks": report.chunks_written,
        "ours_precision": embeddings.precision,
        "ours_seconds": round(full, 1),
        "ours_chunks_per_s": round(report.chunks_written / full, 2),
        "naive_seconds": round(naive, 1),
        "naive_chunks_per_s": round(len(chunks) / naive, 2),
        "speedup": round((report.chunks_written / full) / (len(chunks) / naive), 2),
        "unchanged_reingest_seconds": round(unchanged, 2),
        "unchanged_fraction": round(unchanged / full, 4),
        "ours_recall@5": ours_recall,
        "naive_recall@5": naive_recall,
    }
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
