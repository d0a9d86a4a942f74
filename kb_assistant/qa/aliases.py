"""Names a passage defines for one another: "联合卫理公会流产和性行为工作组（简称TUMAS）", "北京星河科技有限公司（以下简称
“星河科技”）", "政府间气候变化专门委员会 (IPCC)", "Retrieval-Augmented Generation (RAG)".

A question names one form ("TUMAS的主席是谁?") and the sentence that answers it, further on, the other ("作为联合卫理公会
流产和性行为特别工作组主席，可敬的保罗•史泰斯沃斯说……"): the question's name was missing from the answer's window, and a
right answer was refused as not about the question. The window of evidence takes the other form along.
"""

from __future__ import annotations

import functools
import re

from kb_assistant.cjk import simplified
from kb_assistant.kb.tokens import jieba_lock, jieba_module

_SHORT = r"[A-Za-z][A-Za-z0-9&.\-]{1,15}|[\u4e00-\u9fff]{2,8}"
# "（简称TUMAS）", "（以下简称“星河科技”）", "，简称“星河科技”": a label says it; a bare "(IPCC)" only for an acronym
_LABELLED = re.compile(rf"(?:[（(]\s*(?:以下)?|[，,]\s*)(?:简称|簡稱|下称|下稱|简称为)\s*[“\"「『]?(?P<short>{_SHORT})[”\"」』]?\s*[）)]?")
_ACRONYM = re.compile(r"[（(]\s*(?P<short>[A-Z][A-Z0-9&\-]{1,9})\s*[）)]")
_BOUNDARY = re.compile(r"[，。；：、,.;:!?！？\s“”\"「」（）()]")
_LONGEST = 40


@functools.lru_cache(maxsize=1024)
def defined_names(text: str) -> tuple[tuple[str, str], ...]:
    """The (long, short) names ``text`` defines for one another, in its order (a passage is read once: every claim's
    window asks of it)."""
    pairs = []
    for pattern in (_LABELLED, _ACRONYM):
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - _LONGEST) : match.start()].rstrip()
            cut = max((m.end() for m in _BOUNDARY.finditer(before)), default=0)
            long = before[cut:] if cut or match.start() <= _LONGEST else ""
            if len(long) >= 2 and long != match.group("short"):
                pairs.append((long, match.group("short")))
    return tuple(pairs)


def _holds(window: str, long: str) -> bool:
    """Whether ``window`` names ``long``: its last words (jieba), at least half its characters, each found in the
    window ("联合卫理公会流产和性行为特别工作组" names "联合卫理公会流产和性行为工作组"; "会员们成立了联合……" is named by its end)."""
    if long in window:
        return True
    if not re.search(r"[\u4e00-\u9fff]", long):
        return False
    with jieba_lock:
        words = list(jieba_module().cut(long))
    held = 0
    for word in reversed(words):
        if word not in window:
            break
        held += len(word)
    return held * 2 >= len(long) and held >= 4


def other_forms(window: str, passage: str) -> str:
    """The names ``passage`` defines that ``window`` holds in one form only, in their other form (one per line,
    to be added to the window); empty when there are none."""
    window, passage = simplified(window), simplified(passage)
    added = []
    for long, short in defined_names(passage):
        if short not in window and _holds(window, long):
            added.append(short)
        elif short in window and not _holds(window, long):
            added.append(long)
    return "".join(f"\n{name}" for name in dict.fromkeys(added))
