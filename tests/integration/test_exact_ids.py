"""A question that names an identifier few chunks hold gets those chunks first (real KB, real embedding model):
"员工 1319 的职位是什么？" of an HR table and a handbook that talks about 员工 and 职位 at length."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb_assistant.config import Settings
from kb_assistant.ingestion import ingest
from kb_assistant.retrieval import make_retriever

TITLES = ["Meat Cutter", "Produce Clerk", "Cashier", "Baker", "Store Manager", "Dairy Person", "Shelf Stocker"]
HANDBOOK = (
    "# 员工手册\n\n## 职位与晋升\n\n每位员工的职位由部门经理评定，员工可以每年申请一次职位调整。员工的职位变动会通知人事部门，"
    "新职位自下月起生效。员工对职位评定有异议的，可以向人事部门申诉。\n\n## 员工满意度\n\n公司每年调查员工满意度，员工对职位、"
    "薪酬和培训的意见会汇总给管理层。"
)


def test_a_rare_identifier_brings_its_chunk_first(tmp_path: Path, settings: Settings, embeddings: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    rows = [f"{1300 + i},{1950 + i % 40}-0{1 + i % 9}-1{i % 10},Vancouver,D100,{TITLES[i % len(TITLES)]}"
            for i in range(300)]
    (docs / "Company.csv").write_text("EmployeeID,birthdate,city_name,department,job_title\n" + "\n".join(rows) + "\n",
                                      encoding="utf-8")
    (docs / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    assert ingest([docs], settings, embeddings=embeddings).ok
    question = "员工 1319 的职位是什么？"
    found = make_retriever(settings.with_overrides(top_k=1), embeddings).invoke(question)
    assert "1319" in found[0].page_content and found[0].metadata["exact_id"]
    ranked = make_retriever(settings.with_overrides(top_k=1, exact_ids=False), embeddings).invoke(question)
    assert "1319" not in ranked[0].page_content  # BM25 and e5 alone put the handbook first
    # an identifier every table chunk holds is no lookup key: nothing is put first for it
    common = make_retriever(settings.with_overrides(top_k=3), embeddings).invoke("D100 部门的员工有哪些职位？")
    assert not any(d.metadata.get("exact_id") for d in common)
