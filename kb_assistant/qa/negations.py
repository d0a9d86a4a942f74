"""A sentence that says the opposite of its sources: "支持GPU加速" where the only source that says it writes "不支持GPU加速",
"Chroma supports GPU acceleration" over "does not support GPU acceleration".

Every word of such a sentence is in the source, so the word checks pass it; the 0.5B model writes it when it turns
a passage into a list of "advantages". A phrase the sources only ever negate, asserted without a negation, is
contradicted; so is a phrase the sources only ever assert, negated. A phrase is what follows the negation up to
the end of its clause, and must be found whole in the other text: a partial match says nothing about polarity.

A question's case can be turned around the same way: "验证集变大以后应该采用什么评估方法？" was answered "……采用人工评估的方法"
from "当验证集体量较小时，我们可以采用人工评估的方法" (:func:`other_case`), and "不存在“序”关系的属性应该怎么处理？" with the
clause of a passage that says what to do where it does exist (:func:`other_polarity`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from kb_assistant.cjk import simplified
from kb_assistant.kb.tokens import english_root_stem

_CLAUSE_END = "，。；！？、：,.;!?:\n()（）[]【】“”\"'"
_NEGATIONS = (r"并非|并不|并没有|并未|无法|不能|不会|不可|不再|不必|不用|无需|无须|没有|尚未|从未|从不|绝不|未(?![来必免曾知])|没(?!错)"
              r"|不(?![仅但管论断同过少久错如停外止足堪妨然料得])")
_CHINESE_NEGATION = re.compile(f"(?:{_NEGATIONS})")
"""A Chinese negation, not the words that begin with one and mean something else (不仅 "not only", 不同 "different",
不断 "continually", 未来 "future", 没错 "right")."""
_NEGATED_BEFORE = re.compile(f"(?:{_NEGATIONS}|[非无别勿])[太再会能可要用必曾]?$")
"""A negation right before a phrase ("不支持", "不太支持", "无法支持", "无需重新训练", "非开源")."""
_ENGLISH_NEGATION = re.compile(r"\b(?:not|never|cannot|no longer|without|\w+n't)\s+", re.IGNORECASE)
_NOT = frozenset({"not", "never", "no", "cannot", "without", "nor"})
_WORD = re.compile(r"[a-z][a-z0-9]*|\d+")
_MIN_CHINESE = 2
"""Characters a Chinese phrase needs to say anything ("支持" does; one character does not)."""
_MAX_ENGLISH = 6
"""Words of an English phrase at most: a longer clause is not repeated whole by an answer that turns it around."""


def contradicted(claim: str, sources: Sequence[str], question: str = "") -> str | None:
    """The words of a source (the negation with its phrase, "不支持GPU加速") that ``claim`` states with the opposite
    polarity of every source that holds the phrase, or None. A phrase the claim negates as ``question`` does
    ("苏利南在何时之前并非社会主义国家？") is the question's wording, not a claim against the sources."""
    claim_s = simplified(claim)
    texts = [simplified(s) for s in sources]
    for negation, phrase in _chinese_phrases(texts):
        if _asserted_in(claim_s, phrase) and not any(_asserted_in(t, phrase) for t in texts):
            return negation + phrase
    asked = simplified(question)
    for _, phrase in _chinese_phrases([claim_s]):
        if (any(_asserted_in(t, phrase) for t in texts) and not any(_negated_in(t, phrase) for t in texts)
                and not _negated_in(asked, phrase)):
            return phrase
    claim_words = _stems(claim)
    source_words = [_stems(s) for s in sources]
    for source in sources:
        for match in _ENGLISH_NEGATION.finditer(source):
            if _NEGATED_AGAIN.search(_clause_before(source, match.start())):
                continue  # "no member can pass legislation without the Commission": it needs the Commission
            words = _clause(source, match.end())
            phrase = _stems(words)
            if not phrase or len(phrase) > _MAX_ENGLISH:
                continue
            if _asserted_words(claim_words, phrase) and not any(_asserted_words(w, phrase) for w in source_words):
                return f"{match.group(0).strip()} {words}"
    return None


def _chinese_phrases(texts: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(negation, phrase) for each negated Chinese phrase of ``texts``: the words after a negation, to its clause's
    end."""
    for text in texts:
        for match in _CHINESE_NEGATION.finditer(text):
            phrase = _clause(text, match.end())
            # "化石所没有的梳状列": a negation inside a modifier negates nothing the phrase after it says
            if len(phrase) >= _MIN_CHINESE and not phrase.startswith(("的", "之")):
                yield match.group(0), phrase


_NEGATED_AGAIN = re.compile(r"\b(?:no|not|never|cannot|none|nobody|nothing|\w+n't)\b", re.IGNORECASE)


def _clause_before(text: str, end: int) -> str:
    """The words of ``text``'s clause before ``end``."""
    start = end
    while start > 0 and text[start - 1] not in _CLAUSE_END:
        start -= 1
    return text[start:end]


def _clause(text: str, start: int) -> str:
    end = start
    while end < len(text) and text[end] not in _CLAUSE_END:
        end += 1
    return text[start:end].strip()


def _asserted_in(text: str, phrase: str) -> bool:
    """Whether ``text`` holds ``phrase`` with no negation right before it."""
    return any(not _negated_at(text, i) for i in _occurrences(text, phrase))


def _negated_in(text: str, phrase: str) -> bool:
    return any(_negated_at(text, i) for i in _occurrences(text, phrase))


def _negated_at(text: str, at: int) -> bool:
    """Whether a negation ends right before ``at`` (spaces between: "药剂师不能 与医生结成……", as xquad_zh's spans are spaced)."""
    return bool(_NEGATED_BEFORE.search(text[max(0, at - 8) : at].rstrip()))


def _occurrences(text: str, phrase: str) -> Iterator[int]:
    at = text.find(phrase)
    while at >= 0:
        yield at
        at = text.find(phrase, at + 1)


def _stems(text: str) -> list[str]:
    """English words' stems, with "n't" and "cannot" read as "not"."""
    stem = english_root_stem()
    plain = re.sub(r"n't\b", " not", text.lower()).replace("cannot", "can not")
    return [stem(w) for w in _WORD.findall(plain)]


def _asserted_words(words: list[str], phrase: list[str]) -> bool:
    """Whether ``phrase`` (stems) comes in ``words`` with no negation in the three words before it."""
    return any(words[i : i + len(phrase)] == phrase and not _NOT.intersection(words[max(0, i - 3) : i])
               for i in range(len(words) - len(phrase) + 1))


_CASES = (
    ("变大|增大|较大|越大|更大|扩大|很大", "变小|减小|较小|越小|更小|缩小|很小"),
    ("变多|增多|较多|越多|更多|很多", "变少|减少|较少|越少|更少|很少"),
    ("变高|升高|较高|越高|更高|提高|很高", "变低|降低|较低|越低|更低|很低"),
    ("变长|较长|越长|更长|很长", "变短|缩短|较短|越短|更短|很短"),
    ("变快|加快|较快|越快|更快", "变慢|减慢|较慢|越慢|更慢"),  # not 很快, which is also "soon"
)
"""Comparative cases in Chinese, each with its opposite: a question asked of one and a sentence that says the other."""


def other_case(question: str, sentence: str) -> str | None:
    """The opposite case ``sentence`` says ("较小") when ``question`` asks of a case ("变大以后……") and the sentence says
    only its opposite; else None. A sentence that says both ("较小时用人工评估，较大时用自动评估") is about the question's."""
    asked, said = simplified(question), simplified(sentence)
    for one, other in _CASES:
        for mine, theirs in ((one, other), (other, one)):
            if re.search(mine, asked) and not re.search(mine, said):
                opposite = re.search(theirs, said)
                if opposite is not None:
                    return opposite.group(0)
    return None


_QUOTES = "“”\"'‘’「」"
_MIN_CASE = 4
"""Characters a phrase of the question's case needs ("存在“序”关系" has 5 without its quotes; "存在" alone is too
common a word to tell two cases apart)."""


def other_polarity(question: str, sentence: str, passage: str) -> str | None:
    """The phrase that ``sentence`` says with the opposite polarity of ``question``, where its ``passage`` says it with
    both ("对于存在“序”关系的属性，可通过连续化……" for "不存在“序”关系的属性应该怎么处理？", the passage going on "对于不存在“序”关系的
    属性……"); else None. Where the passage says the phrase one way only, a sentence that turns the question's
    case around may still answer it ("苏利南在何时之前并非社会主义国家？": the year it became one)."""
    asked, said, whole = simplified(question), simplified(sentence), simplified(passage)
    for match in _CHINESE_NEGATION.finditer(asked):
        shared = _shared_phrase(_case_phrase(asked, match.end()), said)
        if shared and not _negated_in(said, shared) and _negated_in(whole, shared):
            return shared
    for match in _CHINESE_NEGATION.finditer(said):
        shared = _shared_phrase(_case_phrase(said, match.end()), asked)
        if shared and not _asserted_in(said, shared) and _asserted_in(whole, shared):
            return match.group(0) + shared
    return None


def _case_phrase(text: str, start: int) -> str:
    """The words after a negation to the end of their clause, quotation marks included ("存在“序”关系的属性")."""
    end = start
    while end < len(text) and (text[end] not in _CLAUSE_END or text[end] in _QUOTES):
        end += 1
    return text[start:end].strip()


def _shared_phrase(phrase: str, text: str) -> str | None:
    """The longest start of ``phrase`` that ``text`` holds with no negation before it, if it is long enough to name a
    case (:data:`_MIN_CASE` characters besides quotation marks)."""
    best = ""
    for at in _occurrences(text, phrase[:2]) if len(phrase) >= 2 else ():
        if _negated_at(text, at):
            continue
        length = 2
        while length < len(phrase) and at + length < len(text) and text[at + length] == phrase[length]:
            length += 1
        best = max(best, phrase[:length], key=len)
    return best if sum(c not in _QUOTES for c in best) >= _MIN_CASE else None
