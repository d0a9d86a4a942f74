"""An answer as the grounding check reads it, sentence by sentence (:class:`Claim`), and the verified answer put
back together from the sentences it keeps, in the draft's own lines and paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb_assistant.qa.answer_text import MARKER, TRAILING, cited_numbers, split_sentences
from kb_assistant.qa.evidence import Span
from kb_assistant.qa.prompts import language_of


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


def read_claims(answer: str) -> list[Claim]:
    """The answer's sentences; a marker that opens a piece belongs to the sentence before it ("…。[1]")."""
    claims: list[Claim] = []
    previous_end = 0
    for sentence, start, end in split_sentences(answer):
        gap, previous_end = answer[previous_end:start], end
        leading = re.match(r"^(?:\s*" + MARKER.pattern + r")+", sentence, re.IGNORECASE)
        if leading and claims:
            claims[-1].cited += cited_numbers(leading.group(0))
            sentence = sentence[leading.end() :]
        cited = cited_numbers(sentence)
        text = MARKER.sub("", sentence).strip()
        if text.strip(TRAILING):
            breaks = "\n\n" if gap.count("\n") > 1 else "\n" if "\n" in gap else ""
            claims.append(Claim(text, cited, breaks_before=breaks if claims else ""))
        elif claims:
            claims[-1].cited += cited
    return claims


def first_evidence(kept: list[Claim]) -> dict[int, Span]:
    """Each cited source's span that supports the first kept sentence citing it: the answer itself, where
    the sentences after it say more (a list's items after its opening line)."""
    evidence: dict[int, Span] = {}
    for claim in kept:
        for span in (claim.evidence, claim.joint_evidence):
            if span is not None:
                evidence.setdefault(span.number, span)
    return evidence


def compose(claims: list[Claim], question: str) -> str:
    """Kept sentences in the answer's own lines and paragraphs, with their citations before the closing
    punctuation; sentences in a row that cite the same sources (a list from one passage) carry the markers once,
    on the last of them, unless a paragraph ends between."""
    language = language_of(question)
    full_stop = "。" if language == "zh" else "."
    marks = ["".join(f"[{n}]" for n in dict.fromkeys(claim.cited)) for claim in claims]
    text = ""
    for index, claim in enumerate(claims):
        body = claim.text.rstrip(TRAILING)
        end = claim.text[len(body) :].strip() or full_stop
        last = index == len(claims) - 1
        if last and end[:1] in ";；,，:：":  # the clause after it was dropped
            end = full_stop
        carried = not last and marks[index + 1] == marks[index] and claims[index + 1].breaks_before != "\n\n"
        own = "" if carried else marks[index]
        space = " " if own and language == "en" else ""
        joint = claim.breaks_before or ("" if language == "zh" or not text else " ")
        text += f"{joint if text else ''}{body}{space}{own}{end[:1]}"  # nothing before the first
    return text
