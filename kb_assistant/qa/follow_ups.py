"""Follow-up questions made whole by rule, before the chat model is asked to rewrite them.

The 0.5B model rewrites a follow-up badly more often than not: of 12 follow-ups written by hand it left 7 as they
were ("它是哪个团队做的？", "那文心一言的呢？") or rewrote them about the wrong thing, and a follow-up searched as it is finds
whatever "它" matches ("天机是由OpenAI团队开发的"). Two shapes cover most follow-ups and need no model:

- a pronoun (它, it, its, they…) stands for what the previous question asks about: "它是哪个团队做的？" after "天机是什么？"
  is "天机是哪个团队做的？"; 它 as the object of a verb ("怎么修改它？") stands for the thing whose value the latest question
  asked for, where it asked for one ("HTTP 服务默认监听哪个端口？": HTTP 服务的端口); 他 / 她 stand for a person the previous
  question, or else its answer, names (English he / she / they: the capitalised names of the latest question or
  answer that names one person, or several for they);
- an ellipsis ("那文心一言的呢？", "X 呢？", "And X?", "What about X?") asks the previous question again of X: X takes
  the place of its topic ("文心一言的 temperature 取值范围是多少？"), or of its year or date when X is one ("那 2024 年呢？").

- an item named by its place ("第二个原则具体是什么意思？", "最后一种呢？", "the second one") is that item of the last answer's
  list: its numbered or bulleted lines, else its enumeration, cut into as many items as the previous question asked
  for ("两个关键原则": "编写清晰、具体的指令" is one of them); "which one" asks which of those items.

Anything else, or a previous question whose topic cannot be read, goes to the model (an item whose list the last
answer does not hold is asked as it is).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb_assistant.cjk import HAN
from kb_assistant.kb.tokens import jieba_lock
from kb_assistant.qa.answer_text import as_said
from kb_assistant.qa.chinese_words import person_names, posseg
from kb_assistant.qa.prompts import ASKING

_CHINESE_IT = re.compile(r"(?<!其)它们|(?<!其)它")
_CHINESE_PERSON = re.compile(r"(?<!其)他们|她们|(?<![其吉])他|她")
"""他 and 它, not inside 其他 / 其它 ("other")."""
_ENGLISH_IT = re.compile(r"\b(it|its|they|them|their)\b", re.IGNORECASE)
_ELLIPSIS = re.compile(
    r"^\s*(?:那么?|那个|还有|再问一下)?\s*(?P<zh>[^，。？?！!]{1,24}?)\s*的?\s*呢\s*[？?]?\s*$"
    r"|^\s*(?:and|what about|how about)\s+(?P<en>[^?]{1,60}?)\s*\??\s*$",
    re.IGNORECASE,
)
_TIME = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?|\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?"
                   r"|\b(?:in\s+)?\d{4}\b")
_WHAT_IS = re.compile(r"^\s*(?:请问)?什么是\s*(?P<x>[^？?，。]{1,30}?)\s*[？?]?\s*$")
_TOPIC_FLAGS = ("n", "eng", "a", "vn", "m", "q", "x")
_ENGLISH_TOPIC = re.compile(
    r"\b(?:the|a|an|your|our|this|that)\s+(?P<x>(?:[\w-]+\s+){0,4}?[\w-]+?)"
    r"(?=\s*(?:\?|$|\b(?:is|are|was|were|do|does|did|listen|listens|use|uses|cost|costs|have|has|in|on|of|for|to|with)\b))",
    re.IGNORECASE,
)


def is_elliptic(question: str) -> bool:
    """Whether ``question`` only names what the previous question should be asked of ("那文心一言的呢？", "And X?")."""
    match = _ELLIPSIS.match(question)
    if match is None or ASKING.search(match.group("zh") or match.group("en") or ""):
        return False
    return match.group("zh") is None or _a_noun_phrase(match.group("zh"))


def _a_noun_phrase(text: str) -> bool:
    """Whether ``text`` names a thing and says nothing of it: no verb, no 我 / 你 ("我觉得不错呢" is a remark)."""
    with jieba_lock:
        words = list(posseg().cut(text))
    return not any((w.flag.startswith("v") and w.flag not in ("vn", "vg")) or w.word in ("我", "你", "我们", "你们")
                   for w in words)


def resolve_follow_up(question: str, history: Sequence[tuple[str, str]]) -> str | None:
    """``question`` made whole from the conversation's latest question that has a topic (a pronoun's, or the one an
    ellipsis asks again; 他 / 她: the latest person named in a question, else in an answer), or None when no rule
    applies."""
    questions = [q for q, _ in reversed(history)]
    if history and names_an_item(question):
        return _item_asked(question, history[-1][0], as_said(history[-1][1]))
    topic = next((t for t in map(topic_of, questions) if t), None)
    if HAN.search(question) and _CHINESE_PERSON.search(question):
        name = next((n for text in [*questions, *(a for _, a in reversed(history))] for n in person_names(text)), None)
        name = name or (topic if topic and _is_a_name(topic) else None)  # 周/明远: jieba tags the surname alone
        return _joined(_CHINESE_PERSON.sub(lambda _: name, question, count=1)) if name else None
    it = _CHINESE_IT.search(question) if HAN.search(question) else _ENGLISH_IT.search(question)
    if it and questions and _it_is_an_object(question):
        topic = asked_for(questions[0]) or topic  # "怎么修改它？": the value the last question asked for
    if HAN.search(question) and it:
        return _joined(_CHINESE_IT.sub(lambda _: topic, question, count=1)) if topic else None  # the topic is text, not a template
    if not HAN.search(question) and _ENGLISH_PERSON.search(question):
        people = next((n for text in [*questions, *(a for _, a in reversed(history))] if (n := english_names(text))), [])
        they = _ENGLISH_PERSON.search(question).group(1).lower() in ("they", "them", "their")
        if people and (not they or len(people) > 1) and (they or len(people) == 1):
            named = " and ".join(people)
            return _ENGLISH_PERSON.sub(lambda m: _english_form(named, m.group(1)), question, count=1)
        if not they:
            return None  # he / she and no one named: the model
    if not HAN.search(question) and it:
        return _ENGLISH_IT.sub(lambda m: _english_form(topic, m.group(1)), question, count=1) if topic else None
    ellipsis = _ELLIPSIS.match(question)
    if ellipsis and questions and is_elliptic(question):
        asked = (ellipsis.group("zh") or ellipsis.group("en") or "").strip()
        return _asked_again(questions[0], asked) if asked else None
    return None


_CHINESE_NUMBERS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
_CHINESE_ORDINAL = re.compile(r"第\s*([一二三四五六七八九十]|\d{1,2})\s*(?:个|条|点|种|项|步|类|款|位)?|最后一?(?:个|条|点|种|项|步|类|款|位)")
_ENGLISH_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "last": -1}
_ENGLISH_ORDINAL = re.compile(rf"\bthe ({'|'.join(_ENGLISH_ORDINALS)})(?: (?:one|item|point|option|step|principle))?\b",
                              re.IGNORECASE)
_PREPOSITIONS = frozenset({"from", "by", "in", "on", "at", "with", "via", "through", "to", "for"})
_LONGEST_ITEM = 60
"""Characters of an item that "which one" chooses among: a longer one is a clause, not a thing."""
_WHICH_ONE = re.compile(r"\bwhich (?:one|of them)\b", re.IGNORECASE)
_HOW_MANY = re.compile(r"([两二三四五六七八九十]|\d{1,2})\s*(?:个|条|点|种|项|步|类|款|位)|\b(two|three|four|five|six)\b",
                       re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)、]|[-*•])\s*(.+)$")
_BOLD_LABEL = re.compile(r"^(?:\*\*|__)(.+?)(?:\*\*|__)")
_INTRODUCED = re.compile(r".*(?:[：:]|包括|分别是|分别为|是|有|支持|\b(?:are|is|include|includes)\b)\s*", re.DOTALL)


def names_an_item(question: str) -> bool:
    """Whether ``question`` picks an item of a list by its place ("第二个原则……", "the second one") or asks which one."""
    return bool(_CHINESE_ORDINAL.search(question) or _ENGLISH_ORDINAL.search(question) or _WHICH_ONE.search(question))


def _item_asked(question: str, previous: str, answer: str) -> str | None:
    """``question`` with its ordinal ("第二个", "the second one") replaced by that item of ``answer``'s list, or "which
    one" by which of its items (its
    numbered or bulleted items, else its enumeration, cut into as many items as ``previous`` asked for when it says
    how many): "第二个原则具体是什么意思？" after "……两个关键原则是：编写清晰、具体的指令和给予模型充足思考时间" asks of
    给予模型充足思考时间."""
    chinese, english = _CHINESE_ORDINAL.search(question), _ENGLISH_ORDINAL.search(question)
    which_one = _WHICH_ONE.search(question) if not chinese and not english else None
    if which_one:  # "Which one is for English?": which of the last answer's items
        items = _items(answer, _how_many(previous))
        if len(items) < 2 or any(len(item) > _LONGEST_ITEM for item in items):
            return None  # not a list of things to choose from: the model
        listed = f"{which_one.group(0).split()[0]} of {', '.join(items[:-1])} and {items[-1]}"
        return question[: which_one.start()] + listed + question[which_one.end() :]
    if chinese:
        digit = chinese.group(1)
        place = -1 if digit is None else int(digit) if digit.isdigit() else _CHINESE_NUMBERS[digit]
    elif english:
        place = _ENGLISH_ORDINALS[english.group(1).lower()]
    else:
        return None
    items = _items(answer, _how_many(previous))
    if not items or place > len(items) or place == 0:
        return None
    item = items[place - 1 if place > 0 else -1]
    if chinese:
        return _joined(question[: chinese.start()] + f"“{item}”" + question[chinese.end() :])
    return question[: english.start()] + f'"{item}"' + question[english.end() :]


def _how_many(question: str) -> int | None:
    match = _HOW_MANY.search(question)
    if match is None:
        return None
    word = (match.group(1) or match.group(2)).lower()
    if word.isdigit():
        return int(word)
    return {"两": 2, **_CHINESE_NUMBERS, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}.get(word)


def _items(answer: str, count: int | None) -> list[str]:
    """The items of ``answer``: its list lines (their bold labels where they have them), else its enumeration."""
    listed = [m.group(1).strip() for line in answer.splitlines() if (m := _LIST_ITEM.match(line))]
    if len(listed) >= 2:
        return [_label(item) for item in listed]
    line = answer.strip().splitlines()[0] if answer.strip() else ""
    sentence = re.split(r"(?<=[。！？!?])|(?<=\.)\s", line, maxsplit=1)[0]
    body = _INTRODUCED.sub("", sentence, count=1).strip().rstrip("。.!！;；")
    body = re.sub(r"等$", "", body)
    # the last 和 / and joins the last item; 、 divides items, or words inside one ("编写清晰、具体的指令"): both cuts are
    # tried, finest first, and the one with as many items as the question asked for wins
    last = None
    for last in re.finditer(r"\s*(?:以及|和|及|与|或|\band\b|\bor\b)\s*", body):
        pass
    # the last item ends with its clause ("and from command-line flags, in increasing order of priority")
    head, tail = (body[: last.start()], [re.split(r"\s*[，,；;]\s*", body[last.end() :])[0]]) if last else (body, [])
    cuts = [[*re.split(r"\s*[、，,；;]\s*", head), *tail], [*re.split(r"\s*[，,；;]\s*", head), *tail]]
    cuts = [[c.strip() for c in cut if c.strip()] for cut in cuts]
    fitting = [_without_shared_preposition(cut) for cut in cuts if count is None or len(cut) == count]
    return fitting[0] if fitting and len(fitting[0]) >= 2 else []


def _without_shared_preposition(items: list[str]) -> list[str]:
    """``items`` without the English preposition they all open with ("from X, from Y and from Z": X, Y, Z)."""
    first = {item.split(maxsplit=1)[0].lower() for item in items if " " in item}
    if len(first) == 1 and len(items) >= 2 and all(" " in item for item in items) and first <= _PREPOSITIONS:
        return [item.split(maxsplit=1)[1] for item in items]
    return items


def _label(item: str) -> str:
    bold = _BOLD_LABEL.match(item)
    return bold.group(1).strip() if bold else re.split(r"[：:，,。]", item, maxsplit=1)[0].strip()


def topic_of(question: str) -> str | None:
    """What ``question`` asks about: in Chinese the words before its verb, preposition or 的 ("智谱 GLM 的 temperature
    取值范围是多少？": 智谱 GLM; "什么是 RAG？": RAG); in English its first noun phrase after an article ("What is the
    default embedding model?": the default embedding model)."""
    if not HAN.search(question):
        match = _ENGLISH_TOPIC.search(question)
        return match.group(0).strip() if match else None
    what = _WHAT_IS.match(question)
    if what:
        return what.group("x").strip()
    with jieba_lock:
        words = list(posseg().cut(question.strip()))
    topic = ""
    for word in words:
        if word.flag.startswith(_TOPIC_FLAGS) and (word.flag != "x" or word.word in " -.·"):
            topic += word.word
            continue
        if word.flag.startswith("nr") or word.flag in ("nrt", "nz", "ns", "nt"):
            topic += word.word
            continue
        break
    topic = topic.strip(" -.·")
    return topic if len(topic) >= 2 and not re.fullmatch(r"[\d\s.]+", topic) else None


_VALUE_OF = re.compile(r"^\s*(?P<x>[^，。？?]{1,30}?的[^，。？?的]{1,12}?)\s*(?:是|为|叫|在)?\s*(?:多少|什么|哪个|哪一个|哪里|哪儿|几)")
""""星河科技的服务端口是多少？": the thing (with its owner) whose value is asked."""
_WHICH = ("哪个", "哪一个", "哪种", "哪一种", "什么")
_OBJECT_AFTER = ("把", "将", "对", "给")
_WHICH_EN = re.compile(r"^\s*(?:which|what)\s+(?P<x>[a-z][\w-]*)\s+(?:does|do|did|is|are|was|were|will|can|should)\b",
                       re.IGNORECASE)
""""Which port does the HTTP server listen on?": the value asked for (port) of the question's topic."""
_AUXILIARIES = frozenset({"does", "do", "did", "is", "are", "was", "were", "will", "can", "could", "should", "would",
                          "has", "have", "had", "may", "might", "must", "when", "where", "why", "how", "if", "because"})


def asked_for(question: str) -> str | None:
    """The thing whose value ``question`` asks for, with its owner: "星河科技的服务端口是多少？": 星河科技的服务端口; "HTTP
    服务默认监听哪个端口？": HTTP 服务的端口; "Which port does the HTTP server listen on?": the HTTP server's port. None when
    it asks for no one value ("什么是 RAG？", "RAG 有哪些优势？", "What is the default model?")."""
    if not HAN.search(question):
        which = _WHICH_EN.match(question)
        topic = topic_of(question) if which and not _ENGLISH_IT.search(question) else None
        return f"{topic}'s {which.group('x')}" if which and topic else None
    if _CHINESE_IT.search(question) or _CHINESE_PERSON.search(question):
        return None
    value = _VALUE_OF.match(question)
    if value:
        return value.group("x").strip()
    with jieba_lock:
        words = [w for w in posseg().cut(question.strip().rstrip("？?。 ")) if w.word.strip()]
    if len(words) >= 2 and words[-2].word in _WHICH and words[-1].flag.startswith("n"):
        thing, topic = words[-1].word, topic_of(question)
        return f"{topic}的{thing}" if topic and thing not in topic else thing
    return None


def _it_is_an_object(question: str) -> bool:
    """Whether 它 / it in ``question`` is what a verb acts on ("怎么修改它？", "把它改成 8080", "How do I change it?"), not
    what the sentence is about ("它有哪些优势？", "What port does it listen on?")."""
    if not HAN.search(question):
        match = re.search(r"(\w+)?\s+it\b(?P<after>[^?]*)", question, re.IGNORECASE)
        return bool(match) and (not match.group("after").strip() or (match.group(1) or "").lower() not in _AUXILIARIES)
    with jieba_lock:
        words = [w for w in posseg().cut(question) if w.word.strip()]
    at = next((i for i, w in enumerate(words) if w.word in ("它", "它们")), 0)
    if at == 0:
        return False
    last = all(w.flag == "x" for w in words[at + 1 :])  # "如何备份它？": jieba tags 备份 a noun
    return last or words[at - 1].flag.startswith("v") or words[at - 1].word in _OBJECT_AFTER


def _is_a_name(topic: str) -> bool:
    """Whether ``topic`` opens with a word jieba tags as a person's name (its surname, at least)."""
    with jieba_lock:
        first = next(iter(posseg().cut(topic)), None)
    return first is not None and first.flag.startswith("nr")


def _asked_again(previous: str, asked: str) -> str | None:
    """``previous`` asked of ``asked``: in place of its year or date when ``asked`` is one, else of its topic."""
    asked = asked.rstrip("的 ").strip()
    if _TIME.search(asked):
        when = _TIME.search(previous)
        return previous[: when.start()] + asked + previous[when.end() :] if when else None
    topic = topic_of(previous)
    if not topic or topic == asked:
        return None
    return _joined(previous.replace(topic, asked, 1))


def _joined(text: str) -> str:
    """``text`` with a space where a Latin word and a Chinese character meet, as people write them ("RAG 有哪些优势？")."""
    text = re.sub(r"([A-Za-z0-9])(?=[\u4e00-\u9fff])", r"\1 ", text)
    return re.sub(r"(?<=[\u4e00-\u9fff])([A-Za-z])", r" \1", text)


def _english_form(topic: str, pronoun: str) -> str:
    """``topic`` where ``pronoun`` stood: "its", "their", "his" and "her" as a possessive."""
    return f"{topic}'s" if pronoun.lower() in ("its", "their", "his", "her") else topic


_ENGLISH_PERSON = re.compile(r"\b(he|him|his|she|her|they|them|their)\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?){0,2}\b")
_NOT_NAMES = frozenset({
    "the", "a", "an", "what", "who", "whom", "whose", "which", "when", "where", "why", "how", "is", "are", "was",
    "were", "do", "does", "did", "can", "could", "should", "would", "will", "it", "its", "they", "their", "he",
    "she", "his", "her", "this", "that", "these", "those", "there", "here", "in", "on", "at", "of", "for", "to",
    "from", "with", "by", "and", "or", "but", "if", "as", "not", "no", "yes", "i", "my", "we", "our", "you",
    "your",
})


def english_names(text: str) -> list[str]:
    """The people ``text`` names, by the look of English names: capitalised words (two or three of them, or one not
    opening the sentence), not function words ("The finance director is Zhou Mingyuan": Zhou Mingyuan; "What did
    Tesla invent?": Tesla). No tagger tells a person from a place here, so the caller asks only for he, she and they."""
    names = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group(0).split() if w.lower() not in _NOT_NAMES]
        opening = match.start() == 0 or text[: match.start()].rstrip().endswith((".", "?", "!", ":"))
        if len(words) >= 2 or (words and not opening and words[0] == match.group(0).split()[0]):
            names.append(" ".join(words))
    return names
