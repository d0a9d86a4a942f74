"""Top-1 agreement of the engine's weight-only int8 with the real packaged chat model's own weights.

The engine's int8 (``engine_int8``) rounds every linear weight of the decoder layers, and the output layer, to
int8 with one scale per 128 columns of each row (:class:`kb_assistant.llms.int8_weights.Int8Weight`). Random weights say little
about what that costs a real model (their logits are near-ties), and the real weights cannot travel to the GPU
machine; so here the packaged chat model (float32, CPU) reads real text teacher-forced twice, with its weights
and with them rounded as the engine rounds them, and the share of positions whose most likely next token is the
same is reported.
The int8 values are exact in any wider type, so this is the rounding's effect alone; the GPU kernel adds only
bf16 arithmetic, which the bf16 model has too. As the yardstick, the same run reports how often the model in
bfloat16 (what the engine runs unquantised) agrees with its float32 self, and int8 weights in bfloat16 against
the bfloat16 model.

    python benchmarks/int8_agreement.py --texts 40 [--llm-model packaged:qwen2.5-coder-1.5b-instruct]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def texts(count: int) -> list[str]:
    """Real passages: Chinese and English reading-comprehension sets of ``../shared/eval``, half each."""
    found = []
    for name in ("xquad_zh", "xquad_en"):
        lines = (REPO.parent / "shared" / "eval" / name / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
        found += [json.loads(line)["text"] for line in lines[: count // 2]]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=40)
    parser.add_argument("--tokens", type=int, default=256, help="positions read per text")
    parser.add_argument("--llm-model", default=None, help="another packaged chat model (default: the settings' one)")
    args = parser.parse_args()

    from kb_assistant.config import Settings
    from kb_assistant.llms.int8_weights import Int8Weight
    from kb_assistant.llms.loading import load_model

    overrides = {"llm_model": args.llm_model} if args.llm_model else {}
    settings = Settings().with_overrides(llm_device_map="cpu", llm_dtype="float32", **overrides)
    loaded = load_model(settings.llm_model, settings)
    model, tokenizer = loaded.model.eval(), loaded.tokenizer
    batches = [tokenizer(t, return_tensors="pt")["input_ids"][:, : args.tokens] for t in texts(args.texts)]
    linears = [m for layer in model.model.layers for m in layer.modules() if isinstance(m, torch.nn.Linear)]
    if model.lm_head.weight is model.model.embed_tokens.weight:  # tied: the engine rounds the output layer alone
        model.lm_head.weight = torch.nn.Parameter(model.lm_head.weight.detach().clone())
    linears.append(model.lm_head)
    own = [linear.weight.detach().clone() for linear in linears]

    def top(dtype: torch.dtype, int8: bool) -> list[torch.Tensor]:
        with torch.inference_mode():
            model.to(dtype)
            for linear, weight in zip(linears, own, strict=True):
                linear.weight.copy_(Int8Weight.quantize(weight).dequantize() if int8 else weight)
            return [model(ids).logits[0].argmax(-1) for ids in batches]

    def agreement(first: list[torch.Tensor], second: list[torch.Tensor]) -> float:
        same = sum(int((a == b).sum()) for a, b in zip(first, second, strict=True))
        return round(same / sum(len(a) for a in first), 4)

    reference, rounded_top = top(torch.float32, False), top(torch.float32, True)
    bf16, bf16_int8 = top(torch.bfloat16, False), top(torch.bfloat16, True)
    print(json.dumps({"model": settings.llm_model, "texts": len(batches), "positions": sum(len(a) for a in reference),
                      "top1_agreement": agreement(reference, rounded_top),
                      "bf16_vs_float32": agreement(reference, bf16),
                      "int8_in_bf16_vs_bf16": agreement(bf16, bf16_int8)}))


if __name__ == "__main__":
    main()
