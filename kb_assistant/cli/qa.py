"""Question commands: ask, chat."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kb_assistant.cli.app import KBOpt, app, err, fail, out, settings_from


def _build_chain(ctx: typer.Context, kb: str | None, k: int | None, mode: str | None) -> Any:
    """The QA chain, after the cheap checks (chat model known, KB exists), which take no model loading."""
    from kb_assistant.kb import KBStore

    settings = settings_from(ctx, kb=kb, top_k=k, retrieval_mode=mode)
    if not settings.llm_base_url:
        from kb_assistant.llms.loading import check_llm_reference

        check_llm_reference(settings.llm_model, settings)  # an unknown model name fails here, before anything loads
    if not KBStore(settings).exists():
        fail(f"knowledge base {settings.kb!r} does not exist; `kb-assistant list` shows them, `ingest` creates one")
    from kb_assistant.qa import qa_chain_for
    from kb_assistant.retrieval import make_retriever

    retriever = make_retriever(settings)
    return qa_chain_for(retriever, _chat_model_while_warming_up(settings, retriever), settings)


def _chat_model_while_warming_up(settings: Any, retriever: Any) -> Any:
    """The chat model, loaded in a second thread while this one makes a first search and loads the answer check's
    tables (together about 1 s of the model's 2 s). The embedding model is loaded before the thread starts:
    transformers' lazy imports are not thread-safe, so only the loading thread touches transformers meanwhile."""
    import logging
    from concurrent.futures import ThreadPoolExecutor

    import kb_assistant.llms.chat_model  # noqa: F401 - its LangChain imports here, not beside jieba's
    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa.terms import load_tables

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-load") as pool:
        loading = pool.submit(make_chat_model, settings)
        retriever.warm_up()
        load_tables()
        try:
            return loading.result()
        except ImportError as e:  # a lazy import raced after all: load it again here, nothing else runs now
            logging.getLogger(__name__).debug("loading the chat model beside a search failed (%s); loading again", e)
            return make_chat_model(settings)


def _answer(chain: Any, question: str, history: list[tuple[str, str]]) -> tuple[str, list[dict[str, Any]]]:
    """Stream the model's draft (on a terminal, replaced by the verified answer when it is done), then print the
    verified answer's sources with the sentence of each that supports it."""
    from rich.live import Live
    from rich.text import Text

    draft, verified = "", None
    live = Live(Text(""), console=out, auto_refresh=False, transient=True) if out.is_terminal else None
    if live is not None:
        live.start()
    try:
        for part in chain.stream({"question": question, "history": history}):
            if "verified" in part:
                verified = part["verified"]
            elif "retry" in part:  # asked again in the passages' language: a new draft follows
                draft = ""
            elif part.get("answer"):
                draft += part["answer"]
                if live is not None:
                    live.update(Text(draft, style="dim"), refresh=True)
    finally:
        if live is not None:
            live.stop()
    answer = verified["answer"] if verified else draft.strip()
    sources = verified["sources"] if verified else []
    out.print(answer, markup=False, soft_wrap=True)
    _print_sources(sources)
    return answer, sources


def _print_sources(sources: list[dict[str, Any]]) -> None:
    from kb_assistant.qa import source_label

    used = [s for s in sources if s.get("used", True)]
    if used:
        out.print("\nsources:")
        for s in used:
            copies = f" (also in {', '.join(s['copies'])})" if s.get("copies") else ""
            out.print(f"  [{s['number']}] {source_label(s)}{copies}", markup=False, soft_wrap=True)
            if s.get("evidence"):
                header = f"{s['evidence_header']}\n       " if s.get("evidence_header") else ""
                out.print(f"      “{header}{s['evidence']}”", style="dim", markup=False, soft_wrap=True)
    elif sources:
        out.print("\nclosest passages (not used):")
        for s in sources[:3]:
            out.print(f"  {source_label(s)}", style="dim", markup=False, soft_wrap=True)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    kb: KBOpt = None,
    k: Annotated[int | None, typer.Option("--k", help="Chunks to give the model.")] = None,
    mode: Annotated[str | None, typer.Option(help="hybrid, dense or bm25.")] = None,
) -> None:
    """Answer one question from a knowledge base: the answer, checked against its sources, then the sources
    it uses with the sentence of each that supports it."""
    if not question.strip():
        fail("the question is empty; ask something, e.g. kb-assistant ask \"默认端口是多少？\"")
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
