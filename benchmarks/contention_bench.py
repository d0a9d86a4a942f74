"""Generation with other processes on the same cores: the packaged chat model in 1 and in 2 processes at once.

Each process loads the model, then times ``--repeats`` greedy generations of 32 tokens after a 300-token prompt;
``--linear torch`` puts its linear layers back to ``torch.nn.Linear`` (MKL) instead of oneDNN's. The package sets
``OMP_WAIT_POLICY=PASSIVE`` unless the variable is set; ``--torch-first`` imports torch before the package, so
OpenMP keeps its own default (threads spin a while before they sleep), and ``OMP_WAIT_POLICY=ACTIVE`` spins:

    python benchmarks/contention_bench.py --linear onednn torch
    python benchmarks/contention_bench.py --linear onednn torch --torch-first
    OMP_WAIT_POLICY=ACTIVE python benchmarks/contention_bench.py --linear onednn torch
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def child(linear: str, repeats: int, torch_first: bool) -> None:
    if torch_first:
        import torch  # OpenMP reads OMP_WAIT_POLICY as torch loads it
    import kb_assistant  # noqa: F401, I001 - before torch, as the CLI and the server: it sets OMP_WAIT_POLICY

    import torch

    from kb_assistant.config import Settings
    from kb_assistant.cpu_linear import OneDnnLinear
    from kb_assistant.llms.served import make_chat_model

    llm = make_chat_model(Settings(), max_new_tokens=32)
    if linear == "torch":
        for module in llm.model.modules():
            if isinstance(module, OneDnnLinear):
                module.__class__ = torch.nn.Linear
    ids = llm.tokenizer("知识库助手把文档切成块。" * 40, return_tensors="pt")["input_ids"][:, :300]
    with torch.inference_mode():
        llm.model.generate(ids[:, :20], attention_mask=torch.ones_like(ids[:, :20]), max_new_tokens=4)
        started = time.perf_counter()
        for _ in range(repeats):
            llm.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=32, min_new_tokens=32,
                               do_sample=False)
    print(json.dumps({"seconds_per_generation": round((time.perf_counter() - started) / repeats, 2)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--linear", nargs="+", default=["onednn", "torch"], choices=("onednn", "torch"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--torch-first", action="store_true", help="import torch before kb_assistant")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeats, args.torch_first)
        return
    for linear in args.linear:
        for processes in (1, 2):
            command = [sys.executable, __file__, "--child", linear, "--repeats", str(args.repeats),
                       *(["--torch-first"] if args.torch_first else [])]
            running = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                       for _ in range(processes)]
            seconds = [json.loads(p.communicate()[0].strip().splitlines()[-1])["seconds_per_generation"]
                       for p in running]
            print(json.dumps({"linear": linear, "processes": processes, "seconds_per_generation": seconds}))


if __name__ == "__main__":
    main()
