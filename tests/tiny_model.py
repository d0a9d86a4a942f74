"""A tiny random Qwen2 chat model with a byte-level BPE trained in-process: builds offline in a second.

Its answers are random, so tests with it check mechanics (streaming, stops, threads, the LangChain
contract), never content; content is checked with the real embedded model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
CORPUS = [
    "The knowledge base answers questions with sources. 知识库助手回答问题并给出来源。",
    "Hello world, how are you today? 你好，世界！今天怎么样？",
    "Count one two three four five six seven eight nine ten.",
] * 20


def build_tiny_model(folder: Path) -> tuple[Any, Any]:
    """Save a 2-layer Qwen2 with a trained byte-level BPE tokenizer into ``folder`` and return both."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(CORPUS, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>", chat_template=CHATML
    )
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(config).eval()
    # No EOS in the generation config: the random model then always produces max_new_tokens of text.
    model.generation_config.eos_token_id = None
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return model, tokenizer


def tiny_chat_params(folder: Path) -> dict[str, Any]:
    """Constructor parameters of a ``LocalChatModel`` over the tiny model."""
    from kb_assistant.llms.specs import ModelSpec
    from kb_assistant.llms.tool_formats import HERMES

    model, tokenizer = build_tiny_model(folder)
    spec = ModelSpec(family="tiny", display_name="tiny", modelscope_id=None, model_types=(), dtype="float32",
                     tool_format=HERMES)
    return {"model": model, "tokenizer": tokenizer, "spec": spec, "model_name": "tiny", "max_new_tokens": 12, "temperature": 0}
