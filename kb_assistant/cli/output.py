"""How the CLI shows ingest progress and reports (rich on stderr/stdout)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kb_assistant.ingestion.pipeline import FileOutcome, IngestReport

STATUSES = ("added", "updated", "unchanged", "removed", "skipped", "failed")
_NAMED = 20  # files named per status in a report; a big first ingest is not a wall of names


class RichProgress:
    """A bar over files with a running count of chunks written."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files · {task.fields[chunks]} chunks embedded · {task.fields[current]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task("ingest", total=None, chunks=0, current="")
        self.chunks = 0

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def files_found(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def file_done(self, outcome: FileOutcome) -> None:
        self.progress.update(self.task, advance=1, current=outcome.source[-40:])

    def chunks_written(self, count: int) -> None:
        self.chunks += count
        self.progress.update(self.task, chunks=self.chunks)

    def pages_read(self, source: str, done: int, total: int) -> None:
        self.progress.update(self.task, current=f"{source[-30:]} · OCR page {done}/{total}")


def render_report(console: Console, report: IngestReport) -> None:
    """The per-run summary table, then one line per failed file."""
    table = Table(
        title=f"knowledge base {report.kb!r} · {report.seconds:.1f} s",
        caption=f"chunks written {report.chunks_written} · chunks deleted {report.chunks_deleted}",
    )
    for status in STATUSES:
        table.add_column(status, justify="right", min_width=len(status))
    table.add_row(*(str(report.count(s)) for s in STATUSES))
    console.print(table)
    for status in ("added", "updated", "removed"):
        names = [o.source for o in report.outcomes if o.status == status]
        if names:
            more = f" … and {len(names) - _NAMED} more" if len(names) > _NAMED else ""
            console.print(f"{status}: {', '.join(names[:_NAMED])}{more}", highlight=False, soft_wrap=True)
    for outcome in report.outcomes:
        if outcome.status in ("failed", "skipped"):
            style = "red" if outcome.status == "failed" else "yellow"
            console.print(f"[{style}]{outcome.status}[/{style}] {outcome.source}: {outcome.reason}", highlight=False, soft_wrap=True)
