"""Float32 models' linear layers on the CPU through oneDNN instead of PyTorch's BLAS (MKL).

On a CPU without bfloat16 instructions the chat model runs in float32 (:func:`kb_assistant.llms.loading.choose_dtype`),
as does the embedding model for a one-off question (int8 pays from the first batch of 32 texts), and
``torch.nn.Linear`` multiplies through MKL. On the 2-core AMD EPYC (AVX2) this project is tested on, oneDNN's
inner product (the kernel PyTorch's own compiler uses for linear layers on CPUs) computed the same products
1.4-2.4x sooner for one row (a decode step, weights read from memory: 0.73 against 1.67 ms for a 4,864 x 896
matrix, the output layer 20 against 48 ms), 1.7-3.3x for 11 rows (a prompt lookup pass) and 1.2-1.6x for
prompts of 300-700 rows (``benchmarks/cpu_linear_bench.py``). Same float32 arithmetic, summed in another order
(differences of 1e-6). Figures on the packaged model: README "Answer quality".
"""

from __future__ import annotations

import logging

import torch

logger = logging.getLogger(__name__)


def _onednn_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


class OneDnnLinear(torch.nn.Linear):
    """A ``torch.nn.Linear`` (same weight and bias, shared) whose product runs through oneDNN."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ weight.T + bias``."""
        return _onednn_linear(x, self.weight, self.bias)


def onednn_works() -> bool:
    """Whether this PyTorch build and CPU run oneDNN's float32 inner product and it gives ``F.linear``'s result."""
    try:
        if not torch.backends.mkldnn.is_available():
            return False
        # fixed values, not torch.randn: loading a model must not move the caller's random state
        x = torch.linspace(-1.0, 1.0, 3 * 64).reshape(3, 64)
        weight = torch.linspace(-0.5, 0.7, 32 * 64).reshape(64, 32).T.contiguous()
        bias = torch.linspace(-0.1, 0.1, 32)
        return bool(torch.allclose(_onednn_linear(x, weight, bias), torch.nn.functional.linear(x, weight, bias),
                                   atol=1e-4))
    except (AttributeError, RuntimeError) as error:
        logger.info("oneDNN linear layers unavailable (%s); keeping PyTorch's", error)
        return False


def linear_through_onednn(model: torch.nn.Module) -> int:
    """Make every float32 ``torch.nn.Linear`` of ``model`` on the CPU a :class:`OneDnnLinear` (its class only: the
    same parameters, so tied weights stay tied); the number changed, 0 where oneDNN does not work here."""
    found = [m for m in model.modules() if type(m) is torch.nn.Linear and m.weight.dtype == torch.float32
             and m.weight.device.type == "cpu"]
    if not found or not onednn_works():
        return 0
    for module in found:
        module.__class__ = OneDnnLinear
    return len(found)
