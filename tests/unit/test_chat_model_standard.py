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
        return False

    @property
    def has_structured_output(self) -> bool:
        return False


class TestLocalChatModelUnit(_LocalModelParams, ChatModelUnitTests):
    pass


class TestLocalChatModelIntegration(_LocalModelParams, ChatModelIntegrationTests):
    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return False
