"""Question commands: ask, chat."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kb_assistant.cli import KBOpt, app, err, out, settings_from


def _build_chain(ctx: typer.Context, kb: str | None, k: int | None, mode: str | None) -> Any:
    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa import build_qa_chain
    from kb_assistant.retrieval import make_retriever

    settings = settings_from(ctx, kb=kb, top_k=k, retrieval_mode=mode)
    retriever = make_retriever(settings)
    llm = make_chat_model(settings)
    return build_qa_chain(retriever, llm, answer_mode=settings.answer_mode, min_relevance=settings.min_relevance)


def _answer(chain: Any, question: str, history: list[tuple[str, str]]) -> tuple[str, list[dict[str, Any]]]:
    from kb_assistant.qa import source_label

    answer, sources = "", []
    for part in chain.stream({"question": question, "history": history}):
        if "sources" in part:
            sources = part["sources"]
        if "answer" in part:
            answer += part["answer"]
            out.print(part["answer"], end="", soft_wrap=True, markup=False)
    out.print()
    if sources:
        out.print("\nsources:")
        for s in sources:
            out.print(f"  [{s['number']}] {source_label(s)}", markup=False, soft_wrap=True)
    return answer.strip(), sources


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    kb: KBOpt = None,
    k: Annotated[int | None, typer.Option("--k", help="Chunks to give the model.")] = None,
    mode: Annotated[str | None, typer.Option(help="hybrid, dense or bm25.")] = None,
) -> None:
    """Answer one question from a knowledge base, streaming the answer, then list its sources."""
    chain = _build_chain(ctx, kb, k, mode)
    _answer(chain, question, [])


@app.command()
def chat(
    ctx: typer.Context,
    kb: KBOpt = None,
    k: Annotated[int | None, typer.Option("--k", help="Chunks to give the model.")] = None,
) -> None:
    """An interactive session with history: follow-up questions are understood.

    Commands: /sources (the last answer's sources, with snippets), /reset (forget the history), /exit.
    """
    from kb_assistant.qa import source_label

    chain = _build_chain(ctx, kb, k, None)
    history: list[tuple[str, str]] = []
    sources: list[dict[str, Any]] = []
    err.print("ask a question; /sources, /reset, /exit")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            continue
        if question in ("/exit", "/quit"):
            break
        if question == "/reset":
            history, sources = [], []
            err.print("history cleared")
            continue
        if question == "/sources":
            for s in sources:
                out.print(f"[{s['number']}] {source_label(s)}\n{s['snippet']}\n", markup=False, soft_wrap=True)
            continue
        answer, sources = _answer(chain, question, history)
        history.append((question, answer))
