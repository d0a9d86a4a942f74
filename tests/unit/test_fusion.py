"""How hybrid retrieval merges its rankings: the convex rule keeps score gaps that reciprocal rank throws away."""

from __future__ import annotations

from kb_assistant.retrieval import convex_fusion, reciprocal_rank_fusion

# Dense finds a, b and the answer x close together; BM25 is sure of x (an exact rare term) and barely
# scores a and b. This is the shape of the DRCD / CMRC questions where rank fusion lost to plain BM25.
DENSE = [("a", 0.861), ("b", 0.859), ("c", 0.852), ("x", 0.850), ("d", 0.845)]
LEXICAL = [("x", 14.2), ("b", 3.1), ("a", 2.9), ("e", 2.8)]


def test_convex_fusion_keeps_a_confident_lexical_hit_on_top() -> None:
    fused = [doc for doc, _ in convex_fusion([(DENSE, 0.5), (LEXICAL, 0.5)])]
    assert fused[0] == "x"
    # reciprocal rank sees only positions: two middling votes outrank one sure one
    assert [doc for doc, _ in reciprocal_rank_fusion([[d for d, _ in DENSE], [d for d, _ in LEXICAL]])][0] != "x"


def test_convex_fusion_weights_and_degenerate_lists() -> None:
    scores = dict(convex_fusion([(DENSE, 1.0), (LEXICAL, 0.0)]))
    assert max(scores, key=scores.__getitem__) == "a"  # all weight on dense: dense order
    single = dict(convex_fusion([([("only", 0.4)], 0.5), ([("p", 9.0), ("q", 1.0)], 0.5)]))
    assert single["only"] == single["p"] == 0.5 and single["q"] == 0.0  # a lone hit gets its full weight
    assert convex_fusion([([], 0.5), ([], 0.5)]) == []
