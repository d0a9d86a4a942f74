"""The long tail of formats through the `unstructured` extra: an e-mail and an Outlook message, and OpenDocument, EPUB, RTF and Org files
written by pandoc (as office suites and e-book tools write them), each answering its own question with its headings
and table header kept; a broken one is reported and skipped while the rest is indexed; without the extra, such files
are skipped with a line that names it."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from kb_assistant.config import Settings
from kb_assistant.ingestion import ingest, long_tail
from kb_assistant.retrieval import make_retriever

pytestmark = pytest.mark.skipif(not long_tail.available(), reason="the unstructured extra is not installed")

HANDBOOK = """# {title}

## {section}

{fact}

| 服务 | 端口 | 负责人 |
|---|---|---|
| {service} | {port} | {owner} |
"""
BOOKS = {  # suffix -> (title, section, fact, service row)
    ".odt": ("星河科技运维手册", "备份", "数据库每天凌晨两点全量备份，备份保留三十天。", ("网关", "8443", "赵子健")),
    ".epub": ("Field Guide to the Archive", "Opening hours", "The reading room opens at 09:30 on weekdays.", ("catalogue", "7070", "Ines Moreau")),
    ".rtf": ("差旅制度", "住宿标准", "一线城市每晚住宿不超过六百元。", ("报销系统", "9443", "孙婉清")),
    ".org": ("Release checklist", "Sign-off", "Every release needs the sign-off of two maintainers.", ("ci-runner", "5005", "Tomasz Nowak")),
}


def _write_books(folder: Path) -> None:
    import pypandoc

    for suffix, (title, section, fact, (service, port, owner)) in BOOKS.items():
        markdown = folder / f"source{suffix}.md"
        markdown.write_text(HANDBOOK.format(title=title, section=section, fact=fact, service=service, port=port, owner=owner),
                            encoding="utf-8")
        pypandoc.convert_file(str(markdown), suffix.lstrip("."), outputfile=str(folder / f"book{suffix}"),
                              extra_args=["--standalone"] if suffix == ".rtf" else [])
        markdown.unlink()


def _mail(folder: Path) -> None:
    message = EmailMessage()
    message["Subject"] = "机房搬迁通知"
    message["From"] = "Ops Team <ops@example.com>"
    message["To"] = "all@example.com"
    message["Date"] = "Tue, 01 Dec 2026 09:00:00 +0800"
    message.set_content("各位同事：机房将于十二月十二日迁至七号楼地下一层，当晚 22:00 至 24:00 停机。")
    message.add_alternative("<html><body><p>各位同事：机房将于十二月十二日迁至七号楼地下一层，当晚 22:00 至 24:00 停机。</p></body></html>",
                            subtype="html")
    (folder / "notice.eml").write_bytes(bytes(message))


def _outlook_message(folder: Path) -> None:
    # aspose-email-foss writes .msg files as Outlook saves them (a compound file of MAPI properties).
    from aspose.email_foss import msg

    message = msg.MapiMessage.create("十二月报销截止提醒", "请各部门于十二月二十日前把本月报销单交到财务部三楼 305 室，逾期转入下月。")
    message.set_property(msg.PropertyId.SENDER_NAME, "Finance")
    message.set_property(msg.PropertyId.SENDER_EMAIL_ADDRESS, "finance@example.com")
    message.set_property(msg.PropertyId.MESSAGE_DELIVERY_TIME, datetime(2026, 12, 2, 1, 30, tzinfo=UTC))
    message.add_recipient("all@example.com", display_name="All Staff")
    message.save(str(folder / "reminder.msg"))


def _top(settings: Settings, embeddings: Any, question: str) -> list[Any]:
    return make_retriever(settings.with_overrides(top_k=3), embeddings).invoke(question)


def test_mail_and_office_files_answer_with_their_headings_and_tables(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _write_books(docs)
    _mail(docs)
    _outlook_message(docs)
    (docs / "broken.odt").write_bytes(b"PK\x03\x04 not really a zip archive")

    report = ingest([docs], settings, embeddings=embeddings)
    by_source = {o.source: o for o in report.outcomes}
    assert by_source["broken.odt"].status == "failed" and "not a readable .odt file" in by_source["broken.odt"].reason
    assert {s for s, o in by_source.items() if o.status == "added"} == {f"book{s}" for s in BOOKS} | {"notice.eml", "reminder.msg"}

    mail = _top(settings, embeddings, "机房什么时候搬迁，搬到哪里？")[0]
    assert mail.metadata["source"] == "notice.eml" and "七号楼地下一层" in mail.page_content
    assert "机房搬迁通知" in mail.page_content and "ops@example.com" in mail.page_content  # subject and sender kept
    assert mail.metadata["headings"] == "机房搬迁通知"  # the subject, not a line of the body
    reminder = _top(settings, embeddings, "本月报销单最晚哪天交，交到哪里？")[0]
    assert reminder.metadata["source"] == "reminder.msg" and "三楼 305 室" in reminder.page_content
    assert "十二月报销截止提醒" in reminder.page_content and "finance@example.com" in reminder.page_content
    assert reminder.metadata["headings"] == "十二月报销截止提醒"

    backup = _top(settings, embeddings, "数据库备份保留多久？")[0]
    assert backup.metadata["source"] == "book.odt" and "三十天" in backup.page_content
    assert backup.metadata["headings"] == "星河科技运维手册 > 备份"
    hours = _top(settings, embeddings, "When does the reading room open?")[0]
    assert hours.metadata["source"] == "book.epub" and "09:30" in hours.page_content
    owner = next(d for d in _top(settings, embeddings, "报销系统的负责人是谁？") if d.metadata["source"] == "book.rtf")
    assert "| 服务 | 端口 | 负责人 |" in owner.page_content and "| 报销系统 | 9443 | 孙婉清 |" in owner.page_content
    sign_off = _top(settings, embeddings, "How many maintainers must sign off a release?")[0]
    assert sign_off.metadata["source"] == "book.org" and "two maintainers" in sign_off.page_content


def test_without_the_extra_such_files_are_skipped_with_the_install_line(
    tmp_path: Path, settings: Settings, embeddings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _mail(docs)
    (docs / "notes.md").write_text("# Notes\n\nBackups run nightly at 02:00.\n", encoding="utf-8")
    monkeypatch.setattr(long_tail, "available", lambda: False)  # as on an install without the extra
    report = ingest([docs], settings, embeddings=embeddings)
    by_source = {o.source: o for o in report.outcomes}
    assert report.ok and by_source["notes.md"].status == "added"
    assert by_source["notice.eml"].status == "skipped"
    assert by_source["notice.eml"].reason == ".eml files need the optional extra: pip install 'kb-assistant[unstructured]'"
