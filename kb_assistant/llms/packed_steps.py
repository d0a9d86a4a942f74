"""The engine's packed pass on CUDA with Triton kernels, captured as CUDA graphs.

A packed pass runs the decoding rows' next tokens and prompt pieces through the model together (see
:meth:`kv_decoder.SlotDecoder.forward_packed`). Here it takes about 10 kernels a layer: the fused products, the
rotary embedding with the key/value write to each token's own cache row, one attention kernel for every token
of the pass (:mod:`packed_kernels`), the residual adds fused with the norms, the MLP's activation. Everything a
pass varies in (token ids, positions, cache rows, the attention work list, the rows whose logits are wanted)
is read from one device buffer, so a pass of up to ``TOKEN_BUCKETS[-1]`` tokens replays the graph captured for
the smallest bucket that holds it, padded; larger passes (compute-bound) run the same code eagerly.

Measured on an H200 before this: a pass of 200 tokens through PyTorch's operations took as long as one of
1,000, its time being kernel launches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from kb_assistant.llms import decode_kernels, packed_kernels
from kb_assistant.llms.decode_steps import triton_layer_rest
from kb_assistant.llms.int8_weights import linear

if TYPE_CHECKING:
    from kb_assistant.llms.kv_decoder import Chunk, SlotDecoder

TOKEN_BUCKETS = (*range(8, 257, 8), *range(288, 513, 32), *range(576, 1025, 64))
"""Pass sizes a graph is captured for; a pass runs the smallest that holds its tokens (padding does no writes).
Dense where passes are small: a 200-token pass padded to 224 rows spent 5.3 ms in its weight products against
4.6 ms at 200 (Qwen2-7B shapes, H200), the products' time growing with the rows."""


class PackedPasses:
    """Static inputs, the captured graphs and the Triton forward of packed passes for one :class:`SlotDecoder`."""

    def __init__(self, decoder: SlotDecoder, graphs: bool) -> None:
        self.d = decoder
        self.graphs_on = graphs
        self.largest = TOKEN_BUCKETS[-1]
        self.wanted_rows = decoder.max_batch  # every request decodes or ends a prompt piece: at most one row each
        capacity = max(packed_kernels.table_capacity(b, decoder.max_batch) for b in TOKEN_BUCKETS)
        # One int64 buffer, one copy from the host a pass: ids, positions, cache rows, table, wanted rows, count.
        self._layout = _layout({"ids": self.largest, "where": self.largest, "rows": self.largest,
                                "table": 4 * capacity, "wanted": self.wanted_rows, "count": 1})
        self.inputs = torch.zeros(_size(self._layout), dtype=torch.long, device=decoder.device)
        self.logits = torch.zeros(self.wanted_rows, decoder.lm_head.weight.shape[0], dtype=torch.float32,
                                  device=decoder.device)
        self._graphs: dict[int, Any] = {}

    def run(self, decode_count: int, tokens: list[int], positions: list[int], chunks: list[Chunk]) -> torch.Tensor:
        """Logits of the decoding rows, then of each piece that ends its prompt (as ``forward_packed``)."""
        ids = tokens[:decode_count] + [t for c in chunks for t in c.tokens]
        where = positions[:decode_count] + [c.start + j for c in chunks for j in range(len(c.tokens))]
        rows = list(range(decode_count)) + [c.slot for c in chunks for _ in c.tokens]
        count = decode_count + sum(len(c.tokens) for c in chunks)
        bucket = next((b for b in TOKEN_BUCKETS if b >= count), None)
        table = packed_kernels.block_table(decode_count, [(c.slot, c.start, len(c.tokens)) for c in chunks],
                                           packed_kernels.block_rows(bucket or count))
        for i in range(decode_count):
            table[i][3] = positions[i]
        wanted, offset = list(range(decode_count)), decode_count
        for chunk in chunks:
            offset += len(chunk.tokens)
            if chunk.last:
                wanted.append(offset - 1)
        values = {"ids": ids, "where": where, "rows": rows, "table": [v for entry in table for v in entry],
                  "wanted": wanted, "count": [count]}
        if bucket is None:  # compute-bound: eager, inputs of the exact size
            layout = _layout({name: len(v) for name, v in values.items()})
            inputs = _staged(layout, values).to(self.d.device)
            part = {name: inputs[start : start + size] for name, (start, size) in layout.items()}
            return self._forward(count, part["ids"], part["where"], part["rows"], part["table"].view(-1, 4),
                                 part["wanted"], part["count"])
        self.inputs.copy_(_staged(self._layout, values))
        self._replay(bucket)
        return self.logits[: len(wanted)]

    def capture_all(self) -> None:
        """Capture every bucket's graph now (all inputs zero: no cache writes, no attention work)."""
        if not self.graphs_on:
            return
        self.inputs.zero_()
        for bucket in TOKEN_BUCKETS:
            self._replay(bucket)

    # --- internals -----------------------------------------------------------------------------
    def _view(self, name: str, size: int | None = None) -> torch.Tensor:
        start, length = self._layout[name]
        return self.inputs[start : start + (length if size is None else size)]

    def _graph_forward(self, bucket: int) -> None:
        capacity = packed_kernels.table_capacity(bucket, self.d.max_batch)
        logits = self._forward(bucket, self._view("ids", bucket), self._view("where", bucket),
                               self._view("rows", bucket), self._view("table", 4 * capacity).view(capacity, 4),
                               self._view("wanted"), self._view("count"))
        self.logits.copy_(logits)

    def _replay(self, bucket: int) -> None:
        if not self.graphs_on:
            self._graph_forward(bucket)
            return
        graph = self._graphs.get(bucket)
        if graph is None:
            d = self.d
            stream = torch.cuda.Stream(d.device)
            stream.wait_stream(torch.cuda.current_stream(d.device))
            with torch.cuda.stream(stream):  # the same pass twice: it writes the same keys/values, harmless
                for _ in range(2):
                    self._graph_forward(bucket)
            torch.cuda.current_stream(d.device).wait_stream(stream)
            if d._pool is None:
                d._pool = torch.cuda.graph_pool_handle()
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=d._pool, capture_error_mode="thread_local"):
                self._graph_forward(bucket)
            self._graphs[bucket] = graph
        graph.replay()

    def _forward(self, size: int, ids: torch.Tensor, where: torch.Tensor, rows: torch.Tensor, table: torch.Tensor,
                 wanted: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        d = self.d
        heads, kv_heads, dim, hidden = d.heads, d.kv_heads, d.head_dim, d.config.hidden_size
        layers = d.fused or []
        x = d.embed(ids)  # the residual stream, updated in place by add_rms_norm
        cos, sin = d.cos[where], d.sin_signed[where]
        h = F.rms_norm(x, (hidden,), layers[0].norm1, layers[0].eps1)
        for i, w in enumerate(layers):
            qkv = linear(h, w.qkv, w.qkv_bias).view(size, heads + 2 * kv_heads, dim)
            queries = decode_kernels.rope_and_cache(qkv, cos, sin, where, d.k_cache[i], d.v_cache[i], heads, kv_heads,
                                                    rows, count)
            out = packed_kernels.packed_attention(queries, d.k_cache[i], d.v_cache[i], table, d.scale,
                                                  packed_kernels.block_rows(size))
            h = triton_layer_rest(d, i, x, out.view(size, heads * dim))
        return d.lm_head(h[wanted]).float()


def _layout(sizes: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Where each input (name -> its length) lies in one int64 buffer: (start, length), each start 64-byte
    aligned (Triton compiles a kernel again for each new pointer alignment)."""
    layout, start = {}, 0
    for name, size in sizes.items():
        layout[name] = (start, size)
        start += -(-size // 8) * 8
    return layout


def _size(layout: dict[str, tuple[int, int]]) -> int:
    return max(start + -(-size // 8) * 8 for start, size in layout.values())


def _staged(layout: dict[str, tuple[int, int]], values: dict[str, list[int]]) -> torch.Tensor:
    """The buffer on the host, ``values`` at their places."""
    staged = torch.zeros(_size(layout), dtype=torch.long)
    for name, (start, _) in layout.items():
        staged[start : start + len(values[name])] = torch.tensor(values[name], dtype=torch.long)
    return staged
