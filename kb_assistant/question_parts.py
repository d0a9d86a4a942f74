"""The parts of a question that asks about several things, by rules, so retrieval can find a passage for each.

"2021年香港和澳门的GDP增长率" needs a passage about Hong Kong and one about Macao; searched as one question,
the top results are often all about one of them. Two rules cover the common shapes:

- **coordination**: ``A 和/及/与/以及/、 B`` (jieba tags the word as a conjunction) gives one question with A and one
  with B. A and B are the longest runs of words on both sides with the same parts of speech, so
  "女子双人10米跳台和男子双人10米跳台" splits whole, and "2022和2023年" keeps its 年;
- **several questions in one**: "《心居》的主演有谁，导演是谁？" or "…是什么类型的电影？它的导演是谁？" splits at the
  punctuation between two questions; a later part that lacks its subject ("它", or no name at all) gets the first
  part's titles and names.

Questions with one part come back as they are, so single questions keep the single-search path; the rules
never call the chat model. English questions split only between whole questions ("…? Who…", ", and which…").
"""

from __future__ import annotations

import re

from kb_assistant.cjk import is_chinese
from kb_assistant.kb.tokens import jieba_lock, jieba_module

_CONJUNCTIONS = frozenset({"和", "及", "与", "以及", "、", "跟", "或"})
_QUESTION = re.compile(r"什么|谁|哪|多少|几|何时|何地|怎么|如何|怎样|是否|吗|呢|多久|多大|多高|时间|日期|地点")
_QUESTION_EN = re.compile(r"\b(what|who|whom|which|when|where|why|how|is|are|was|were|do|does|did|can)\b", re.IGNORECASE)
_ASKED_THING_EN = re.compile(r"(?:what|which|how many|how much)\s+[\w-]+", re.IGNORECASE)
_BARE_ASK_EN = re.compile(r"((?:what|which|how many|how much)\s+[\w-]+)\s*\??$", re.IGNORECASE)
"""A part that only names what it asks for ("what address?"): it asks it of what the first part asks about."""
_PRONOUN = re.compile(r"^(它们|他们|她们|它|他|她|其|该片|该剧|此片)")
_TITLE = re.compile(r"《[^》]{1,40}》")
_NAMED = ("nr", "nrt", "ns", "nt", "nz", "eng")
_RESPECTIVELY = re.compile(r"分别|各自")
MAX_PARTS = 4


def question_parts(question: str) -> list[str]:
    """The sub-questions of ``question`` (at most ``MAX_PARTS``), or ``[question]`` when it asks one thing."""
    text = question.strip()
    if not text:
        return [question]
    if not is_chinese(text):
        return _english_parts(text)
    parts: list[str] = []
    for piece in _questions(text):
        parts.extend(_coordinated(piece))
    parts = list(dict.fromkeys(p for p in parts if p))
    return parts[:MAX_PARTS] if len(parts) > 1 else [question]


def _english_parts(text: str) -> list[str]:
    """Split at "?" between questions and at ", and which/what/who/..." ("Which model is the default, and which
    package ships it?")."""
    pieces = [p.strip() for p in re.split(r"(?<=\?)\s+|,?\s+and\s+(?=(?:what|which|who|when|where|how)\b)", text,
                                          flags=re.IGNORECASE) if p and p.strip()]
    if len(pieces) > 1 and all(_QUESTION_EN.search(p) for p in pieces):
        asked = _ASKED_THING_EN.match(pieces[0])
        if asked:  # "What port does the server listen on and what address?": what address does it listen on
            pieces = [pieces[0]] + [f"{bare.group(1)}{pieces[0][asked.end():].rstrip('?')}?"
                                    if (bare := _BARE_ASK_EN.match(p)) else p for p in pieces[1:]]
        return pieces[:MAX_PARTS]
    return [text]


def _questions(text: str) -> list[str]:
    """Split at ？，；! between pieces that are each a question; later pieces borrow the first one's subject."""
    pieces = [p.strip() for p in re.split(r"[？?！!；;，,]", text) if p.strip()]
    if len(pieces) < 2 or not all(_QUESTION.search(p) for p in pieces):
        return [text.rstrip("？?")]
    first, rest = pieces[0], pieces[1:]
    context = _subject(first)
    completed = [first]
    for piece in rest:
        if _PRONOUN.match(piece):
            piece = _PRONOUN.sub(context or "", piece, count=1)
        elif context and not any(part in piece for part in context.split()):
            piece = f"{context}{piece}" if context.startswith("《") else f"{context} {piece}"
        completed.append(piece)
    return completed


def _subject(piece: str) -> str:
    """The titles (《…》) of a piece, else its names, places, organisations and Latin words."""
    titles = _TITLE.findall(piece)
    if titles:
        return "".join(titles)
    names = [word for word, flag in _tagged(piece) if flag in _NAMED and len(word) > 1]
    return " ".join(dict.fromkeys(names))


def _coordinated(piece: str) -> list[str]:
    """One question per conjunct of the first coordination in ``piece`` (outside 《…》 titles): two names that end
    with the same word ("计算机科学与技术专业和软件工程专业") first, else conjuncts of the same shape."""
    words = _tagged(piece)
    candidates = _conjunctions(words)
    named = [split for split in (_same_head(words, index) for index in candidates) if split is not None]
    if named:
        # the widest: "数学与应用数学专业与数据计算及应用专业" is two majors, not 数学 and 应用数学
        before, left, right, after = max(named, key=lambda split: len(split[1]) + len(split[2]))
        return [f"{before}{left}{after}", f"{before}{right}{after}"]
    for index in candidates:
        word, flag = words[index]
        if word == "与" and flag == "p":  # "速度与激情" is a title, not two
            continue
        size = _conjunct_size(words, index)
        if size == 0:
            continue
        # a name jieba cut after its surname ("周/nr 明远/a 和 林晓雯/nr"): the surname belongs to the left conjunct
        left_size = size + (size == 1 and index >= 2 and words[index + 1][1].startswith("nr")
                            and words[index - 2][1].startswith("nr") and len(words[index - 2][0]) == 1)
        before = "".join(w for w, _ in words[: index - left_size])
        left = "".join(w for w, _ in words[index - left_size : index])
        right_size = size if size > 1 else _noun_run(words, index + 1)
        right = "".join(w for w, _ in words[index + 1 : index + 1 + right_size])
        after = _RESPECTIVELY.sub("", "".join(w for w, _ in words[index + 1 + right_size :]))
        if left[:1] in "，。？" or right[:1] in "，。？":
            continue
        head = words[index + right_size][0]
        if right_size > 1 and left_size == 1 and head[-1] != left[-1]:
            left += head  # "金融学和金融工程专业": 金融学专业; not "经济学和经济统计学": 经济学统计学
        return [f"{before}{left}{after}", f"{before}{right}{after}"]
    return [_RESPECTIVELY.sub("", piece)] if words else [piece]


def _conjunctions(words: list[tuple[str, str]]) -> list[int]:
    """Where ``words`` has a conjunction between two words, outside 《…》 titles."""
    found, inside_title = [], 0
    for index, (word, flag) in enumerate(words):
        inside_title += word.count("《") - word.count("》")
        if not inside_title and word in _CONJUNCTIONS and 0 < index < len(words) - 1 and flag in ("c", "x", "p"):
            found.append(index)
    return found


def _same_head(words: list[tuple[str, str]], index: int) -> tuple[str, str, str, str] | None:
    """(before, left, right, after) when the conjunct left of ``index`` ends with a noun that ends the right one
    too, within 8 words ("人工智能专业和计算机科学与技术专业"). The left one has as many words as the right one
    ("网路规模和客户规模": what comes before is shared), and reaches further back past a 与 inside a name
    ("计算机科学与技术专业") or a one-character piece of a word jieba cut ("行政/学 专业")."""
    head, flag = words[index - 1]
    if len(head) < 2 or not flag.startswith(("n", "l", "j")) or flag == "nr":
        return None
    end = next((j for j in range(index + 1, min(index + 9, len(words))) if words[j][0] == head), None)
    if end is None or not all(_in_name(pair) for pair in words[index + 1 : end]):
        return None  # "信息资源管理和档案学专业在中国人民大学信息资源管理学院": 在 ends the conjunct
    if words[index] == ("与", "p") and end + 1 < len(words) and _noun(words[end + 1]):
        return None  # "数学与应用数学专业" is one major's name; "…与传播学专业在…" are two
    start = max(index - (end - index), 0)
    while start < index - 1 and not _in_name(words[start]):
        start += 1
    while start > 0 and _in_name(words[start - 1]):
        joined = words[start - 1][0] in ("与", "及") and start > 1 and _in_name(words[start - 2])
        if not joined and (len(words[start][0]) > 1 or words[start][1] == "m"):
            break
        start -= 2 if joined else 1
    join = "".join
    return (join(w for w, _ in words[:start]), join(w for w, _ in words[start:index]),
            join(w for w, _ in words[index + 1 : end + 1]), _RESPECTIVELY.sub("", join(w for w, _ in words[end + 1 :])))


def _noun(pair: tuple[str, str]) -> bool:
    """Whether a tagged word is a noun or a name other than a person's."""
    return pair[1].startswith(("n", "l", "j", "eng")) and pair[1] != "nr"


def _in_name(pair: tuple[str, str]) -> bool:
    """Whether a word may be part of a name of several words: nouns, names, verbs used in names (应用数学), 与."""
    word, flag = pair
    return flag.startswith(("n", "v", "l", "j", "a", "m", "eng")) or word in ("与", "及")


def _noun_run(words: list[tuple[str, str]], start: int) -> int:
    """How many words from ``start`` on form one noun phrase ("金融/n 工程/n 专业/n", "国际/n 经济/n 与/p 贸易/vn
    专业/n"), at most 6; 1 when the word at ``start`` is no noun."""
    def noun(at: int) -> bool:
        return at < len(words) and (_noun(words[at]) or words[at][1] == "vn")

    if not _noun(words[start]):
        return 1  # "管理和仲裁动物命名": 仲裁/vn is what is done, 动物命名 is shared
    end = start + 1
    while end - start < 6 and (noun(end) or (end < len(words) and words[end][0] in ("与", "及") and noun(end + 1))):
        end += 1
    return end - start


def _conjunct_size(words: list[tuple[str, str]], index: int) -> int:
    """How many words each conjunct has: the longest run (up to 6) whose parts of speech match on both sides and
    that starts or ends with the same word on both ("女子双人10米跳台和男子双人10米跳台", "2022年和2023年"), else one
    word each when both sides are content words ("组男单和女单冠军": 男单 / 女单, the rest is shared)."""
    for size in range(6, 1, -1):
        if index - size < 0 or index + 1 + size > len(words):
            continue
        left, right = words[index - size : index], words[index + 1 : index + 1 + size]
        parallel = left[0][0] == right[0][0] or left[-1][0] == right[-1][0]
        if parallel and [_coarse(f) for _, f in left] == [_coarse(f) for _, f in right]:
            return size
    left_flag, right_flag = words[index - 1][1], words[index + 1][1]
    content = ("n", "v", "a", "m", "t", "e", "j", "z", "b", "i", "l")
    return 1 if left_flag[:1] in content and right_flag[:1] in content else 0


def _coarse(flag: str) -> str:
    """Parts of speech close enough to coordinate: nouns and verbs used as nouns (导演/v, 编剧/n) match."""
    if flag.startswith(("n", "v")) or flag in ("eng", "j", "i", "l"):
        return "n"
    return flag[:1]


def _tagged(text: str) -> list[tuple[str, str]]:
    jieba_module()
    import jieba.posseg as pseg

    with jieba_lock:
        return [(pair.word, pair.flag) for pair in pseg.cut(text)]
