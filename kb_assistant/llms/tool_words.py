"""What a tool speaks of and what a request or a value's label names, as plain words: enough to tell that "order
55120" is not a tracking number, or that "查一下员工王芳" is about employees when the tools are described in English.

Words are lower-case, plurals cut, and generic ones left out (id, number, get, the…). A Chinese kind word
("订单", "快递", "员工") names the English words that tool and parameter names use for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

GENERIC_WORDS = frozenset({
    "id", "ids", "no", "num", "number", "code", "uuid", "get", "set", "find", "lookup", "look", "up", "check", "query",
    "a", "an", "the", "by", "of", "to", "in", "on", "at", "for", "from", "with", "and", "or", "is", "it", "its", "this",
    "that", "my", "your", "his", "her", "their", "please", "such", "as", "like", "what", "which", "who", "whom",
    "where", "when", "how", "why", "i", "me", "you", "we", "us", "he", "she", "they", "them", "do", "does", "did",
    "can", "could", "would", "will", "should", "be", "am", "are", "was", "were", "has", "have", "had", "not", "all",
    "any", "some", "there", "here", "now", "today"})
CHINESE_KINDS = {
    "订单": "order", "快递": "tracking package parcel shipment courier", "运单": "tracking shipment waybill",
    "物流": "tracking shipment", "包裹": "package parcel tracking", "员工": "employee staff", "工号": "employee staff",
    "工单": "ticket", "发票": "invoice", "账户": "account", "账号": "account", "帐号": "account", "用户": "user",
    "客户": "customer client", "商品": "product item sku", "产品": "product", "合同": "contract", "会员": "member",
    "航班": "flight", "预订": "booking reservation", "项目": "project", "学号": "student", "手机": "phone",
}
"""What a Chinese kind word names, in the words that tool and parameter names use."""


def name_words(name: str) -> set[str]:
    """The words of a snake_case or camelCase name (or of one plain word)."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ").lower().split()
    return {w.removesuffix("s") for w in words if w not in GENERIC_WORDS}


def text_words(text: str) -> set[str]:
    """The words of a text: its English words, and what its Chinese kind words name."""
    words = set().union(*(name_words(w) for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)))
    return words | set(" ".join(k for z, k in CHINESE_KINDS.items() if z in text).split())


def spoken_of(spec: dict[str, Any], parameters: Sequence[str] | None = None) -> set[str]:
    """The words of an OpenAI-style function spec's name and description and of its parameters' names and
    descriptions (all of them, or those named)."""
    properties = (spec.get("parameters") or {}).get("properties") or {}
    texts = [spec["name"], spec.get("description") or ""]
    for name in properties if parameters is None else parameters:
        texts += [name, str((properties.get(name) or {}).get("description") or "")]
    return set().union(*(text_words(text) for text in texts))
