"""Prompt texts, in Chinese and English. The answer follows the question's language."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff]")

ANSWER_SYSTEM = {
    "zh": (
        "你是一个知识库问答助手。只根据下面编号的资料回答问题，用中文回答，简洁准确。"
        "在用到某条资料的句子后面标注它的编号，例如 [1]。{fallback}\n\n资料：\n{context}"
    ),
    "en": (
        "You are a knowledge-base assistant. Answer the question using only the numbered context below, "
        "in English, briefly and accurately. Cite the context you use by its number, like [1]. {fallback}"
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
NOT_FOUND = {"zh": "知识库中没有找到相关信息。", "en": "The knowledge base does not contain this information."}

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
    r"(它|他|她|它们|他们|这个|那个|这些|那些|该|其|上述|前者|后者|这|那|呢[？?]?$)"
    r"|\b(it|its|they|them|their|this|that|these|those|he|she|his|her|the same|above|former|latter)\b",
    re.IGNORECASE,
)


def language_of(text: str) -> str:
    """'zh' when the text has Chinese characters, else 'en'."""
    return "zh" if _CJK.search(text) else "en"


def refers_back(question: str) -> bool:
    """Whether a question probably depends on the conversation (pronouns, elliptic '…呢？')."""
    return bool(_REFERS_BACK.search(question.strip()))
