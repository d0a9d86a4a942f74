"""The whole RAG request on a GPU: 32 clients ask questions of a real knowledge base, end to end.

The KB is real: a ``../shared/eval`` corpus written as Markdown files and ingested by kb-assistant's own
pipeline (splitting, Chroma, the lexical index) with the embedding model on the GPU. The models have random
weights in the real shapes (the GPU machine cannot download weights; speed does not depend on the values):
multilingual-e5-small (its config and tokenizer files from ``--embedding-files``) and Qwen2-7B-Instruct (its
tokenizer and chat template from ``--chat-files``) on the batching engine, bf16. Each question goes through the
QA chain's own steps, each timed:

  - retrieval: the query's embedding, vector and lexical search, fusion (the retriever's ``invoke``);
  - prompt: the context fitted to the budget and the chat messages;
  - first token: from the messages handed to the chat model's ``stream`` to its first text (queue + prefill);
  - decoding: the rest of the answer (``--new-tokens`` tokens; random weights never stop early);
  - grounding: the check of the answer against its sources (``verify``: lexical, and the embedding model).

Retrieval's parts are timed too (``retrieval.embed_query``, ``.search_dense`` (which includes the embedding),
``.search_lexical``, ``.chunks``). Reported: time to first token end to end (question in, first answer token out)
p50 / p95, the median and p95 of each step, aggregate answer tokens/s; for 1 client (alone) and for
``--clients`` closed-loop clients (each asks its next question when its answer is checked, starts staggered over
2 s). The relevance gate is off: random
embeddings would refuse every question before generation.

    python benchmarks/rag_gpu_bench.py --corpus ../shared/eval/xquad_zh --embedding-files E5_DIR \\
        --chat-files QWEN_TOKENIZER_DIR --out rag.json

A folder's ``tokenizer.json.gz`` is unpacked first (the files travel to the GPU machine compressed).
``--serial-queries`` runs the clients again with queries embedded one by one (the code before they were combined)
as the baseline; ``--switch-intervals`` again at other interpreter switch intervals; ``--gil-profile`` records
with py-spy which thread holds the interpreter during the closed loop (with random weights the answers are
garble, which costs the grounding check more than real answers do).
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from clients import percentile, run_threads, step_totals, timed_methods
from generate_bench import random_model

from kb_assistant.config import Settings


def unpacked(folder: Path, work: Path) -> Path:
    """A copy of ``folder`` with any ``*.gz`` file unpacked."""
    shutil.copytree(folder, work)
    for packed in work.rglob("*.gz"):
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
        packed.unlink()
    return work


def embedding_folder(files: Path, work: Path) -> Path:
    """The embedding model's files with random weights of its shape saved beside them."""
    from transformers import AutoConfig, AutoModel

    folder = unpacked(files, work)
    AutoModel.from_config(AutoConfig.from_pretrained(str(folder))).save_pretrained(str(folder))
    return folder


def write_corpus(corpus: Path, folder: Path) -> int:
    """One Markdown file per document, its title as heading (as ``kb_assistant.evaluation`` writes them)."""
    folder.mkdir(parents=True)
    count = 0
    for line in corpus.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        title = (doc.get("title") or "").strip()
        text = f"# {title}\n\n{doc['text']}\n" if title else f"{doc['text']}\n"
        (folder / f"doc-{count:05d}.md").write_text(text, encoding="utf-8")
        count += 1
    return count


def tiny_model(vocab: int) -> Any:
    """A two-layer random Qwen2 (for ``--smoke``)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2)
    model = Qwen2ForCausalLM(config).eval()
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    return model


@dataclass
class Timed:
    """One question's time to first token, seconds of each of the chain's steps, and answer tokens."""

    ttft: float
    steps: dict[str, float]
    tokens: int


def ask(chain: Any, llm: Any, question: str) -> Timed:
    """One question through the chain's steps, each timed."""
    step_totals(reset=True)
    started = time.perf_counter()
    docs = chain.retriever.invoke(question)
    retrieved = time.perf_counter()
    context = chain.fit_context(docs)
    messages = chain.messages(question, [], context)
    prompted = time.perf_counter()
    parts, first = [], None
    for chunk in llm.stream(messages):
        if first is None and chunk.content:
            first = time.perf_counter()
        parts.append(str(chunk.content))
    generated = time.perf_counter()
    chain.verify(question, "".join(parts), context)
    checked = time.perf_counter()
    first = first or generated
    steps = {"retrieval": retrieved - started, "prompt": prompted - retrieved, "first_token": first - prompted,
             "decoding": generated - first, "grounding": checked - generated,
             **{f"retrieval.{name}": seconds for name, seconds in step_totals().items()}}
    tokens = len(llm.tokenizer("".join(parts), add_special_tokens=False)["input_ids"])
    return Timed(first - started, steps, tokens)


def run_clients(chain: Any, llm: Any, questions: list[str], clients: int, per_client: int) -> dict[str, Any]:
    """``clients`` closed-loop clients, ``per_client`` questions each."""
    results: list[Timed] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        time.sleep(random.Random(index).uniform(0, 2.0) if clients > 1 else 0.0)
        for r in range(per_client):
            timed = ask(chain, llm, questions[(index * per_client + r) % len(questions)])
            with lock:
                results.append(timed)

    wall = run_threads(clients, client)
    ttfts = [r.ttft for r in results]
    return {"clients": clients, "questions": len(results), "wall_s": wall,
            "ttft_p50_s": percentile(ttfts, 0.5), "ttft_p95_s": percentile(ttfts, 0.95),
            "answer_tok_s": sum(r.tokens for r in results) / wall,
            "step_median_s": {step: statistics.median(r.steps.get(step, 0.0) for r in results) for step in results[0].steps},
            "step_p95_s": {step: percentile([r.steps.get(step, 0.0) for r in results], 0.95) for step in results[0].steps}}


def query_profile(embeddings: Any, question: str) -> str:
    """torch's profile of one query's embedding (CPU and device time by operator)."""
    from torch.profiler import ProfilerActivity, profile

    plain = []
    for _ in range(10):
        started = time.perf_counter()
        embeddings.embed_query(question)
        plain.append(time.perf_counter() - started)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
    with profile(activities=activities) as prof:
        started = time.perf_counter()
        embeddings.embed_query(question)
        seconds = time.perf_counter() - started
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=25)
    return (f"one query's embedding: median of 10 {statistics.median(plain) * 1000:.1f} ms, "
            f"profiled {seconds * 1000:.1f} ms\n{table}")


def gil_summary(path: Path, top: int = 25) -> str:
    """Shares of py-spy's ``--gil`` samples (raw stacks) by thread and by the innermost kb-assistant frame."""
    threads: collections.Counter[str] = collections.Counter()
    frames: collections.Counter[str] = collections.Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        parts = stack.split(";")
        threads[re.sub(r"\(\d+\)", "", parts[0]).strip()] += int(count)
        own = [f for f in parts if "kb_assistant" in f or "benchmarks" in f]
        frames[(own[-1] if own else parts[-1])[:120]] += int(count)
    total = max(1, sum(threads.values()))
    lines = [f"{total} samples holding the interpreter; by thread:"]
    lines += [f"  {n / total:6.1%} {name}" for name, n in threads.most_common(top)]
    lines.append("by innermost kb-assistant frame:")
    lines += [f"  {n / total:6.1%} {name}" for name, n in frames.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help="an eval set's folder (corpus.jsonl, queries.jsonl)")
    parser.add_argument("--embedding-files", type=Path, required=True)
    parser.add_argument("--chat-files", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--per-client", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--switch-intervals", default="",
                        help="comma-separated: also run the clients at these thread switch intervals (seconds; "
                             "sys.setswitchinterval; Python's default is 0.005)")
    parser.add_argument("--serial-queries", action="store_true",
                        help="also run the clients with queries embedded one by one (the code before), as the baseline")
    parser.add_argument("--profile-query", action="store_true", help="print torch's profile of one query's embedding")
    parser.add_argument("--gil-profile", type=Path, default=None,
                        help="record which thread holds the interpreter during the closed loop with py-spy (raw "
                             "stacks written to this file; py-spy must be on PATH)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--smoke", action="store_true",
                        help="a check of this script on a CPU: a tiny random chat model, the embedder on the CPU")
    args = parser.parse_args()

    from transformers import AutoTokenizer

    from kb_assistant.embeddings import make_embeddings
    from kb_assistant.ingestion import Ingestor
    from kb_assistant.llms.chat_model import LocalChatModel
    from kb_assistant.llms.specs import get_spec
    from kb_assistant.qa import build_qa_chain
    from kb_assistant.retrieval import make_retriever

    work = Path(tempfile.mkdtemp())
    settings = Settings(persist_dir=work / "vectorstore", kb="bench", embedding_device="cpu" if args.smoke else "cuda",
                        embedding_model=str(embedding_folder(args.embedding_files, work / "e5")),
                        english_embedding_model=None)
    result: dict[str, Any] = {"gpu": "cpu (smoke)" if args.smoke else torch.cuda.get_device_name(0),
                              "corpus": args.corpus.name}
    documents = write_corpus(args.corpus / "corpus.jsonl", work / "docs")
    embeddings = make_embeddings(settings)
    started = time.perf_counter()
    report = Ingestor(settings, embeddings).run([work / "docs"])
    result["ingest"] = {"documents": documents, "chunks": report.chunks_written, "seconds": time.perf_counter() - started}
    print("ingest", json.dumps(result["ingest"]), flush=True)

    tokenizer = AutoTokenizer.from_pretrained(str(unpacked(args.chat_files, work / "chat")))
    model = tiny_model(len(tokenizer)) if args.smoke else random_model("qwen2-7b")
    llm = LocalChatModel(model=model, tokenizer=tokenizer, spec=get_spec("qwen2-7b"),
                         engine="batched", max_new_tokens=args.new_tokens, temperature=0.0)
    engine = llm.batching_engine()
    result["graph_capture_s"] = engine.warm_up()
    retriever = make_retriever(settings, embeddings)
    timed_methods(embeddings, ["embed_query"])
    timed_methods(retriever.kb, ["search_dense", "search_lexical", "chunks"])
    retriever.warm_up()
    chain = build_qa_chain(retriever, llm, min_relevance=None)
    questions = [json.loads(line)["text"] for line in (args.corpus / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    run_clients(chain, llm, questions[-4:], 1, 2)  # first calls: lazy set-up outside the figures
    result["one_client"] = run_clients(chain, llm, questions, 1, 5)
    print("1 client", json.dumps(result["one_client"]), flush=True)
    if args.profile_query:
        print(query_profile(embeddings, questions[0]), flush=True)
    spy = None
    if args.gil_profile:
        spy = subprocess.Popen(["py-spy", "record", "--pid", str(os.getpid()), "--gil", "--threads", "--format",
                                "raw", "-r", "250", "-o", str(args.gil_profile)])
        time.sleep(2.0)
    batches_before = embeddings.query_batches.batches
    result["closed_loop"] = run_clients(chain, llm, questions, args.clients, args.per_client)
    result["closed_loop"]["query_batches"] = embeddings.query_batches.batches - batches_before
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
        print(gil_summary(args.gil_profile), flush=True)
    print(f"{args.clients} clients", json.dumps(result["closed_loop"]), flush=True)
    if args.serial_queries:
        combined, embeddings.query_batches.max_batch = embeddings.query_batches.max_batch, 1
        result["closed_loop_serial_queries"] = run_clients(chain, llm, questions, args.clients, args.per_client)
        embeddings.query_batches.max_batch = combined
        print(f"{args.clients} clients, queries one by one", json.dumps(result["closed_loop_serial_queries"]), flush=True)
    for interval in [float(v) for v in args.switch_intervals.split(",") if v]:
        sys.setswitchinterval(interval)
        result[f"closed_loop_switch_{interval}"] = run_clients(chain, llm, questions, args.clients, args.per_client)
        print(f"{args.clients} clients, switch interval {interval}",
              json.dumps(result[f"closed_loop_switch_{interval}"]), flush=True)
    engine.close()
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
