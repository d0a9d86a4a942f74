"""Speed of a cross-encoder reranker (``reranker_model = PATH``), with random weights in a real reranker's shape.

No PyPI package ships reranker weights and the model hubs are not reachable here, so quality cannot be measured;
speed does not depend on the weights' values. The model is an ``XLMRobertaForSequenceClassification`` (one label)
in the shape of bge-reranker-base (278M parameters) or bge-reranker-v2-m3 (568M), with the XLM-R tokenizer of the
packaged multilingual-e5-small (the same 250,002 pieces), saved as a folder and loaded by the project's own
``load_reranker``. Each query reranks the fused top 30: real passages of an eval corpus, as the retriever does.

Each dtype in ``--dtypes`` is timed in the same run on the same passages (float32 first: the baseline of the
ratios printed).

    python benchmarks/reranker_bench.py ../shared/eval/xquad_zh --shape base --queries 10
    python benchmarks/reranker_bench.py CORPUS.jsonl --shape m3 --device cuda --dtypes float32,float16 --tokenizer tokenizer.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

SHAPES = {  # XLM-RoBERTa sizes of the two rerankers users download most
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
             "max_position_embeddings": 514},
    "m3": {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096,
           "max_position_embeddings": 8194},
}


def _texts(source: Path, n: int) -> list[str]:
    path = source / "corpus.jsonl" if source.is_dir() else source
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line, _ in zip(f, range(n), strict=False)]
    return [(r.get("title", "") + "\n" + r["text"]).strip()[:600] for r in rows]


def xlmr_tokenizer(path: Path | None) -> Any:
    """The XLM-R tokenizer (tokenizer.json, gzipped or not; by default the packaged e5's) as a transformers one."""
    from ingest_workers_bench import tokenizer_json  # same folder: the run's script directory is on sys.path
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(tokenizer_json(path)), bos_token="<s>",
                                   eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                                   pad_token="<pad>", mask_token="<mask>", model_max_length=512)


def build_random_reranker(shape: str, tokenizer_path: Path | None, folder: Path) -> Path:
    """A cross-encoder folder with random weights in ``shape``."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    tokenizer = xlmr_tokenizer(tokenizer_path)
    config = XLMRobertaConfig(vocab_size=250002, num_labels=1, type_vocab_size=1, pad_token_id=1,
                              bos_token_id=0, eos_token_id=2, **SHAPES[shape])
    torch.manual_seed(0)
    model = XLMRobertaForSequenceClassification(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="an eval dataset folder or a corpus.jsonl(.gz)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="base")
    parser.add_argument("--candidates", type=int, default=30)
    parser.add_argument("--queries", type=int, default=10)
    parser.add_argument("--device", default=None, help="cpu, cuda (default: sentence-transformers' choice)")
    parser.add_argument("--dtypes", default="float32", help="comma-separated: float32, float16, bfloat16")
    parser.add_argument("--tokenizer", type=Path, default=None, help="tokenizer.json(.gz) of XLM-R (default: the packaged e5's)")
    args = parser.parse_args()

    import torch

    from kb_assistant.reranking import load_reranker, rerank

    try:
        from langchain_core.documents import Document
    except ImportError:  # the GPU machine has no LangChain; rerank reads only these two fields
        from dataclasses import dataclass, field

        @dataclass
        class Document:  # type: ignore[no-redef]
            page_content: str
            metadata: dict[str, Any] = field(default_factory=dict)

    texts = _texts(args.corpus, args.candidates + args.queries)
    passages = [Document(page_content=t) for t in texts[: args.candidates]]
    questions = [t[:40] for t in texts[args.candidates :]]  # question-length texts in the corpus's language
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_random_reranker(args.shape, args.tokenizer, Path(tmp) / args.shape)
        for dtype in args.dtypes.split(","):
            reranker = load_reranker(str(folder), device=args.device)
            reranker.model.to(getattr(torch, dtype))
            tokens = [len(reranker.tokenizer(questions[0], p.page_content)["input_ids"]) for p in passages]
            rerank(reranker, questions[0], passages)  # warm-up
            seconds = []
            for question in questions:
                if reranker.device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                rerank(reranker, question, passages)
                if reranker.device.type == "cuda":
                    torch.cuda.synchronize()
                seconds.append(time.perf_counter() - start)
            rows.append({
                "shape": args.shape, "parameters_m": round(sum(p.numel() for p in reranker.model.parameters()) / 1e6),
                "device": str(reranker.device), "dtype": dtype, "threads": torch.get_num_threads(),
                "candidates": len(passages), "pair_tokens_mean": round(statistics.mean(tokens)),
                "ms_per_query_p50": round(1000 * statistics.median(seconds), 1),
                "ms_per_query_max": round(1000 * max(seconds), 1),
            })
            rows[-1]["vs_first_dtype"] = round(rows[0]["ms_per_query_p50"] / rows[-1]["ms_per_query_p50"], 2)
            print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
