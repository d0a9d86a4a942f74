"""Decode steps from bfloat16 weights on a CPU that runs the chat model in float32.

A CPU without bfloat16 instructions (AVX2 only, no AVX512-BF16 or AMX) runs the chat model in float32
(:func:`kb_assistant.llms.loading.choose_dtype`): there an emulated bfloat16 prompt pass is 7x slower than a
float32 one. Decoding is another matter: a step multiplies one row by every weight once, so its time is the
weights' bytes over memory bandwidth, and bfloat16 weights are half the bytes. Each linear layer here keeps its
weight in bfloat16 only (half the memory, too) and multiplies

- a pass of at most :data:`DECODE_ROWS` rows (a decode step) in bfloat16, the row rounded to bfloat16;
- a longer pass (a prompt, or prompt lookup's drafted tokens) in float32, the weight widened for the product
  (exact: every bfloat16 value is a float32 one), as fast as float32 weights give.

Everything else (embeddings, norms, attention, the KV cache) stays float32. Prompt lookup decoding is left off
for such a model (:func:`decodes_from_bfloat16`): its passes over drafted tokens take the float32 way, and on
kept answers plain decoding from bfloat16 came sooner. Figures: README "Answer quality".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

DECODE_ROWS = 2
"""Rows up to which a pass multiplies in bfloat16. Without bfloat16 instructions a bfloat16 product costs in
proportion to its rows: on a 2-core AVX2 EPYC, a 4,864 x 896 weight (read from memory) took 0.66 ms for 1 row
against 1.54 ms in float32, 1.20 against 2.85 ms for 2, but 2.32 against 3.10 ms for 4 and 4.58 against 3.40 for
8; widening the weight to float32 first costs about 1.1 ms."""


class Bf16DecodeLinear(torch.nn.Linear):
    """A ``torch.nn.Linear`` whose weight is stored in bfloat16 and which takes and returns float32."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ weight.T + bias`` in float32, multiplied in bfloat16 for a decode step."""
        if x.numel() <= DECODE_ROWS * x.shape[-1]:
            out = F.linear(x.to(torch.bfloat16), self.weight).float()
            return out if self.bias is None else out + self.bias
        return F.linear(x, self.weight.float(), self.bias)


def _bf16_copy(linear: torch.nn.Linear) -> Bf16DecodeLinear:
    copy = Bf16DecodeLinear.__new__(Bf16DecodeLinear)
    torch.nn.Module.__init__(copy)
    copy.in_features, copy.out_features = linear.in_features, linear.out_features
    copy.weight = torch.nn.Parameter(linear.weight.detach().to(torch.bfloat16), requires_grad=False)
    copy.bias = linear.bias
    return copy


def decode_from_bfloat16(model: torch.nn.Module) -> int:
    """Replace every float32 ``torch.nn.Linear`` of ``model`` (its decoder layers and output layer) by a
    :class:`Bf16DecodeLinear` in place; the number replaced. An output layer that shares its weight with the
    input embeddings gets a bfloat16 copy of it (the embeddings stay float32)."""
    found = [(name, module) for name, module in model.named_modules()
             if type(module) is torch.nn.Linear and module.weight.dtype == torch.float32]
    for name, module in found:
        parent_name, _, attribute = name.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, attribute, _bf16_copy(module))
    return len(found)


def decodes_from_bfloat16(model: torch.nn.Module) -> bool:
    """Whether :func:`decode_from_bfloat16` rewrote ``model`` (its output layer tells)."""
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    return isinstance(output, Bf16DecodeLinear)
