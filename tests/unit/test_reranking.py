"""The reranker named by ``reranker_model``: a cross-encoder folder loads and orders passages by its scores."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from langchain_core.documents import Document

from kb_assistant.errors import KBError
from kb_assistant.reranking import load_reranker, rerank

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from reranker_bench import xlmr_tokenizer  # the packaged e5's XLM-R tokenizer
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    target = tmp_path_factory.mktemp("reranker")
    config = XLMRobertaConfig(vocab_size=250002, num_labels=1, hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64, max_position_embeddings=514)
    torch.manual_seed(0)
    XLMRobertaForSequenceClassification(config).save_pretrained(target)
    xlmr_tokenizer(None).save_pretrained(target)
    return target


def test_passages_come_back_ordered_by_the_cross_encoders_score(folder: Path) -> None:
    reranker = load_reranker(str(folder), device="cpu")
    docs = [Document(page_content=t) for t in ("默认端口是 6006。", "The store is Chroma.", "无关的一段话", "port 8080")]
    ranked = rerank(reranker, "默认端口是多少？", docs)
    scores = reranker.predict([("默认端口是多少？", d.page_content) for d in docs])
    expected = [docs[i].page_content for i in sorted(range(len(docs)), key=lambda i: -scores[i])]
    assert [d.page_content for d in ranked] == expected
    assert all(isinstance(d.metadata["rerank_score"], float) for d in ranked)
    assert rerank(reranker, "q", []) == []


def test_a_folder_that_is_not_a_cross_encoder_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(KBError, match="give a cross-encoder folder") as error:
        load_reranker(str(tmp_path / "missing"))
    assert "\n" not in str(error.value)
