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
the bfloat16 model; then the same in float16 (``llm_dtype = "float16"``), whose products keep 3 more bits.

    python benchmarks/int8_agreement.py --texts 40 [--llm-model packaged:qwen2.5-coder-1.5b-instruct]

``--device cuda`` runs the engine itself on the GPU instead: the model's own float32 forward gives the reference,
then the engine in bfloat16 and the engine with its int8 weights (``engine_int8``, the Triton kernels) read the
same texts teacher-forced, a 16-token prompt pass and then one decode step per position, as they generate;
in bfloat16 and then in float16. The
GPU machine has no packaged models and no ``../shared``; ``--gguf FILE`` reads the model from its GGUF file
and ``--texts-json FILE`` the passages (written here by ``--write-texts FILE``):

    python benchmarks/int8_agreement.py --write-texts texts.json
    python benchmarks/int8_agreement.py --device cuda --gguf qwen2.5-coder-0.5b-instruct-q4_k_m.gguf --texts-json texts.json
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
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--gguf", default=None, help="read the model from this GGUF file")
    parser.add_argument("--texts-json", default=None, help="the passages, a JSON list (default: ../shared/eval)")
    parser.add_argument("--write-texts", default=None, help="write the passages to this JSON file and stop")
    args = parser.parse_args()
    passages = json.loads(Path(args.texts_json).read_text(encoding="utf-8")) if args.texts_json else texts(args.texts)
    if args.write_texts:
        Path(args.write_texts).write_text(json.dumps(passages, ensure_ascii=False), encoding="utf-8")
        return
    if args.device == "cuda":
        on_gpu(args, passages)
        return

    from kb_assistant.config import Settings
    from kb_assistant.llms.int8_weights import Int8Weight
    from kb_assistant.llms.loading import load_model

    overrides = {"llm_model": args.llm_model} if args.llm_model else {}
    settings = Settings().with_overrides(llm_device_map="cpu", llm_dtype="float32", **overrides)
    loaded = load_model(settings.llm_model, settings)
    model, tokenizer = loaded.model.eval(), loaded.tokenizer
    batches = [tokenizer(t, return_tensors="pt")["input_ids"][:, : args.tokens] for t in passages]
    linears = [m for layer in model.model.layers for m in layer.modules() if isinstance(m, torch.nn.Linear)]
    if model.lm_head.weight is model.model.embed_tokens.weight:  # tied: the engine rounds the output layer alone
        model.lm_head.weight = torch.nn.Parameter(model.lm_head.weight.detach().clone())
    linears.append(model.lm_head)
    own = [linear.weight.detach().clone() for linear in linears]
    # Everything else also starts from float32 in each run (cast from one half type to the other, it would carry
    # the first one's rounding); the buffers (rotary frequencies) stay float32, as a model loaded in bf16 has them.
    rest = {name: t.detach().clone() for name, t in [*model.named_parameters(), *model.named_buffers()]}
    buffers = {name for name, _ in model.named_buffers()}

    def top(dtype: torch.dtype, int8: bool) -> list[torch.Tensor]:
        with torch.inference_mode():
            for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
                tensor.data = rest[name] if name in buffers else rest[name].to(dtype)
            for linear, weight in zip(linears, own, strict=True):
                linear.weight.copy_(Int8Weight.quantize(weight).dequantize() if int8 else weight)
            return [model(ids).logits[0].float().argmax(-1) for ids in batches]

    def agreement(first: list[torch.Tensor], second: list[torch.Tensor]) -> float:
        same = sum(int((a == b).sum()) for a, b in zip(first, second, strict=True))
        return round(same / sum(len(a) for a in first), 4)

    reference, rounded_top = top(torch.float32, False), top(torch.float32, True)
    bf16, bf16_int8 = top(torch.bfloat16, False), top(torch.bfloat16, True)
    fp16, fp16_int8 = top(torch.float16, False), top(torch.float16, True)
    print(json.dumps({"model": settings.llm_model, "texts": len(batches), "positions": sum(len(a) for a in reference),
                      "top1_agreement": agreement(reference, rounded_top),
                      "bf16_vs_float32": agreement(reference, bf16),
                      "int8_in_bf16_vs_bf16": agreement(bf16, bf16_int8),
                      "int8_in_bf16_vs_float32": agreement(reference, bf16_int8),
                      "fp16_vs_float32": agreement(reference, fp16),
                      "int8_in_fp16_vs_float32": agreement(reference, fp16_int8)}))


def on_gpu(args: argparse.Namespace, passages: list[str], prompt: int = 16) -> None:
    """The engine's decode steps, unquantised and int8, in bfloat16 and then in float16, against the model's
    float32 forward, on CUDA."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from kb_assistant.llms.engine import GenerationEngine
    from kb_assistant.llms.kv_decoder import Chunk, SlotDecoder

    if args.gguf:
        folder, name = str(Path(args.gguf).parent), Path(args.gguf).name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    else:
        from kb_assistant.config import Settings
        from kb_assistant.llms.loading import load_model

        overrides = {"llm_model": args.llm_model} if args.llm_model else {}
        settings = Settings().with_overrides(llm_device_map="cpu", llm_dtype="float32", **overrides)
        loaded = load_model(settings.llm_model, settings)
        model, tokenizer = loaded.model, loaded.tokenizer
    model = model.eval().to("cuda")
    ids = [tokenizer(t)["input_ids"][: args.tokens] for t in passages]

    def forced(decoder: SlotDecoder, text: list[int]) -> torch.Tensor:
        """The decoder's most likely next token at positions prompt-1 .. len-2, fed the text itself."""
        with torch.inference_mode():
            chosen = [int(decoder.forward_packed(0, [], [], [Chunk(0, text[:prompt], 0, True)])[0].argmax())]
            chosen += [int(decoder.decode([token], [prompt + step])[0].argmax())
                       for step, token in enumerate(text[prompt:-1])]
        return torch.tensor(chosen)

    def agreement(first: list[torch.Tensor], second: list[torch.Tensor]) -> float:
        same = sum(int((a == b).sum()) for a, b in zip(first, second, strict=True))
        return round(same / sum(len(a) for a in first), 4)

    # float32 copies of the weights and buffers: each run starts from these (the engines re-lay out the weights, int8
    # empties them; cast from bf16, float16 would carry bf16's rounding); buffers (rotary frequencies) stay float32
    own = {name: t.detach().clone() for name, t in [*model.named_parameters(), *model.named_buffers()]}
    buffers = {name for name, _ in model.named_buffers()}
    with torch.inference_mode():
        reference = [model(torch.tensor([t], device="cuda")).logits[0, prompt - 1 : -1].argmax(-1).cpu() for t in ids]
    result: dict[str, object] = {"model": args.gguf or args.llm_model, "device": torch.cuda.get_device_name(),
                                 "texts": len(ids), "positions": sum(len(a) for a in reference)}
    for dtype, short in ((torch.bfloat16, "bf16"), (torch.float16, "fp16")):
        with torch.inference_mode():
            for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
                tensor.data = own[name] if name in buffers else own[name].to(dtype)
            plain = [model(torch.tensor([t], device="cuda")).logits[0, prompt - 1 : -1].argmax(-1).cpu() for t in ids]
        decoder = SlotDecoder(model, max_batch=1, max_len=args.tokens + 8)
        unquantised = [forced(decoder, t) for t in ids]
        del decoder
        torch.cuda.empty_cache()
        engine = GenerationEngine(model, max_batch=1, max_len=args.tokens + 8, int8=True)  # replaces the weights
        int8 = [forced(engine.decoder, t) for t in ids]
        engine.close()
        del engine
        result |= {f"engine_int8_{short}_vs_float32": agreement(reference, int8),
                   f"engine_{short}_vs_float32": agreement(reference, unquantised),
                   f"engine_int8_{short}_vs_engine_{short}": agreement(unquantised, int8),
                   f"plain_{short}_vs_float32": agreement(reference, plain),
                   f"engine_{short}_vs_plain_{short}": agreement(plain, unquantised)}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
