"""The engine's batched token choice: every row gets what its own settings ask for, whatever its neighbours'."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from kb_assistant.llms.sampling import Sampling, SeenTokens, choose_tokens


@dataclass
class _Row:
    sampling: Sampling
    prompt: list[int]
    generated: list[int] = field(default_factory=list)
    seen: SeenTokens = field(default_factory=SeenTokens)


def _penalised(scores: torch.Tensor, row: _Row) -> torch.Tensor:
    """One row's scores after its repetition penalty, the plain way (every distinct token it has seen)."""
    scores = scores.float().clone()
    penalty = row.sampling.repetition_penalty
    if penalty:
        for token in set(row.prompt + row.generated):
            value = scores[token]
            scores[token] = value / penalty if value > 0 else value * penalty
    return scores


def test_greedy_rows_with_a_penalty_take_the_best_penalised_token_beside_sampling_rows() -> None:
    torch.manual_seed(0)
    logits = torch.randn(4, 50)
    logits[0, 7] = logits[1, 7] = 10.0  # the raw best, pushed down by a strong penalty in row 0 only
    rows = [
        _Row(Sampling(repetition_penalty=50.0), prompt=[7, 3, 3], generated=[9]),
        _Row(Sampling(), prompt=[7]),
        _Row(Sampling(temperature=0.9, top_k=5, top_p=0.9, repetition_penalty=1.2), prompt=[1, 2]),
        _Row(Sampling(repetition_penalty=1.3), prompt=list(range(40)), generated=[41, 41]),
    ]
    chosen = choose_tokens(logits, rows)
    for index in (0, 1, 3):
        assert chosen[index] == int(_penalised(logits[index], rows[index]).argmax()), index
    assert chosen[0] != 7 and chosen[1] == 7
    assert 0 <= chosen[2] < 50
    assert torch.equal(logits[0, 7], torch.tensor(10.0))  # the caller's logits are left as they were


def test_sampling_rows_keep_to_their_top_k_and_top_p() -> None:
    torch.manual_seed(1)
    logits = torch.randn(3, 100) * 3
    rows = [
        _Row(Sampling(temperature=1.0, top_k=3, repetition_penalty=1.5), prompt=[5, 6]),
        _Row(Sampling(temperature=0.7, top_p=0.01), prompt=[]),  # a tiny nucleus: only the best token
        _Row(Sampling(temperature=1.5), prompt=[]),  # no cut-off: anything
    ]
    allowed = set(torch.topk(_penalised(logits[0], rows[0]), 3).indices.tolist())
    best = int(logits[1].argmax())
    draws = [choose_tokens(logits, rows) for _ in range(200)]
    assert {d[0] for d in draws} <= allowed and len({d[0] for d in draws}) > 1
    assert all(d[1] == best for d in draws)
    assert len({d[2] for d in draws}) > 20


def test_seen_tokens_grow_with_the_output() -> None:
    seen, prompt, generated = SeenTokens(), [4, 4, 9, 2], []
    assert sorted(seen.update(prompt, generated).tolist()) == [2, 4, 9]
    for token in [9, 11, 300, 11] + list(range(1000, 1400)):
        generated.append(token)
        assert len(seen.update(prompt, generated)) == len(set(prompt + generated))
    assert set(seen.update(prompt, generated).tolist()) == set(prompt + generated)


def test_rows_that_all_have_a_top_k_cut_their_nucleus_from_their_k_best() -> None:
    torch.manual_seed(2)
    logits = torch.randn(2, 100) * 2
    rows = [
        _Row(Sampling(temperature=1.0, top_k=6, top_p=0.5, repetition_penalty=1.1), prompt=[3]),  # the families' kind
        _Row(Sampling(repetition_penalty=1.2), prompt=[int(logits[1].argmax())]),  # greedy beside it
    ]
    best = torch.topk(_penalised(logits[0], rows[0]), 6)
    probabilities = torch.softmax(best.values, dim=-1)
    nucleus = {int(t) for t, keep in zip(best.indices, probabilities.cumsum(-1) - probabilities <= 0.5, strict=True)
               if keep}
    draws = [choose_tokens(logits, rows) for _ in range(200)]
    assert {d[0] for d in draws} <= nucleus
    assert all(d[1] == int(_penalised(logits[1], rows[1]).argmax()) for d in draws)
