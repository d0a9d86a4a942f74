"""A file's title from its name, for the chunks that have no heading above them.

A plain-text file, a PDF or a slide deck has no heading path, so its chunks carried no word of what the whole
document is about, though people name their files for exactly that ("2020中法学院招生简章.pdf",
"employee-handbook-2024.docx"). Such chunks begin with the name as a title line, which the embedding and the
lexical index then read (the contextual-retrieval idea, with the one piece of context every file has). Names that
say nothing are left out: numbers, hashes, camera and scanner names, "untitled", "新建文本文档", copy markers.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from kb_assistant.cjk import HAN

_SEPARATORS = re.compile(r"[_\s.+~=]+|(?<![A-Za-z0-9])-|-(?![A-Za-z0-9])|(?<=[A-Za-z])-(?=\d)|(?<=\d)-(?=[A-Za-z])")
_COPY_MARK = re.compile(r"(\s*(\(\d+\)|（\d+）|\[\d+\]|-?\s*副本\d*|\s-\s?copy(\s\d+)?|\scopy(\s\d+)?))+$", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]+")
_GENERIC = {
    "scan", "scanned", "img", "image", "pic", "picture", "photo", "dsc", "dscn", "dcim", "screenshot", "screen", "shot",
    "doc", "docs", "document", "file", "files", "new", "untitled", "unnamed", "copy", "page", "pages", "text", "txt",
    "draft", "final", "tmp", "temp", "test", "output", "export", "download", "attachment", "microsoft", "word", "pdf",
    "wechat", "whatsapp", "mmexport", "version", "ver", "rev", "chunk", "part", "sheet", "book", "slide", "slides",
    "新建文本文档", "新建文档", "新建", "未命名", "未命名文档", "文档", "副本", "扫描件", "扫描", "图片", "截图", "附件", "文件",
}
_GENERIC_CJK = sorted((g for g in _GENERIC if HAN.search(g)), key=len, reverse=True)  # longest first


def file_title(source: str) -> str | None:
    """The title a file's name gives (separators as spaces, copy markers dropped), or None for a name that
    says nothing of its content."""
    stem = PurePath(source).name
    stem = stem[: stem.rindex(".")] if "." in stem.strip(".") else stem
    title = _COPY_MARK.sub("", " ".join(part for part in _SEPARATORS.split(stem) if part)).strip()
    return title if _says_something(title) else None


def _says_something(title: str) -> bool:
    """At least two Chinese characters or a real word outside the generic names; a Latin word with digits inside
    (a hash, a camera counter) counts for nothing, and one of fewer than four letters is not enough alone."""
    meaningful = []
    for word in title.split():
        if HAN.search(word):
            rest = word
            for generic in _GENERIC_CJK:
                rest = rest.replace(generic, "")
            if len(HAN.findall(rest)) >= 2:
                return True
            continue
        if any(c.isdigit() for c in word):
            continue
        letters = "".join(_LETTERS.findall(word)).lower()
        if letters and letters not in _GENERIC:
            meaningful.append(letters)
    return any(len(w) >= 4 for w in meaningful) or len([w for w in meaningful if len(w) >= 2]) >= 2
