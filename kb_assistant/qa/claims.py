"""An answer as the grounding check reads it, sentence by sentence (:class:`Claim`), and the verified answer put
back together from the sentences it keeps, in the draft's own lines and paragraphs."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kb_assistant.cjk import HAN, simplified
from kb_assistant.qa.answer_text import MARKER, TRAILING, cited_numbers, split_sentences
from kb_assistant.qa.evidence import Passage, Span
from kb_assistant.qa.prompts import LATIN_WORD, QUOTE, QUOTE_TABLE, TABLE_CAPTION, in_script_of, language_of
from kb_assistant.qa.table_cells import TABLE_RULE, table_header
from kb_assistant.qa.terms import TermIndex, normalise


@dataclass
class Claim:
    """One sentence of the model's answer and what the check found for it."""

    text: str
    cited: list[int]
    support: list[int] = field(default_factory=list)
    evidence: Span | None = None
    joint_evidence: Span | None = None
    """The second passage's sentence, when the claim's words are held by two passages together."""
    relevance: float = 0.0
    """Weighted share of the question's terms found around the evidence (see ``specific_terms``)."""
    window: str = ""
    """The evidence with its neighbouring sentences: what relevance is measured on."""
    kept: bool = False
    reason: str = ""
    breaks_before: str = ""
    """The line breaks between this sentence and the one before it in the answer: a list or paragraphs keep
    their layout when the verified answer is put together."""
    marker: str = ""
    """A list item's marker ("1. ", "- "), taken off ``text`` (a number there is no claim) and put back when the
    verified answer is put together, numbered again where items were dropped."""
    code: str | None = None
    """For a fenced code block (a command, a configuration file), its info string ("bash", or ""): the block is
    one claim, checked as a whole and put back as a block. None for a sentence."""
    row: bool = False
    """A Markdown table row ("| GPT-4 | OpenAI |"): one claim, whatever punctuation its cells hold."""


_PLACEHOLDER = re.compile(r"<[^<>\n]{1,60}>|\{[^{}\n]{1,60}\}")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_OPTION = re.compile(r"(?<![\w\-/.])--?[A-Za-z][\w\-]*")
_LONG_OPTION = re.compile(r"(?<![\w\-/.])--[A-Za-z][\w\-]*")
_IDENTIFIER = re.compile(r"(?<![\w\-])[A-Za-z][A-Za-z0-9]*(?:[_.][A-Za-z0-9]+)*_[A-Za-z0-9]+(?:[_.][A-Za-z0-9]+)*")


_TYPOGRAPHIC = str.maketrans({"\u2014": "--", "\u2013": "--", "\u2010": "-", "\u2011": "-", "\u2212": "-"})


def as_typed(text: str) -> str:
    """``text`` as it is typed at a prompt: a word processor's dashes ("\u2013prune") back to hyphens."""
    return text.translate(_TYPOGRAPHIC)


def code_literals(claim: Claim) -> list[str]:
    """What a claim's code must say word for word, as a source says it: command-line options ("--api-key",
    "-m") and identifiers with underscores ("llm_model", "KB_API_KEY") in a code block or an inline code span,
    and long options anywhere. Placeholders ("<your_key>", "{kb}") are the reader's to fill in. A made-up
    option is the worst kind of made-up fact: it fails when the user runs it."""
    text = _PLACEHOLDER.sub(" ", as_typed(claim.text))
    code = text if claim.code is not None else " ".join(_INLINE_CODE.findall(text))
    found = _OPTION.findall(code) + _IDENTIFIER.findall(code) + _LONG_OPTION.findall(text)
    return list(dict.fromkeys(found))


_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-*+•])[ \t]+(?=\S)")
_NUMBERED = re.compile(r"^(\d{1,3})([.)])")
_BLOCK = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^\n`]*)\n(.*?)(?:\n[ \t]{0,3}\1[ \t]*(?=\n|$)|\Z)"
                    r"|^[ \t]*(\|[^\n]*\|(?:[ \t]*[\[【][^\]】\n]{1,12}[\]】])*)[ \t]*$", re.MULTILINE | re.DOTALL)
"""A fenced code block, to its closing fence or to the end of an answer cut short; or a table row."""


def read_claims(answer: str) -> list[Claim]:
    """The answer's sentences and code blocks; a marker that opens a piece belongs to the sentence before it
    ("…。[1]"); markers inside a code block are code."""
    claims: list[Claim] = []
    previous_end = 0
    pieces = [(m.start(), m.end(), m) for m in _BLOCK.finditer(answer)] + [(len(answer), len(answer), None)]
    prose_start = 0
    for start, end, block in pieces:
        for sentence, at, stop in split_sentences(answer[prose_start:start]):
            _add_sentence(claims, sentence, answer[previous_end : prose_start + at])
            previous_end = prose_start + stop
        breaks = _breaks(answer[previous_end:start]) if claims else ""
        if block is not None and block.group(4):
            row = block.group(4)
            claims.append(Claim(MARKER.sub("", row).strip(), cited_numbers(row), breaks_before=breaks, row=True))
            previous_end = end
        elif block is not None and block.group(3).strip():
            claims.append(Claim(block.group(3).strip("\n"), [], breaks_before=breaks, code=block.group(2).strip()))
            previous_end = end
        prose_start = end
    return claims


def _add_sentence(claims: list[Claim], sentence: str, gap: str) -> None:
    """The sentence as a claim after ``gap``, or its markers to the claim before when it holds nothing else."""
    leading = re.match(r"^(?:\s*" + MARKER.pattern + r")+", sentence, re.IGNORECASE)
    if leading and claims:
        claims[-1].cited += cited_numbers(leading.group(0))
        sentence = sentence[leading.end() :]
    cited = cited_numbers(sentence)
    text = MARKER.sub("", sentence).strip()
    item = _ITEM.match(text) if not gap or "\n" in gap else None  # a marker opens a line, not a sentence
    marker = item.group(0) if item else ""
    text = text[len(marker) :]
    if text.strip(TRAILING).strip("*_` "):
        claims.append(Claim(text, cited, breaks_before=_breaks(gap) if claims else "", marker=marker))
    elif claims:
        claims[-1].cited += cited


def _breaks(gap: str) -> str:
    return "\n\n" if gap.count("\n") > 1 else "\n" if "\n" in gap else ""


NOTHING_NEW = "says nothing the question does not"
"""Why a sentence that only repeats the question is dropped."""


def repeats_the_asking(claim: str, question: str) -> bool:
    """Whether ``claim`` holds the question's asking word with the two characters before it ("这称为什么"): a draft
    that runs on from the question's own words ("……这称为什么是因为它促进了更广泛的消费……") answers nothing. Or, for
    "What <verb> …?", whether the claim gives the verb a subject made of the question's own words: "The lamp broke
    during the transit" for "What broke on the lamp during shipping?" says what broke is the lamp it broke on."""
    said = simplified(claim)
    if any(m.group(0) in said for m in _ASKING_PHRASE.finditer(simplified(question))):
        return True
    asks = _WHAT_VERB.match(question)
    if asks is None:
        return False
    subject = re.match(rf"\s*((?:[A-Za-z'-]+\s+){{1,4}}?){re.escape(asks.group(1))}\b", claim, re.IGNORECASE)
    if subject is None:
        return False
    words = [w.lower() for w in re.findall(r"[A-Za-z'-]+", subject.group(1))]
    asked = {w.lower() for w in re.findall(r"[A-Za-z'-]+", question)}
    return words[-1] not in _AUXILIARIES and all(w in asked or w in _ARTICLES for w in words)


def lacks_the_asked_verb(question: str, text: str) -> bool:
    """Whether ``question`` asks "What <verb> …?" and ``text`` (a sentence to quote) does not hold that verb: "From the
    review below, … extract the information relevant to shipping" shares "shipping" with "What broke on the lamp during
    shipping?" and says nothing of what broke."""
    asks = _WHAT_VERB.match(question)
    return asks is not None and TermIndex.of(asks.group(1)).stems.isdisjoint(TermIndex.of(text).stems)


_ASKING_PHRASE = re.compile(r"[\u4e00-\u9fff]{2}(?:什么|哪个|哪些|哪里|哪儿|多少|几个|谁)")
_WHAT_VERB = re.compile(
    r"\s*what\s+([a-z]{2,}(?<!e)ed|broke|spoke|made|took|gave|won|lost|led|left|kept|held|brought|fought|bought|caught"
    r"|built|sent|grew|threw|drew|flew|fell|rose|began|became|came|ran|struck|stole|wrote|drove|sold|found|paid)\s",
    re.IGNORECASE,
)
""""What broke …", "What caused …", "What happened …": a question whose subject is asked for, by a verb in the past."""
_ARTICLES = frozenset(("the", "a", "an", "this", "that", "its", "their", "his", "her", "our"))
_AUXILIARIES = frozenset(("was", "were", "is", "are", "be", "been", "has", "have", "had", "not", "never"))


def drop_headless_items(claims: list[Claim]) -> None:
    """Unkeep the sentences of a list item whose opening sentence (the one after its marker) was dropped as
    unsupported: "这些数据可以是数字、文本……" without "1. **数据准备**：需要收集大量的向量数据。" says nothing a reader can
    place. An opening that only repeats the question takes nothing from the sentences after it."""
    headless = False
    for claim in claims:
        if claim.marker or claim.code is not None or claim.breaks_before:
            headless = bool(claim.marker) and not claim.kept and claim.reason != NOTHING_NEW
        elif headless and claim.kept:
            claim.kept, claim.reason = False, "the list item it goes on was dropped"


def drop_announcements(claims: list[Claim]) -> None:
    """Unkeep a sentence that announces what follows it ("你可以使用以下代码来调用智谱的 Embedding API：") when nothing of what
    it announces is kept: the code block, list or table right after it, with the sentences that go on its items, up to
    the next paragraph. The reader would be told of code that is not there."""
    for at, claim in enumerate(claims):
        if not claim.kept or not claim.text.rstrip().endswith((":", "：")):
            continue
        block = []
        for after in claims[at + 1 :]:
            if after.code is None and not after.row and not after.marker and after.breaks_before and block:
                break  # a new paragraph: the announced block ended
            if after.code is None and not after.row and not after.marker and not block:
                break  # the sentence after it announces nothing it lists
            block.append(after)
        if block and not any(after.kept for after in block):
            claim.kept, claim.reason = False, "what it announces was dropped"


def drop_repeats(claims: list[Claim]) -> None:
    """Unkeep a sentence or code block said already, word for word (a small model's loop: the same item again
    with a new number); table rows are left alone, two tables may share a header."""
    said: set[str] = set()
    for claim in claims:
        if not claim.kept or claim.row:
            continue
        key = re.sub(r"\s+", "", claim.text).strip(TRAILING)
        if key in said:
            claim.kept, claim.reason = False, "repeats a sentence said before"
        said.add(key)


def keep_table_frames(claims: list[Claim]) -> None:
    """Keep a table's header row and rule where a row under them is kept: they name what the cells are, and a
    table without them is no table. They carry no citation."""
    start = 0
    while start < len(claims):
        end = start
        while end < len(claims) and claims[end].row and (end == start or "\n\n" not in claims[end].breaks_before):
            end += 1
        table = claims[start:end]
        rule = next((i for i, row in enumerate(table) if TABLE_RULE.match(row.text)), None)
        if rule is not None and any(row.kept for row in table[rule + 1 :]):
            for frame in table[: rule + 1]:
                frame.kept, frame.reason, frame.cited = True, "", []
        start = max(end, start + 1)


def first_evidence(kept: list[Claim]) -> dict[int, Span]:
    """Each cited source's span that supports the first kept sentence citing it: the answer itself, where
    the sentences after it say more (a list's items after its opening line)."""
    evidence: dict[int, Span] = {}
    for claim in kept:
        for span in (claim.evidence, claim.joint_evidence):
            if span is not None:
                evidence.setdefault(span.number, span)
    return evidence


def in_question_script(claims: list[Claim], question: str) -> list[Claim]:
    """The claims as the answer shows them: in traditional characters for a question written in them (see
    :func:`kb_assistant.qa.prompts.in_script_of`), code blocks as they are, and a sentence that is the source's
    English with Chinese words glued in (:func:`glued`) as the source's own sentence."""
    shown = []
    for claim in claims:
        if claim.code is not None:
            shown.append(claim)
            continue
        text = claim.evidence.text if claim.evidence is not None and glued(claim.text) else claim.text
        sources = "\n".join(span.text for span in (claim.evidence, claim.joint_evidence) if span is not None)
        shown.append(dataclasses.replace(claim, text=in_script_of(question, text, sources)))
    return shown


def glued(text: str) -> bool:
    """Whether ``text`` is an English sentence with a few Chinese words glued in: the small model, asked in Chinese
    about an English source, wrote "它读取一个 folder of documents， splits它们 into chunks，…和 answers questions…".
    Twelve or more English words, and Chinese characters under a tenth of its letters ("支持的格式有 Markdown、PDF、
    Word" is Chinese naming English things)."""
    words = LATIN_WORD.findall(text)
    han = len(HAN.findall(text))
    return len(words) >= 12 and 0 < han <= 0.1 * (han + sum(map(len, words)))


def compose(claims: list[Claim], question: str) -> str:
    """Kept sentences in the answer's own lines and paragraphs, with their citations before the closing
    punctuation; sentences in a row that cite the same sources (a list from one passage) carry the markers once,
    on the last of them, unless a paragraph ends between. A code block keeps its fences; a sentence beside it that
    cites its sources carries its citation, else it goes on the line after it (a marker inside would be code)."""
    language = language_of(question)
    full_stop = "。" if language == "zh" else "."
    marks = ["".join(f"[{n}]" for n in dict.fromkeys(claim.cited)) for claim in claims]
    text = ""
    number: int | None = None  # the last numbered item's number in the verified answer
    for index, claim in enumerate(claims):
        last = index == len(claims) - 1
        following = None if last else claims[index + 1]
        if claim.code is not None:
            text += ("\n\n" if text else "") + _code_block(claims, index, marks[index])
            continue
        if claim.row:
            carried = (following is not None and following.row and marks[index + 1] == marks[index]
                       and following.breaks_before != "\n\n")
            joint = "\n\n" if not index or not claims[index - 1].row else claim.breaks_before or "\n"
            text += (joint if text else "") + _row(claim.text, "" if carried else marks[index])
            continue
        numbered = _NUMBERED.match(claim.marker)
        marker = claim.marker
        if numbered:  # items 1, 3, 4 (or 2, 3) kept of a list read 1, 2, 3
            number = 1 if number is None else number + 1
            marker = f"{number}{numbered.group(2)} "
        elif not claim.marker and claim.breaks_before:
            number = None  # a paragraph or line that is no item ends the list
        sentence = _balanced(claim.text)
        body = sentence.rstrip(TRAILING)
        end = sentence[len(body) :].strip() or ("" if claim.marker else full_stop)  # an item keeps its own end
        if last and end[:1] in ";；,，:：":  # the clause after it was dropped
            end = full_stop
        carried = (following is not None and following.code is None and not following.row
                   and marks[index + 1] == marks[index] and following.breaks_before != "\n\n")
        own = "" if carried else marks[index]
        space = " " if own and language == "en" else ""
        joint = claim.breaks_before or ("" if language == "zh" or not text else " ")
        if index and (claims[index - 1].code is not None or claims[index - 1].row):
            joint = "\n\n"  # a sentence after a code block or a table starts a paragraph of its own
        text += f"{joint if text else ''}{marker}{body}{space}{own}{end[:1]}"  # nothing before the first
    return text


def _code_block(claims: list[Claim], index: int, marks: str) -> str:
    """A kept code block with its fences; its citation on the line after it, unless a sentence beside it cites
    its sources already."""
    claim = claims[index]
    beside = [i for i in (index - 1, index + 1) if 0 <= i < len(claims) and claims[i].code is None]
    cited_beside = any(set(claim.cited) <= set(claims[i].cited) for i in beside)
    fence = "~~~" if "```" in claim.text else "```"
    return f"{fence}{claim.code}\n{claim.text}\n{fence}" + ("" if cited_beside else f"\n{marks}")


def _row(text: str, marks: str) -> str:
    """A table row with its citation in the last cell: after the closing bar it would be a cell of its own."""
    return text[:-1].rstrip() + (f" {marks} |" if marks else " |")


def _balanced(text: str) -> str:
    """``text`` without an unpaired ``**`` (bold over two sentences, one of them dropped), which would show as two
    stars; pairs are read from the left, so the one left over is the last."""
    if text.count("**") % 2 == 0:
        return text
    at = text.rfind("**")
    return text[:at] + text[at + 2 :]


_TITLE_CHARS = 60
"""Characters of a table's title in a quote's lead; a longer heading path keeps its last heading."""


def quoted(question: str, span: Span, passage_text: str) -> str:
    """The extractive answer: the sentence quoted and said to be a quote; a table row as a table (its header, the
    rule, the row), which a Markdown reader shows as one."""
    titled = table_header(passage_text, span.start, caption=True)  # the table's title line, then its header row
    header = titled.split("\n")[-1] if titled else None
    if not header:  # the quote keeps its source's words (and characters); what we say around it follows the question
        text = in_script_of(question, QUOTE[language_of(question)]).format(n=span.number, quote=span.text.strip())
        block = announced_block(span, passage_text)
        return f"{text}\n\n{block}" if block else text
    rule = "|" + " --- |" * max(header.strip().strip("|").count("|") + 1, 1)
    title = titled.split("\n")[0].strip().rstrip("：:") if titled and "\n" in titled else ""
    title = title if len(title) <= _TITLE_CHARS else title.rsplit(" > ", 1)[-1][:_TITLE_CHARS]
    language = language_of(question)
    caption = TABLE_CAPTION[language].format(title=title) if title else ""
    return in_script_of(question, QUOTE_TABLE[language]).format(
        n=span.number, caption=caption, table=f"{header}\n{rule}\n{span.text.strip()}")


_FENCED = re.compile(r"\s*(```[^\n]*\n.*?\n\s*```)", re.DOTALL)
_LONGEST_BLOCK = 2000
"""Characters of a code block quoted with the sentence that announces it: a longer one is left to the source."""


def announced_block(span: Span, passage_text: str) -> str | None:
    """The code block right after ``span`` in its passage when the span announces it ("你可以使用以下代码来调用……："): a
    quote of the announcement alone would point at code the reader is not shown."""
    if not span.text.rstrip().endswith((":", "：")):
        return None
    block = _FENCED.match(passage_text, span.end)
    return block.group(1) if block and len(block.group(1)) <= _LONGEST_BLOCK else None


def quotes_text(question: str, quotes: list[tuple[Span, float]], passages: Sequence[Passage],
                evidence: dict[int, Span]) -> str:
    """Several quotes (:func:`quoted`), one paragraph each, their spans added to ``evidence``."""
    for span, _ in quotes:
        evidence.setdefault(span.number, span)
    return "\n\n".join(quoted(question, span, passages[span.number - 1].text) for span, _ in quotes)


def echoes_headings(text: str, passages: Sequence[Passage], question: str = "") -> bool:
    """Whether ``text`` is only a source's heading path, or parts of it, once or more: the small model copies the
    line each source opens with ("kb-assistant user guide > Configuration", on two lines). One whole heading that is
    no file's name answers a question that asks which one or who: "彰化市" for "哪一個行政區為全台灣人口第三密集的
    縣轄市?" from the page titled so."""
    rest = normalise(text).strip(TRAILING)
    if not rest:
        return False
    if _ASKS_WHICH.search(simplified(question)) and any(
        rest == part.strip() and not _FILE_NAME.search(part) for p in passages for part in normalise(p.context).split(">")
    ):
        return False
    if any(rest in normalise(p.context) for p in passages):
        return True
    for passage in passages:
        parts = [part.strip() for part in normalise(passage.context).split(">")]
        for start in range(len(parts)):  # the longest tails first: "guide > configuration" before "configuration"
            rest = rest.replace(" > ".join(parts[start:]), " ")
    return not re.sub(r"[\W_]+", "", rest)


_ASKS_WHICH = re.compile(r"哪|谁|\b(?:which|who)\b", re.IGNORECASE)
_FILE_NAME = re.compile(r"\.\w{1,5}\s*$")
