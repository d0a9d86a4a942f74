"""A source that names a deputy or an acting holder of the role a question asks about: "中国人民大学财政金融学院的院长是
谁？" was answered "……的院长是钱宗鑫" from "财政金融学院副院长、教授钱宗鑫". The answer borrows 院长 from the question, and
the question's words are not checked against the source, so every word the model added (the name) was there. What
the source says is 副院长, another role. Likewise "IPCC 首任主席是谁？" answered with a later chair from "前主席拉津德·帕乔里":
a question that asks an ordinal holder (首任, first, 第二任) needs a sentence that says the ordinal or lists the holders.
And a question that asks who made something ("PyMuPDFLoader 的作者是谁？") needs a source that says who made it: "……的作者是
LangChain" was drawn from "我们可以使用 LangChain 的 PyMuPDFLoader 来读取……", which says whose loader it is, not who wrote it.
Any role or relation a question asks who holds must be named by the source: "王奇的导师是谁？" is not answered by a sentence
on what the book's authors are.
"""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified

_QUALIFIERS = ("常务副", "副", "代理", "代", "名誉", "候补", "助理", "deputy ", "vice ", "vice-", "acting ", "assistant ",
               "associate ", "honorary ")
"""What makes a role another: deputy, acting, assistant, honorary (常务副院长 is a 副院长). Not former (前, 原, former):
a question about what a holder did is answered in the past ("在前主席帕乔里于 2015 年 2 月辞职后")."""
_ROLES = re.compile(
    r"(?:院长|校长|所长|局长|部长|厅长|处长|科长|主任|主席|总裁|总经理|经理|董事长|书记|市长|省长|县长|区长|镇长|总统|总理|"
    r"会长|社长|馆长|团长|队长|行长|署长|司长|秘书长|主编|总编|站长|组长|班长|教练|首席执行官"
    r"|(?<![a-z])(?:president|director|dean|chairman|chairwoman|chair|manager|minister|governor|mayor|principal|editor"
    r"|coach|secretary|chancellor|ceo|cto|cfo)(?![a-z]))",
    re.IGNORECASE,
)
"""English roles as whole words, with no letter before or after ("cto" is in "Doctor Who"; "星河科技的CEO" has no word
boundary before CEO, since Chinese characters are word characters too)."""


ASKS_PERSON = re.compile(r"谁|哪位|何人|\bwho(?:m|se)?\b", re.IGNORECASE)
"""A question that asks who: a person."""
_FIRST = r"首任|第一任|首位|第一位|首届|创始|\bfirst\b|\bfounding\b|\binaugural\b"
_ORDINAL = re.compile(rf"(?:{_FIRST}|第[一二三四五六七八九十两\d]+任|\b(?:second|third|fourth|fifth|sixth)\b)\s*(?:the\s+)?$",
                      re.IGNORECASE)
"""An ordinal just before the role a question asks about: "IPCC 首任主席是谁？", "Who was the first chair"."""


_WROTE = r"作者|著|写|撰|编|创作|执笔|\bauthor|\bwr[io]te|\bwritten|\bpublish"
_FOUNDED = r"创始|创办|创建|创立|成立|建立|\bfound|\bestablish|\bcreat|\bstart"
_MAKERS = (
    (r"作者|\bauthors?\b", _WROTE),
    (r"创始人|创办人|创建者|\bfounders?\b", _FOUNDED),
    (r"开发者|\bdevelopers?\b", r"开发|研发|研制|\bdevelop|\bcreat|\bbuil"),
    (r"\bcreators?\b", r"创造|创建|创作|\bcreat|\bdevis|\bdevelop"),
    (r"发明人|发明者|\binventors?\b", r"发明|\binvent|\bdevis"),
    (r"设计者|设计师", r"设计|\bdesign"),
    (r"导演", r"导演|执导|\bdirect"),
    (r"编剧", r"编剧|剧本|\bscreenplay|\bwr[io]te|\bwritten"),
    (r"译者", r"译|\btranslat"),
)
"""Roles of who made something, each with the words a source that says it uses (its noun or verb)."""


def unsaid_maker(question: str, passage: str) -> str | None:
    """The maker ``question`` asks for ("作者", "founder") when it asks who it is and ``passage`` says nothing of
    making (neither the role nor its verb: 写, 创办, founded…); else None."""
    asked = simplified(question).lower()
    if not ASKS_PERSON.search(asked):
        return None
    return _unsaid(_MAKERS, asked, simplified(passage).lower())


def _unsaid(table: tuple[tuple[str, str], ...], asked: str, text: str) -> str | None:
    """The first word of ``asked`` that one of ``table``'s (asked, said) patterns finds when ``text`` holds none of
    that entry's words; an English one without its plural s."""
    for pattern, said in table:
        word = re.search(pattern, asked)
        if word and not re.search(said, text):
            return word.group(0).rstrip("s") if word.group(0).isascii() else word.group(0)
    return None


_TAUGHT = r"师|教|门下|门生|弟子|学于|受业|\bteach|\btaught|\btutor|\bstudied (?:under|with)|\bpupil|\bstudent"
_RELATIONS = (
    (r"导师|\b(?:advis[eo]rs?|supervisors?|mentors?)\b", r"导师|指导|师从|门下|\badvis|\bsupervis|\bmentor|\bstudied under"),
    (r"老师|师父|\bteachers?\b", _TAUGHT),
    (r"学生|弟子|徒弟|\b(?:students?|pupils?|disciples?)\b", _TAUGHT),
    (r"妻子|夫人|太太|\bwife\b|\bwives\b", r"妻|夫人|太太|娶|嫁|配偶|\bwife|\bwives|\bmarri|\bspouse"),
    (r"丈夫|\bhusbands?\b", r"丈夫|夫|娶|嫁|配偶|\bhusband|\bmarri|\bspouse"),
    (r"父亲|\bfathers?\b", r"父|爸|\bfather|\bson of\b|\bdaughter of\b"),
    (r"母亲|\bmothers?\b", r"母|妈|\bmother|\bson of\b|\bdaughter of\b"),
    (r"继任者|接班人|\bsuccessors?\b", r"继任|接任|接替|接班|继承|\bsucce|\breplac"),
    (r"前任|\bpredecessors?\b", r"前任|继任|接任|接替|\bpredecessor|\bsucce|\breplac"),
)
"""Who someone is to someone else, each with the words a source that says it uses: a question that asks for one
("王奇的导师是谁？") is answered by a source that says the relation ("拜……为师" says a teacher)."""


def unsaid_role(question: str, passage: str) -> str | None:
    """The role or relation ``question`` asks who holds ("导师", "CEO", "author") when ``passage`` never names it (for
    a maker, neither the role nor its verb: :func:`unsaid_maker`); else None. "王奇的导师是谁？" was answered "王奇的导师是
    Dell会员成员" from "本书的作者目前都是Dell会员成员", which names no advisor: 导师 came from the question."""
    asked = simplified(question).lower()
    if not ASKS_PERSON.search(asked):
        return None
    text = simplified(passage).lower()
    unnamed = next((m.group(0) for m in _ROLES.finditer(asked) if m.group(0).lower() not in text), None)
    return _unsaid(_MAKERS, asked, text) or unnamed or _unsaid(_RELATIONS, asked, text)


def other_role(question: str, claim: str, sentence: str) -> str | None:
    """The qualified role ``sentence`` names ("副院长") when ``question`` asks who holds a role (院长) that the sentence
    names only so qualified, and neither the question nor ``claim`` says the qualifier; else None. A sentence that
    names the role unqualified ("院长杨瑞龙、副院长……") is about it, and where it names the role of what the question
    names ("国际关系学院副院长"), those are the ones that count; "校长助理" is an assistant's role. Where the question asks
    an ordinal holder ("首任主席"), the role as the sentence names it ("前主席", "主席") when the sentence says no such
    ordinal and lists no holders; where it asks the current holder (现任主席), the former holder's role ("前主席") when
    the sentence names the role only so."""
    asked, said, text = simplified(question).lower(), simplified(claim).lower(), simplified(sentence).lower()
    if not ASKS_PERSON.search(asked):  # "When did Pachauri resign as chair?" is answered by "…acting Chair after the
        return None                  # resignation of Pachauri in February 2015"
    for match in _ROLES.finditer(asked):
        role = match.group(0).lower()
        found = [m.start() for m in re.finditer(re.escape(role), text)]
        ordinal = _ORDINAL.search(asked[max(0, match.start() - 12) : match.start()])
        if found and ordinal and not _says_ordinal(ordinal.group(0), text) and not _lists_holders(role, text):
            # "IPCC 首任主席是谁？" answered from "……在前主席拉津德·帕乔里于 2015 年 2 月辞职后": a holder, not the first
            at = found[0]
            before = re.search(r"(?:前|原|现任|新任|代理|副|former |current |acting |vice[- ])$", text[:at])
            return f"{before.group(0) if before else ''}{role}".strip()
        past = [m.group(0) for at in found if (m := _PAST.search(text[:at]))]
        if (past and _CURRENT.search(asked[: match.start()])
                and all(_PAST.search(text[:at]) or text[:at].endswith(_QUALIFIERS) for at in found)):
            # "IPCC 现任主席是谁？" answered from "……由其副主席……领导，……在前主席拉津德·帕乔里于 2015 年 2 月辞职后": a
            # former holder (or a deputy), no current one
            return f"{past[0]}{role}".strip()
        # where the sentence names the role of what the question names ("国际关系学院的院长": 学院副院长, not the
        # 研究院院长 beside it), only those count
        owner = re.sub(r"的$", "", asked[max(0, match.start() - 5) : match.start()])[-3:]
        own = [at for at in found if owner and re.search(re.escape(owner) + r"的?\S{0,3}$", text[max(0, at - 8) : at])]
        found = own or found
        if not found:
            continue
        qualified = [next((q for q in _QUALIFIERS if text[:at].endswith(q)), None)
                     or ("助理" if text[at + len(role) :].startswith("助理") else None) for at in found]
        if all(qualified) and not any(f"{q}{role}" in asked or f"{q}{role}" in said for q in qualified if q):
            first = qualified[0] or ""
            return f"{role}{first}" if first == "助理" else f"{first}{role}".strip()
    return None


_CURRENT = re.compile(r"(?:现任|当前|目前的?|如今的?|\bcurrent |\bpresent )$")
_PAST = re.compile(r"(?:前|原|历任|首任|上任|卸任|former |ex-|previous |past )$")
"""A question that asks the current holder (现任主席) is not answered by a sentence that names the role only as a past
holder's (前主席, former chair)."""


def _says_ordinal(ordinal: str, text: str) -> bool:
    """Whether ``text`` says the ordinal a question asked (首任 and 第一任, first and founding, are one)."""
    ordinal = ordinal.strip().removesuffix("the").strip()
    if re.fullmatch(_FIRST, ordinal, re.IGNORECASE):
        return re.search(_FIRST, text, re.IGNORECASE) is not None
    return ordinal in text


def _lists_holders(role: str, text: str) -> bool:
    """Whether ``text`` lists the role's holders, from whose dates the first can be read: "IPCC 历任主席为：……伯特·布林，于
    1988 年任职" (xquad_zh's gold sentence for "IPCC 首任主席是谁？"), "the chairs of the IPCC have been"."""
    return bool(re.search(rf"(?:历任|历届|先后|各任|历代){re.escape(role)}|\b{re.escape(role)}(?:s|es|men)\b", text))
