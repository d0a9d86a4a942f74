"""Our search tokens: jieba's search-mode words for Chinese, Snowball-stemmed English. The lexical index, the
grounding check and the reference BM25 all split text with ``tokenize``."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kb_assistant.cjk import simplified

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
_STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 就 都 而 之 其 这 那 有 为 以 于 把 被 个 吗 呢 吧 啊 什么 哪 哪个 哪些 如何 怎么 多少 "
    "a an the of to in on for and or is are was were be been by with as at from that this which what who how "
    "does do did it its".split()
)
_ENGLISH_WORD = re.compile(r"[a-z]+")
jieba_lock = threading.Lock()
"""jieba's lazy initialisation is not thread-safe: every user of jieba in the package holds this lock."""

TOKENIZER_VERSION = "jieba-search+snowball-english+simplified/2"
"""Changes whenever ``tokenize`` would split a text differently: an index saved by another version is rebuilt."""


@functools.cache
def jieba_module() -> Any:
    """jieba, with its logger quieted once."""
    import jieba

    jieba.setLogLevel(logging.WARNING)  # once: setting a logger's level clears every logger's cache
    return jieba


@functools.cache
def english_stem() -> Any:
    """A cached Snowball English stemmer (word -> stem)."""
    import snowballstemmer

    return functools.lru_cache(maxsize=200_000)(snowballstemmer.stemmer("english").stemWord)


@functools.cache
def english_root_stem() -> Any:
    """``english_stem`` of a word's dictionary form (simplemma's English lemmas): Snowball cuts regular endings only,
    so "sang", "written" and "teeth" would stay apart from "sing", "write" and "tooth". A comparative keeps its form
    ("larger" says more than "large"). The grounding check matches words so; the lexical index keeps Snowball's."""
    import simplemma

    stem = english_stem()

    @functools.lru_cache(maxsize=200_000)
    def root_stem(word: str) -> str:
        return stem(word if _COMPARED.search(word) else simplemma.lemmatize(word, lang="en").lower())

    return root_stem


_COMPARED = re.compile(r"(?:er|est|st)$|^worse$")


_known: dict[str, tuple[str, ...]] = {}


@contextlib.contextmanager
def known_tokens(tokens: Mapping[str, Sequence[str]]) -> Iterator[None]:
    """Within this block ``tokenize`` returns these tokens for these texts without computing them: ingest
    workers tokenise the chunks they read, in parallel, and the lexical index takes their tokens. ``tokenize``
    is deterministic, so this only saves time, whatever thread asks."""
    _known.update((text, tuple(words)) for text, words in tokens.items())
    try:
        yield
    finally:
        for text in tokens:
            _known.pop(text, None)


def tokenize(text: str) -> list[str]:
    """Lower-cased search tokens: jieba's search-mode words for Chinese, in simplified characters (a question
    written in either script finds a passage written in the other, and jieba's dictionary cuts traditional text
    better so); English words stemmed (Snowball), so "increases" finds "increased"; other words as they are."""
    known = _known.get(text)
    if known is not None:
        return list(known)
    with jieba_lock:
        words = jieba_module().lcut_for_search(simplified(text.lower()))
    stem = english_stem()
    return [
        stem(w) if _ENGLISH_WORD.fullmatch(w) else w
        for w in words
        if _TOKEN.search(w) and w.strip() and w not in _STOPWORDS
    ]


def tokenize_all(texts: list[str]) -> list[tuple[str, ...]]:
    """``tokenize`` of each text: what a worker process runs when the lexical index is rebuilt."""
    return [tuple(tokenize(text)) for text in texts]
