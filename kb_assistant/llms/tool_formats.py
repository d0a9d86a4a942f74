"""How each family is offered tools and writes a tool call: data, one code path (``tool_calls``, ``constrained``)."""

from __future__ import annotations

from dataclasses import dataclass

# Qwen2.5-Instruct's own template (tokenizer_config.json), the "Hermes" tool format: tools listed in the system
# turn, calls as <tool_call>{"name": ..., "arguments": ...}</tool_call>, results as <tool_response> in a user turn.
# Used for ChatML families whose checkpoint template has no tools (Qwen2-7B-Instruct, SmolLM2).
HERMES_TOOLS_TEMPLATE = (
    "{%- if tools %}{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}"
    "{%- else %}{{- 'You are a helpful assistant.' }}{%- endif %}"
    "{{- '\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n"
    "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}"
    "{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{%- endfor %}"
    "{{- '\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\\n<tool_call>\\n{\"name\": <function-name>, \"arguments\": <args-json-object>}"
    "\\n</tool_call><|im_end|>\\n' }}"
    "{%- else %}{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}{%- endif %}"
    "{%- for message in messages %}"
    "{%- if (message.role == 'user') or (message.role == 'system' and not loop.first)"
    " or (message.role == 'assistant' and not message.tool_calls) %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"
    "{%- elif message.role == 'assistant' %}{{- '<|im_start|>' + message.role }}"
    "{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}"
    "{%- for tool_call in message.tool_calls %}"
    "{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}"
    "{{- '\\n<tool_call>\\n{\"name\": \"' }}{{- tool_call.name }}{{- '\", \"arguments\": ' }}"
    "{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}{%- endfor %}{{- '<|im_end|>\\n' }}"
    "{%- elif message.role == 'tool' %}"
    "{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != 'tool') %}{{- '<|im_start|>user' }}{%- endif %}"
    "{{- '\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}"
    "{%- if loop.last or (messages[loop.index0 + 1].role != 'tool') %}{{- '<|im_end|>\\n' }}{%- endif %}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# Llama 3.1's JSON tool calling (its model card, "JSON based tool calling"), for Llama-3 checkpoints whose template
# has no tools: the functions lead the first user turn, a call is {"name": ..., "parameters": ...}, results come back
# in an "ipython" turn.
LLAMA3_TOOLS_TEMPLATE = (
    "{{- '<|begin_of_text|>' }}{%- set ns = namespace(offered=false) %}"
    "{%- for message in messages %}"
    "{%- if message.role == 'user' and tools and not ns.offered %}{%- set ns.offered = true %}"
    "{{- '<|start_header_id|>user<|end_header_id|>\\n\\nGiven the following functions, please respond with a JSON "
    "for a function call with its proper arguments that best answers the given prompt.\\n\\nRespond in the format "
    "{\"name\": function name, \"parameters\": dictionary of argument name and its value}. Do not use variables.\\n\\n' }}"
    "{%- for tool in tools %}{{- tool | tojson }}{{- '\\n\\n' }}{%- endfor %}"
    "{{- message.content | trim }}{{- '<|eot_id|>' }}"
    "{%- elif message.role == 'assistant' and message.tool_calls %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{%- for tool_call in message.tool_calls %}"
    "{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}"
    "{%- if not loop.first %}{{- '; ' }}{%- endif %}"
    "{{- '{\"name\": \"' + tool_call.name + '\", \"parameters\": ' }}{{- tool_call.arguments | tojson }}{{- '}' }}"
    "{%- endfor %}{{- '<|eot_id|>' }}"
    "{%- elif message.role == 'tool' %}"
    "{{- '<|start_header_id|>ipython<|end_header_id|>\\n\\n' }}{{- message.content | trim }}{{- '<|eot_id|>' }}"
    "{%- else %}{{- '<|start_header_id|>' + message.role + '<|end_header_id|>\\n\\n' }}"
    "{{- message.content | trim }}{{- '<|eot_id|>' }}{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)


@dataclass(frozen=True)
class ToolFormat:
    """How one family's model writes tool calls, and the chat template that offers it tools.

    A call is ``open + pad + {"name": NAME, "<args_key>": {...}} + pad + close`` where ``pad`` is a newline when
    the call has tags; several calls are joined by ``separator``.
    """

    name: str
    open: str
    close: str
    args_key: str
    separator: str
    template: str
    """Used when the checkpoint's own chat template takes no ``tools``."""
    result_tags: tuple[str, ...] = ()
    """The tags around tool results in the prompt. Small models echo them around their answer after a tool
    result; they are taken out of the answer (with the line break beside each)."""

    @property
    def pad(self) -> str:
        """What stands between a tag and the call's JSON."""
        return "\n" if self.open else ""


HERMES = ToolFormat(
    name="hermes", open="<tool_call>", close="</tool_call>", args_key="arguments", separator="\n",
    template=HERMES_TOOLS_TEMPLATE, result_tags=("<tool_response>", "</tool_response>"),
)
LLAMA3_JSON = ToolFormat(
    name="llama3-json", open="", close="", args_key="parameters", separator="; ", template=LLAMA3_TOOLS_TEMPLATE,
)
