"""LangChain's standard test suites against our chat model, with a tiny offline model."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from kb_assistant.llms import LocalChatModel
from tests.tiny_model import tiny_chat_params


@cache
def _params() -> dict[str, Any]:
    return tiny_chat_params(Path(tempfile.mkdtemp()) / "tiny")


# A local model has no API key or retries; the other standard parameters apply.
LOCAL_STANDARD_PARAMS = {"temperature": 0, "max_tokens": 100, "timeout": 60, "stop": []}


class _LocalModelParams:
    """What both standard suites need to know about our class."""

    @property
    def chat_model_class(self) -> type[LocalChatModel]:
        return LocalChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _params()

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        return LOCAL_STANDARD_PARAMS

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True


# Run by tests/integration/test_tools.py over the embedded default model: a random model cannot pick argument
# values (the grammar only guarantees their shape, which tests/unit/test_tool_calls.py checks).
TOOL_AND_STRUCTURED_TESTS = (
    "test_tool_calling", "test_tool_calling_async", "test_bind_runnables_as_tools",
    "test_tool_message_histories_string_content", "test_tool_message_histories_list_content", "test_tool_choice",
    "test_tool_calling_with_no_arguments", "test_tool_message_error_status", "test_structured_few_shot_examples",
    "test_structured_output", "test_structured_output_async", "test_structured_output_pydantic_2_v1",
    "test_structured_output_optional_param", "test_json_mode", "test_agent_loop", "test_unicode_tool_call_integration",
)


class TestLocalChatModelUnit(_LocalModelParams, ChatModelUnitTests):
    pass


class TestLocalChatModelIntegration(_LocalModelParams, ChatModelIntegrationTests):
    standard_tests_elsewhere = TOOL_AND_STRUCTURED_TESTS

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return False
