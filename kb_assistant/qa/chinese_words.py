"""Chinese text cut into words and tagged by jieba: the dictionary, its part-of-speech HMM where it is worth its time,
traditional text cut in its simplified form, and the names jieba tags or cannot read."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from typing import Any

from kb_assistant.cjk import HAN_RUNS, simplified
from kb_assistant.kb.tokens import jieba_lock, jieba_module

# A run of Chinese is tagged from jieba's dictionary alone when the stretches that its dictionary leaves as single
# characters (what jieba's part-of-speech HMM would tag) hold more than 24 characters, or more than 2 that the
# HMM has never seen. The HMM is Python and holds the interpreter the serving engine needs; it gives an unseen
# character all 256 states (8 random characters: up to 0.1 s; 150: 0.9 s), and with nothing learnt about them it
# only guesses. Runs are tagged in simplified form (see ``tagged_words``); in the runs of six ../shared/eval
# corpora (drcd_dev's traditional Chinese among them; 68,041 runs) 3 have more than 2 unseen characters,
# and no stretch holds more than 16 characters.
_MODEL_CHARS = 24
_UNSEEN_CHARS = 2


@functools.cache
def posseg() -> Any:
    """jieba's part-of-speech tagger (call it holding ``jieba_lock``)."""
    jieba_module()  # quiets jieba's logger once
    import jieba.posseg

    return jieba.posseg


def phrase_tagged_as_name(word: str, flag: str) -> bool:
    """Whether jieba's person-name tag on ``word`` is one of its dictionary's mistakes: 7,321 four-character entries
    are tagged ``nr``, most of them idioms and phrases ("努力争取", "一代楷模", "万象更新"). One whose two halves are
    words the dictionary tags as something other than a name is a phrase (1,372 entries); names ("司马相如": 司马 is
    a name, "罗纳尔多": neither half is a word) stay names. Places and organisations are left alone ("人民银行")."""
    if flag != "nr" or len(word) != 4:
        return False
    tags = posseg().dt.word_tag_tab
    return all(not tags.get(half, "nr").startswith(("nr", "x")) for half in (word[:2], word[2:]))


def _hmm_helps(run: str) -> bool:
    """Whether jieba's HMM is worth its time on ``run`` (see ``_MODEL_CHARS``; call with ``jieba_lock`` held)."""
    if len(run) <= _UNSEEN_CHARS:
        return True
    seen = posseg().char_state_tab_P
    stretches, stretch = [], ""
    for word in [*jieba_module().lcut(run, HMM=False), "  "]:
        if len(word) == 1:
            stretch += word
            continue
        if len(stretch) > 1:
            stretches.append(stretch)
        stretch = ""
    held = "".join(stretches)
    return len(held) <= _MODEL_CHARS and sum(c not in seen for c in held) <= _UNSEEN_CHARS


_JOINED = "和与及"
"""Conjunctions jieba's HMM joins to the name that follows them (five of 4,266 questions of seven Chinese sets;
同安县 and 同志会 are names)."""


def tagged_words(run: str) -> list[tuple[str, str, str]]:
    """A Chinese run's words as (word as written, simplified, part of speech); call with ``jieba_lock`` held.

    jieba's dictionary and HMM are simplified Chinese: traditional text is cut and tagged in its simplified form
    (a 300-character drcd_dev passage: 0.68 s -> 19 ms, 52% -> 66% of words found in the dictionary rather than
    left single) and each word is taken back in the characters the text uses, which the sources use too."""
    plain = simplified(run)
    words, start = [], 0
    for w in posseg().lcut(plain, HMM=_hmm_helps(plain)):
        cut = 0
        if w.flag.startswith(("nr", "ns")) and len(w.word) >= 3 and w.word[0] in _JOINED:
            # the HMM glues "和" to the name after it: "莱恩和威尔" -> 莱恩 / 和威尔, "北京和澳洲" -> 和澳洲
            words.append((run[start], w.word[0], "c"))
            cut = 1
        words.append((run[start + cut : start + len(w.word)], w.word[cut:], w.flag))
        start += len(w.word)
    return words


_PREDICATE_FLAGS = ("v", "p", "d", "c", "u")
"""jieba's tags of a verb, a preposition, an adverb, a conjunction and a particle."""


def unread_names(words: list[tuple[str, str, str]], joins: Callable[[str], bool]) -> dict[int, tuple[int, str]]:
    """The names in a run's words (``tagged_words``) that jieba could not read (call with ``jieba_lock`` held): a
    noun its HMM made up and the single characters and made-up nouns after it (not one that only asks or joins:
    ``joins``), four characters or more, by the index of their first word: (the index after the last, the name as
    written). "背斑眶锯雀鲷" is cut 背斑眶 / 锯 / 雀 / 鲷, and as pieces a
    passage on "蓝纹高身雀鲷" held most of it; "集变" of "验证集变大" is a verb, so no name."""
    known = jieba_module().dt.FREQ

    def made_up_noun(plain: str, flag: str) -> bool:
        return len(plain) >= 2 and not known.get(plain) and flag.startswith("n")

    names: dict[int, tuple[int, str]] = {}
    i = 0
    while i < len(words):
        if not made_up_noun(words[i][1], words[i][2]):
            i += 1
            continue
        j = i + 1
        while j < len(words) and ((len(words[j][1]) == 1 and not joins(words[j][1]))
                                  or made_up_noun(words[j][1], words[j][2])):
            j += 1
        # a name does not end in a verb or a preposition: it starts what is said of the name ("半透膜 / 指的是什么",
        # "人道法 / 受保护"); inside one it is a piece of the name (背斑眶 / 锯 / 雀 / 鲷)
        while j - 1 > i and len(words[j - 1][1]) == 1 and words[j - 1][2].startswith(_PREDICATE_FLAGS):
            j -= 1
        name = "".join(word for word, _, _ in words[i:j])
        if j - i >= 2 and len(name) >= 4:
            names[i] = (j, name)
        i = j
    return names


def person_names(text: str) -> list[str]:
    """The words of ``text`` that jieba tags as people's names (two characters or more, in the text's own
    characters; not the idioms its dictionary tags as names, see ``phrase_tagged_as_name``): 科尔曼 and 诺曼 of
    "科尔曼带领球队……，而诺曼……"; 约什 and 诺曼 of "约什·诺曼"."""
    runs = HAN_RUNS.findall(unicodedata.normalize("NFKC", text))
    if not runs:
        return []
    with jieba_lock:
        words = [tagged for run in runs for tagged in tagged_words(run)]
    return [word for word, plain, flag in words
            if flag.startswith("nr") and len(word) >= 2 and not phrase_tagged_as_name(plain, flag)]


_INSTITUTIONS = ("中学", "小学", "大学", "学院", "学校", "幼儿园", "医院", "公司", "银行", "研究院", "研究所", "出版社", "博物馆",
                 "图书馆", "集团")
_LINES = ("线", "南线", "北线", "东线", "西线")
"""A railway's, a metro's or a bus route's kind after the place that names it: "九龙南线" (九龙 / 南线), "荃湾线"; a question
about one is not answered by a passage on another line that names the same place ("機場快綫……九龍站")."""
_NAMING = ("ns", "nr", "nz", "nt", "j")
"""jieba's tags of the words that name an institution before its kind: places, people, other names, abbreviations."""


def institution_names(words: list[tuple[str, str, str]], asks: Callable[[str], bool]) -> dict[int, tuple[int, str]]:
    """Institutions a run's words (``tagged_words``) name with a kind jieba cut off: "青海川中学" (青海 / 川 / 中学),
    "宁县第一中学" (宁县 / 第一 / 中学), by the index of their first word: (the index after the kind, the name as
    written). The name is the last four characters or more that start with a naming word, so "湖南省长沙市雅礼中学" is
    "雅礼中学" and its places stay words of their own. One the dictionary holds whole ("清华大学") is a word already;
    after a word that asks (``asks``: "哪些法国学校") the words describe what is asked, they name nothing."""
    names: dict[int, tuple[int, str]] = {}
    for end, (_, kind, flag) in enumerate(words):
        if len(kind) > 4 or not kind.endswith(_INSTITUTIONS + _LINES):
            continue
        if flag == "n" and kind not in _INSTITUTIONS + _LINES:
            continue  # a kind of school, not a school's kind: "印度私立学校" is India's private schools ("在印度，私立学校……")
        start = end
        while start > 0 and (words[start - 1][2].startswith(_NAMING)
                             or (words[start - 1][2] == "m" and words[start - 1][1].startswith("第"))):
            start -= 1
        before = [simple for _, simple, _ in words[max(0, start - 2) : start]]  # "哪所", or 哪 / 所
        if start == end or (before and (asks(before[-1]) or (len(before) == 2 and len(before[1]) == 1
                                                             and asks(before[0])))):
            continue
        first = next((i for i in range(end - 1, start - 1, -1) if words[i][2].startswith(_NAMING)
                      and sum(len(w) for w, _, _ in words[i : end + 1]) >= 4), start)
        names[first] = (end + 1, "".join(w for w, _, _ in words[first : end + 1]))
    return names
