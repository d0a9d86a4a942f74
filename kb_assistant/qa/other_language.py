"""A question asked again in the language of the passages that may answer it.

Answers are checked against their sources' own words (:mod:`kb_assistant.qa.grounding`), so an English question
about a Chinese knowledge base was refused whatever the KB held: the draft's English words match no Chinese
sentence, and only names and numbers carry across (:mod:`kb_assistant.qa.across_languages`). Where the refusal is
for that reason (the passages found, or most of the KB, are in the other language), the chain has the chat model
translate the question and asks it again: retrieval, draft and check all in the passages' language. The answer is
shown as checked, in the sources' language, under a line that says so and how the question was asked.

The small packaged model, asked plainly to translate, answered instead about one question in four ("Where was
Friedrich Ratzel born?" came back as "Friedrich Ratzel出生于德国。"); two worked examples as earlier turns of the
conversation keep it to translating. A translation that is no question in the other language, that loses or adds a
number, or that leaves a common English word untranslated, is not asked. An answer to the question asked again is
shown only where the model's own sentences pass the check: the quote the check falls back on was about the question
0 times in 4 there (xquad_zh's passages asked xquad_en's questions, and the course rounds' English questions), where
the translation had lost what was asked ("What are the attacks on teachers causing?" as "哪些攻击导致了教师的攻击？").
"""

from __future__ import annotations

import re

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from kb_assistant.qa.prompts import (
    ASKING,
    NOT_FOUND_IN_LANGUAGE,
    NOT_FOUND_MOSTLY_IN_LANGUAGE,
    NOT_FOUND_PARTLY_IN_LANGUAGE,
    in_script_of,
    language_of,
)
from kb_assistant.qa.terms import numbers_in

TRANSLATE_SYSTEM = {
    "zh": "你是翻译。把用户发来的英文问题逐字翻译成中文问题，不要回答它。英文名称、代码和数字照原样保留。只输出译文。",
    "en": "You are a translator. Translate the user's Chinese question into an English question word for word; never "
          "answer it. Keep names in Latin letters, code and numbers as they are. Output only the translation.",
}
"""The instruction for translating a question into the language named by the key."""
TRANSLATE_EXAMPLES = {
    "zh": [("Who wrote the report in 2019?", "谁在 2019 年写了这份报告？"),
           ("What does the load_documents function return?", "load_documents 函数返回什么？")],
    "en": [("谁在 2019 年写了这份报告？", "Who wrote the report in 2019?"),
           ("load_documents 函数返回什么？", "What does the load_documents function return?")],
}
"""Worked examples, given as earlier turns: the model translates instead of answering."""
ASKED_AS = {
    "en": "From the Chinese sources, asked in Chinese as “{question}”:\n\n",
    "zh": "根据英文资料（问题译作英文“{question}”）：\n\n",
}
"""The line over an answer found by the question asked again, in the language of the question the user asked (the key)."""

_LANGUAGE_REFUSALS = (NOT_FOUND_IN_LANGUAGE, NOT_FOUND_PARTLY_IN_LANGUAGE, NOT_FOUND_MOSTLY_IN_LANGUAGE)
_LABEL = re.compile(r"^\s*(?:译文|翻译|问题|translation|question)\s*[:：]\s*", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'-]*")
"""A word in Latin letters with what code writes in one ("embed_query")."""
_QUOTED = re.compile(r'"[^"\n]{1,40}"|“[^”\n]{1,40}”|`[^`\n]{1,40}`')
_QUOTES = "\"'“”‘’「」『』 "


def other_language(language: str) -> str:
    """'zh' for 'en' and 'en' for 'zh'."""
    return "en" if language == "zh" else "zh"


def refused_for_language(question: str, refusal: str) -> bool:
    """Whether ``refusal`` is one that blames the passages' or the KB's language, not the KB's content."""
    language = language_of(question)
    return any(refusal == in_script_of(question, texts[language]) for texts in _LANGUAGE_REFUSALS)


def translation_messages(question: str) -> list[BaseMessage]:
    """The chat messages that ask the model for ``question`` in the other language."""
    into = other_language(language_of(question))
    messages: list[BaseMessage] = [SystemMessage(TRANSLATE_SYSTEM[into])]
    for asked, translated in TRANSLATE_EXAMPLES[into]:
        messages += [HumanMessage(asked), AIMessage(translated)]
    messages.append(HumanMessage(question))
    return messages


def as_translation(reply: str, question: str) -> str | None:
    """The model's ``reply`` as the translated question, or None where it is none: its first line, without a label
    or quotes; it must ask something in the other language than ``question``'s, with the same numbers (none lost,
    none added) and, into Chinese, no common English word of the question left as it is."""
    into = other_language(language_of(question))
    line = next((ln for ln in reply.strip().splitlines() if ln.strip()), "")
    line = _unquoted(_LABEL.sub("", line).strip())
    if not line or language_of(line) != into or len(line) > 3 * len(question) + 20:
        return None
    if not (ASKING.search(line) or "?" in line or "？" in line):
        return None  # a statement: the model answered, or said something else
    if sorted(numbers_in(line)) != sorted(numbers_in(question)):
        return None  # a number lost asks another question; one added ("ABC 在 2019 年……吗？") is the model's guess
    if into == "zh" and _untranslated(question, line):
        return None
    return line


def _unquoted(line: str) -> str:
    """``line`` without the quotation marks around it, or a lone one at either end: not the one that opens a term it
    quotes ("“min” 是哪个词的缩写？")."""
    if line[:1] and line[:1] in _QUOTES and line[-1:] in _QUOTES:
        return line[1:-1].strip(_QUOTES)
    if line[:1] and line[:1] in _QUOTES and not any(q in line[1:] for q in _QUOTES.strip()):
        return line[1:].strip()
    if line[-1:] and line[-1:] in _QUOTES and not any(q in line[:-1] for q in _QUOTES.strip()):
        return line[:-1].strip()
    return line


def _untranslated(question: str, translation: str) -> bool:
    """Whether an English word that ``question`` writes in lower case, no name or code, is left as it is in the
    Chinese ``translation``: a half-translated question ("哪个机场是世界繁忙单 runway中的 busiest机场？") asks another
    question, and the answer to it was wrong more often than right."""
    # a word the question quotes ("what word is the \"min\" of arg min short for?") is mentioned, not used: kept as it is
    quoted = {w for q in _QUOTED.findall(question) for w in _WORD.findall(q)}
    common = {w for w in _WORD.findall(question) if w.isalpha() and w.islower() and len(w) > 2} - quoted
    return any(w in common for w in _WORD.findall(translation))
