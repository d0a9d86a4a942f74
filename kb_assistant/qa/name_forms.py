"""English names that a passage writes in another form than the question does.

Questions written by people name things in full where the text they read does not: "Graham Twigg" where the passage
says "Twigg suggested…", "UMC" for "The United Methodist Church", "the United States" for "the USA", and with a
typo in a short word ("The Mark of Anarchy" for "The Mask of Anarchy"). Each such name counted as one no passage
holds, so the question was refused as about something the knowledge base never mentions. A name is a run of
capitalised words (joined by "of", "the"…); the forms accepted here keep the rest of the run, so "Robert Kennedy"
is not "John F. Kennedy" and "Yale University" is not "University".
"""

from __future__ import annotations

import functools
import re

from kb_assistant.kb.tokens import english_root_stem

Run = tuple[str, ...]
"""A name's words, each stemmed as terms are (``english_root_stem``)."""

_CONNECTORS = frozenset((
    "of", "the", "and", "de", "du", "la", "le", "von", "van", "der", "da", "di",
))
_LEADING = frozenset((
    "the", "a", "an", "in", "on", "at", "by", "for", "from", "as", "it", "its", "this", "that", "these",
    "those", "his", "her", "their", "our", "when", "while", "after", "before", "during", "since",
    "although", "though", "but", "and", "or", "of", "to", "with", "many", "some", "most", "other", "each",
    "all", "if", "what", "which", "who", "whom", "whose", "where", "why", "how", "besides", "did", "does",
    "do", "is", "was", "were", "are",
))
_TOKEN = re.compile(r"[A-Z]\.(?=\s[A-Z])|[A-Za-zÀ-ÖØ-öø-ɏ][A-Za-z0-9À-ÖØ-öø-ɏ'’-]*|\n|\S")
_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}")


@functools.lru_cache(maxsize=4096)
def _spans(text: str) -> tuple[tuple[Run, bool, tuple[int, ...]], ...]:
    """The runs of capitalised words of ``text`` (leading function words and trailing connectors dropped), each
    with whether its capital may be only the sentence's (it opens one with a dictionary word) and where its words
    start. "U.S." is read as "US"."""
    import simplemma

    stem = english_root_stem()
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", "").ljust(len(m.group(0))), text).replace("_", " ")
    runs: list[tuple[Run, bool, tuple[int, ...]]] = []
    words: list[re.Match[str]] = []
    opens = opened = True

    def close() -> None:
        while words and words[-1].group(0).lower() in _CONNECTORS:
            words.pop()
        start = 0
        while start < len(words) and words[start].group(0).lower() in _LEADING:
            start += 1
        if words[start:]:
            # an acronym is kept as written: "US" is no "we"
            first = words[start].group(0).lower()
            runs.append((tuple(w.group(0).lower() if w.group(0).isupper() else stem(w.group(0).lower())
                               for w in words[start:]), opened and start == 0 and simplemma.is_known(first, lang="en"),
                         tuple(w.start() for w in words[start:])))
        words.clear()

    for match in _TOKEN.finditer(text):
        word = match.group(0)
        if word[0].isupper() or (words and word.lower() in _CONNECTORS):
            if words and word.lower() in _LEADING and word[0].isupper():  # "…Church The United…": a heading's end
                close()
            if not words:
                opened = opens
            words.append(match)
        else:
            close()
        opens = word in (".", "!", "?", "\n") or (opens and not word[0].isalnum())
    close()
    return tuple(runs)


def name_runs(text: str) -> tuple[tuple[Run, bool], ...]:
    """The names of ``text``: its runs of capitalised words ("The Mask of Anarchy": mask / of / anarchi), each
    with whether its capital may be only the sentence's ("University rules say…", not "Twigg suggested…")."""
    return tuple((run, opens) for run, opens, _ in _spans(text))


def run_at(text: str, start: int) -> tuple[Run, int]:
    """The name run of ``text`` that holds the word starting at ``start``, and the word's place in it; ``((), 0)``
    for a word of no name."""
    for run, _, starts in _spans(text):
        if start in starts:
            return run, starts.index(start)
    return (), 0


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one insertion, deletion, substitution or swap of neighbours ("Beriods")."""
    if a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (a[i + 1 : i + 2] + a[i] == b[i : i + 2] and a[i + 2 :] == b[i + 2 :])
    return a[i:] == b[i + 1 :]


def _initials(run: Run) -> str:
    return "".join(word[0] for word in run if word not in _CONNECTORS)


def named_otherwise(word: str, run: Run, place: int, runs: tuple[tuple[Run, bool], ...]) -> bool:
    """Whether the ``place``-th word (``word``) of the question's name ``run`` is named in a text whose name
    runs are ``runs``: by the name's initials ("UMC"), by initials the text spells out ("USA" for "United States"),
    by a surname the text uses alone ("Twigg" for "Graham Twigg"), or as the same name with one letter off."""
    if len(run) == 1:
        return 2 <= len(word) <= 6 and word.isalpha() and any(
            len(other) >= 2 and _initials(other) == word for other, _ in runs)
    if len(run) >= 2 and all(w.isalpha() for w in run):
        initials = _initials(run)
        if any(other in ((initials,), (initials + "a",)) for other, _ in runs):
            return True
    if place < len(run) - 1 and len(run) <= 3 and not set(run) & _CONNECTORS and _surname_alone(run, runs):
        return True
    return len(word) >= 3 and any(
        len(other) == len(run) and one_edit(other[place], word)
        and all(a == b for j, (a, b) in enumerate(zip(other, run, strict=True)) if j != place) for other, _ in runs)


def _surname_alone(run: Run, runs: tuple[tuple[Run, bool], ...]) -> bool:
    """The run's last word stands alone in the text as a name (not a dictionary word opening a sentence) and never
    after another given name ("John F. Kennedy" is no "Robert Kennedy")."""
    surname = run[-1]
    if any(len(other) > 1 and other[-1] == surname and other[:-1] != run[:-1][-len(other) + 1 :] for other, _ in runs):
        return False
    return any(other == (surname,) and not plain for other, plain in runs)
