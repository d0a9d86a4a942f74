"""The batching engine against plain ``generate`` on small random Llama-style models (float32, CPU).

CUDA graphs are the one part these cannot cover; ``tests/gpu/`` runs the same checks on a GPU, and
``benchmarks/engine_bench.py`` measures it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import torch

from kb_assistant.llms.engine import SETTLED_TOKENS, GenerationEngine, Request, Sampling, unsupported_reason
from kb_assistant.llms.steps_ahead import QueuedStep


def random_model(kind: str) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(1)
    common = dict(vocab_size=300, hidden_size=64, intermediate_size=160, num_hidden_layers=3, num_attention_heads=8,
                  num_key_value_heads=2, max_position_embeddings=1024)
    if kind == "qwen2":
        model = Qwen2ForCausalLM(Qwen2Config(**common, rope_theta=1e6, tie_word_embeddings=True))
    else:
        rope = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 128, "rope_theta": 500000.0}
        model = LlamaForCausalLM(LlamaConfig(**common, rope_parameters=rope))
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    return model.eval()


def reference(model: Any, prompt: list[int], new: int) -> list[int]:
    with torch.inference_mode():
        ids = torch.tensor([prompt], device=model.device)
        out = model.generate(ids, attention_mask=torch.ones_like(ids),
                             max_new_tokens=new, min_new_tokens=new, do_sample=False)
    return out[0, len(prompt):].tolist()


@pytest.fixture(scope="module", params=["qwen2", "llama3"])
def model(request: pytest.FixtureRequest) -> Any:
    return random_model(request.param)


OVERLAP = pytest.mark.parametrize("overlap", [False, True], ids=["step_by_step", "steps_ahead"])
"""Greedy steps queued before their tokens are read (the default on CUDA) must give the same tokens."""


@OVERLAP
def test_greedy_matches_generate_alone_and_batched(model: Any, overlap: bool) -> None:
    engine = GenerationEngine(model, max_batch=4, max_len=256, overlap_steps=overlap)
    try:
        generator = torch.Generator().manual_seed(2)
        prompts = [torch.randint(5, 300, (n,), generator=generator).tolist() for n in (7, 31, 64, 3, 120)]
        expected = [reference(model, p, 24) for p in prompts]
        assert engine.generate(prompts[0], Sampling(max_new_tokens=24)) == expected[0]
        # Five requests from five threads with four slots: they join and leave the batch at different steps.
        results: dict[int, list[int]] = {}
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, engine.generate(prompts[i], Sampling(max_new_tokens=24))))
                   for i in range(len(prompts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert [results[i] for i in range(len(prompts))] == expected
        assert (engine.steps_ahead > 24) == overlap
    finally:
        engine.close()


@OVERLAP
@pytest.mark.parametrize("layout", ["fused", "modules"])
def test_requests_of_different_lengths_share_steps(model: Any, layout: str, overlap: bool) -> None:
    engine = GenerationEngine(model, max_batch=8, max_len=256, overlap_steps=overlap)
    assert engine.decoder.fused is not None  # plain Linear layers: q/k/v and gate/up fused
    if layout == "modules":
        engine.decoder.fused = None  # the path for quantised layers: the model's own modules
    try:
        prompts = [[11, 12, 13], [40, 41, 42, 43, 44, 45, 46], [90] * 20]
        news = [5, 30, 12]
        requests = [engine.submit(p, Sampling(max_new_tokens=n)) for p, n in zip(prompts, news, strict=True)]
        outputs = [list(r.stream(timeout=60)) for r in requests]
        assert outputs == [reference(model, p, n) for p, n in zip(prompts, news, strict=True)]
        assert engine.active == 0
    finally:
        engine.close()


@OVERLAP
def test_eos_cancel_and_limits(model: Any, overlap: bool) -> None:
    engine = GenerationEngine(model, max_batch=2, max_len=64, overlap_steps=overlap)
    try:
        prompt = [5, 6, 7, 8]
        full = reference(model, prompt, 10)
        stop_at = full[4]
        ended = engine.generate(prompt, Sampling(max_new_tokens=10, eos_token_ids=(stop_at,)))
        assert ended == full[: full.index(stop_at)]  # EOS ends the answer and is not emitted
        cancel = threading.Event()
        request = engine.submit(prompt, Sampling(max_new_tokens=50), cancel)
        first = next(request.stream(timeout=60))
        cancel.set()
        assert first == full[0] and len(list(request.stream(timeout=60))) < 49
        capped = engine.generate(list(range(1, 61)), Sampling(max_new_tokens=100))
        assert len(capped) == 64 - 60 + 1  # 64 cached positions; the last token is emitted, never cached
        with pytest.raises(ValueError, match="shorten it or raise engine_max_len"):
            engine.submit(list(range(1, 100)), Sampling())
        sampled = engine.generate(prompt, Sampling(max_new_tokens=8, temperature=0.8, top_p=0.9, top_k=50, repetition_penalty=1.1))
        assert len(sampled) == 8 and all(0 <= t < 300 for t in sampled)
    finally:
        engine.close()


def test_close_ends_running_and_waiting_requests(model: Any) -> None:
    engine = GenerationEngine(model, max_batch=1, max_len=256)
    running = engine.submit([5, 6, 7], Sampling(max_new_tokens=200))
    waiting = engine.submit([8, 9], Sampling(max_new_tokens=200))
    next(running.stream(timeout=60))
    engine.close()
    for request in (running, waiting):  # nobody is left waiting for tokens that will never come
        with pytest.raises(RuntimeError, match="closed"):
            list(request.stream(timeout=60))
    with pytest.raises(RuntimeError, match="closed"):
        engine.submit([1], Sampling())


def test_unsupported_models_are_named() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    reason = unsupported_reason(GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=32, n_head=2)))
    assert reason and "GPT2LMHeadModel" in reason
    with pytest.raises(ValueError, match="cannot run this model"):
        GenerationEngine(GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=32, n_head=2)))


def test_chat_model_window_follows_the_engine() -> None:
    import tempfile
    from pathlib import Path

    from kb_assistant.llms import LocalChatModel
    from tests.tiny_model import tiny_chat_params

    params = tiny_chat_params(Path(tempfile.mkdtemp()) / "tiny")
    assert LocalChatModel(**params, engine="plain").context_window == 2048
    batched = LocalChatModel(**params, engine="batched", engine_max_len=512)
    assert batched.context_window == 512
    with pytest.raises(Exception, match="shorten it or raise engine_max_len"):
        batched.invoke("hello " * 600)


def test_a_shared_prefix_is_reused_and_the_output_is_that_of_a_cold_run(model: Any) -> None:
    engine = GenerationEngine(model, max_batch=2, max_len=256, prefix_rows=2, min_prefix=16)
    try:
        generator = torch.Generator().manual_seed(3)
        system = torch.randint(5, 300, (90,), generator=generator).tolist()  # a system prompt and its context
        first, second = system + [17, 18, 19], system + [200, 201]
        assert engine.generate(first, Sampling(max_new_tokens=12)) == reference(model, first, 12)
        assert engine.reused_tokens == 0
        # The first request has ended; its prompt is kept in a spare row and the second one starts from it.
        request = engine.submit(second, Sampling(max_new_tokens=12))
        assert list(request.stream(timeout=60)) == reference(model, second, 12)
        assert request.reused == 90 and engine.reused_tokens == 90
        # The same prompt again: all but its last token come from the cache.
        again = engine.submit(second, Sampling(max_new_tokens=12))
        assert list(again.stream(timeout=60)) == reference(model, second, 12) and again.reused == len(second) - 1
        # A running request's prompt is a source too (no spare rows at all here).
        busy = GenerationEngine(model, max_batch=2, max_len=256, prefix_rows=0, min_prefix=16)
        try:
            running = busy.submit(first, Sampling(max_new_tokens=200))
            next(running.stream(timeout=60))
            joined = busy.submit(second, Sampling(max_new_tokens=12))
            assert list(joined.stream(timeout=60)) == reference(model, second, 12) and joined.reused == 90
            running.cancel.set()
        finally:
            busy.close()
    finally:
        engine.close()


@OVERLAP
def test_long_prompts_are_prefilled_in_chunks_while_others_decode(model: Any, overlap: bool) -> None:
    # Passes of at most eight tokens (the decoding row and seven prompt tokens) with decode steps between them.
    engine = GenerationEngine(model, max_batch=4, max_len=256, prefix_rows=0, prefill_chunk=8, overlap_steps=overlap)
    accepted: list[tuple[Any, float]] = []  # stamped on the engine thread, as each token is taken
    take = engine._accept
    engine._accept = lambda request, token: (accepted.append((request, time.perf_counter())), take(request, token))[1]
    try:
        generator = torch.Generator().manual_seed(4)
        running_prompt = [5, 6, 7, 8]
        running = engine.submit(running_prompt, Sampling(max_new_tokens=120))
        stream = running.stream(timeout=60)
        first = [next(stream) for _ in range(SETTLED_TOKENS)]  # then later prompts must leave it its share
        submitted = time.perf_counter()
        prompts = [torch.randint(5, 300, (n,), generator=generator).tolist() for n in (45, 30, 61)]
        requests = [engine.submit(p, Sampling(max_new_tokens=10)) for p in prompts]
        outputs = [list(r.stream(timeout=60)) for r in requests]
        assert outputs == [reference(model, p, 10) for p in prompts]
        assert [*first, *stream] == reference(model, running_prompt, 120)
        assert engine.prefilled_tokens == 4 + 45 + 30 + 61
        # 136 prompt tokens in pieces of 8: the decoding request got a token in each of those passes.
        prefilled = max(r.first_token_at or 0.0 for r in requests)
        during = sum(r is running and submitted <= at <= prefilled for r, at in accepted)
        assert during >= 136 // 8 - 1, during
    finally:
        engine.close()


def test_int8_rounding_keeps_small_weights_beside_a_large_one_in_the_same_row() -> None:
    """One scale per 128 columns: an outlier sets the step of its own group only, so the other groups of its row
    keep their small weights (one scale per row rounded them all to zero)."""
    from kb_assistant.llms.int8_weights import GROUP, Int8Weight

    torch.manual_seed(0)
    weight = torch.randn(8, 3 * GROUP + 40) * 0.01  # a last group of 40 columns
    weight[2, 5] = 4.0
    rounded = Int8Weight.quantize(weight)
    assert rounded.values.dtype == torch.int8 and rounded.scales.shape == (4, 8)
    error = (rounded.dequantize() - weight).abs()
    steps = rounded.scales.t().repeat_interleave(GROUP, dim=1)[:, : weight.shape[1]]
    assert bool((error <= steps / 2 + 1e-7).all())  # every weight within half its group's step
    assert float(error[2, GROUP:].max()) < 1e-3  # the outlier's row beyond its group: 4.0 / 127 would be 0.03
    assert float(rounded.dequantize()[2, 5]) == pytest.approx(4.0)


def test_int8_weights_compute_what_their_dequantised_weights_compute(device: str = "cpu") -> None:
    from kb_assistant.llms.int8_weights import Int8Weight

    # The reference: the same model with every linear weight (the output layer's too) rounded to int8 x its
    # group's scale, in float32.
    rounded = random_model("qwen2").to(device)
    with torch.no_grad():
        for layer in rounded.model.layers:
            for module in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj, layer.self_attn.o_proj,
                           layer.mlp.gate_proj, layer.mlp.up_proj, layer.mlp.down_proj):
                module.weight.copy_(Int8Weight.quantize(module.weight).dequantize())
        # the output layer too; the input embedding stays
        rounded.lm_head.weight = torch.nn.Parameter(Int8Weight.quantize(rounded.lm_head.weight).dequantize())
    prompts = ([5, 6, 7, 8], list(range(20, 80)))
    expected = [reference(rounded, p, 16) for p in prompts]
    quantised = random_model("qwen2").to(device)
    engine = GenerationEngine(quantised, max_batch=2, max_len=128, int8=True)
    try:
        assert quantised.model.layers[0].mlp.down_proj.weight.numel() == 0  # the float copies are gone
        assert [engine.generate(p, Sampling(max_new_tokens=16)) for p in prompts] == expected
        hidden = torch.randn(3, rounded.config.hidden_size, device=device)
        with torch.no_grad():  # the output layer's logits are the rounded ones, not the model's own
            assert torch.allclose(engine.decoder.lm_head(hidden), rounded.lm_head(hidden), atol=1e-4)
            assert not torch.allclose(engine.decoder.lm_head(hidden), quantised.lm_head(hidden), atol=1e-4)
    finally:
        engine.close()


def test_int8_engine_weights_through_the_chat_model() -> None:
    import tempfile
    from pathlib import Path

    from kb_assistant.llms import LocalChatModel
    from tests.tiny_model import tiny_chat_params

    params = tiny_chat_params(Path(tempfile.mkdtemp()) / "tiny")
    with pytest.raises(Exception, match="engine_int8 needs the batching engine.*no CUDA GPU"):
        LocalChatModel(**params, engine_int8=True).invoke("hello")  # auto on a CPU: plain generate, no int8
    with pytest.raises(Exception, match="engine_int8 needs the batching engine"):
        LocalChatModel(**params, engine="plain", engine_int8=True).invoke("hello")
    chat = LocalChatModel(**{**params, "max_new_tokens": 5}, engine="batched", engine_int8=True)
    assert isinstance(chat.invoke("hello").content, str)
    assert chat.batching_engine().decoder.int8


def test_prompts_behind_earlier_decoders_come_in_pieces_with_decode_steps_between(model: Any) -> None:
    engine = GenerationEngine(model, max_batch=8, max_len=256, prefix_rows=0, prefill_tokens=200, prefill_chunk=40,
                              decode_share=0.5)
    engine.close()  # the scheduler's state is driven by hand below
    earlier = Request([5] * 10, Sampling(max_new_tokens=50), submitted_at=1.0)
    earlier.decoding_since, earlier.slot, earlier.generated = 2.0, 0, [9] * SETTLED_TOKENS
    burst = [Request([7] * 90, Sampling(max_new_tokens=5), submitted_at=3.0) for _ in range(2)]
    for slot, request in enumerate(burst, start=1):
        request.slot = slot
    engine._active, engine._prefilling = [earlier], list(burst)
    chunks, owners, paced_rows = engine._plan_chunks()
    assert paced_rows == 1 and sum(len(c.tokens) for c in chunks) == 40 - 1  # one piece: the pass is prefill_chunk
    burst[0].rows_before = 3  # the earlier requests' speed: a step at the rows that decoded when the burst came
    assert engine._plan_chunks()[2] == 3
    assert owners == [burst[0]] and not chunks[0].last
    # A request that began decoding after the burst came (it came with it), or that has only its first few
    # tokens, is not held to its speed: the burst's prompts are prefilled whole, up to prefill_tokens.
    for since, generated in ((3.5, SETTLED_TOKENS), (2.0, SETTLED_TOKENS - 1)):
        earlier.decoding_since, earlier.generated = since, [9] * generated
        chunks, owners, paced_rows = engine._plan_chunks()
        assert paced_rows == 0 and [len(c.tokens) for c in chunks] == [90, 90] and all(c.last for c in chunks)
    # Share 0.5 and a pass five decode steps long: the earlier request is owed 1.5 tokens, so the next three
    # steps are decode steps, then a pass may run again.
    pacer = engine.pacer
    for seconds in [0.01] * 5 + [0.05]:  # the median: one slow step does not move it
        pacer.account(seconds, 0, 1, 0)
    assert pacer.share == 0.5 and pacer.decode_seconds == pytest.approx(0.01)
    pacer.account(0.05, 39, 1, 1)
    assert pacer.credit == pytest.approx(-1.5) and pacer.owes()
    owed = []
    while pacer.owes():
        pacer.account(0.01, 0, 1, 1)
        owed.append("decode")
    assert owed == ["decode"] * 3
    pacer.account(0.01, 0, 1, 0)  # no prompt waits: nothing is owed any more
    assert pacer.credit == 0.0


def test_each_batch_size_is_paced_against_its_own_decode_step_time() -> None:
    """Requests that were 30 when a prompt came are paced against a 32-row step's time, not a lone request's
    (int8 on an H200: 3.5 against 5.1 ms); a few slowed steps do not move a yardstick."""
    from kb_assistant.llms.pacing import DecodePacer

    pacer = DecodePacer(0.5)
    for _ in range(8):
        pacer.account(0.0034, 0, 1, 0)
        pacer.account(0.0051, 0, 32, 0)
    assert pacer.yardstick(1) == pytest.approx(0.0034) and pacer.yardstick(30) == pytest.approx(0.0051)
    assert pacer.yardstick(24) == pytest.approx(0.0051) and pacer.yardstick(2) == pytest.approx(0.0034)  # nearest
    # A 35 ms prompt pass (which gives the 30 earlier requests one token) leaves them owed 2.4 tokens; each
    # 32-row decode step pays back half a token: 5 steps. Against the lone request's 3.4 ms it would be 4.1
    # tokens at a quarter each: 17 steps before the next prompt pass.
    pacer.account(0.035, 1000, 30, 30)
    owed = 0
    while pacer.owes():
        pacer.account(0.0051, 0, 31, 30)
        owed += 1
    assert owed == 5
    for _ in range(10):  # a few slow steps (a burst being submitted) do not move the median
        pacer.account(0.009, 0, 31, 30)
    pacer.account(0.5, 0, 31, 30)  # nor does a graph's capture
    assert pacer.yardstick(31) == pytest.approx(0.0051)
    # Prompts that come faster than they are served: no step is free of them, yet a batch size never seen
    # before gets its own time from the steps that ran at it.
    for _ in range(5):
        pacer.account(0.0042, 0, 12, 12)
    assert pacer.yardstick(12) == pytest.approx(0.0042)


def test_a_decode_step_timed_too_short_does_not_stay_the_yardstick() -> None:
    """A step once timed from the call that handed it out, not from its queueing (0.3 ms on an H200 against a
    4.6 ms step), made every later step look 3x too slow, dropped as a graph's capture: prompts then waited
    seconds behind four decoding requests. Steps that keep coming 3x slower replace such a time; one does not."""
    from kb_assistant.llms.pacing import DecodePacer

    pacer = DecodePacer(0.5)
    pacer.account(0.0003, 0, 4, 0)
    pacer.account(0.0046, 0, 4, 0)  # one or two such steps may be captures
    pacer.account(0.0046, 0, 4, 0)
    assert pacer.yardstick(4) == pytest.approx(0.0003)
    pacer.account(0.0046, 0, 4, 0)
    assert pacer.yardstick(4) == pytest.approx(0.0046)
    pacer.account(0.0046, 0, 4, 0)
    pacer.account(0.02, 0, 4, 0)  # a capture in between does not count
    pacer.account(0.0046, 0, 4, 0)
    assert pacer.yardstick(4) == pytest.approx(0.0046)


def test_steps_queued_ahead_are_timed_from_their_queueing(model: Any) -> None:
    """What the pacer is given for a queued step runs from when it was queued, however little of it the host
    waited for when handing its tokens out (on a GPU the step runs while the host does other work)."""
    engine = GenerationEngine(model, max_batch=2, max_len=128, overlap_steps=True)
    given: list[tuple[float, int, int]] = []
    account = engine.pacer.account

    def recorded(seconds: float, prompt_tokens: int, rows: int, paced_rows: int) -> None:
        given.append((seconds, prompt_tokens, rows))
        account(seconds, prompt_tokens, rows, paced_rows)

    engine.pacer.account = recorded  # type: ignore[method-assign]
    try:
        request = Request([5, 6, 7, 8], Sampling(max_new_tokens=10))
        step = QueuedStep([request], torch.tensor([9]), None, 0, time.perf_counter() - 0.25)
        engine._hand_out(step)  # its tokens are there at once: the host waited for none of its 0.25 s
        assert request.generated == [9] and given and given[-1][1:] == (0, 1) and given[-1][0] >= 0.25
    finally:
        engine.close()


def test_decode_steps_between_prompt_pieces_leave_the_prompts_intact(model: Any) -> None:
    from kb_assistant.llms.kv_decoder import Chunk, SlotDecoder

    decoder = SlotDecoder(model, max_batch=4, max_len=128, cuda_graphs=False)
    cold = SlotDecoder(model, max_batch=4, max_len=128, cuda_graphs=False)
    prompt = [(13 * j) % 290 + 5 for j in range(40)]
    decoder.forward_packed(0, [], [], [Chunk(3, prompt[:20], 0, False)])  # row 3: half a prompt
    decoder.forward_packed(0, [], [], [Chunk(row, [7, 8, 9], 0, True) for row in range(3)])
    decoder.decode([1, 2, 3], [3, 3, 3])  # three rows, run as a step of four: row 3 is padding here
    got = decoder.forward_packed(0, [], [], [Chunk(3, prompt[20:], 20, True)])
    assert torch.allclose(got, cold.forward_packed(0, [], [], [Chunk(3, prompt, 0, True)]), atol=1e-5)
