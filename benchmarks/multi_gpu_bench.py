"""The tutorial models on one GPU and split over two 24 GB cards, loaded through kb-assistant's own loading code.

Random weights in the real DeepSeek-Coder-V2-Lite-Instruct (MoE, latent attention), Qwen2-7B-Instruct and
Llama-3-8B-Instruct shapes, bf16, written to a scratch folder with a tokenizer and loaded by
``kb_assistant.llms.loading.load_model`` with the settings a user would write, each layout in a fresh process.
For each model, in one run:
  - the memory plan: what it says the model needs (weights and a prompt of ``--context`` tokens) against what
    the run measured at its peak (allocator peak + CUDA context, summed over the GPUs used), as a ratio;
  - one GPU, uncapped (``llm_device_map = "cuda:0"``): load time, TTFT of a 4k prompt, decode tokens/s at batch 1
    and batch 8 (plain ``generate``, as the tutorials run it), peak memory;
  - one GPU capped at ``--cap-gb`` (``llm_max_memory_gb``, the allocator held to what such a card leaves): the
    same figures where the plan takes it, else load_model's refusal (what a single 24 GB card gets instead of a
    CUDA out-of-memory error);
  - two GPUs (``llm_device_map = "balanced"``, ``llm_max_memory_gb = --cap-gb``, each GPU's allocator held to
    the cap as a 24 GB card would be), where two or more GPUs are visible: the same figures, peak memory per GPU.
    Weights are counted once however they are split, so the plan's figure and the split's sum are compared.

    python benchmarks/multi_gpu_bench.py --tokenizer DIR --out multi_gpu.json

DIR holds a tokenizer (tokenizer.json + tokenizer_config.json, e.g. the packaged Qwen2.5's): the model's words
do not matter to speed. No LangChain is imported: the GPU machine may not have it.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from generate_bench import CONFIGS, random_weights, timed_generate

from kb_assistant.config import Settings
from kb_assistant.errors import InsufficientMemoryError
from kb_assistant.llms.loading import count_parameters, load_model, read_config
from kb_assistant.llms.memory_plan import GIB, check_plan, memory_plan, planned_tokens


def deepseek_coder_v2_lite() -> Any:
    """DeepSeek-Coder-V2-Lite-Instruct's config.json sizes (15.7B parameters, 2.4B active)."""
    from transformers import DeepseekV2Config

    return DeepseekV2Config(
        vocab_size=102400, hidden_size=2048, intermediate_size=10944, moe_intermediate_size=1408,
        num_hidden_layers=27, num_attention_heads=16, num_key_value_heads=16, n_shared_experts=2,
        n_routed_experts=64, num_experts_per_tok=6, first_k_dense_replace=1, kv_lora_rank=512, q_lora_rank=None,
        qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128, max_position_embeddings=163840,
        tie_word_embeddings=False, topk_method="greedy", n_group=1, topk_group=1, norm_topk_prob=False,
        routed_scaling_factor=1.0, rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 40.0, "beta_fast": 32.0,
                         "beta_slow": 1.0, "mscale": 0.707, "mscale_all_dim": 0.707,
                         "original_max_position_embeddings": 4096},
    )


MODELS: dict[str, Any] = {"deepseek-coder-v2-lite": deepseek_coder_v2_lite, **CONFIGS}


def write_random_model(name: str, tokenizer: Path, folder: Path) -> None:
    """A model folder as a download would leave it: config, random bf16 safetensors, tokenizer."""
    model = random_weights(MODELS[name]())
    model.save_pretrained(str(folder), max_shard_size="5GB")
    for file in tokenizer.glob("tokenizer*"):
        shutil.copy(file, folder / file.name)
    del model
    release()


def release() -> None:
    gc.collect()
    torch.cuda.empty_cache()


def cuda_contexts() -> list[float]:
    """Bytes each GPU has in use outside PyTorch's allocator (the CUDA context, cuBLAS's workspace)."""
    used = []
    for i in range(torch.cuda.device_count()):
        torch.empty(1, device=f"cuda:{i}")
        free, total = torch.cuda.mem_get_info(i)
        used.append(total - free - torch.cuda.memory_reserved(i))
    return used


def plan_figures(folder: Path, settings: Settings, device_map: str) -> tuple[Any, str | None]:
    """The plan load_model makes for these settings, and its refusal message if it refuses."""
    config = read_config(folder)
    plan = memory_plan(count_parameters(folder, False), "bfloat16", device_map, config=config,
                       tokens=planned_tokens(config, settings.llm_context_window),
                       max_memory_gb=settings.llm_max_memory_gb)
    try:
        check_plan(plan, folder.name, "bfloat16")
    except InsufficientMemoryError as e:
        return plan, str(e)
    return plan, None


def measure(name: str, folder: Path, device_map: str, cap_gb: float | None, context: int, new: int,
            contexts: list[float]) -> dict[str, Any]:
    """Load through load_model with these settings, then time and weigh it."""
    settings = Settings(llm_device_map=device_map, llm_max_memory_gb=cap_gb, llm_family=name,
                        llm_context_window=context, llm_dtype="bfloat16")
    plan, refusal = plan_figures(folder, settings, device_map)
    result: dict[str, Any] = {"model": name, "device_map": device_map, "cap_gib": cap_gb,
                              "plan_needed_gib": plan.needed / GIB, "plan_free_gib": plan.free / GIB,
                              "plan_weights_gib": plan.weights / GIB, "plan_context_gib": plan.context / GIB}
    gpus = plan.devices
    if cap_gb is not None:  # hold each allocator to what a card of cap_gb GiB leaves after the CUDA context
        for i in range(gpus):
            total = torch.cuda.get_device_properties(i).total_memory
            torch.cuda.set_per_process_memory_fraction((cap_gb * GIB - contexts[i]) / total, i)
    try:
        result.update(run_loaded(folder, settings, gpus, context, new, contexts, plan.needed))
    finally:
        release()
        for i in range(gpus):
            torch.cuda.set_per_process_memory_fraction(1.0, i)
    if "refused" in result:
        result["planned_refusal"] = refusal
    return result


def run_loaded(folder: Path, settings: Settings, gpus: int, context: int, new: int, contexts: list[float],
               needed: float) -> dict[str, Any]:
    """Load the model with ``settings``; time its first tokens and decoding; weigh its peak on each GPU."""
    for i in range(torch.cuda.device_count()):
        torch.cuda.reset_peak_memory_stats(i)
    start = time.perf_counter()
    try:
        loaded = load_model(str(folder), settings)
    except InsufficientMemoryError as e:
        return {"refused": str(e), "refused_after_s": time.perf_counter() - start}
    result: dict[str, Any] = {"load_s": time.perf_counter() - start}
    model = loaded.model
    placement = getattr(model, "hf_device_map", None) or {}
    result["layers_per_device"] = {d: sum(1 for k, v in placement.items() if str(v) == d and ".layers." in f".{k}.")
                                   for d in sorted(set(map(str, placement.values())))}
    try:
        timed_generate(model, 1, 4096, 2)  # warm-up: the first prefill of a length picks its kernels
        result["ttft_4k_s"] = timed_generate(model, 1, 4096, 2)["ttft_s"]
        one = timed_generate(model, 1, 128, new)
        eight = timed_generate(model, 8, 128, new)
        result.update(decode_b1_tok_s=one["decode_tok_s_per_seq"], decode_b8_tok_s=eight["aggregate_tok_s"],
                      decode_b8_tok_s_per_seq=eight["decode_tok_s_per_seq"])
        result["context_prompt_ttft_s"] = timed_generate(model, 1, context - 16, 16)["ttft_s"]  # the planned room
    except torch.OutOfMemoryError as e:
        result["cuda_oom"] = str(e).splitlines()[0]
    peaks = [contexts[i] + torch.cuda.max_memory_reserved(i) for i in range(gpus)]
    result.update(peak_gib_per_gpu=[p / GIB for p in peaks], peak_gib=sum(peaks) / GIB, plan_over_peak=needed / sum(peaks))
    del model, loaded
    return result


def child(job: dict[str, Any]) -> dict[str, Any]:
    """One job in this process: write a model folder, or measure one loading of it."""
    if job["kind"] == "write":
        start = time.perf_counter()
        write_random_model(job["name"], Path(job["tokenizer"]), Path(job["folder"]))
        return {"written_s": time.perf_counter() - start}
    return measure(job["name"], Path(job["folder"]), job["device_map"], job["cap"], job["context"], job["new"],
                   cuda_contexts())


def in_process(job: dict[str, Any]) -> dict[str, Any]:
    """Run ``job`` in a fresh process: each model and layout starts from an empty GPU (transformers keeps a
    loaded model referenced after ``del``, which would count in the next one's peak)."""
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)], stdout=subprocess.PIPE, text=True,
                          check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {**job, "failed": f"exit {done.returncode}"}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--tokenizer", type=Path, help="folder with tokenizer.json + tokenizer_config.json")
    parser.add_argument("--cap-gb", type=float, default=24.0, help="GiB each GPU may use in the capped runs")
    parser.add_argument("--context", type=int, default=8192, help="llm_context_window: the prompt room planned")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/multi_gpu_bench"))
    parser.add_argument("--out", default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))), flush=True)
        return
    if not torch.cuda.is_available() or args.tokenizer is None:
        raise SystemExit("multi_gpu_bench needs a CUDA GPU and --tokenizer DIR")
    gpus = torch.cuda.device_count()
    report: dict[str, Any] = {"gpus": [torch.cuda.get_device_name(i) for i in range(gpus)], "torch": torch.__version__,
                              "results": []}
    layouts = [("cuda:0", None), ("cuda:0", args.cap_gb)] + ([("balanced", args.cap_gb)] if gpus >= 2 else [])
    for name in args.models:
        folder = args.scratch / name
        shutil.rmtree(folder, ignore_errors=True)
        written = in_process({"kind": "write", "name": name, "tokenizer": str(args.tokenizer), "folder": str(folder)})
        print(name, json.dumps(written), flush=True)
        for device_map, cap in layouts:
            result = in_process({"kind": "measure", "name": name, "folder": str(folder), "device_map": device_map,
                                 "cap": cap, "context": args.context, "new": args.new_tokens})
            print(json.dumps(result), flush=True)
            report["results"].append(result)
        shutil.rmtree(folder, ignore_errors=True)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
