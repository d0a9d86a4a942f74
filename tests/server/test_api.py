"""The HTTP API with real clients: the tutorial's requests.post, the openai SDK, LangChain's ChatOpenAI."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.server.conftest import Server, start_server, stop_server

pytestmark = pytest.mark.slow


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather of a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def test_tool_calls_through_the_openai_sdk(server: Server) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{server.url}/v1", api_key="unused")
    ask = [{"role": "user", "content": "What is the weather in Paris right now?"}]
    reply = client.chat.completions.create(model="default", messages=ask, tools=[WEATHER], tool_choice="required",
                                           temperature=0)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}
    assert call.id.startswith("call_")
    stream = client.chat.completions.create(model="default", messages=ask, tools=[WEATHER], stream=True, temperature=0,
                                            tool_choice={"type": "function", "function": {"name": "get_weather"}})
    deltas = [c.choices[0] for c in stream if c.choices]
    pieces = [tc for d in deltas for tc in d.delta.tool_calls or []]
    assert pieces[0].id and pieces[0].function.name == "get_weather" and len(pieces) > 2  # arguments come in pieces
    assert json.loads("".join(p.function.arguments or "" for p in pieces)) == {"city": "Paris"}
    assert deltas[-1].finish_reason == "tool_calls"
    # The tool's result goes back as a "tool" message; the model answers in words.
    history = [*ask, {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
               {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 21 °C"}]
    answer = client.chat.completions.create(model="default", messages=history, tools=[WEATHER], tool_choice="none",
                                            temperature=0)
    assert answer.choices[0].finish_reason == "stop" and answer.choices[0].message.content
    person = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
              "required": ["name", "age"], "additionalProperties": False}
    structured = client.chat.completions.create(
        model="default", temperature=0,
        messages=[{"role": "user", "content": "Invent a person: a name and an age."}],
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": person}},
    )
    data = json.loads(structured.choices[0].message.content)
    assert set(data) == {"name", "age"} and isinstance(data["age"], int)


def test_chatopenai_agent_tools_and_structured_output(server: Server) -> None:
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from pydantic import BaseModel

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather of a city."""
        return "Sunny, 21 °C"

    class City(BaseModel):
        """A city and its country."""

        city: str
        country: str

    llm = ChatOpenAI(base_url=f"{server.url}/v1", api_key="unused", model="default", temperature=0)
    message = llm.bind_tools([get_weather], tool_choice="get_weather").invoke("Weather in Berlin?")
    assert message.tool_calls[0]["name"] == "get_weather" and message.tool_calls[0]["args"] == {"city": "Berlin"}
    assert isinstance(get_weather.invoke(message.tool_calls[0]).content, str)
    city = llm.with_structured_output(City, method="json_schema").invoke("Which city is the capital of France?")
    assert isinstance(city, City) and city.city


def test_tutorial_client(server: Server) -> None:
    response = requests.post(server.url, json={"prompt": "你好，请用一句话介绍你自己。", "history": []}, timeout=120)
    body = response.json()
    assert response.status_code == 200 and body["status"] == 200
    assert body["response"] and body["history"] == [["你好，请用一句话介绍你自己。", body["response"]]]
    assert len(body["time"]) == 19 and "sources" not in body
    with_kb = requests.post(server.url, json={"prompt": "HTTP 服务默认监听哪个端口？", "kb": "default"}, timeout=120).json()
    assert "6006" in with_kb["response"]
    assert any(s["source"] == "kb-assistant-指南.md" for s in with_kb["sources"])


def test_openai_sdk_plain_and_streaming(server: Server) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{server.url}/v1", api_key="unused")
    assert "default" in [m.id for m in client.models.list().data]
    assert "kb:default" in [m.id for m in client.models.list().data]
    reply = client.chat.completions.create(
        model="default", messages=[{"role": "user", "content": "Say hello in one short sentence."}], max_tokens=16, temperature=0
    )
    assert reply.choices[0].message.content and reply.usage.completion_tokens <= 16
    cut = client.chat.completions.create(
        model="default", messages=[{"role": "user", "content": "Describe Paris in detail."}], max_tokens=3, temperature=0
    )
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 3  # clients can tell it was cut
    streamed_cut = client.chat.completions.create(
        model="default", messages=[{"role": "user", "content": "Describe Paris in detail."}], max_tokens=3, stream=True
    )
    assert [c.choices[0].finish_reason for c in streamed_cut if c.choices][-1] == "length"
    stream = client.chat.completions.create(
        model="kb:default",
        messages=[{"role": "user", "content": "What port does the kb-assistant HTTP server listen on by default?"}],
        stream=True,
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert "6006" in text
    raw = client.chat.completions.with_raw_response.create(
        model="kb:default", messages=[{"role": "user", "content": "默认端口是多少？"}]
    ).http_response.json()
    assert raw["sources"] and "6006" in raw["choices"][0]["message"]["content"]
    embedded = client.embeddings.create(model="default", input=["知识库", "knowledge base"])
    assert len(embedded.data) == 2 and len(embedded.data[0].embedding) == 384


def test_chatopenai_against_the_server(server: Server) -> None:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(base_url=f"{server.url}/v1", api_key="unused", model="kb:default", temperature=0)
    assert "6006" in llm.invoke("kb-assistant 的 HTTP 服务默认端口是多少？").content
    streamed = "".join(str(c.content) for c in llm.stream("On which port does the server listen by default?"))
    assert "6006" in streamed


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/", {"history": []}, 422),
        ("/", {"prompt": "hi", "history": "not a list"}, 422),
        ("/", {"prompt": "hi", "history": [["only one"]]}, 422),
        ("/", {"prompt": "hi", "max_length": -5}, 422),
        ("/", {"prompt": "hi", "max_length": 10**9}, 422),
        ("/", {"prompt": "hi", "kb": "nope"}, 404),
        ("/", {"prompt": "hi", "kb": "../etc"}, 422),
        ("/", {"prompt": "hi", "max_length": True}, 422),
        ("/", {"prompt": "字" * 40000}, 413),
        ("/v1/chat/completions", {"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}, 404),
        ("/v1/chat/completions", {"messages": []}, 422),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}, 422),
        ("/v1/chat/completions", {"messages": [{"role": "tool", "content": "42"}]}, 422),
        ("/v1/chat/completions", {"messages": [{"role": "assistant", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]}, 422),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "tool_choice": "required"}, 422),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "tools": [WEATHER],
                                  "tool_choice": {"type": "function", "function": {"name": "nope"}}}, 422),
        ("/v1/chat/completions", {"model": "kb:default", "messages": [{"role": "user", "content": "hi"}],
                                  "tools": [WEATHER]}, 422),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}],
                                  "response_format": {"type": "json_schema"}}, 422),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "tool_choice": "required",
                                  "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": 5}}}]},
         422),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}],
                                  "tools": [{"type": "function", "function": {"name": "bad name!"}}]}, 422),
        ("/v1/embeddings", {"input": []}, 422),
        ("/v1/kbs/default/search", {"query": ""}, 422),
    ],
)
def test_bad_input_gets_a_4xx_with_a_message(server: Server, path: str, body: dict, status: int) -> None:
    response = requests.post(server.url + path, json=body, timeout=60)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def test_malformed_json_and_long_prompt(server: Server) -> None:
    bad = requests.post(server.url, data=b"{not json", headers={"content-type": "application/json"}, timeout=30)
    assert bad.status_code == 422 and "JSON" in bad.json()["detail"]
    long_prompt = "知识库 " * 9000  # under the character limit, over the model's token window with history
    too_long = requests.post(server.url, json={"prompt": long_prompt, "history": [[long_prompt, "ok"]] * 1}, timeout=60)
    assert too_long.status_code in (400, 413)


def test_upload_search_remove(server: Server, tmp_path: Path) -> None:
    files = [
        ("files", ("../../evil name.md", "# 部署\n集群部署时，调度器默认每 42 秒同步一次配置。".encode(), "text/markdown")),
        ("files", ("notes.txt", b"The scheduler syncs its configuration every 42 seconds in cluster mode.", "text/plain")),
    ]
    response = requests.post(f"{server.url}/v1/kbs/team/files", files=files, timeout=300)
    assert response.status_code == 200, response.text
    report = response.json()
    assert {f["source"] for f in report["files"]} == {"evil name.md", "notes.txt"}
    assert all(f["status"] == "added" for f in report["files"])
    kbs = {k["name"]: k for k in requests.get(f"{server.url}/v1/kbs", timeout=30).json()["data"]}
    assert kbs["team"]["files"] == 2
    hits = requests.post(f"{server.url}/v1/kbs/team/search", json={"query": "调度器多久同步一次配置？", "k": 2}, timeout=60).json()["data"]
    assert hits[0]["metadata"]["source"] in {"evil name.md", "notes.txt"} and "42" in hits[0]["text"]
    empty = requests.post(f"{server.url}/v1/kbs/team/files", files=[("files", ("empty.md", b"", "text/markdown"))], timeout=60)
    assert empty.status_code == 422 and "empty" in empty.json()["files"][0]["reason"]
    binary = requests.post(
        f"{server.url}/v1/kbs/team/files", files=[("files", ("scan.pdf", b"\x00\x01garbage" * 100, "application/pdf"))], timeout=60
    )
    assert binary.status_code == 422 and binary.json()["files"][0]["status"] == "failed"
    removed = requests.delete(f"{server.url}/v1/kbs/team/files/notes.txt", timeout=60)
    assert removed.status_code == 200 and removed.json()["chunks_removed"] >= 1
    from kb_assistant.config import Settings
    from kb_assistant.kb import KBStore
    from kb_assistant.kb.lexical import LexicalIndex, lexical_dir

    chunks = set(KBStore(Settings(persist_dir=server.store, kb="team")).collection().get(include=[])["ids"])
    assert LexicalIndex(lexical_dir(server.store, "team")).ids() == chunks  # the lexical index dropped them too
    hits = requests.post(f"{server.url}/v1/kbs/team/search", json={"query": "scheduler sync", "k": 5}, timeout=60).json()["data"]
    assert all(h["metadata"]["source"] != "notes.txt" for h in hits)
    assert requests.delete(f"{server.url}/v1/kbs/team/files/notes.txt", timeout=30).status_code == 404


def test_list_and_open_documents(server: Server) -> None:
    files = [
        ("files", ("旧编码.txt", "配置文件使用 GBK 编码保存，服务端口为 7788。".encode("gbk"), "text/plain")),
        ("files", ("page.html", b"<html><body><h1>Ports</h1><script>alert(1)</script><p>Port 7788.</p></body></html>", "text/html")),
    ]
    assert requests.post(f"{server.url}/v1/kbs/docs/files", files=files, timeout=300).status_code == 200
    listed = requests.get(f"{server.url}/v1/kbs/docs/files", timeout=30).json()["data"]
    assert [f["source"] for f in listed] == ["page.html", "旧编码.txt"]
    assert all(f["chunks"] >= 1 and len(f["sha256"]) == 64 for f in listed)
    text = requests.get(f"{server.url}/v1/kbs/docs/files/旧编码.txt", timeout=30)
    assert text.status_code == 200 and text.headers["content-type"] == "text/plain; charset=utf-8"
    assert "服务端口为 7788" in text.text  # decoded from GBK as at ingest, not mojibake
    page = requests.get(f"{server.url}/v1/kbs/docs/files/page.html", timeout=30)
    assert page.headers["content-type"].startswith("text/plain") and page.headers["content-security-policy"] == "sandbox"
    assert requests.get(f"{server.url}/v1/kbs/default/files/faq.txt", timeout=30).status_code == 200
    for bad in ("docs/files/missing.md", "docs/files/faq.txt", "docs/files/%2e%2e/%2e%2e/etc/passwd", "nokb/files"):
        assert requests.get(f"{server.url}/v1/kbs/{bad}", timeout=30).status_code == 404, bad


def test_the_page_is_served(server: Server) -> None:
    root = requests.get(f"{server.url}/", timeout=30, allow_redirects=False)
    assert root.status_code in (302, 307) and root.headers["location"] == "/ui/"
    page = requests.get(f"{server.url}/ui/", timeout=30)
    assert page.status_code == 200 and "<title>kb-assistant</title>" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert requests.get(f"{server.url}/ui/app.js", timeout=30).headers["content-type"].startswith(("text/javascript", "application/javascript"))


def test_queue_full_gives_429_and_disconnect_frees_the_slot(tmp_path: Path) -> None:
    busy = start_server(tmp_path / "store", {"KB_MAX_QUEUE": "1", "KB_MAX_NEW_TOKENS": "200"})
    try:
        body = {"model": "default", "messages": [{"role": "user", "content": "Write a long story about a cat."}], "stream": True, "max_tokens": 200}
        stream = requests.post(f"{busy.url}/v1/chat/completions", json=body, stream=True, timeout=60)
        lines = stream.iter_lines()
        next(lines)  # the stream has started: the slot is taken
        refused = requests.post(busy.url, json={"prompt": "hi"}, timeout=30)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        stream.close()  # the client goes away mid-stream
        deadline = time.time() + 30
        while time.time() < deadline and requests.get(f"{busy.url}/health", timeout=5).json()["queue"]["active"]:
            time.sleep(0.2)
        assert requests.get(f"{busy.url}/health", timeout=5).json()["queue"]["active"] == 0
        assert requests.post(busy.url, json={"prompt": "hi", "max_length": 4}, timeout=60).status_code == 200
    finally:
        stop_server(busy)


def test_api_key_and_binding_rules(tmp_path: Path) -> None:
    from kb_assistant.config import Settings
    from kb_assistant.errors import ConfigError
    from kb_assistant.server import create_app

    with pytest.raises(ConfigError, match="API key"):
        create_app(Settings(host="0.0.0.0"))
    guarded = start_server(tmp_path / "store", {"KB_API_KEY": "s3cret"})
    try:
        assert requests.post(guarded.url, json={"prompt": "hi"}, timeout=30).status_code == 401
        wrong = requests.post(guarded.url, json={"prompt": "hi"}, headers={"Authorization": "Bearer nope"}, timeout=30)
        assert wrong.status_code == 401
        ok = requests.post(guarded.url, json={"prompt": "hi", "max_length": 4}, headers=guarded.headers, timeout=60)
        assert ok.status_code == 200
        assert requests.get(f"{guarded.url}/health", timeout=10).status_code == 200  # probes need no key
        assert requests.get(f"{guarded.url}/openapi.json", timeout=10).status_code == 401  # the schema is API too
        assert requests.get(f"{guarded.url}/openapi.json", headers=guarded.headers, timeout=10).json()["paths"]
    finally:
        stop_server(guarded)


def _stream_events(server: Server, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The server-sent events of a streamed chat completion, each as its JSON."""
    events = []
    with requests.post(f"{server.url}/v1/chat/completions", json={**body, "stream": True}, stream=True, timeout=300) as response:
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("data: ") and line != "data: [DONE]":
                events.append(json.loads(line[6:]))
    return events


def test_kb_answers_are_verified_and_usage_counts_the_context(server: Server) -> None:
    question = {"role": "user", "content": "kb-assistant 的 HTTP 服务默认监听哪个端口？"}
    plain = requests.post(f"{server.url}/v1/chat/completions", json={"model": "kb:default", "messages": [question]}, timeout=120).json()
    assert "6006" in plain["choices"][0]["message"]["content"]
    assert plain["usage"]["prompt_tokens"] > 150  # the retrieved passages are in the prompt
    used = [s for s in plain["sources"] if s["used"]]
    assert used and all(f"[{s['number']}]" in plain["choices"][0]["message"]["content"] for s in used)

    events = _stream_events(server, {"model": "kb:default", "messages": [question]})
    verified = next(e["verified"] for e in events if "verified" in e)
    assert "6006" in verified["answer"] and verified["status"] in ("answered", "extractive")
    assert any(s["used"] and s["evidence"] and "6006" in s["evidence"] for s in verified["sources"])

    refused = requests.post(
        f"{server.url}/v1/chat/completions",
        json={"model": "kb:default", "messages": [{"role": "user", "content": "What is the boiling point of water on Mars?"}]},
        timeout=120,
    ).json()
    assert "does not contain" in refused["choices"][0]["message"]["content"]
    assert not any(s["used"] for s in refused["sources"])


def test_an_empty_question_to_a_kb_is_a_400_not_a_500(server: Server) -> None:
    response = requests.post(
        f"{server.url}/v1/chat/completions", json={"model": "kb:default", "messages": [{"role": "user", "content": " "}]}, timeout=30
    )
    assert response.status_code == 400 and "empty" in response.json()["detail"]


def test_an_english_question_of_a_chinese_kb_streams_a_retry_and_its_answer(server: Server) -> None:
    """The question refused for its passages' language is asked again in theirs: the stream says so (`retry`, the
    draft before it void) and ends with the answer found, under the line that says how it was asked."""
    files = [("files", ("guide.md", b"# Port\n\nThe server listens on port 6006 by default.\n", "text/markdown"))]
    for name, text in (("端口.md", "# 端口\n\n服务默认监听 6006 端口，可以在配置文件里修改。\n"),
                       ("安装.md", "# 安装\n\n第一次启动前先运行 make install。\n"),
                       ("备份.md", "# 备份\n\n数据库每天凌晨两点备份，保留 30 天。\n"),
                       ("值班.md", "# 值班\n\n运维值班电话是 400-800-1234，周末也有人接听。\n")):
        files.append(("files", (name, text.encode(), "text/markdown")))
    assert requests.post(f"{server.url}/v1/kbs/ops/files", files=files, timeout=300).status_code == 200
    question = {"role": "user", "content": "How many days are database backups kept?"}
    events = _stream_events(server, {"model": "kb:ops", "messages": [question]})
    retries = [e["retry"] for e in events if "retry" in e]
    assert len(retries) == 1 and retries[0]["question"], events
    verified = next(e["verified"] for e in events if "verified" in e)
    assert verified["asked_as"] == retries[0]["question"] and "30" in verified["answer"], verified
    assert verified["answer"].startswith("From the Chinese sources, asked in Chinese as")
    assert [s["source"] for s in verified["sources"] if s["used"]] == ["备份.md"]
