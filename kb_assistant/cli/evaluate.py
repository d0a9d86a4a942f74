"""The eval command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kb_assistant.cli.app import app, fail, out, settings_from


@app.command("eval")
def eval_(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Argument(help="A folder with corpus.jsonl, queries.jsonl and qrels.tsv.")],
    recipe: Annotated[str, typer.Option(help="Comma-separated: default, dense, bm25, naive.")] = "default",
    limit: Annotated[int | None, typer.Option(help="Evaluate a fixed random sample of this many queries.")] = None,
    answers: Annotated[bool, typer.Option(help="Also generate answers and score them (slow on CPU).")] = False,
    negatives: Annotated[
        Path | None, typer.Option(help="With --answers: a dataset whose questions must be refused (default: another one beside DATASET in its language).")
    ] = None,
    questions_from: Annotated[
        Path | None, typer.Option(help="Ask each question as this dataset asks the one of the same id (another language).")
    ] = None,
    offset: Annotated[int, typer.Option(help="Pass over this many of the seeded sample first: --limit 100 --offset 100 asks the second hundred.", min=0)] = 0,
    held_out_seed: Annotated[int, typer.Option(help="With --answers: the seed of the 20% of documents held out for the hard negatives.")] = 0,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON here (with every answer).")] = None,
) -> None:
    """Ingest a dataset's corpus into a scratch KB and report Recall@1/5/10, MRR@10, nDCG@10 and latency."""
    from kb_assistant.evaluation import evaluate

    for folder in (dataset, questions_from):
        if folder is not None and not folder.is_dir():
            fail(f"{folder} is not a folder")
    settings = settings_from(ctx)
    report = evaluate(
        dataset, settings, [r.strip() for r in recipe.split(",") if r.strip()], limit, answers=answers, negatives=negatives,
        questions_from=questions_from, offset=offset, held_out_seed=held_out_seed,
    )
    if json_out:
        json_out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    table = Table(title=f"{report['dataset']}: {report['documents']} documents, {report['queries']} queries")
    keys = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "latency_ms"]
    extra = sorted({k for r in report["results"] for k in r["metrics"]} - set(keys))
    answer_keys = [k for k in extra if not k.startswith(("recall", "mrr", "ndcg"))]
    extra = [k for k in extra if k not in answer_keys]
    for column in ["recipe", "chunks", "ingest s", *keys, *extra]:
        table.add_column(column, justify="right")
    for r in report["results"]:
        m = r["metrics"]
        table.add_row(r["recipe"], str(r["chunks"]), f"{r['ingest_seconds']:.0f}", *(str(m.get(k, "-")) for k in [*keys, *extra]))
    out.print(table)
    answered = next((r["metrics"] for r in report["results"] if "answer_contains" in r["metrics"]), None)
    if answered:
        figures = Table(title=f"answers (easy negatives: {report['negatives'] or 'none'})")
        figures.add_column("figure")
        figures.add_column("value", justify="right")
        for key in answer_keys:
            figures.add_row(key, str(answered[key]))
        out.print(figures)
    failed = next((r["failed_files"] for r in report["results"] if r.get("failed_files")), [])
    if failed:
        out.print(f"[yellow]{len(failed)} corpus documents could not be indexed, e.g. {failed[0]}[/yellow]")
