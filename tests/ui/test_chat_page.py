"""The web chat page end to end: a real server with the embedded default models, driven in headless Chromium."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.server.conftest import Server, free_port, start_server, stop_server
from tests.ui.conftest import screenshot

pytestmark = pytest.mark.slow

HANDBOOK = """# 星河计划项目手册

## 负责人
星河计划的项目负责人是林晓岚，她在 2024 年 3 月加入研究院。

## 办公地点
林晓岚的办公室在 B 座
1207 室，每周三下午接待来访。

## 预算
星河计划 2025 年的总预算为 380 万元，其中设备采购占一半。
"""
ANSWER_WAIT = 180_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An empty store: everything the tests see is uploaded through the page."""
    running = start_server(tmp_path_factory.mktemp("ui") / "vectorstore", {"KB_MAX_NEW_TOKENS": "64"})
    yield running
    stop_server(running)


def last_answer(page: Any) -> Any:
    answer = page.locator(".message.assistant").last
    answer.and_(page.locator("[data-done]")).wait_for(timeout=ANSWER_WAIT)
    return answer


def ask(page: Any, question: str) -> Any:
    page.fill("#question", question)
    page.keyboard.press("Enter")
    return last_answer(page)


def sse(events: list[dict[str, Any]]) -> str:
    """A chat-completions stream body with ``events``, then [DONE]."""
    return "".join(f"data: {json.dumps(event, ensure_ascii=False)}\n\n" for event in events) + "data: [DONE]\n\n"


def open_with_kb(page: Any, server: Server, kb: str, name: str, text: str) -> None:
    """Upload ``text`` as file ``name`` to KB ``kb`` through the API, open the page and choose that KB."""
    uploaded = requests.post(f"{server.url}/v1/kbs/{kb}/files", timeout=120,
                             files={"files": (name, text.encode(), "text/markdown")})
    assert uploaded.status_code == 200, uploaded.text
    page.goto(f"{server.url}/ui/")
    page.wait_for_selector("#status.ready")
    page.wait_for_selector(f"#kb-select option[value='{kb}']", state="attached")
    page.select_option("#kb-select", kb)


def test_upload_ask_follow_up_open_and_remove(server: Server, page: Any, tmp_path: Path) -> None:
    handbook = tmp_path / "星河计划.md"
    handbook.write_text(HANDBOOK, encoding="utf-8")
    broken = tmp_path / "scan.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not really a pdf" * 20)
    chat_bodies: list[dict[str, Any]] = []
    page.on("request", lambda r: chat_bodies.append(json.loads(r.post_data)) if r.url.endswith("/v1/chat/completions") else None)

    page.goto(f"{server.url}/")
    page.wait_for_selector("#status.ready")
    page.wait_for_selector("#kb-select option", state="attached")
    assert page.input_value("#kb-select") == "__new__"  # an empty server offers to create a knowledge base
    page.fill("#new-kb", "xinghe")
    page.set_input_files("#file-input", [str(handbook), str(broken)])
    page.wait_for_selector("#upload-status:has-text('Done')", timeout=ANSWER_WAIT)
    screenshot(page, "1-uploaded")
    rows = {r.locator("td").nth(0).inner_text(): r.locator("td").nth(1).inner_text() for r in page.locator("#upload-results tbody tr").all()}
    assert rows["星河计划.md"] == "added"
    assert rows["scan.pdf"].startswith("failed: ") and "pdf" in rows["scan.pdf"].lower()
    assert page.input_value("#kb-select") == "xinghe"
    assert page.locator("#documents li").all_inner_texts() == [page.locator("#documents li").first.inner_text()]
    assert "星河计划.md" in page.locator("#documents").inner_text()
    assert "files\n1" in page.locator("#kb-stats").inner_text()

    first = ask(page, "星河计划的项目负责人是谁？")
    assert "林晓岚" in first.locator(".text").inner_text()
    page.wait_for_selector("#status:text-is('ready')", timeout=10_000)  # not "1/16 busy" after the answer ended
    # File names in one weight: CJK fonts have no bold face, so bold made only the Latin part bold.
    assert first.locator(".sources .where").first.evaluate("e => getComputedStyle(e).fontWeight") == "400"
    assert "星河计划.md" in first.locator(".sources").inner_text()
    assert "负责人" in first.locator(".sources .snippet").first.inner_text() or "林晓岚" in first.locator(".sources").inner_text()

    follow_up = ask(page, "她的办公室在哪里？")
    assert "1207" in follow_up.locator(".text").inner_text()
    # the sentence is wrapped in the file: the snippet reads it as one paragraph, its whole sentence marked
    marked = follow_up.locator(".sources mark.evidence").first.inner_text()
    assert "B 座" in marked and "1207" in marked
    sent = chat_bodies[-1]
    assert sent["model"] == "kb:xinghe"
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]  # the history went with it
    assert sent["messages"][0]["content"] == "星河计划的项目负责人是谁？"
    screenshot(page, "2-answer-with-sources")

    with page.expect_popup() as popup:
        follow_up.locator(".sources button.open").first.click()
    opened = popup.value
    opened.wait_for_load_state()
    assert "1207 室，每周三下午接待来访" in opened.locator("body").inner_text()
    opened.close()

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#documents li button.remove")
    page.wait_for_selector("#upload-status:has-text('Removed')")
    assert page.locator("#documents li").count() == 0
    hits = requests.post(f"{server.url}/v1/kbs/xinghe/search", json={"query": "林晓岚"}, timeout=60).json()["data"]
    assert hits == []
    assert page.errors == []


def test_answers_are_formatted_and_their_markup_never_runs(server: Server, page: Any) -> None:
    """An answer's Markdown shows as lists and bold; HTML, script links and images in it stay inert text.

    Only the model's words are planted (the stream is answered by the page's own route): what is under test is
    how the page shows them; follow-ups send the answer back as the model wrote it.
    """
    source = {"number": 1, "source": "plan.md", "snippet": "Budget: 380 万元. Leader: 林晓岚.", "evidence": "Budget: 380 万元.",
              "used": True, "score": 0.9}
    answer = ("The plan has **two** parts [1]:\n\n- budget: `380` 万元 [1]\n- leader: 林晓岚\n\n"
              '<img src=x onerror="window.pwned=1"> [site](javascript:window.pwned=2) ![t](http://127.0.0.1:9/t.png)')

    def chunk(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    stream = chunk({"sources": [source]})
    for start in range(0, len(answer), 7):  # the draft as it streams: half-written Markdown renders as it comes
        stream += chunk({"choices": [{"index": 0, "delta": {"content": answer[start:start + 7]}}]})
    stream += chunk({"choices": [{"index": 0, "delta": {}}], "verified": {"answer": answer, "status": "verified",
                                                                        "sources": [source]}})
    stream += "data: [DONE]\n\n"
    bodies: list[dict[str, Any]] = []

    def planted(route: Any) -> None:
        bodies.append(json.loads(route.request.post_data))
        route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body=stream)

    page.route("**/v1/chat/completions", planted)
    page.goto(f"{server.url}/ui/")
    page.wait_for_selector("#status.ready")
    shown = ask(page, "What is in the plan?").locator(".text")
    assert shown.locator("strong").all_inner_texts() == ["two"]
    assert shown.locator("li").all_inner_texts()[1] == "leader: 林晓岚"
    assert shown.locator("li code").inner_text() == "380"
    assert shown.locator(".cite").all_inner_texts() == ["[1]", "[1]"]  # citations still lead to the source
    text = shown.inner_text()
    assert '<img src=x onerror="window.pwned=1">' in text  # shown as written, not parsed
    assert shown.locator("img, script, a[href^='javascript']").count() == 0
    assert page.evaluate("window.pwned") is None
    screenshot(page, "6-formatted-answer")

    assert "draft" not in shown.locator("xpath=..").get_attribute("class")  # the checked answer reads as one

    ask(page, "And the leader?")
    assert bodies[-1]["messages"][1] == {"role": "assistant", "content": answer}
    assert page.errors == []


def test_a_draft_that_was_never_checked_says_so(server: Server, page: Any) -> None:
    """A knowledge-base answer whose stream ends before the verified answer came (the server stopped, the
    connection broke) keeps its draft look and says it was not checked: a draft may hold what the check drops."""
    draft = "星河计划的负责人是王五[1]。"
    stream = sse([{"choices": [{"index": 0, "delta": {"content": piece}}]} for piece in (draft[:6], draft[6:])])
    page.route("**/v1/chat/completions",
               lambda route: route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body=stream))
    open_with_kb(page, server, "drafts", "plan.md", HANDBOOK)
    reply = ask(page, "星河计划的负责人是谁？")
    assert "draft" in reply.get_attribute("class") and reply.get_attribute("data-status") == "unchecked"
    assert "Not checked against the sources" in reply.locator(".text .unchecked").inner_text()
    assert page.errors == []


def test_the_page_works_on_a_phone(server: Server, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/ui/")
        page.wait_for_selector("#status.ready")
        title = page.locator("header h1").bounding_box()
        key = page.locator("#key-button").bounding_box()
        assert title["height"] < 30 and key["height"] < 40  # one line each: no "kb-/assistant", "API/key"
        question = page.locator("#question")
        box = question.bounding_box()
        assert question.is_visible() and box["y"] + box["height"] <= 844  # the question box is on screen
        assert not page.locator("#kb-panel").is_visible()  # the knowledge-base panel is a drawer
        page.click("#kb-toggle")
        panel = page.locator("#kb-panel").bounding_box()
        assert panel["height"] > 150 and panel["width"] >= 380  # open: full width, not a 25 px strip
        assert page.locator("#kb-select").is_visible() and page.locator("#drop-zone").is_visible()
        box = question.bounding_box()
        assert box["y"] + box["height"] <= 844
        screenshot(page, "5-phone-drawer-open")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    finally:
        context.close()


def test_api_key_and_busy_server_are_explained(page: Any, tmp_path: Path) -> None:
    running = start_server(tmp_path / "vectorstore", {"KB_API_KEY": "s3cret-key", "KB_MAX_QUEUE": "1"})
    try:
        page.goto(f"{running.url}/ui/")
        notice = page.locator("#notice")
        notice.wait_for()
        assert "API key" in notice.inner_text()
        assert page.locator("#key-form").is_visible()
        screenshot(page, "3-api-key-needed")
        page.fill("#key-input", "s3cret-key")
        page.click("#key-form button[type=submit]")
        page.wait_for_selector("#notice", state="hidden")
        page.wait_for_selector("#kb-select option", state="attached")
        assert page.input_value("#kb-select") == "__new__"

        # Hold the only generation slot with a long plain-chat request, then ask from the page.
        def hog() -> None:
            try:
                requests.post(f"{running.url}/v1/chat/completions", headers=running.headers, timeout=300, json={
                    "messages": [{"role": "user", "content": "Write a long story about a lighthouse keeper."}],
                    "max_tokens": 400})
            except requests.RequestException:
                pass  # the server is stopped under it at the end of the test

        threading.Thread(target=hog, daemon=True).start()
        deadline = time.time() + 30
        while requests.get(f"{running.url}/health", timeout=5).json()["queue"]["active"] < 1:
            assert time.time() < deadline, "the background request never started"
            time.sleep(0.2)
        page.select_option("#kb-select", "")
        answer = ask(page, "你好")
        assert "busy" in answer.locator(".text").inner_text()
        assert "busy" in notice.inner_text()
        screenshot(page, "4-server-busy")
        assert page.errors == []
    finally:
        stop_server(running)


def test_model_failure_is_shown(page: Any, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    port = free_port()
    env = {**os.environ, "KB_PERSIST_DIR": str(tmp_path / "vectorstore"), "KB_LLM_MODEL": str(tmp_path / "no-such-model")}
    process = subprocess.Popen([sys.executable, "-m", "kb_assistant", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        page.goto(url + "/ui/") if _wait_listening(url) else pytest.fail("server did not start")
        page.wait_for_selector("#status.error", timeout=120_000)
        assert "failed to load" in page.locator("#notice").inner_text()
        assert "no-such-model" in page.locator("#notice").inner_text()
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_listening(url: str, timeout: float = 60) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(f"{url}/health", timeout=2)
            return True
        except requests.RequestException:
            time.sleep(0.3)
    return False


def test_a_source_snippet_is_formatted_with_its_supporting_sentence_marked(server: Server, page: Any) -> None:
    """A snippet's Markdown (bold, code blocks, tables) is shown formatted, as the answer is, and the sentence that
    supports the answer is marked whole, across bold text and table cells; markup in a document stays inert."""
    sources = [
        {"number": 1, "source": "案例1.md", "headings": "索引 > **2.3** 向量数据库", "used": True,
         "snippet": "该项目选择 chromadb 向量数据库。定义向量库的代码在 **project/database/create_db.py** 文件中，"
                    "`vectordb.persist()` 可以持久化向量库。\n\n<script>window.pwned=1</script>",
         "evidence": "定义向量库的代码在 **project/database/create_db.py** 文件中，`vectordb.persist()` 可以持久化向量库。"},
        {"number": 2, "source": "C3.md", "used": True,
         "snippet": "```\nchroma' # 删除旧的数据库文件\n```\n\n```python\nvectordb = Chroma.from_documents(\n    "
                    "persist_directory=persist_directory\n)\n```",
         "evidence": "vectordb = Chroma.from_documents(\n    persist_directory=persist_directory\n)"},
        {"number": 3, "source": "models.md", "used": True,
         "snippet": "| 模型 | 上下文 |\n| --- | --- |\n| gpt-3.5-turbo | 4K |\n| gpt-3.5-turbo-16k | 16K |",
         "evidence": "| gpt-3.5-turbo-16k | 16K |"},
    ]
    answer = "用 `vectordb.persist()` 持久化[1]，或在创建时给出 `persist_directory`[2]；16K 的模型是 gpt-3.5-turbo-16k[3]。"
    stream = sse([
        {"sources": sources},
        {"choices": [{"index": 0, "delta": {"content": answer}}]},
        {"choices": [{"index": 0, "delta": {}}], "verified": {"answer": answer, "status": "verified", "sources": sources}},
    ])
    page.route("**/v1/chat/completions",
               lambda route: route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body=stream))
    page.goto(f"{server.url}/ui/")
    page.wait_for_selector("#status.ready")
    items = ask(page, "如何持久化 Chroma 向量库？").locator(".sources li")
    first, second, third = items.nth(0), items.nth(1), items.nth(2)
    assert "**" not in first.locator(".where").inner_text()
    snippet = first.locator(".snippet")
    assert snippet.locator("strong").inner_text() == "project/database/create_db.py"
    marked = "".join(snippet.locator("mark.evidence").all_inner_texts())
    assert marked == "定义向量库的代码在 project/database/create_db.py 文件中，vectordb.persist() 可以持久化向量库。"
    assert "<script>window.pwned=1</script>" in snippet.inner_text() and page.evaluate("window.pwned") is None
    # the snippet began inside a code block: its closing fence does not open a block around the next one
    blocks = second.locator(".snippet pre").all_inner_texts()
    assert len(blocks) == 2 and "```" not in "".join(blocks) and blocks[1].startswith("vectordb = Chroma")
    assert "".join(second.locator("mark.evidence").all_inner_texts()).startswith("vectordb = Chroma.from_documents(")
    assert third.locator(".snippet th").all_inner_texts() == ["模型", "上下文"]
    assert third.locator("mark.evidence").all_inner_texts() == ["gpt-3.5-turbo-16k", "16K"]
    screenshot(page, "7-formatted-sources")
    assert page.errors == []


def test_a_question_asked_again_in_the_other_language_shows_only_the_second_pass(server: Server, page: Any) -> None:
    """A refusal for the passages' language is followed by a `retry` event and a new draft in the passages'
    language: the page drops the first draft and its passages, so a stream cut off after the retry shows the
    second draft alone (marked unchecked) with the passages it was drafted from, and a finished one the checked
    answer under them."""
    english = {"number": 1, "source": "notes.md", "snippet": "Backups are discussed in the ops notes.", "used": True}
    chinese = {"number": 1, "source": "备份.md", "snippet": "数据库备份保留 30 天。", "evidence": "数据库备份保留 30 天。",
               "used": True}
    first, second = "The documents do not say [1].", "数据库备份保留 30 天[1]。"
    verified = "From the Chinese sources, asked in Chinese as “数据库备份保留多少天？”:\n\n" + second

    def stream(finished: bool) -> str:
        events: list[dict[str, Any]] = [
            {"sources": [english]},
            {"choices": [{"index": 0, "delta": {"content": first}}]},
            {"choices": [{"index": 0, "delta": {}}], "retry": {"question": "数据库备份保留多少天？", "sources": [chinese]}},
            {"choices": [{"index": 0, "delta": {"content": second}}]},
        ]
        if finished:
            events.append({"choices": [{"index": 0, "delta": {}}],
                           "verified": {"answer": verified, "status": "verified", "sources": [chinese],
                                        "asked_as": "数据库备份保留多少天？"}})
        return sse(events)

    streams = [stream(False), stream(True)]
    page.route("**/v1/chat/completions", lambda route: route.fulfill(
        status=200, headers={"content-type": "text/event-stream"}, body=streams.pop(0)))
    open_with_kb(page, server, "ops", "备份.md", "# 备份\n\n数据库备份保留 30 天。\n")

    cut = ask(page, "How many days are database backups kept?")
    assert cut.get_attribute("data-status") == "unchecked"
    shown = cut.locator(".text").inner_text()
    assert "30 天" in shown and "do not say" not in shown
    assert cut.locator(".sources .where").all_inner_texts() == ["备份.md"]

    done = ask(page, "How many days are database backups kept?")
    assert done.get_attribute("data-status") == "verified"
    text = done.locator(".text").inner_text()
    assert text.startswith("From the Chinese sources, asked in Chinese as") and "do not say" not in text
    assert done.locator(".sources .where").all_inner_texts() == ["备份.md"]
    assert page.errors == []
