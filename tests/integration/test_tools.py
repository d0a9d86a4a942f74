"""Tools and structured output with the embedded default model: LangChain's standard tests, an agent over a KB."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from kb_assistant.config import Settings
from kb_assistant.llms import LocalChatModel
from tests.unit.test_chat_model_standard import LOCAL_STANDARD_PARAMS, TOOL_AND_STRUCTURED_TESTS

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@cache
def _default_model() -> dict[str, Any]:
    chat = LocalChatModel.from_pretrained("packaged:qwen2.5-0.5b-instruct", Settings())
    return {"model": chat.model, "tokenizer": chat.tokenizer, "spec": chat.spec, "model_name": chat.model_name}


class TestToolsWithTheDefaultModel(ChatModelIntegrationTests):
    """The standard tool-calling and structured-output tests, none skipped."""

    standard_tests_only = TOOL_AND_STRUCTURED_TESTS

    @property
    def chat_model_class(self) -> type[LocalChatModel]:
        return LocalChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _default_model()

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        return LOCAL_STANDARD_PARAMS

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True
