"""Tool calling and structured output of a local chat model, on tasks written for this project (Chinese and English).

- 50 single-call tasks: the model must pick the right tool and give arguments that validate and carry the
  expected values (``right call``); scored with ``tool_choice`` "auto" (the model decides) and "any" (a call is
  required; the grammar keeps it to the bound tools).
- 20 two-step tasks: the first tool's result holds what the second call needs (an id, an amount); the model gets the
  result as a tool message and must make the second call with it.
- finishing (``--kinds finish``): after the right call of a single-call task and its result, the model's next
  message under ``tool_choice="auto"`` must be words that carry the result (a word or number of it), with no call:
  what an agent shows the user at the end.
- 20 structured-output tasks: ``with_structured_output`` (json_schema) under a schema; the share whose JSON validates.

    python benchmarks/tools_bench.py                       # the embedded default model
    python benchmarks/tools_bench.py --llm-model packaged:qwen2.5-coder-1.5b-instruct --limit 10
    python benchmarks/tools_bench.py --select-tools 3     # offer each call only the 3 tools nearest the request
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import zlib
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field, ValidationError

from kb_assistant.config import Settings
from kb_assistant.llms import LocalChatModel


@tool
def get_weather(city: str) -> str:
    """Get the current weather of a city."""
    return f"{city}: sunny, 21 °C"


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> str:
    """Convert an amount of money between currencies (ISO codes such as USD, EUR, CNY)."""
    return f"{amount} {from_currency} = {round(amount * 7.1, 2)} {to_currency}"


@tool
def search_kb(query: str) -> str:
    """Search the company knowledge base (handbooks, policies, manuals) for passages about a topic."""
    return f"[1] handbook.md: passages about {query}"


@tool
def lookup_employee(name: str) -> str:
    """Find an employee by name: returns the employee id, department and email."""
    return f'{{"name": "{name}", "employee_id": "E{zlib.crc32(name.encode()) % 9000 + 1000}", "department": "IT"}}'


@tool
def create_ticket(title: str, assignee_id: str, priority: str = "normal") -> str:
    """Open a support ticket assigned to an employee id (priority: low, normal or high)."""
    return f"ticket T-{zlib.crc32(title.encode()) % 900 + 100} opened for {assignee_id}"


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its order id."""
    return f'{{"order_id": "{order_id}", "status": "shipped", "tracking_number": "SF{order_id[-4:]}88"}}'


@tool
def track_package(tracking_number: str) -> str:
    """Track a package by its courier tracking number."""
    return f"{tracking_number}: out for delivery"


@tool
def set_reminder(text: str, time: str) -> str:
    """Set a reminder with a text at a time (like 15:00 or 'tomorrow 9am')."""
    return "reminder set"


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as 12*7+3."""
    return "42"


TOOLS = [get_weather, convert_currency, search_kb, lookup_employee, create_ticket, get_order_status, track_package,
         set_reminder, calculator]
BY_NAME = {t.name: t for t in TOOLS}

# (prompt, tool, {argument: expected value or substring})
SINGLE: list[tuple[str, str, dict[str, Any]]] = [
    ("What's the weather like in Paris?", "get_weather", {"city": "Paris"}),
    ("上海今天天气怎么样？", "get_weather", {"city": "上海"}),
    ("Is it raining in London right now?", "get_weather", {"city": "London"}),
    ("北京现在冷不冷？查一下天气。", "get_weather", {"city": "北京"}),
    ("Weather in Tokyo please.", "get_weather", {"city": "Tokyo"}),
    ("深圳的天气如何？", "get_weather", {"city": "深圳"}),
    ("Do I need an umbrella in Seattle today?", "get_weather", {"city": "Seattle"}),
    ("帮我看看杭州的天气", "get_weather", {"city": "杭州"}),
    ("Convert 100 USD to EUR.", "convert_currency", {"amount": 100, "from_currency": "USD", "to_currency": "EUR"}),
    ("把 500 人民币换成美元是多少？", "convert_currency", {"amount": 500, "from_currency": "CNY", "to_currency": "USD"}),
    ("How many yen is 20 euros?", "convert_currency", {"amount": 20, "from_currency": "EUR", "to_currency": "JPY"}),
    ("1000 日元等于多少人民币？", "convert_currency", {"amount": 1000, "from_currency": "JPY", "to_currency": "CNY"}),
    ("Convert 75.5 GBP into USD", "convert_currency", {"amount": 75.5, "from_currency": "GBP", "to_currency": "USD"}),
    ("250 美元换算成欧元", "convert_currency", {"amount": 250, "from_currency": "USD", "to_currency": "EUR"}),
    ("What does our handbook say about parental leave?", "search_kb", {"query": "parental leave"}),
    ("公司的报销流程是什么？查一下知识库。", "search_kb", {"query": ("报销", "reimburse", "expense")}),
    ("Search the knowledge base for the VPN setup guide.", "search_kb", {"query": "VPN"}),
    ("在知识库里找一下年假政策", "search_kb", {"query": ("年假", "annual leave", "vacation")}),
    ("Find the policy on remote work in our documents.", "search_kb", {"query": "remote work"}),
    ("知识库里关于数据备份的规定是什么？", "search_kb", {"query": ("备份", "backup")}),
    ("Look up the on-call rotation in the ops manual.", "search_kb", {"query": "on-call"}),
    ("查一下信息安全培训的要求", "search_kb", {"query": ("信息安全", "security")}),
    ("Who is Alice Chen? Find her in the employee directory.", "lookup_employee", {"name": "Alice Chen"}),
    ("查一下员工王芳的信息", "lookup_employee", {"name": "王芳"}),
    ("What department is Bob Smith in?", "lookup_employee", {"name": "Bob Smith"}),
    ("李雷的邮箱是什么？", "lookup_employee", {"name": "李雷"}),
    ("Find the employee record of Maria Garcia.", "lookup_employee", {"name": "Maria Garcia"}),
    ("帮我查找员工张伟", "lookup_employee", {"name": "张伟"}),
    ("Open a high priority ticket 'Printer broken' for employee E1234.", "create_ticket",
     {"title": "Printer", "assignee_id": "E1234", "priority": "high"}),
    ("给员工 E2001 开一个工单：邮箱无法登录", "create_ticket", {"title": ("邮箱", "mail"), "assignee_id": "E2001"}),
    ("Create a ticket titled 'VPN down' assigned to E3310, low priority.", "create_ticket",
     {"title": "VPN", "assignee_id": "E3310", "priority": "low"}),
    ("为 E4521 创建一个高优先级工单，标题是服务器宕机", "create_ticket",
     {"title": ("服务器", "server"), "assignee_id": "E4521", "priority": "high"}),
    ("Where is my order 88231?", "get_order_status", {"order_id": "88231"}),
    ("我的订单 20240517 发货了吗？", "get_order_status", {"order_id": "20240517"}),
    ("Check the status of order A-1009.", "get_order_status", {"order_id": "A-1009"}),
    ("查询订单号 773412 的状态", "get_order_status", {"order_id": "773412"}),
    ("Track package SF1234567890.", "track_package", {"tracking_number": "SF1234567890"}),
    ("帮我查一下快递 YT9876543210 到哪了", "track_package", {"tracking_number": "YT9876543210"}),
    ("Where is the parcel with tracking number 1Z999AA10123456784?", "track_package",
     {"tracking_number": "1Z999AA10123456784"}),
    ("快递单号 JD0001112223 的物流信息", "track_package", {"tracking_number": "JD0001112223"}),
    ("Remind me to call the bank at 15:00.", "set_reminder", {"text": "bank", "time": "15:00"}),
    ("明天早上9点提醒我开周会", "set_reminder", {"text": ("周会", "meeting"), "time": "9"}),
    ("Set a reminder for 8pm: take out the trash.", "set_reminder", {"text": "trash", "time": "8"}),
    ("下午三点提醒我交报告", "set_reminder", {"text": ("报告", "report"), "time": ("15", "三", "3")}),
    ("What is 12*7+3?", "calculator", {"expression": "12*7+3"}),
    ("帮我算一下 365*24", "calculator", {"expression": "365*24"}),
    ("Calculate (15+27)/6.", "calculator", {"expression": "(15+27)/6"}),
    ("计算 2**10 - 24", "calculator", {"expression": "2**10"}),
    ("What's 19 percent of 250? Use the calculator: 250*0.19", "calculator", {"expression": "250*0.19"}),
    ("用计算器算 1234+4321", "calculator", {"expression": "1234+4321"}),
]

# (prompt, first tool, second tool, key of the first result that the second call must carry, second call's argument)
TWO_STEP: list[tuple[str, str, str, str, str]] = [
    ("Find employee Alice Chen, then open a ticket 'Laptop repair' assigned to her.", "lookup_employee",
     "create_ticket", "employee_id", "assignee_id"),
    ("查一下员工王芳，然后给她开一个工单：重置密码", "lookup_employee", "create_ticket", "employee_id", "assignee_id"),
    ("Look up Bob Smith and create a high priority ticket 'Access badge' for him.", "lookup_employee",
     "create_ticket", "employee_id", "assignee_id"),
    ("找到员工李雷，并为他创建工单“显示器故障”", "lookup_employee", "create_ticket", "employee_id", "assignee_id"),
    ("Get Maria Garcia's record, then file a ticket 'New phone' assigned to her id.", "lookup_employee",
     "create_ticket", "employee_id", "assignee_id"),
    ("先查员工张伟的工号，再给他开工单：申请软件许可", "lookup_employee", "create_ticket", "employee_id",
     "assignee_id"),
    ("Find David Lee in the directory and open a ticket 'Email quota' for him.", "lookup_employee", "create_ticket",
     "employee_id", "assignee_id"),
    ("查询员工陈静，然后为她创建低优先级工单“更换鼠标”", "lookup_employee", "create_ticket", "employee_id",
     "assignee_id"),
    ("Look up Emma Wilson, then create a ticket 'VPN access' assigned to her.", "lookup_employee", "create_ticket",
     "employee_id", "assignee_id"),
    ("找一下赵敏，给她开个工单：打印机卡纸", "lookup_employee", "create_ticket", "employee_id", "assignee_id"),
    ("Check order 88231 and then track its package.", "get_order_status", "track_package", "tracking_number",
     "tracking_number"),
    ("查一下订单 20240517 的状态，再查它的快递到哪了", "get_order_status", "track_package", "tracking_number",
     "tracking_number"),
    ("What's the status of order A-1009? Then track the parcel.", "get_order_status", "track_package",
     "tracking_number", "tracking_number"),
    ("先查订单 773412，然后跟踪它的包裹", "get_order_status", "track_package", "tracking_number", "tracking_number"),
    ("Look up order 55120 and track the shipment it lists.", "get_order_status", "track_package", "tracking_number",
     "tracking_number"),
    ("订单 99001 发货了吗？发了的话查一下物流", "get_order_status", "track_package", "tracking_number",
     "tracking_number"),
    ("Find order B-2042's tracking number and track it.", "get_order_status", "track_package", "tracking_number",
     "tracking_number"),
    ("查订单 31337 的快递单号并追踪", "get_order_status", "track_package", "tracking_number", "tracking_number"),
    ("Check order 40404, then follow its package.", "get_order_status", "track_package", "tracking_number",
     "tracking_number"),
    ("帮我查订单 61616，再看看包裹在哪", "get_order_status", "track_package", "tracking_number", "tracking_number"),
]


class Meeting(BaseModel):
    """A meeting to put in the calendar."""

    title: str
    day: str = Field(description="weekday or date")
    attendees: list[str]


class Sentiment(BaseModel):
    """The sentiment of a review."""

    label: str = Field(description="positive, negative or neutral")
    score: float = Field(ge=0, le=1)


class Contact(BaseModel):
    """A person's contact details."""

    name: str
    email: str | None = None
    phone: str | None = None


STRUCTURED: list[tuple[str, type[BaseModel]]] = [
    ("Schedule a design review on Monday with Ann and Raj.", Meeting),
    ("周三和小王、小李开项目周会", Meeting),
    ("Team lunch Friday with everyone from sales: Tom, Una, Vic.", Meeting),
    ("下周二和张总、刘经理讨论预算", Meeting),
    ("Plan a retro on 2025-03-14 with Kim and Lee.", Meeting),
    ("明天上午和客户陈先生开会", Meeting),
    ("Book a 1:1 with Priya on Thursday.", Meeting),
    ("This product is fantastic, works perfectly!", Sentiment),
    ("质量太差了，用了两天就坏了。", Sentiment),
    ("It's okay, nothing special.", Sentiment),
    ("物流很快，包装也很好，非常满意", Sentiment),
    ("Terrible support, never again.", Sentiment),
    ("还行吧，价格有点贵", Sentiment),
    ("Absolutely love the battery life.", Sentiment),
    ("Contact: Jane Doe, jane@example.com, +1 555 0100", Contact),
    ("联系人：王小明，电话 13800138000", Contact),
    ("Reach Carlos at carlos.r@example.org", Contact),
    ("李华的邮箱是 lihua@example.cn", Contact),
    ("Sam Park — phone 010-1234-5678", Contact),
    ("请联系赵雪，邮箱 zhaoxue@corp.cn，电话 021-55556666", Contact),
]


def _matches(value: Any, expected: Any) -> bool:
    """Numbers equal; text contains the expected text (any of a tuple), ignoring case and spaces (so a translated
    title or "(15 + 27) / 6" for "(15+27)/6" counts)."""
    if isinstance(expected, tuple):
        return any(_matches(value, e) for e in expected)
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return abs(float(value) - float(expected)) < 1e-6
        except (TypeError, ValueError):
            return False
    squeeze = lambda text: "".join(str(text).lower().split())
    return squeeze(expected) in squeeze(value)


def right_call(message: AIMessage, name: str, expected: dict[str, Any]) -> bool:
    """The first call names ``name``, its arguments validate for the tool, and carry the expected values."""
    if not message.tool_calls or message.tool_calls[0]["name"] != name:
        return False
    args = message.tool_calls[0]["args"]
    try:
        BY_NAME[name].args_schema.model_validate(args)  # type: ignore[union-attr]
    except ValidationError:
        return False
    return all(_matches(args.get(k), v) for k, v in expected.items())


def carries_result(text: str, result: str, prompt: str) -> bool:
    """Whether an answer states something of the tool's result that the question did not already say."""
    said = text.casefold().replace(" ", "")
    words = [re.sub(r"^(\d+)\.0+$", r"\1", w)  # 710.0 is said as 710
             for w in re.findall(r"[A-Za-z]{3,}|\d+(?:\.\d+)?|[\u4e00-\u9fff]{2,}", result)]
    return any(w.casefold() in said and w.casefold() not in prompt.casefold() and w not in ("name", "status")
               for w in words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm-model", default="packaged:qwen2.5-0.5b-instruct")
    parser.add_argument("--limit", type=int, default=None, help="tasks of each kind")
    parser.add_argument("--json", default=None, help="write every call here")
    parser.add_argument("--kinds", default="single,two_step,finish,structured", help="which task kinds to run")
    parser.add_argument("--choices", default="auto,any", help="tool_choice values to score")
    parser.add_argument("--select-tools", type=int, default=0, metavar="K",
                        help="offer each call only the K tools nearest the request (EmbeddingToolSelector); 0: all")
    parser.add_argument("--max-new-tokens", type=int, default=128,
                        help="a generation's limit (128: the tables' runs; the settings' default is 512)")
    args = parser.parse_args()
    chat = LocalChatModel.from_pretrained(args.llm_model, Settings(), temperature=0, max_new_tokens=args.max_new_tokens)
    selector = None
    if args.select_tools:
        from kb_assistant.embeddings import make_embeddings
        from kb_assistant.qa.tool_selection import EmbeddingToolSelector

        selector = EmbeddingToolSelector(make_embeddings(Settings()), max_tools=args.select_tools)
    system = SystemMessage("You are an assistant that uses the given tools to act for the user.")
    rows: list[dict[str, Any]] = []
    report: dict[str, Any] = {"model": args.llm_model, "select_tools": args.select_tools}

    kinds = set(args.kinds.split(","))
    for choice in args.choices.split(","):
        def call(history: list[Any], choice: str = choice) -> AIMessage:
            tools = selector.select(TOOLS, history) if selector else TOOLS
            return chat.bind_tools(tools, tool_choice=choice).invoke(history)

        hits, seconds = 0, []
        for prompt, name, expected in SINGLE[: args.limit] if "single" in kinds else []:
            start = time.perf_counter()
            message = call([system, HumanMessage(prompt)])
            seconds.append(time.perf_counter() - start)
            ok = right_call(message, name, expected)
            hits += ok
            rows.append({"kind": f"single/{choice}", "prompt": prompt, "ok": ok, "calls": message.tool_calls,
                         "invalid": message.invalid_tool_calls, "text": message.text})
        if seconds:
            report[f"single_{choice}"] = {"right_call": round(hits / len(seconds), 3), "tasks": len(seconds),
                                          "s_per_call": round(statistics.mean(seconds), 2)}

        hits, seconds = 0, []
        for prompt, first, second, key, arg in TWO_STEP[: args.limit] if "two_step" in kinds else []:
            start = time.perf_counter()
            history: list[Any] = [system, HumanMessage(prompt)]
            step1 = call(history)
            ok = bool(step1.tool_calls) and step1.tool_calls[0]["name"] == first
            if ok:
                result = BY_NAME[first].invoke(step1.tool_calls[0]["args"])
                history += [step1, ToolMessage(result, tool_call_id=step1.tool_calls[0]["id"])]
                step2 = call(history)
                wanted = json.loads(result)[key]
                ok = right_call(step2, second, {arg: wanted})
                rows.append({"kind": f"two_step/{choice}", "prompt": prompt, "ok": ok, "step1": step1.tool_calls,
                             "step2": step2.tool_calls, "text": step2.text})
            else:
                rows.append({"kind": f"two_step/{choice}", "prompt": prompt, "ok": False, "step1": step1.tool_calls,
                             "text": step1.text})
            seconds.append(time.perf_counter() - start)
            hits += ok
        if seconds:
            report[f"two_step_{choice}"] = {"right_calls": round(hits / len(seconds), 3), "tasks": len(seconds),
                                            "s_per_task": round(statistics.mean(seconds), 2)}

    done, seconds = 0, []
    for prompt, name, expected in SINGLE[: args.limit] if "finish" in kinds else []:
        history = [system, HumanMessage(prompt)]
        first = chat.bind_tools(TOOLS, tool_choice=name).invoke(history)
        call = first.tool_calls[0]
        result = BY_NAME[name].invoke(call["args"])
        history += [first, ToolMessage(result, tool_call_id=call["id"])]
        start = time.perf_counter()
        final = chat.bind_tools(TOOLS, tool_choice="auto").invoke(history)
        seconds.append(time.perf_counter() - start)
        ok = not final.tool_calls and carries_result(final.text, result, prompt)
        done += ok
        rows.append({"kind": "finish", "prompt": prompt, "result": result, "ok": ok, "calls": final.tool_calls,
                     "text": final.text})
    if seconds:
        report["finish_auto"] = {"answered_in_words": round(done / len(seconds), 3), "tasks": len(seconds),
                                 "s_per_answer": round(statistics.mean(seconds), 2)}

    valid, seconds = 0, []
    for prompt, schema in STRUCTURED[: args.limit] if "structured" in kinds else []:
        start = time.perf_counter()
        out = chat.with_structured_output(schema, include_raw=True).invoke(prompt)
        seconds.append(time.perf_counter() - start)
        ok = isinstance(out["parsed"], schema)
        valid += ok
        rows.append({"kind": "structured", "prompt": prompt, "ok": ok, "raw": out["raw"].text})
    if seconds:
        report["structured_json_schema"] = {"schema_valid": round(valid / len(seconds), 3), "tasks": len(seconds),
                                            "s_per_call": round(statistics.mean(seconds), 2)}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"report": report, "rows": rows}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
