"""How often the grounding check would take a question's own passage for another's (:mod:`kb_assistant.qa.sibling_titles`).

For every judged (question, passage) pair of the given sets, ``sibling_title`` is asked whether the passage's title
names another of what the question names; every hit is a false one (the passage is the question's own), and is
printed. The rule's true hits are measured on kept answers (README, "Answer quality").

    python benchmarks/sibling_titles_check.py ../shared/eval/cmrc2018_dev ../shared/eval/drcd_dev
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb_assistant.evaluation import load_dataset
from kb_assistant.qa.sibling_titles import sibling_title


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="+", type=Path, help="folders with corpus.jsonl, queries.jsonl, qrels.tsv")
    args = parser.parse_args()
    for folder in args.datasets:
        dataset = load_dataset(folder)
        docs = {str(d["id"]): d for d in dataset.corpus}
        pairs = wrong = 0
        for query in dataset.queries:
            for doc_id in dataset.qrels.get(query["id"], {}):
                doc = docs.get(doc_id)
                if doc is None:
                    continue
                pairs += 1
                context = f"{doc_id}.md > {doc.get('title') or ''}"
                title = sibling_title(query["text"], context, doc["text"], doc["text"])
                if title is not None:
                    wrong += 1
                    print(f"  {query['text']} | {title}")
        print(f"{folder.name}: {pairs} judged pairs, taken for another's: {wrong}")


if __name__ == "__main__":
    main()
