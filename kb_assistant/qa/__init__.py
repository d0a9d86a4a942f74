"""Question answering: the retrieval QA chain, its prompts and the grounding check of its answers."""

from kb_assistant.qa.chain import QAChain, Source, build_qa_chain, build_retrieval_qa, qa_chain_for, source_label
from kb_assistant.qa.grounding import GroundingCheck, Passage, Verdict

__all__ = [
    "GroundingCheck",
    "Passage",
    "QAChain",
    "Source",
    "Verdict",
    "build_qa_chain",
    "build_retrieval_qa",
    "qa_chain_for",
    "source_label",
]
