"""Prompt texts, in Chinese and English. The answer follows the question's language."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb_assistant.cjk import HAN, in_script, is_chinese, script_of

ANSWER_SYSTEM = {
    "zh": (
        "你是一个知识库问答助手。只根据下面编号的资料回答问题。\n"
        "要求：用一两句完整的中文句子直接回答，写出资料里的具体名称、数字或原话；"
        "每句话后面标注所依据资料的编号，例如“会议室在三楼东侧[2]。”；不要只输出编号。{fallback}"
        "\n\n资料：\n{context}"
    ),
    "en": (
        "You are a knowledge-base assistant. Answer the question using only the numbered context below.\n"
        "Answer in one or two complete English sentences that state the answer itself, with the exact names, "
        "numbers or words of the context, and put the number of the context you used after each sentence, "
        'like "... listens on port 6006 [1]." Never answer with a number in brackets alone. {fallback}'
        "\n\nContext:\n{context}"
    ),
}
REFUSE = {
    "zh": "如果资料中没有答案，就只回答：“知识库中没有找到相关信息。”不要编造。",
    "en": 'If the context does not contain the answer, reply only: "The knowledge base does not contain this information." Do not make anything up.',
}
GENERAL = {
    "zh": "如果资料中没有答案，可以用你自己的知识回答，但要先说明“知识库中没有相关信息，以下是模型自身的知识”。",
    "en": 'If the context does not contain the answer, you may answer from your own knowledge, but first say "The knowledge base does not contain this; from the model\'s own knowledge:".',
}
QUOTE = {"zh": "根据资料[{n}]原文：“{quote}”", "en": 'Quoting source [{n}]: "{quote}"'}
"""The extractive answer: a sentence of a source, said to be a quote."""
QUOTE_TABLE = {"zh": "根据资料[{n}]的表格{caption}：\n\n{table}", "en": "From the table in source [{n}]{caption}:\n\n{table}"}
"""The extractive answer when it is a table row: the row under its header, as a table."""
TABLE_CAPTION = {"zh": "（{title}）", "en": " ({title})"}
"""The table's title after "the table in source [n]", where its chunk names one ("2021年甘肃省录取分数线"): a row of
scores says which year and province only with it."""
NOT_FOUND = {"zh": "知识库中没有找到相关信息。", "en": "The knowledge base does not contain this information."}
NOT_FOUND_IN_LANGUAGE = {
    "zh": "与这个问题最接近的资料是英文的，无法与它们核对答案。请用英文提问，以得到核对过的答案。",
    "en": "The passages closest to this question are in Chinese, so no answer could be checked against them. "
          "Ask in Chinese to get a checked answer.",
}
"""The refusal when every passage found is in the other language: answers are checked against the sources' words,
so a question in English about Chinese passages is refused whatever they hold; the user is told what to do."""
NOT_FOUND_PARTLY_IN_LANGUAGE = {
    "zh": "中文资料中没有找到相关信息；与这个问题接近的资料里有英文的，无法与它们核对答案。可以用英文再问一次，以核对那些资料。",
    "en": "The English passages do not contain this information; some passages close to this question are in Chinese, "
          "and no answer could be checked against them. Ask in Chinese to check those too.",
}
"""The refusal when the best passage found, or most of them, are in the other language: the KB may hold the answer
there (an English question about a Chinese course whose folder has an English README), so "the knowledge base does
not contain this" could be false."""
NOT_FOUND_MOSTLY_IN_LANGUAGE = {
    "zh": "中文资料中没有找到相关信息；这个知识库的资料大多是英文的，中文问题先找到的是中文资料。可以用英文再问一次，以查找那些资料。",
    "en": "The English passages do not contain this information; most of this knowledge base is in Chinese, and an "
          "English question finds English passages first. Ask in Chinese to search the rest.",
}
"""The refusal when the passages found are in the question's language but most of the KB is not: the embedding model
ranks passages of the question's language first (an English question about a Chinese course found its English README
and code), so the answer may be in the rest."""


def refusal_for_kb(question: str, refusal: str, english_share: float | None) -> str:
    """``refusal`` as it is, unless it is the plain "not found" and most of the KB (``english_share``: the share of
    its chunks in English; None when unknown) is in the other language than the question's: then it says so."""
    language = language_of(question)
    if english_share is None or refusal != in_script_of(question, NOT_FOUND[language]):
        return refusal
    mostly_other = english_share < 0.5 if language == "en" else english_share > 0.5
    return in_script_of(question, NOT_FOUND_MOSTLY_IN_LANGUAGE[language]) if mostly_other else refusal


REWRITE = {
    "zh": (
        "根据对话历史，把最后的追问改写成一个不依赖上下文、可以单独检索的完整问题。只输出改写后的问题。\n\n"
        "对话历史：\n{history}\n\n追问：{question}\n完整问题："
    ),
    "en": (
        "Rewrite the follow-up question as a complete question that can be understood without the conversation. "
        "Output only the rewritten question.\n\nConversation:\n{history}\n\nFollow-up: {question}\nComplete question:"
    ),
}

# Words that make a question lean on earlier turns. Only such questions pay for a rewrite call.
_REFERS_BACK = re.compile(
    # 其 and 该 as pronouns, not inside 其他/其中/其实/其次/其余/尤其/极其/与其/应该 ("绑定到其他地址时…" asks
    # nothing of the past)
    r"(它|(?<!其)他|她|它们|他们|这个|那个|这些|那些|(?<!应)该|(?<![尤极与])其(?![他中次余]|实(?!现))|上述|前者|后者|这|那|呢[？?]?$)"
    r"|\b(it|its|they|them|their|this|that|these|those|he|she|his|her|the same|above|former|latter)\b",
    re.IGNORECASE,
)


def not_found(question: str, passages: Sequence[str] = ()) -> str:
    """The refusal, in the question's language and script; when the best of the ``passages`` found (the first), or
    most of them, are in the other language, it says so and what to do. ``passages``: their own words, past the
    heading paths they open with (a Chinese book's title glossed in English is not what a chunk says)."""
    language = language_of(question)
    # a passage with no prose of its own (a contents page's dotted leaders and page numbers, only code) is in no
    # language: asking in another one would not get it checked either
    found = [language_of_passage(p, prose_only=True) for p in passages]
    others = [lang != language for lang in found if lang]
    if others and all(others):
        return in_script_of(question, NOT_FOUND_IN_LANGUAGE[language])
    # the best passage, or most of them: one English README ranked under Chinese chapters is not why nothing was found
    if others and (others[0] or 2 * sum(others) > len(others)):
        return in_script_of(question, NOT_FOUND_PARTLY_IN_LANGUAGE[language])
    return in_script_of(question, NOT_FOUND[language])


def in_script_of(question: str, text: str, sources: str = "") -> str:
    """``text`` (ours, or the model's checked sentences) in the Chinese characters ``question`` is written in,
    traditional or simplified: the prompts are simplified Chinese, and the 0.5B model answers in simplified or mixed
    characters whatever the question and its sources ("美国的白宮……设计"); a reader in Taipei reads 美國的白宮……設計, one in
    Beijing who asked about a traditional-Chinese source reads 美国的白宫……设计. A question whose characters do not
    tell (no Chinese, or only characters both scripts share) leaves ``text`` as it is. Words ``sources`` (the text the
    answer rests on) write in characters of both scripts stay as they write them (:func:`kb_assistant.cjk.in_script`)."""
    script = script_of(question)
    return in_script(text, script, sources) if script else text


ASKING = re.compile(r"什么|哪|谁|怎|多少|几|是否|吗|^\s*(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does"
                    r"|did|can|could|will|would|should)\b", re.IGNORECASE)
"""Words that make a clause a question of its own: "价格是多少呢？" and "And what is required…?" are not ellipses
(:mod:`kb_assistant.qa.follow_ups`), and a translation that holds none and no question mark asks nothing."""
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
"""An English word (letters, apostrophes, hyphens)."""
_ENGLISH_FUNCTION_WORDS = frozenset(
    "what which who whom whose when where why how is are was were do does did can could should would will the a an "
    "of in on for to from with by about i my me you your it its there this that".split()
)


def language_of(text: str) -> str:
    """'zh' when the text is a Chinese question or sentence, else 'en'. An English sentence that names something in
    Chinese ("What is the extension number of 周明远?": English words that ask, more of them than Chinese words, at
    two characters a word) is English; "什么是 retrieval augmented generation？" and "Python的版本是多少？" are Chinese."""
    if not is_chinese(text):
        return "en"
    words = LATIN_WORD.findall(text)
    asking = sum(w.lower() in _ENGLISH_FUNCTION_WORDS for w in words)
    return "en" if asking >= 2 and len(words) > len(HAN.findall(text)) / 2 else "zh"


_NOT_PROSE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`|\$\$.*?(?:\$\$|\Z)|\$[^$\n]+\$|https?://\S+", re.DOTALL)
"""Code (fenced, inline), formulas and links: English words in a passage of any language."""
_CODE_LINE = re.compile(r"^\s*(?:#|//|```|from\s+[\w.]+\s+import\b|import\s+\w|def\s|class\s|return\b|print\("
                        r"|[\w.\[\]'\"]+\s*[-+*/]?=(?!=)|[\w.]+\(.*[),]\s*$|[)\]}]+[,;]?\s*$)")
"""A line of code, as a chunk that begins inside a code block holds it without the block's opening fence."""
_PASSAGE_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
"""An English word of a passage: two letters or more. Single letters are a formula's variables ("当 x 趋于 0 时") or a
cover's spaced-out type ("B  O  O  K"), in passages of any language."""


def language_of_passage(text: str, *, prose_only: bool = False) -> str:
    """'zh' when ``text`` holds more Chinese words than English ones (two characters a word; single letters are no
    words), else 'en'; code, formulas and links are not counted ("对于PDF 文档，我们可以使用 PyMuPDFLoader……" above a
    Python block is Chinese), unless they are all the passage has. ``prose_only``: '' for a passage with no prose
    (only code, or no words at all: a contents page's ". . . . 118"), in no language a question could be asked in."""
    lines = [line for line in _NOT_PROSE.sub(" ", text).splitlines() if not _CODE_LINE.match(line)]
    prose = "\n".join(lines)
    chinese, english = len(HAN.findall(prose)), len(_PASSAGE_WORD.findall(prose))
    if not chinese and not english:
        if prose_only:
            return ""
        chinese, english = len(HAN.findall(text)), len(_PASSAGE_WORD.findall(text))
    return "zh" if chinese / 2 >= english else "en"


def refers_back(question: str) -> bool:
    """Whether a question probably depends on the conversation (pronouns, elliptic '…呢？')."""
    return bool(_REFERS_BACK.search(question.strip()))
