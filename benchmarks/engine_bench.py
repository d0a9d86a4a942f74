"""The batching engine on a GPU, against the tutorial's plain ``model.generate`` measured in the same run.

Random weights in the real Qwen2-7B-Instruct / Llama-3-8B-Instruct shapes (speed does not depend on the
values), bf16, 1,000-token prompts, 256 new tokens:
  - plain ``generate`` at batch 1 (the tutorials' way): decode tokens/s, time to first token;
  - the engine at batch 1: decode tokens/s and its share of the bound (weight bytes / measured copy bandwidth);
  - agreement: each token the engine picks is checked against plain ``forward`` logits on the same prefix;
  - 32 concurrent requests: a burst (all at once) and 32 closed-loop clients (each sends its next request
    when the last ends, starts staggered over 2 s): aggregate tokens/s, TTFT p50/p95;
  - the burst's physical floor: its FLOPs over the measured bf16 matmul peak;
  - a burst of 32 while 4 requests decode, for each ``--decode-shares`` value (the share of their speed the
    engine keeps for them): burst TTFT p95 and the decoding requests' speed during the burst vs before;
  - packed pass times (the model side alone): 4 decoding rows + a 200-token piece after 800 cached positions,
    a cold 1,000-token prompt, 4 rows + a 256-token piece, through the Triton kernels and graphs against
    PyTorch's operations;
  - ``--packed-baseline``: the burst, the burst under load and the prefix cache again with packed passes
    through PyTorch's operations (the engine before the packed kernels), in the same run;
  - ``--int8``: the engine with weight-only int8 weights (the model's bf16 weights are replaced, so this runs
    last): batch-1 tokens/s against bf16 in the same run, its packed pass and decode step times, 32 closed-loop
    clients (with the scheduler's step log), weight memory, and the share of positions where int8's greedy
    token equals bf16's (teacher-forced on bf16's own greedy text); decode step times at 1, 8 and 32 rows are
    measured for bf16 too; ``--int8 --batch-one`` measures batch 1 and the agreement alone (a few minutes);
  - ``--prefix N ...``: TTFT of an N-token prompt whose first 80% was seen before (reused from the prefix cache) against a
    cold prompt of the same length, and whether both give the same tokens;
  - ``--dtype float16 [bfloat16]``: the models in float16 (cards without bfloat16, and int8 with finer arithmetic:
    its agreement with the real model is measured by ``int8_agreement.py``), each dtype a run of its own; the int8
    runs compare with the unquantised engine of the same dtype;
  - ``--limit-gb 24``: the process may use 24 GiB only; 8 concurrent requests of 4,096 tokens each
    (3,584 prompt + 512 new) must run, with peak memory reported;
  - ``--embeddings DIR``: the default embedding model's shape (its config and tokenizer in DIR, random
    weights) embedding chunks of this repo's sample documents: sentence-transformers' plain ``encode``
    against kb-assistant's GPU path (half precision, token-budget batches).

    python benchmarks/engine_bench.py --models qwen2-7b llama3-8b --prefix 1000 3000 \\
        --decode-shares 0.5 0.3 --packed-baseline --out engine.json
    python benchmarks/engine_bench.py --models qwen2-7b llama3-8b --limit-gb 24
    python benchmarks/engine_bench.py --models --embeddings DIR

No LangChain is imported: the GPU machine may not have it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from clients import percentile, run_threads
from generate_bench import CONFIGS, copy_bandwidth, random_model, timed_generate

from kb_assistant.llms.engine import GenerationEngine, Sampling
from kb_assistant.llms.kv_decoder import Chunk, SlotDecoder


def prompt_ids(length: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(100, 20000) for _ in range(length)]


def engine_b1(engine: GenerationEngine, prompt: int, new: int) -> dict[str, float]:
    request = engine.submit(prompt_ids(prompt, 1), Sampling(max_new_tokens=new))
    produced = len(list(request.stream()))
    assert request.first_token_at and request.finished_at
    decode = (produced - 1) / (request.finished_at - request.first_token_at)
    return {"ttft_s": request.first_token_at - request.submitted_at, "decode_tok_s_per_seq": decode, "tokens": produced}


def agreement(model: Any, engine: GenerationEngine, prompts: int = 3, prompt: int = 200, new: int = 48) -> dict[str, float]:
    """Teacher-forced check: plain forward over prompt + engine tokens; how often the engine's token is the
    argmax, and when not, how far below the max its logit is (bf16 near-ties), in units of the logits' std."""
    agree, total, worst = 0, 0, 0.0
    for seed in range(prompts):
        ids = prompt_ids(prompt, 100 + seed)
        out = engine.generate(ids, Sampling(max_new_tokens=new))
        with torch.inference_mode():
            logits = model(torch.tensor([ids + out], device="cuda")).logits[0, len(ids) - 1 : -1].float()
        best = logits.argmax(-1).tolist()
        agree += sum(a == b for a, b in zip(best, out, strict=True))
        total += len(out)
        gaps = (logits.max(-1).values - logits.gather(1, torch.tensor(out, device="cuda")[:, None])[:, 0]) / logits.std(-1)
        worst = max(worst, float(gaps.max()))
    return {"argmax_agreement": agree / total, "worst_gap_in_std": worst}


def concurrent(engine: GenerationEngine, clients: int, per_client: int, prompt: int, new: int, stagger: float) -> dict[str, Any]:
    requests: list[Any] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        time.sleep(random.Random(index).uniform(0, stagger))
        for r in range(per_client):
            request = engine.submit(prompt_ids(prompt, 1000 * index + r), Sampling(max_new_tokens=new))
            for _ in request.stream():
                pass
            with lock:
                requests.append(request)

    wall = run_threads(clients, client)
    ttfts = [r.first_token_at - r.submitted_at for r in requests]
    tokens = sum(len(r.generated) for r in requests)
    return {"requests": len(requests), "tokens": tokens, "wall_s": wall, "aggregate_tok_s": tokens / wall,
            "ttft_p50_s": percentile(ttfts, 0.5), "ttft_p95_s": percentile(ttfts, 0.95), "ttft_max_s": max(ttfts)}


def matmul_peak() -> float:
    """Measured bf16 matmul FLOP/s (8192-cubed products)."""
    a = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda")
    b = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda")
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(20):
        a @ b
    torch.cuda.synchronize()
    return 20 * 2 * 8192**3 / (time.perf_counter() - started)


def prefill_flops(model: Any, prompts: int, length: int) -> float:
    """Matmul FLOPs to prefill ``prompts`` prompts of ``length`` tokens: the weights (no embedding lookup, the
    LM head for the last position only) and causal attention."""
    config = model.config
    weights = sum(p.numel() for n, p in model.named_parameters() if "embed_tokens" not in n and "lm_head" not in n)
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    attention = 2 * 2 * config.num_hidden_layers * config.num_attention_heads * head_dim * length * length / 2
    head = 2 * model.lm_head.weight.numel()
    return prompts * (2 * weights * length + attention + head)


class StepLog:
    """The engine's steps while it is attached: time, prompt tokens and whether earlier decoders were paced."""

    def __init__(self, engine: GenerationEngine) -> None:
        self.pacer, self.steps = engine.pacer, []
        self._account = self.pacer.account
        self.pacer.account = self._record  # type: ignore[method-assign]

    def _record(self, seconds: float, prompt_tokens: int, rows: int, paced_rows: int) -> None:
        self._account(seconds, prompt_tokens, rows, paced_rows)
        self.steps.append((seconds, prompt_tokens, bool(paced_rows), self.pacer.decode_seconds or 0.0))

    def summary(self) -> dict[str, Any]:
        del self.pacer.account  # the class's method again
        passes = [s for s in self.steps if s[1]]
        decodes = [s for s in self.steps if not s[1]]
        paced = [s for s in self.steps if s[2]]
        return {"passes": len(passes), "paced_passes": sum(s[2] for s in passes), "decode_steps": len(decodes),
                "paced_decode_steps": sum(not s[1] for s in paced), "paced_s": sum(s[0] for s in paced),
                "yardstick_ms": 1000 * (paced[0][3] if paced else 0.0),
                "yardstick_ms_mean": 1000 * sum(s[3] for s in paced) / max(1, len(paced)),
                # the share the engine counts: a token per paced step at each step's yardstick, over the paced time
                "engine_share": sum(s[3] for s in paced) / max(1e-9, sum(s[0] for s in paced)),
                "pass_ms_mean": 1000 * sum(s[0] for s in passes) / max(1, len(passes)),
                "pass_tokens_mean": sum(s[1] for s in passes) / max(1, len(passes)),
                "decode_ms_mean": 1000 * sum(s[0] for s in decodes) / max(1, len(decodes))}


def burst_under_load(engine: GenerationEngine, prompt: int, share: float) -> dict[str, Any]:
    """Four requests decode; then 32 prompts arrive at once. Their TTFT, and the four requests' tokens/s
    during the burst against the half second before it."""
    engine.pacer.share = share
    arrivals: list[list[float]] = [[] for _ in range(4)]
    stop = threading.Event()

    def background(index: int) -> None:
        new = engine.max_len - prompt - 1  # decodes until stopped (or the cache row is full)
        request = engine.submit(prompt_ids(prompt, 7000 + index), Sampling(max_new_tokens=new), stop)
        for _ in request.stream():
            arrivals[index].append(time.perf_counter())

    threads = [threading.Thread(target=background, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    burst_at = time.perf_counter()
    log = StepLog(engine)
    burst = [engine.submit(prompt_ids(prompt, 8000 + i), Sampling(max_new_tokens=32)) for i in range(32)]
    for request in burst:
        for _ in request.stream():
            pass
    steps = log.summary()
    last_first = max(r.first_token_at for r in burst)
    stop.set()
    for t in threads:
        t.join()

    def rate(start: float, end: float) -> float:
        return sum(start <= at < end for times in arrivals for at in times) / 4 / (end - start)

    before, during = rate(burst_at - 0.5, burst_at), rate(burst_at, last_first)
    ttfts = [r.first_token_at - r.submitted_at for r in burst]
    return {"decode_share": share, "steps": steps, "burst_ttft_p50_s": percentile(ttfts, 0.5), "burst_ttft_p95_s": percentile(ttfts, 0.95),
            "decode_tok_s_before": before, "decode_tok_s_during": during, "decode_kept": during / before}


def prefix_reuse(engine: GenerationEngine, prompt: int, new: int) -> dict[str, Any]:
    """TTFT of a prompt whose first 80% another prompt had (reused) against a cold one of the same length."""
    shared = int(prompt * 0.8)
    results: dict[str, list[float]] = {"cold": [], "cached": []}
    same = 0
    for trial in range(5):
        base = prompt_ids(prompt, 9000 + trial)
        engine.generate(base, Sampling(max_new_tokens=4))  # leaves its prompt in the prefix cache
        warm = base[:shared] + prompt_ids(prompt - shared, 9500 + trial)
        cached = engine.submit(warm, Sampling(max_new_tokens=new))
        cached_out = list(cached.stream())
        assert cached.reused == shared, cached.reused
        minimum, engine.min_prefix = engine.min_prefix, 10**9  # the same prompt, nothing reused
        cold = engine.submit(warm, Sampling(max_new_tokens=new))
        cold_out = list(cold.stream())
        engine.min_prefix = minimum
        same += cold_out == cached_out
        results["cold"].append(cold.first_token_at - cold.submitted_at)
        results["cached"].append(cached.first_token_at - cached.submitted_at)
    cold_ttft, cached_ttft = percentile(results["cold"], 0.5), percentile(results["cached"], 0.5)
    return {"prompt_tokens": prompt, "shared_tokens": shared, "cold_ttft_s": cold_ttft, "cached_ttft_s": cached_ttft,
            "ratio": cached_ttft / cold_ttft, "identical_outputs": f"{same}/5"}


def step_times(decoder: SlotDecoder, batches: tuple[int, ...], position: int, repeat: int = 20) -> dict[int, float]:
    """Milliseconds of one decode step (graph replay, logits read back) at each batch size, at ``position``."""
    times = {}
    for batch in batches:
        tokens, positions = [5] * batch, [position] * batch
        for _ in range(2):
            decoder.decode(tokens, positions)
        torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(repeat):
            decoder.decode(tokens, positions).argmax(-1).tolist()
        times[batch] = (time.perf_counter() - started) / repeat * 1000
    return times


def pass_times(decoder: SlotDecoder, repeat: int = 10) -> dict[str, float]:
    """Milliseconds of single packed passes on an idle engine's decoder (rows 0-3 decode, row 5 takes pieces)."""
    tokens = prompt_ids(1000, 42)
    cases = {
        "4 decoding + 200-token piece after 800 cached": (4, [5] * 4, [900] * 4, [Chunk(5, tokens[800:], 800, True)]),
        "cold 1,000-token prompt": (0, [], [], [Chunk(5, tokens, 0, True)]),
        "4 decoding + 256-token piece": (4, [5] * 4, [900] * 4, [Chunk(5, tokens[:256], 0, False)]),
    }
    times = {}
    for name, (count, ids, positions, chunks) in cases.items():
        for _ in range(2):
            decoder.forward_packed(count, ids, positions, chunks)
        torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(repeat):
            decoder.forward_packed(count, ids, positions, chunks).argmax(-1).tolist()
        times[name] = (time.perf_counter() - started) / repeat * 1000
    return times


def forced_argmax(decoder: SlotDecoder, prompt: list[int], continuation: list[int] | None, new: int) -> list[int]:
    """Greedy tokens of ``decoder`` after ``prompt``; with ``continuation``, fed that text instead of its own
    choices (teacher forcing), so every position is compared on the same prefix."""
    with torch.inference_mode():
        logits = decoder.forward_packed(0, [], [], [Chunk(0, prompt, 0, True)])
        chosen = [int(logits[0].argmax())]
        for step in range(new - 1):
            fed = continuation[step] if continuation is not None else chosen[-1]
            chosen.append(int(decoder.decode([fed], [len(prompt) + step])[0].argmax()))
    return chosen


def bench_int8(model: Any, bandwidth: float, prompt: int, new: int, bf16_b1: float,
               batch_one: bool = False) -> dict[str, Any]:
    """Weight-only int8 against bf16 on the same model; replaces the model's bf16 weights."""
    prompts = [prompt_ids(200, 300 + seed) for seed in range(3)]
    reference = SlotDecoder(model, max_batch=1, max_len=1024)
    texts = [forced_argmax(reference, p, None, 64) for p in prompts]
    del reference
    torch.cuda.empty_cache()
    engine = GenerationEngine(model, max_batch=32, max_len=4096, int8=True)
    agree = total = 0
    for p, text in zip(prompts, texts, strict=True):
        got = forced_argmax(engine.decoder, p, text, 64)
        agree += sum(a == b for a, b in zip(got, text, strict=True))
        total += len(text)
    engine.warm_up(prompt + new + 1)
    engine_b1(engine, prompt, 16)
    b1 = engine_b1(engine, prompt, new)
    int8_bytes = sum(w.nbytes for layer in engine.decoder.fused for w in (layer.qkv, layer.out, layer.gate_up, layer.down))
    other = sum(p.numel() * p.element_size() for p in model.parameters())  # embeddings, norms, LM head (bf16)
    result = {"weights_gb_int8": (int8_bytes + other) / 1e9, "kv_cache_gb": engine.kv_cache_bytes / 1e9,
              "bound_tok_s": bandwidth / (int8_bytes + other), "engine_b1": b1,
              "speedup_vs_bf16_b1": b1["decode_tok_s_per_seq"] / bf16_b1,
              "greedy_agreement_with_bf16": agree / total}
    result["share_of_bound"] = b1["decode_tok_s_per_seq"] / result["bound_tok_s"]
    if batch_one:
        engine.close()
        return result
    result["pass_ms"] = pass_times(engine.decoder)
    result["decode_step_ms"] = step_times(engine.decoder, (1, 8, 32), prompt)
    log = StepLog(engine)
    result["closed_loop32"] = {**concurrent(engine, 32, 3, prompt, new, 2.0), "steps": log.summary()}
    engine.close()
    return result


def bench_model(name: str, bandwidth: float, prompt: int, new: int, skip_plain: bool, peak: float,
                shares: list[float], prefix: list[int], int8: bool = False, baseline: bool = False,
                batch_one: bool = False, dtype: torch.dtype = torch.bfloat16) -> dict[str, Any]:
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    model = random_model(name, dtype)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    result: dict[str, Any] = {"model": name, "dtype": str(dtype).removeprefix("torch."), "weights_gb": weight_bytes / 1e9,
                              "bound_tok_s": bandwidth / weight_bytes}
    if not skip_plain:
        with torch.inference_mode():
            timed_generate(model, 1, 64, 8)
            result["plain_b1"] = timed_generate(model, 1, prompt, new)
        print(name, "plain b1", json.dumps(result["plain_b1"]), flush=True)
    engine = GenerationEngine(model, max_batch=32, max_len=4096)
    result["kv_cache_gb"] = engine.kv_cache_bytes / 1e9
    result["graph_capture_s"] = engine.warm_up(prompt + new + 1)
    engine_b1(engine, prompt, 16)
    b1 = engine_b1(engine, prompt, new)
    b1["share_of_bound"] = b1["decode_tok_s_per_seq"] / result["bound_tok_s"]
    result["engine_b1"] = b1
    print(name, "engine b1", json.dumps(b1), flush=True)
    if batch_one:
        engine.close()
        del engine
        if int8:
            result["int8"] = bench_int8(model, bandwidth, prompt, new, b1["decode_tok_s_per_seq"], batch_one=True)
            print(name, "int8", json.dumps(result["int8"]), flush=True)
        return result
    result["decode_step_ms"] = step_times(engine.decoder, (1, 8, 32), prompt)
    print(name, "decode step ms by batch", json.dumps(result["decode_step_ms"]), flush=True)
    result["agreement"] = agreement(model, engine)
    print(name, "agreement", json.dumps(result["agreement"]), flush=True)
    floor = prefill_flops(model, 32, prompt) / peak
    packed = engine.decoder.packed
    variants = [("", packed)] + ([("pytorch_passes_", None)] if baseline and packed is not None else [])
    for label, passes in variants:  # the packed kernels' runs, then (baseline) PyTorch's passes in the same run
        engine.decoder.packed = passes
        result[label + "pass_ms"] = pass_times(engine.decoder)
        print(name, label + "pass times", json.dumps(result[label + "pass_ms"]), flush=True)
        log = StepLog(engine)
        result[label + "burst32"] = {**concurrent(engine, 32, 1, prompt, new, 0.0), "floor_s": floor}
        result[label + "burst32"]["steps"] = log.summary()
        print(name, label + "burst of 32", json.dumps(result[label + "burst32"]), flush=True)
        result[label + "burst_under_load"] = []
        for share in shares:
            result[label + "burst_under_load"].append(burst_under_load(engine, prompt, share))
            print(name, label + "burst while 4 decode", json.dumps(result[label + "burst_under_load"][-1]), flush=True)
        engine.pacer.share = shares[0] if shares else engine.pacer.share
        result[label + "prefix"] = []
        for length in prefix:
            result[label + "prefix"].append(prefix_reuse(engine, length, 32))
            print(name, label + "prefix cache", json.dumps(result[label + "prefix"][-1]), flush=True)
    engine.decoder.packed = packed
    result["closed_loop32"] = concurrent(engine, 32, 3, prompt, new, 2.0)
    print(name, "32 closed-loop clients", json.dumps(result["closed_loop32"]), flush=True)
    result["peak_gb"] = torch.cuda.max_memory_allocated() / 1e9
    engine.close()
    del engine
    if int8:
        result["int8"] = bench_int8(model, bandwidth, prompt, new, b1["decode_tok_s_per_seq"])
        print(name, "int8", json.dumps(result["int8"]), flush=True)
    del model
    return result


def bench_memory_limit(name: str, limit_gb: float) -> dict[str, Any]:
    """Under a per-process limit of ``limit_gb`` GiB: 8 concurrent requests of 4,096 tokens."""
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction(limit_gb * 2**30 / total)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    model = random_model(name)
    engine = GenerationEngine(model, max_batch=8, max_len=4096)
    slots = engine.max_batch
    capture = engine.warm_up(4096)
    run = concurrent(engine, 8, 1, 3584, 512, 0.0)
    result = {"model": name, "limit_gib": limit_gb, "slots": slots, "kv_cache_gb": engine.kv_cache_bytes / 1e9,
              "graph_capture_s": capture, **run, "peak_gib": torch.cuda.max_memory_allocated() / 2**30,
              "reserved_peak_gib": torch.cuda.max_memory_reserved() / 2**30}
    print(name, f"under {limit_gb} GiB", json.dumps(result), flush=True)
    engine.close()
    del engine, model
    torch.cuda.set_per_process_memory_fraction(1.0)
    return result


def bench_embeddings(folder: Path, chunks: int) -> dict[str, Any]:
    """Random weights in the default embedding model's shape; real chunk lengths from the sample documents."""
    import tempfile

    from sentence_transformers import SentenceTransformer
    from transformers import AutoConfig, AutoModel

    from kb_assistant.embedding_runtime import encode_on_device

    work = Path(tempfile.mkdtemp())
    for item in folder.iterdir():
        target = work / item.name
        if item.is_dir():
            target.mkdir()
            for sub in item.iterdir():
                (target / sub.name).write_bytes(sub.read_bytes())
        else:
            target.write_bytes(item.read_bytes())
    AutoModel.from_config(AutoConfig.from_pretrained(str(folder))).save_pretrained(str(work))
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parents[1] / "data").iterdir()))
    rng = random.Random(0)
    texts = []
    for _ in range(chunks):  # chunk-like pieces: 80 to 700 characters (up to ~300 tokens)
        size = rng.randint(80, 700)
        start = rng.randrange(0, max(1, len(text) - size))
        texts.append("passage: " + text[start : start + size])
    def rate(run: Any) -> tuple[float, Any]:
        """Chunks/s of the second of two full passes (the first meets each padded shape for the first time)."""
        run()
        torch.cuda.synchronize()
        started = time.perf_counter()
        vectors = run()
        torch.cuda.synchronize()
        return chunks / (time.perf_counter() - started), vectors

    plain = SentenceTransformer(str(work), device="cuda")
    plain_rate, reference = rate(lambda: plain.encode(texts, batch_size=32, normalize_embeddings=True))
    ours_model = SentenceTransformer(str(work), device="cuda").half()
    budgets = {}
    for budget in (8192, 32768, 131072):  # tokens per batch; 32768 is the default
        budgets[budget], vectors = rate(lambda b=budget: encode_on_device(ours_model, texts, tokens_per_batch=b))
        if budget == 32768:
            ours_rate, ours = budgets[budget], vectors
    cosine = (ours * reference).sum(1)
    result = {"chunks": chunks, "plain_encode_chunks_s": plain_rate, "ours_chunks_s": ours_rate,
              "ratio": ours_rate / plain_rate, "min_cosine_to_plain": float(cosine.min()),
              "chunks_s_by_tokens_per_batch": budgets}
    print("embeddings", json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--prompt-tokens", type=int, default=1000)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--limit-gb", type=float, default=None, help="only the memory-limit run, at this many GiB")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--decode-shares", type=float, nargs="*", default=[0.55],
                        help="engine decode_share values for the burst under load (the first is kept after)")
    parser.add_argument("--packed-baseline", action="store_true",
                        help="also measure bursts and the prefix cache with packed passes through PyTorch's operations")
    parser.add_argument("--int8", action="store_true", help="also measure weight-only int8 (runs last)")
    parser.add_argument("--batch-one", action="store_true", help="only batch 1 (and int8's agreement with bf16)")
    parser.add_argument("--prefix", type=int, nargs="*", default=[], metavar="TOKENS",
                        help="measure the prefix cache with prompts of these lengths")
    parser.add_argument("--embeddings", type=Path, default=None, help="folder with the embedding model's config + tokenizer")
    parser.add_argument("--chunks", type=int, default=20000)
    parser.add_argument("--dtype", choices=("bfloat16", "float16"), nargs="+", default=["bfloat16"],
                        help="the models' weights and arithmetic (each model is run once per dtype)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("engine_bench needs a CUDA GPU")
    import transformers

    report: dict[str, Any] = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
                              "transformers": transformers.__version__, "results": []}
    if args.limit_gb is None:
        report["copy_bandwidth_tb_s"] = copy_bandwidth() / 1e12
        report["matmul_peak_tflops"] = matmul_peak() / 1e12
    print(json.dumps(report), flush=True)
    dtypes = ["bfloat16"] if args.limit_gb is not None else args.dtype  # the memory-limit run has one dtype
    runs = [(name, getattr(torch, dtype)) for name in args.models for dtype in dtypes]
    for name, dtype in runs:
        if args.limit_gb is not None:
            report["results"].append(bench_memory_limit(name, args.limit_gb))
        else:
            bandwidth = report["copy_bandwidth_tb_s"] * 1e12
            report["results"].append(bench_model(name, bandwidth, args.prompt_tokens, args.new_tokens, args.skip_plain,
                                                 report["matmul_peak_tflops"] * 1e12, args.decode_shares, args.prefix,
                                                 args.int8, args.packed_baseline, args.batch_one, dtype))
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=2))
    if args.embeddings:
        report["embeddings"] = bench_embeddings(args.embeddings, args.chunks)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))
    for r in report["results"]:
        if "engine_b1" in r and "closed_loop32" not in r:  # --batch-one
            e = r["engine_b1"]
            print(f"{r['model']} ({r['dtype']}): engine b1 {e['decode_tok_s_per_seq']:.1f} tok/s = {e['share_of_bound']:.0%} of "
                  f"{r['bound_tok_s']:.0f}")
            if "int8" in r:
                print(int8_summary(r["int8"]))
        elif "engine_b1" in r:
            e, plain = r["engine_b1"], r.get("plain_b1", {})
            c = r["closed_loop32"]
            print(f"{r['model']}: plain b1 {plain.get('decode_tok_s_per_seq', 0):.1f} tok/s; engine b1 "
                  f"{e['decode_tok_s_per_seq']:.1f} tok/s = {e['share_of_bound']:.0%} of {r['bound_tok_s']:.0f}; "
                  f"32 clients {c['aggregate_tok_s']:.0f} tok/s, TTFT p50 {c['ttft_p50_s'] * 1000:.0f} ms "
                  f"p95 {c['ttft_p95_s'] * 1000:.0f} ms; burst floor {r['burst32']['floor_s'] * 1000:.0f} ms; agreement {r['agreement']['argmax_agreement']:.1%}")
            for label in ("", "pytorch_passes_"):
                if label + "burst32" not in r:
                    continue
                print(f"  {label or 'packed kernels '}burst p95 {r[label + 'burst32']['ttft_p95_s'] * 1000:.0f} ms "
                      f"(steps {r[label + 'burst32']['steps']}); passes "
                      + ", ".join(f"{k} {v:.1f} ms" for k, v in r[label + "pass_ms"].items()))
                for load in r[label + "burst_under_load"]:
                    print(f"    share {load['decode_share']}: burst p95 {load['burst_ttft_p95_s'] * 1000:.0f} ms while 4 "
                          f"decode at {load['decode_kept']:.0%} of their speed; steps {load['steps']}")
                for x in r[label + "prefix"]:
                    print(f"    prefix, {x['prompt_tokens']}-token prompt: TTFT {x['cached_ttft_s'] * 1000:.1f} ms cached vs "
                          f"{x['cold_ttft_s'] * 1000:.1f} ms cold ({x['ratio']:.0%}); identical {x['identical_outputs']}")
            if "int8" in r:
                print(int8_summary(r["int8"]))


def int8_summary(x: dict[str, Any]) -> str:
    """The int8 run's line of the summary (32 closed-loop clients only where they ran: not with --batch-one)."""
    line = (f"  int8: b1 {x['engine_b1']['decode_tok_s_per_seq']:.1f} tok/s = {x['speedup_vs_bf16_b1']:.2f}x unquantised "
            f"({x['share_of_bound']:.0%} of {x['bound_tok_s']:.0f}); weights {x['weights_gb_int8']:.1f} GB; "
            f"greedy agreement {x['greedy_agreement_with_bf16']:.1%}")
    if "closed_loop32" in x:
        line += f"; 32 clients {x['closed_loop32']['aggregate_tok_s']:.0f} tok/s"
    return line


if __name__ == "__main__":
    main()
