"""Generation speed on a GPU with random weights in the real Qwen2-7B-Instruct / Llama-3-8B-Instruct shapes.

Speed does not depend on the weights' values, so no download is needed. For a 1,000-token prompt and 256
new tokens it reports, per model, in one run:
  - the tutorial's plain ``model.generate`` at batch 1: time to first token, decode tokens/s, peak memory;
  - the memory-bandwidth bound: weight bytes / measured device copy bandwidth (bytes read + written);
  - the same ``generate`` with a static KV cache, which makes transformers compile decoding (``--compiled``);
  - plain ``generate`` at batch 32 (aggregate tokens/s), as a first look at batching.

    python benchmarks/generate_bench.py --models qwen2-7b llama3-8b --compiled --out results.json
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import torch
from transformers import LlamaConfig, Qwen2Config

CONFIGS: dict[str, Any] = {
    # Sizes from the checkpoints' config.json.
    "qwen2-7b": lambda: Qwen2Config(
        vocab_size=152064, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
        num_attention_heads=28, num_key_value_heads=4, max_position_embeddings=32768,
        rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=False,
    ),
    "llama3-8b": lambda: LlamaConfig(
        vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
        num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192,
        rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=False,
    ),
}


def copy_bandwidth() -> float:
    """Device-to-device copy bandwidth in bytes/s, counting bytes read and written."""
    src = torch.empty(2 * 2**30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    for _ in range(3):
        dst.copy_(src)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(10):
        dst.copy_(src)
    torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / 10
    del src, dst
    return 2 * 2 * 2**30 / seconds


def random_model(name: str, dtype: torch.dtype = torch.bfloat16) -> Any:
    """A model of ``name``'s real shape with random weights (bf16 unless ``dtype``), on the GPU, set to always make
    every new token."""
    return random_weights(CONFIGS[name](), dtype)


def random_weights(config: Any, dtype: torch.dtype = torch.bfloat16) -> Any:
    """A model of ``config`` with random weights of ``dtype`` (normal, std 0.02) on the GPU."""
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    model = model.to_empty(device="cuda")
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.02)
        for module in model.modules():  # to_empty left the rotary frequencies uninitialised
            if hasattr(module, "inv_freq") and hasattr(module, "config"):
                fresh = type(module)(config=module.config, device="cuda")
                for key, buffer in fresh.named_buffers():
                    getattr(module, key).copy_(buffer)
    model.generation_config.eos_token_id = None  # always produce all new tokens
    model.generation_config.pad_token_id = 0
    return model.eval()


def timed_generate(model: Any, batch: int, prompt: int, new: int, **kwargs: Any) -> dict[str, float]:
    ids = torch.randint(100, 20000, (batch, prompt), device="cuda")
    mask = torch.ones_like(ids)
    torch.cuda.synchronize()
    start = time.perf_counter()
    model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=1, min_new_tokens=1, do_sample=False, **kwargs)
    torch.cuda.synchronize()
    ttft = time.perf_counter() - start
    start = time.perf_counter()
    model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new, do_sample=False, **kwargs)
    torch.cuda.synchronize()
    total = time.perf_counter() - start
    decode = (new - 1) / max(total - ttft, 1e-9)
    return {"ttft_s": ttft, "total_s": total, "decode_tok_s_per_seq": decode, "aggregate_tok_s": batch * new / total}


def bench(name: str, bandwidth: float, prompt: int, new: int, compiled: bool) -> dict[str, Any]:
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    model = random_model(name)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    result: dict[str, Any] = {
        "model": name,
        "weights_gb": weight_bytes / 1e9,
        "bound_tok_s": bandwidth / weight_bytes,
    }
    with torch.inference_mode():
        timed_generate(model, 1, 64, 8)  # warm-up
        plain = timed_generate(model, 1, prompt, new)
        plain["peak_gb"] = torch.cuda.max_memory_allocated() / 1e9
        plain["share_of_bound"] = plain["decode_tok_s_per_seq"] / result["bound_tok_s"]
        result["plain_b1"] = plain
        print(name, "plain b1", json.dumps(plain), flush=True)
        batched = timed_generate(model, 32, prompt, new)
        result["plain_b32"] = batched
        print(name, "plain b32", json.dumps(batched), flush=True)
        if compiled:
            # With a static cache, generate() compiles the decoding step itself (CUDA graphs included).
            kwargs = {"cache_implementation": "static"}
            for _ in range(2):
                timed_generate(model, 1, prompt, 16, **kwargs)  # compile for prefill and decode shapes
            static = timed_generate(model, 1, prompt, new, **kwargs)
            static["share_of_bound"] = static["decode_tok_s_per_seq"] / result["bound_tok_s"]
            result["static_compiled_b1"] = static
            print(name, "static+compiled b1", json.dumps(static), flush=True)
    result["peak_gb"] = torch.cuda.max_memory_allocated() / 1e9
    del model
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--prompt-tokens", type=int, default=1000)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--compiled", action="store_true", help="also measure static cache + torch.compile")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("generate_bench needs a CUDA GPU")
    bandwidth = copy_bandwidth()
    report: dict[str, Any] = {
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "copy_bandwidth_tb_s": bandwidth / 1e12,
        "results": [],
    }
    import transformers

    report["transformers"] = transformers.__version__
    print(json.dumps({k: v for k, v in report.items() if k != "results"}), flush=True)
    for name in args.models:
        report["results"].append(bench(name, bandwidth, args.prompt_tokens, args.new_tokens, args.compiled))
        if args.out:
            with open(args.out, "w") as f:
                json.dump(report, f, indent=2)
    for r in report["results"]:
        p = r["plain_b1"]
        line = (
            f"{r['model']}: plain b1 {p['decode_tok_s_per_seq']:.1f} tok/s ({p['share_of_bound']:.1%} of the "
            f"{r['bound_tok_s']:.0f} tok/s bound), TTFT {p['ttft_s'] * 1000:.0f} ms, peak {p['peak_gb']:.1f} GB; "
            f"b32 {r['plain_b32']['aggregate_tok_s']:.0f} tok/s aggregate"
        )
        if "static_compiled_b1" in r:
            s = r["static_compiled_b1"]
            line += f"; static+compiled b1 {s['decode_tok_s_per_seq']:.1f} tok/s ({s['share_of_bound']:.1%})"
        print(line)


if __name__ == "__main__":
    main()
