"""Tool calls and JSON under a grammar in the batching engine on a GPU: what the grammar costs its request and
the requests decoding beside it.

Random weights in Qwen2-7B-Instruct's shape (bf16; speed does not depend on the values), the real Qwen2.5
tokenizer (llguidance builds its token masks from it), 1,000-token prompts, up to 256 new tokens:
  - batch 1: decode tokens/s of free text and of a request held to a JSON schema, and the host time per step
    that its mask takes (llguidance's computation, the copy to the GPU is in the step);
  - 32 closed-loop clients for a fixed time, with none, a quarter or all of them under the grammar: aggregate
    tokens/s and TTFT p50 / p95;
  - every constrained output parses as JSON and validates against the schema (``jsonschema`` where installed).

    python benchmarks/grammar_bench.py --tokenizer DIR --out grammar.json

``DIR`` holds the tokenizer's files; a ``tokenizer.json.gz`` there is unpacked first (the files travel to the
GPU machine compressed). No LangChain is imported.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from clients import percentile, run_threads
from engine_bench import prompt_ids
from generate_bench import random_model

from kb_assistant.llms.constrained import GrammarConstraint, guidance_tokenizer, json_grammar
from kb_assistant.llms.engine import GenerationEngine, Request, Sampling

# Bounded lengths, so that a random model's JSON ends within the new tokens and can be checked whole
SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 30},
        "year": {"type": "integer", "minimum": 1900, "maximum": 2100},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 3},
        "summary": {"type": "string", "maxLength": 120},
    },
    "required": ["title", "year", "tags", "summary"],
    "additionalProperties": False,
}


class TimedConstraint(GrammarConstraint):
    """The grammar, counting the host time its masks take."""

    seconds = 0.0
    calls = 0

    def allowed(self, generated: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().allowed(generated)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


def load_tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer

    packed = folder / "tokenizer.json.gz"
    if packed.exists() and not (folder / "tokenizer.json").exists():
        unpacked = Path(tempfile.mkdtemp())
        for path in folder.iterdir():
            if path.is_file() and path != packed:
                (unpacked / path.name).write_bytes(path.read_bytes())
        (unpacked / "tokenizer.json").write_bytes(gzip.decompress(packed.read_bytes()))
        folder = unpacked
    return AutoTokenizer.from_pretrained(str(folder))


class Grammars:
    """Makes each request's constraint and checks what the constrained requests wrote."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.eos = [tokenizer.convert_tokens_to_ids("<|im_end|>")]
        self.guidance = guidance_tokenizer(tokenizer, self.eos)
        self.grammar = json_grammar(SCHEMA)
        try:
            import jsonschema

            self.validate = lambda value: jsonschema.validate(value, SCHEMA)
        except ImportError:
            self.validate = lambda value: None

    def sampling(self, new: int, constrained: bool) -> Sampling:
        constraint = TimedConstraint(self.grammar, self.guidance) if constrained else None
        return Sampling(max_new_tokens=new, eos_token_ids=tuple(self.eos), constraint=constraint)

    def valid(self, request: Request) -> bool:
        text = self.tokenizer.decode([t for t in request.generated if t not in self.eos])
        try:
            self.validate(json.loads(text))
        except Exception:  # noqa: BLE001 - any failure is an invalid output
            return False
        return True


def batch_one(engine: GenerationEngine, grammars: Grammars, prompt: int, new: int, constrained: bool) -> dict[str, Any]:
    sampling = grammars.sampling(new, constrained)
    request = engine.submit(prompt_ids(prompt, 7), sampling)
    for _ in request.stream():
        pass
    assert request.first_token_at and request.finished_at
    produced = len(request.generated)
    result: dict[str, Any] = {
        "tokens": produced,
        "ttft_s": request.first_token_at - request.submitted_at,
        "decode_tok_s": (produced - 1) / (request.finished_at - request.first_token_at),
    }
    if constrained:
        constraint = sampling.constraint
        assert isinstance(constraint, TimedConstraint)
        result |= {"mask_ms_per_step": 1000 * constraint.seconds / max(constraint.calls, 1),
                   "valid_json": grammars.valid(request)}
    return result


def closed_loop(engine: GenerationEngine, grammars: Grammars, clients: int, constrained_every: int, prompt: int,
                new: int, seconds: float) -> dict[str, Any]:
    """``clients`` clients sending requests back to back for ``seconds``; client i's requests are constrained
    when ``constrained_every`` divides i (0: none)."""
    done: list[tuple[Request, bool]] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        time.sleep(random.Random(index).uniform(0, 1.0))
        constrained = constrained_every > 0 and index % constrained_every == 0
        sent = 0
        while time.perf_counter() < deadline:
            request = engine.submit(prompt_ids(prompt, 1000 * index + sent), grammars.sampling(new, constrained))
            for _ in request.stream():
                pass
            sent += 1
            with lock:
                done.append((request, constrained))

    wall = run_threads(clients, client)
    ttfts = [r.first_token_at - r.submitted_at for r, _ in done if r.first_token_at]
    tokens = sum(len(r.generated) for r, _ in done)
    checked = [grammars.valid(r) for r, c in done if c]
    return {"requests": len(done), "constrained_requests": len(checked), "tokens": tokens, "wall_s": wall,
            "aggregate_tok_s": tokens / wall, "ttft_p50_s": percentile(ttfts, 0.5), "ttft_p95_s": percentile(ttfts, 0.95),
            "valid_json_share": sum(checked) / len(checked) if checked else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokenizer", type=Path, required=True, help="folder with the Qwen2.5 tokenizer's files")
    parser.add_argument("--model", default="qwen2-7b")
    parser.add_argument("--prompt-tokens", type=int, default=1000)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0, help="each closed-loop run")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    grammars = Grammars(load_tokenizer(args.tokenizer))
    model = random_model(args.model)
    engine = GenerationEngine(model, max_batch=args.clients, max_len=args.prompt_tokens + args.new_tokens + 16)
    engine.warm_up()
    report: dict[str, Any] = {"device": torch.cuda.get_device_name(), "model": args.model}
    batch_one(engine, grammars, args.prompt_tokens, 16, True)  # compiles llguidance's lexer, warms the path
    for name, constrained in (("free", False), ("json", True), ("free_again", False), ("json_again", True)):
        report[f"batch1_{name}"] = batch_one(engine, grammars, args.prompt_tokens, args.new_tokens, constrained)
        print(name, report[f"batch1_{name}"], flush=True)
    for label, every in (("none", 0), ("quarter", 4), ("all", 1)):
        report[f"clients_{label}"] = closed_loop(engine, grammars, args.clients, every, args.prompt_tokens,
                                                 args.new_tokens, args.seconds)
        print(label, report[f"clients_{label}"], flush=True)
    engine.close()
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
