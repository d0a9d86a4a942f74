"""How long a one-off `python -m kb_assistant ask "..."` takes with warm caches, and where the time goes.

Runs the real command a few times against a KB of the sample documents (wall time from process start to
exit, as a user waits for it), then the same steps in one process with a clock around each: imports, the
embedding model, the indexes, the chat model, retrieval, generation, the grounding check.

    python benchmarks/ask_latency.py --runs 3
    python benchmarks/ask_latency.py --runs 5 --baseline /tmp/old   # alternate with a checkout of older code

With ``--baseline DIR`` the runs alternate between this tree and DIR's ``kb_assistant`` (a ``git worktree`` of
another commit), same KB and caches, and the ratio of the medians is reported: this machine's timings drift by
10-30% between minutes, so only runs interleaved like this compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTION = "kb-assistant 的 HTTP 服务默认监听哪个端口？"


def phases(question: str) -> dict[str, float]:
    """Seconds per step of one ask, in this process."""
    times: dict[str, float] = {}
    started = last = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        times[name] = round(now - last, 2)
        last = now

    import kb_assistant.cli.qa  # noqa: F401 - the CLI's own imports
    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings
    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa import build_qa_chain
    from kb_assistant.retrieval import make_retriever

    lap("imports")
    settings = Settings()
    embeddings = make_embeddings(settings)
    lap("embedding model")
    retriever = make_retriever(settings, embeddings)
    lap("indexes")
    llm = make_chat_model(settings)
    lap("chat model")
    chain = build_qa_chain(retriever, llm, min_relevance=settings.min_relevance)
    docs = retriever.invoke(question)
    lap("retrieval")
    draft = "".join(str(c.content) for c in llm.stream(chain.messages(question, [], chain.fit_context(docs))))
    lap("generation")
    chain.verify(question, draft, chain.fit_context(docs))
    lap("grounding check")
    times["total"] = round(time.perf_counter() - started, 2)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout of other code to alternate with")
    parser.add_argument("--phases-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases_only:
        print(json.dumps(phases(args.question)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "KB_PERSIST_DIR": str(Path(scratch) / "vectorstore")}
        command = [sys.executable, "-m", "kb_assistant"]
        subprocess.run([*command, "ingest", str(REPO / "data")], env=env, check=True, capture_output=True)
        subprocess.run([*command, "ask", args.question], env=env, check=True, capture_output=True)  # warm the caches
        sides = {"this tree": REPO, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
        walls: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(args.runs):
            for side, root in sides.items():
                side_env = {**env, "PYTHONPATH": str(root)}
                started = time.perf_counter()
                done = subprocess.run([*command, "ask", args.question], env=side_env, cwd=root, check=True,
                                      capture_output=True, text=True)
                walls[side].append(round(time.perf_counter() - started, 2))
        steps = subprocess.run(
            [sys.executable, __file__, "--phases-only", "--question", args.question],
            env=env, check=True, capture_output=True, text=True,
        )
    print(f"answer: {done.stdout.strip().splitlines()[0]}")
    medians = {side: statistics.median(times) for side, times in walls.items()}
    for side, times in walls.items():
        print(f"`ask` wall time, {side}, {args.runs} runs: {times} s (median {medians[side]:.2f} s)")
    if args.baseline:
        print(f"ratio of medians, baseline / this tree: {medians['baseline'] / medians['this tree']:.2f}x")
    print(f"where the time goes (one process, sequential): {steps.stdout.strip()}")


if __name__ == "__main__":
    main()
