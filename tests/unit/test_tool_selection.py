"""The tool selector offers the tools nearest the request (real e5 model), keeps the tools a task is using, and
passes what it cannot rank."""

from __future__ import annotations

from typing import Any

from langchain.agents.middleware import ModelRequest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from kb_assistant.qa.tool_selection import EmbeddingToolSelector


@tool
def get_weather(city: str) -> str:
    """Get the current weather of a city."""
    return "sunny"


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> str:
    """Convert an amount of money between currencies."""
    return "1"


@tool
def lookup_employee(name: str) -> str:
    """Find an employee by name: returns the employee id, department and email."""
    return "E1"


@tool
def create_ticket(title: str, assignee_id: str) -> str:
    """Open a support ticket assigned to an employee id."""
    return "T1"


@tool
def track_package(tracking_number: str) -> str:
    """Track a package by its courier tracking number."""
    return "on its way"


TOOLS = [get_weather, convert_currency, lookup_employee, create_ticket, track_package]


def _names(tools: list[Any]) -> list[str]:
    return [t.name if hasattr(t, "name") else t["name"] for t in tools]


def test_the_nearest_tools_are_offered_in_both_languages(embeddings: Any) -> None:
    selector = EmbeddingToolSelector(embeddings, max_tools=1)
    assert _names(selector.select(TOOLS, [HumanMessage("上海今天天气怎么样？")])) == ["get_weather"]
    assert _names(selector.select(TOOLS, [HumanMessage("Where is parcel SF1234567890 now?")])) == ["track_package"]
    two = EmbeddingToolSelector(embeddings, max_tools=2)
    assert set(_names(two.select(TOOLS, [HumanMessage("把 500 人民币换成美元")])))  >= {"convert_currency"}
    assert len(two.select(TOOLS, [HumanMessage("把 500 人民币换成美元")])) == 2


def test_a_tool_called_since_the_question_stays_offered(embeddings: Any) -> None:
    selector = EmbeddingToolSelector(embeddings, max_tools=1)
    call = AIMessage("", tool_calls=[{"name": "track_package", "args": {"tracking_number": "X"}, "id": "c1"}])
    history = [HumanMessage("How warm is it in Paris?"), call, ToolMessage("on its way", tool_call_id="c1")]
    assert _names(selector.select(TOOLS, history)) == ["get_weather", "track_package"]
    # a new question starts afresh
    assert _names(selector.select(TOOLS, [*history, AIMessage("ok"), HumanMessage("Paris weather?")])) == ["get_weather"]


def test_named_choice_dict_tools_and_few_tools_pass(embeddings: Any) -> None:
    selector = EmbeddingToolSelector(embeddings, max_tools=1, always_include=["lookup_employee"])
    provider_tool = {"type": "function", "name": "web_search"}
    seen: list[list[str]] = []

    def handler(request: ModelRequest) -> AIMessage:
        seen.append(_names(request.tools))
        return AIMessage("done")

    request = ModelRequest(model=None, messages=[HumanMessage("Is it raining in London?")],  # type: ignore[arg-type]
                           tools=[*TOOLS, provider_tool], tool_choice="create_ticket",
                           system_message=SystemMessage("use tools"))
    selector.wrap_model_call(request, handler)
    assert seen[-1] == ["get_weather", "lookup_employee", "create_ticket", "web_search"]
    assert _names(selector.select(TOOLS[:1], [HumanMessage("anything")])) == ["get_weather"]
    assert _names(selector.select(TOOLS, [])) == _names(TOOLS)


def test_the_first_call_of_a_request_in_steps_gets_the_first_steps_tools(embeddings: Any) -> None:
    """"Find Alice Chen, then open a ticket for her": offered the tools nearest the whole request, the 0.5B model
    opened the ticket with her name as the id. The first call is offered the first step's tools; once it is made,
    the next call is ranked on the whole request again (plus the tool already called)."""
    from kb_assistant.qa.tool_selection import first_step

    assert first_step("Find employee Alice Chen, then open a ticket 'Laptop repair' for her.") == "Find employee Alice Chen"
    assert first_step("先查订单 773412，然后跟踪它的包裹") == "查订单 773412"
    assert first_step("查一下员工王芳，再给她开一个工单") == "查一下员工王芳"
    assert first_step("Open a ticket for Alice Chen") is None and first_step("再次查询天气") is None
    selector = EmbeddingToolSelector(embeddings, max_tools=1)
    request = HumanMessage("Look up employee Alice Chen, then open a ticket 'Laptop repair' assigned to her.")
    assert _names(selector.select(TOOLS, [request])) == ["lookup_employee"]
    call = AIMessage("", tool_calls=[{"name": "lookup_employee", "args": {"name": "Alice Chen"}, "id": "c1"}])
    after = selector.select(TOOLS, [request, call, ToolMessage('{"employee_id": "E7"}', tool_call_id="c1")])
    assert "create_ticket" in _names(after)


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its order id."""
    return "shipped"


def test_a_tool_that_speaks_of_what_the_request_names_comes_first(embeddings: Any) -> None:
    """Tools described in English, a request in Chinese: e5-small alone ranks the order tool nearest to "查一下员工王芳"
    (find employee 王芳); 员工 names employees, which the lookup and the ticket tool speak of."""
    selector = EmbeddingToolSelector(embeddings, max_tools=2)
    tools = [*TOOLS, get_order_status]
    assert _names(selector.select(tools, [HumanMessage("查一下员工王芳")])) == ["lookup_employee", "create_ticket"]
    selector = EmbeddingToolSelector(embeddings, max_tools=1)
    assert _names(selector.select(tools, [HumanMessage("查一下订单 773412")])) == ["get_order_status"]
    assert _names(selector.select(tools, [HumanMessage("上海今天天气怎么样？")])) == ["get_weather"]
