"""Each family's prompt format, rendered from its spec, matches the format on its model card."""

from __future__ import annotations

import pytest
from jinja2 import Environment
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from kb_assistant.config import Settings
from kb_assistant.llms.messages import to_chat_dicts
from kb_assistant.llms.specs import SPECS, get_spec

CONVERSATION = [SystemMessage("You are helpful."), HumanMessage("你是谁"), AIMessage("我是助手。"), HumanMessage("Hi")]

EXPECTED = {
    # Qwen2-7B-Instruct tokenizer_config.json chat template (ChatML).
    "qwen2-7b": (
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\n你是谁<|im_end|>\n"
        "<|im_start|>assistant\n我是助手。<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    ),
    # Meta-Llama-3-8B-Instruct model card.
    "llama3-8b": (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\n你是谁<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n我是助手。<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    # DeepSeek-Coder-V2-Lite-Instruct model card.
    "deepseek-coder-v2-lite": (
        "<｜begin▁of▁sentence｜>You are helpful.\n\nUser: 你是谁\n\nAssistant: 我是助手。<｜end▁of▁sentence｜>"
        "User: Hi\n\nAssistant:"
    ),
    # XVERSE-7B-Chat's model.chat(): Human/Assistant turns, EOS after each answer.
    "xverse-7b": "You are helpful.\n\nHuman: 你是谁\n\nAssistant: 我是助手。<|endoftext|>Human: Hi\n\nAssistant: ",
}


def _render(template: str) -> str:
    env = Environment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(template).render(messages=to_chat_dicts(CONVERSATION), add_generation_prompt=True)


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_family_template_matches_model_card(family: str) -> None:
    template = SPECS[family].chat_template
    assert template is not None
    assert _render(template) == EXPECTED[family]


def test_family_generation_defaults_from_cards() -> None:
    llama = get_spec("llama3-8b")
    assert "<|eot_id|>" in llama.stop
    assert dict(llama.generation) == {"temperature": 0.5, "top_p": 0.9, "repetition_penalty": 1.1}
    deepseek = get_spec("DeepSeek-Coder-V2-Lite-Instruct")
    assert dict(deepseek.generation) == {
        "temperature": 0.3, "top_p": 0.8, "top_k": 5, "repetition_penalty": 1.1, "max_new_tokens": 512
    }
    assert get_spec("xverse").trust_remote_code and get_spec("xverse").dtype == "float16"
    assert not any(s.trust_remote_code for s in SPECS.values() if s.family != "xverse-7b")


def test_qwen2_fallback_template_matches_packaged_qwen_checkpoint() -> None:
    """With a system message, the packaged Qwen2.5 checkpoint's own template gives the same ChatML."""
    from transformers import AutoTokenizer

    from kb_assistant.packaged import resolve_packaged

    tokenizer = AutoTokenizer.from_pretrained(str(resolve_packaged("qwen2.5-0.5b-instruct", Settings().cache_dir)))
    rendered = tokenizer.apply_chat_template(to_chat_dicts(CONVERSATION), tokenize=False, add_generation_prompt=True)
    assert rendered == EXPECTED["qwen2-7b"]


def test_cpus_with_bfloat16_instructions_run_chat_models_in_bfloat16(monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_assistant.llms import loading
    from kb_assistant.llms.specs import get_spec

    spec = get_spec("qwen2.5-0.5b-instruct")
    monkeypatch.setattr(loading, "cpu_has_bfloat16", lambda: True)
    assert loading.choose_dtype(spec, Settings(), on_gpu=False) == "bfloat16"
    assert loading.choose_dtype(spec, Settings(llm_dtype="float32"), on_gpu=False) == "float32"  # asked for
    monkeypatch.setattr(loading, "cpu_has_bfloat16", lambda: False)
    assert loading.choose_dtype(spec, Settings(), on_gpu=False) == "float32"  # emulated bfloat16 is slow
    assert loading.choose_dtype(get_spec("qwen2-7b"), Settings(), on_gpu=True) == "bfloat16"


def test_packaged_float32_folder_gets_a_bfloat16_copy_with_the_same_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import torch
    from transformers import AutoModelForCausalLM

    from kb_assistant.packaged import in_dtype
    from tests.tiny_model import build_tiny_model

    folder = tmp_path / "tiny-abc"
    model, _ = build_tiny_model(folder)
    assert in_dtype(folder, "float32") == folder
    copy = in_dtype(folder, "bfloat16")
    assert copy != folder and (copy / "tokenizer.json").exists()
    loaded = AutoModelForCausalLM.from_pretrained(str(copy), dtype=torch.bfloat16)
    expected = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.bfloat16)
    for (name, a), (_, b) in zip(loaded.state_dict().items(), expected.state_dict().items(), strict=True):
        assert a.dtype == torch.bfloat16 and torch.equal(a, b), name
    stamp = (copy / "model.safetensors").stat().st_mtime_ns
    assert in_dtype(folder, "bfloat16") == copy  # made once
    assert (copy / "model.safetensors").stat().st_mtime_ns == stamp
    assert in_dtype(copy, "bfloat16") == copy
