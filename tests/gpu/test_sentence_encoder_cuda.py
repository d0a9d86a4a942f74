"""The embedding model on a GPU: a plain sentence-transformers folder in half precision through the token-budget
batches gives the float32 CPU vectors. Skipped without a GPU.

Runs on the GPU machine without LangChain: ``python -m pytest --noconftest tests/gpu``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from kb_assistant.embedding_runtime import encode_on_device
from kb_assistant.sentence_encoder import SentenceEncoder, plain_layout

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

CORPUS = ["知识库助手把文档切成块并编码为向量。", "The HTTP server listens on port 6006 by default.",
          "数据库备份每天凌晨两点进行，保留三十天。", "Retrieval finds the chunks nearest to a question."] * 10


def _random_encoder_folder(folder: Path) -> Path:
    """A small random BERT in sentence-transformers' layout (transformer, mean pooling, normalise), with a
    tokenizer trained in-process: no download."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer()
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.train_from_iterator(CORPUS, trainers.WordPieceTrainer(
        vocab_size=500, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"]))
    cls, sep = wordpiece.token_to_id("[CLS]"), wordpiece.token_to_id("[SEP]")
    wordpiece.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=wordpiece, pad_token="[PAD]", unk_token="[UNK]",
                                        cls_token="[CLS]", sep_token="[SEP]")
    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                 intermediate_size=128, max_position_embeddings=128), add_pooling_layer=False)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 64,
                                                                  "pooling_mode_mean_tokens": True}))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64, "do_lower_case": False}))
    return folder


def test_half_precision_on_the_gpu_matches_float32_on_the_cpu(tmp_path: Path) -> None:
    folder = _random_encoder_folder(tmp_path / "encoder")
    layout = plain_layout(folder)
    assert layout is not None
    texts = [t * (1 + i % 7) for i, t in enumerate(CORPUS)]  # lengths from one sentence to past max_seq_length
    reference = SentenceEncoder(folder, layout, "cpu").encode(texts, normalize_embeddings=True)
    on_gpu = SentenceEncoder(folder, layout, "cuda").half()
    assert on_gpu.device.type == "cuda"
    batched = encode_on_device(on_gpu, texts, tokens_per_batch=512)
    plain = on_gpu.encode(texts, batch_size=8, normalize_embeddings=True)
    for got in (batched, plain):
        assert got.shape == reference.shape
        assert float((got * reference).sum(axis=1).min()) > 0.999
