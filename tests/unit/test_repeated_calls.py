"""Which tool calls repeat one already answered in the turn, and what is offered instead."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from kb_assistant.llms.made_up_calls import made_up_identifiers, misplaced_identifiers
from kb_assistant.llms.repeated_calls import (
    answer_without_repeats,
    grounded,
    repeated_tools,
    results_question,
    without_repeated,
)

TOOLS = [{"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {}}}}
         for n in ("lookup", "ticket")]


def _call(name: str, args: dict, call_id: str) -> dict:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def test_only_answered_calls_of_this_turn_with_the_same_arguments_repeat() -> None:
    history = [
        HumanMessage("earlier question"),
        AIMessage("", tool_calls=[_call("ticket", {"title": "x"}, "a")]),
        ToolMessage("done", tool_call_id="a"),
        HumanMessage("look up Bob, then open a ticket"),
        AIMessage("", tool_calls=[_call("lookup", {"name": "Bob", "dept": "IT"}, "b"), _call("ticket", {"title": "y"}, "c")]),
        ToolMessage("E1", tool_call_id="b"),  # the ticket call "c" got no result
    ]
    assert repeated_tools(history, [_call("lookup", {"dept": "IT", "name": "Bob"}, "d")]) == {"lookup"}  # key order
    assert repeated_tools(history, [_call("lookup", {"name": "Alice", "dept": "IT"}, "d")]) == set()
    assert repeated_tools(history, [_call("ticket", {"title": "y"}, "d")]) == set()  # unanswered
    assert repeated_tools(history, [_call("ticket", {"title": "x"}, "d")]) == set()  # an earlier turn's


def test_the_repeated_tool_is_not_offered_again_where_another_call_is_required() -> None:
    kwargs = {"tools": TOOLS, "tool_choice": "any", "stop": ["x"]}
    assert without_repeated(kwargs, {"lookup"}) == {"tools": TOOLS[1:], "tool_choice": "any", "stop": ["x"]}
    assert without_repeated({"tools": TOOLS, "tool_choice": "required"}, {"lookup"}) == {"tools": TOOLS[1:], "tool_choice": "required"}
    assert without_repeated({"tools": TOOLS, "tool_choice": "lookup"}, {"lookup"}) is None  # the user named it
    assert without_repeated({"tools": TOOLS[:1], "tool_choice": "any"}, {"lookup"}) is None  # no other tool
    assert without_repeated({"tools": TOOLS, "tool_choice": "auto"}, {"lookup"}) == {"tools": TOOLS[1:], "tool_choice": "auto"}


TICKET = {"type": "function", "function": {"name": "ticket", "parameters": {
    "type": "object", "properties": {"title": {"type": "string"}, "assignee": {"type": "string"},
                                     "priority": {"type": "string"}}, "required": ["title", "assignee"]}}}
TURN: list[BaseMessage] = [
    SystemMessage("You act for the user."),
    HumanMessage("查一下员工王芳，然后给她开一个工单：重置密码"),
    AIMessage("", tool_calls=[_call("lookup", {"name": "王芳"}, "a")]),
    ToolMessage('{"employee_id": "E7791"}', tool_call_id="a"),
]


def test_a_call_is_grounded_when_its_required_values_were_said() -> None:
    assert grounded(_call("ticket", {"title": "重置密码", "assignee": "e7791", "priority": "high"}, "b"), [TICKET], TURN)
    assert not grounded(_call("ticket", {"title": "重置密码", "assignee": "E12345"}, "b"), [TICKET], TURN)  # made up
    assert not grounded(_call("other", {}, "b"), [TICKET], TURN)  # not a bound tool
    assert not grounded(_call("ticket", {"title": '{"employee_id": "E7791"}', "assignee": "E7791"}, "b"), [TICKET],
                        TURN)  # a whole result fed back in


def test_the_results_are_written_into_the_question_in_its_language() -> None:
    asked = results_question([HumanMessage("earlier"), AIMessage("an answer"), *TURN[1:]])
    assert [type(m) for m in asked] == [HumanMessage, AIMessage, HumanMessage]
    assert asked[-1].text.startswith("查一下员工王芳")
    assert '- lookup({"name": "王芳"}): {"employee_id": "E7791"}' in asked[-1].text
    assert "用中文回答" in asked[-1].text
    english = results_question([SystemMessage("s"), HumanMessage("Weather in Paris?"),
                                AIMessage("", tool_calls=[_call("weather", {"city": "Paris"}, "w")]),
                                ToolMessage("sunny", tool_call_id="w")])
    assert english[0].text == "s" and "Answer the question in words" in english[-1].text


def _scripted(*answers: AIMessage) -> tuple[Any, list[tuple[list[BaseMessage], dict[str, Any]]]]:
    asked: list[tuple[list[BaseMessage], dict[str, Any]]] = []

    def generate(messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        asked.append((messages, kwargs))
        return answers[len(asked) - 1]

    return generate, asked


ECHO = AIMessage("", tool_calls=[_call("lookup", {"name": "王芳"}, "x")])
TOOLS_AUTO = {"tools": [TOOLS[0], TICKET], "tool_choice": "auto"}


def test_after_an_echo_a_grounded_next_call_is_taken() -> None:
    nxt = AIMessage("", tool_calls=[_call("ticket", {"title": "重置密码", "assignee": "E7791"}, "y")])
    generate, asked = _scripted(ECHO, nxt)
    assert answer_without_repeats(TURN, TOOLS_AUTO, generate) is nxt
    assert [t["function"]["name"] for t in asked[1][1]["tools"]] == ["ticket"]


def test_after_an_echo_and_a_made_up_call_the_model_answers_in_words_from_the_results() -> None:
    made_up = AIMessage("", tool_calls=[_call("ticket", {"title": "x", "assignee": "E1"}, "y")])
    words = AIMessage("王芳的工号是 E7791。")
    generate, asked = _scripted(ECHO, made_up, words)
    assert answer_without_repeats(TURN, TOOLS_AUTO, generate) is words
    assert "tools" not in asked[2][1] and "E7791" in asked[2][0][-1].text


def test_where_a_call_is_required_the_retry_is_the_answer_and_a_first_new_call_is_kept() -> None:
    made_up = AIMessage("", tool_calls=[_call("ticket", {"title": "x", "assignee": "E1"}, "y")])
    generate, asked = _scripted(ECHO, made_up)
    assert answer_without_repeats(TURN, {**TOOLS_AUTO, "tool_choice": "any"}, generate) is made_up
    fresh = AIMessage("", tool_calls=[_call("ticket", {"title": "重置密码", "assignee": "E7791"}, "y")])
    generate, asked = _scripted(fresh)
    assert answer_without_repeats(TURN, TOOLS_AUTO, generate) is fresh and len(asked) == 1


ORDER = {"type": "function", "function": {"name": "order_status", "parameters": {
    "type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}
CONVERT = {"type": "function", "function": {"name": "convert", "parameters": {
    "type": "object", "properties": {"amount": {"type": "number"}, "to_currency": {"type": "string"},
                                     "ref": {"type": "string"}}, "required": ["amount", "to_currency", "ref"]}}}


def test_identifiers_written_nowhere_in_the_conversation_are_made_up() -> None:
    asked = [HumanMessage("Where is my order A-1009? And convert 100 EUR to yen, reference ab1234.")]
    assert made_up_identifiers(_call("order_status", {"order_id": "1234567890"}, "o"), [ORDER], asked) == ["1234567890"]
    assert made_up_identifiers(_call("order_status", {"order_id": "a-1009"}, "o"), [ORDER], asked) == []  # case aside
    assert made_up_identifiers(_call("order_status", {"order_id": "#A-1009"}, "o"), [ORDER], asked) == []
    assert made_up_identifiers(_call("order_status", {"order_id": "E7791"}, "o"), [ORDER], TURN) == []  # a result's
    # a currency code or a translated word may rightly differ from the user's words; an id-shaped value may not
    assert made_up_identifiers(_call("convert", {"amount": 100, "to_currency": "JPY", "ref": "AB1234"}, "c"),
                               [CONVERT], asked) == []
    assert made_up_identifiers(_call("convert", {"amount": 100, "to_currency": "JPY", "ref": "XK20931"}, "c"),
                               [CONVERT], asked) == ["XK20931"]


def test_a_call_with_a_made_up_identifier_is_dropped_beside_a_good_one_and_asked_again_alone() -> None:
    first = [SystemMessage("You act for the user."), HumanMessage("查一下员工王芳，然后给她开一个工单：重置密码")]
    tools = {"tools": [TOOLS[0], TICKET, ORDER], "tool_choice": "auto"}
    both = AIMessage("", tool_calls=[_call("lookup", {"name": "王芳"}, "a"),
                                     _call("order_status", {"order_id": "1234567890"}, "b")])
    generate, asked = _scripted(both)
    kept = answer_without_repeats(first, tools, generate)
    assert [c["name"] for c in kept.tool_calls] == ["lookup"] and len(asked) == 1
    alone = AIMessage("", tool_calls=[_call("order_status", {"order_id": "1234567890"}, "b")])
    lookup = AIMessage("", tool_calls=[_call("lookup", {"name": "王芳"}, "c")])
    generate, asked = _scripted(alone, lookup)
    assert answer_without_repeats(first, tools, generate) is lookup
    assert [t["function"]["name"] for t in asked[1][1]["tools"]] == ["lookup", "ticket"]
    # before any result, words from the second try are the model's answer (it may ask for the number)
    words = AIMessage("请提供订单号。")
    generate, asked = _scripted(alone, words)
    assert answer_without_repeats(first, tools, generate) is words and len(asked) == 2


def test_a_quantity_said_in_words_is_not_an_identifier() -> None:
    asked = [HumanMessage("把一万人民币换成美元，参考号 ab1234")]
    assert made_up_identifiers(_call("convert", {"amount": 10000, "to_currency": "USD", "ref": "ab1234"}, "c"),
                               [CONVERT], asked) == []


def test_of_two_calls_to_one_tool_only_the_one_with_the_made_up_identifier_is_dropped() -> None:
    asked = [HumanMessage("Has order A-1009 shipped?")]
    two = AIMessage("", tool_calls=[_call("order_status", {"order_id": "A-1009"}, "a"),
                                    _call("order_status", {"order_id": "99999"}, "b")])
    generate, calls = _scripted(two)
    kept = answer_without_repeats(asked, {"tools": [ORDER], "tool_choice": "auto"}, generate)
    assert [c["args"] for c in kept.tool_calls] == [{"order_id": "A-1009"}] and len(calls) == 1


TRACK = {"type": "function", "function": {"name": "track_package", "parameters": {
    "type": "object", "properties": {"tracking_number": {"type": "string"}}, "required": ["tracking_number"]}}}
ASSIGN = {"type": "function", "function": {"name": "create_ticket", "description": "Open a ticket for an employee id.",
                                          "parameters": {
    "type": "object", "properties": {"title": {"type": "string"}, "assignee_id": {"type": "string"}},
    "required": ["title", "assignee_id"]}}}


def test_a_number_the_user_called_an_order_is_misplaced_as_a_tracking_number() -> None:
    for words, number in (("Look up order 55120 and track the shipment it lists.", "55120"),
                          ("Find order B-2042's tracking number and track it.", "B-2042"),
                          ("查订单 31337 的快递单号并追踪", "31337")):
        asked = [HumanMessage(words)]
        assert misplaced_identifiers(_call("track_package", {"tracking_number": number}, "t"), [ORDER, TRACK],
                                     asked) == [number]
        assert misplaced_identifiers(_call("order_status", {"order_id": number}, "o"), [ORDER, TRACK], asked) == []
        # where no offered tool takes an order, the user's word for it decides nothing
        assert misplaced_identifiers(_call("track_package", {"tracking_number": number}, "t"), [TRACK], asked) == []
    for words, number in (("Track package SF1234567890.", "SF1234567890"),
                          ("Where is the parcel with tracking number 1Z999AA10123456784?", "1Z999AA10123456784"),
                          ("快递单号 JD0001112223 的物流信息", "JD0001112223"),
                          ("帮我查一下快递 YT9876543210 到哪了", "YT9876543210")):
        assert misplaced_identifiers(_call("track_package", {"tracking_number": number}, "t"), [ORDER, TRACK],
                                     [HumanMessage(words)]) == []


def test_an_id_that_a_result_calls_an_employee_id_is_misplaced_as_an_order_id() -> None:
    turn = [HumanMessage("找到员工李雷，并为他创建工单“显示器故障”"), AIMessage("", tool_calls=[_call("lookup", {"name": "李雷"}, "a")]),
            ToolMessage('{"name": "李雷", "employee_id": "E9660"}', tool_call_id="a")]
    tools = [ORDER, ASSIGN]
    assert misplaced_identifiers(_call("order_status", {"order_id": "E9660"}, "b"), tools, turn) == ["E9660"]
    # where the ticket tool is not offered, the employee lookup still speaks of employees
    lookup = {"type": "function", "function": {"name": "lookup_employee", "description": "Find an employee by name.",
                                               "parameters": {"type": "object", "properties": {"name": {}}}}}
    assert misplaced_identifiers(_call("order_status", {"order_id": "E9660"}, "b"), [ORDER, lookup], turn) == ["E9660"]
    assert misplaced_identifiers(_call("order_status", {"order_id": "E9660"}, "b"), [ORDER], turn) == []
    assert misplaced_identifiers(_call("create_ticket", {"title": "显示器故障", "assignee_id": "E9660"}, "b"), tools,
                                 turn) == []


def test_a_name_or_a_phrase_is_no_identifier() -> None:
    asked = [HumanMessage("Look up Bob Smith and create a ticket 'Access badge' for him, or for employee E1234.")]
    assert misplaced_identifiers(_call("create_ticket", {"title": "Access badge", "assignee_id": "Bob Smith"}, "c"),
                                 [ASSIGN], asked) == ["Bob Smith"]
    assert misplaced_identifiers(_call("create_ticket", {"title": "Access badge", "assignee_id": "E1234"}, "c"),
                                 [ASSIGN], asked) == []
    asked = [HumanMessage("找到员工李雷，并为他创建工单“显示器故障”")]
    assert misplaced_identifiers(_call("order_status", {"order_id": "显示器故障"}, "o"), [ORDER], asked) == ["显示器故障"]


def test_a_misplaced_identifier_is_asked_again_without_that_tool() -> None:
    asked = [HumanMessage("Look up order 55120 and track the shipment it lists.")]
    misplaced = AIMessage("", tool_calls=[_call("track_package", {"tracking_number": "55120"}, "a")])
    right = AIMessage("", tool_calls=[_call("order_status", {"order_id": "55120"}, "b")])
    generate, calls = _scripted(misplaced, right)
    assert answer_without_repeats(asked, {"tools": [ORDER, TRACK], "tool_choice": "auto"}, generate) is right
    assert [t["function"]["name"] for t in calls[1][1]["tools"]] == ["order_status"]


def test_a_placeholder_value_nobody_said_is_made_up() -> None:
    # "Find the policy on remote work in our documents." -> lookup_employee(name="John Doe") (the 0.5B model, two tools)
    lookup = {"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}}
    asked = [HumanMessage("Find the policy on remote work in our documents.")]
    assert made_up_identifiers(_call("lookup", {"name": "John Doe"}, "l"), [lookup], asked) == ["John Doe"]
    assert made_up_identifiers(_call("lookup", {"name": "张三"}, "l"), [lookup], asked) == ["张三"]
    # the same names where the user gave them, and a name that is no placeholder, are the user's
    assert made_up_identifiers(_call("lookup", {"name": "张三"}, "l"), [lookup], [HumanMessage("查一下员工张三")]) == []
    assert made_up_identifiers(_call("lookup", {"name": "Wang Fang"}, "l"), [lookup], [HumanMessage("查一下员工王芳")]) == []
