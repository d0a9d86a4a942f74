"""A number the answer took from beside the one asked for.

The small model answers "1901 年华沙人口中新教徒的比例是多少？" with 5, read from "希腊东正教徒占 5%" in "根据 1901 年的人口普查，
……天主教徒占 56.2%，犹太人占 35.7%，希腊东正教徒占 5%，新教徒占 2.8%。", and "最初有多少移居者在马纳金镇定居?" with 148, from
"仍然居住在马纳金镇的148名胡格诺派信徒" a sentence before "最初的 390 名移居者". Every word of such an answer is in its source,
which is about the question: the grounding check's word and relevance tests pass it. What tells it apart is where
the number stands:

- :func:`counted_elsewhere`: the question counts something ("多少移居者", "how many settlers") and the source writes
  another number before that noun, never the answer's;
- :func:`number_from_other_clause`: the answer's number stands in a clause that lacks words of the question which
  a later clause of the sentence, or a clause of a sentence beside it, holds with a number of the same unit (prose's
  counterpart of a table's other column, :func:`kb_assistant.qa.table_cells.asked_column`). A clause takes the words
  of the clauses before it in its sentence ("墓道宽4.6米，全长13.23米" says the 墓道's length in its second clause)
  and of the clauses after it that hold no number ("1988年，昂塞尔德被选入篮球名人堂": the year leads the sentence);
- :func:`said_of_another`: the answer says "S 是 N" and its source gives N to another subject ("默认的向量模型是 300 个……"
  from "默认的文本块大小是 300 个向量模型的 token");
- :func:`rate_of_another`: the number is a rate per something the question does not count by ("每公顷每年积累 0.62
  吨碳" for "亚马逊每年吸收多少吨碳？");
- :func:`counts_other_kind`: the answer counts people by the number ("招生计划有8人") and the source counts things by
  it ("A+学科数量为8个");
- :func:`measured_otherwise`: the answer measures the number in a unit of another quantity than its source does
  ("工作了 45 年" from "45％的员工").
"""

from __future__ import annotations

import dataclasses
import re

from kb_assistant.qa.answer_kinds import asks_for_number, asks_for_year, quantity_of
from kb_assistant.qa.evidence import Span, clearly_better
from kb_assistant.qa.people_counted import other_people
from kb_assistant.qa.terms import Term, TermIndex, claimed_terms, normalise

_CLAUSE_END = re.compile(r"[，,；;]\s*")
"""Where a sentence's clauses part. Not at "、" (items of one list share their clause's words) nor at a colon
(a label and its value: :func:`kb_assistant.qa.table_cells.asked_label` reads those)."""

MIN_GAIN = 0.15
"""How much more of the question's weighted terms the other clause must hold than the number's own."""

_COUNTED_ZH = re.compile(r"(?:多少|几)([个位名人条种件座所家项倍层届次只台辆艘架本张部吨米元岁年天]?)(?P<noun>[\u4e00-\u9fff]{2,8})")
_COUNTED_EN = re.compile(r"\bhow many (?P<noun>[a-z][a-z\- ]{2,40})", re.IGNORECASE)
_MEASURE_ZH = "[个位名人条种件座所家项倍层届次只台辆艘架本张部]"
_NUMBER = r"(?<![\d.])(\d+(?:[.,]\d+)*)"


def window(sentences: list[tuple[str, int, int]], span: Span) -> range:
    """Indexes of the evidence's sentences (``span``) and one sentence either side."""
    position = next((i for i, s in enumerate(sentences) if s[1] <= span.start < s[2]), 0)
    last = max((i for i, s in enumerate(sentences) if position <= i and s[1] < span.end), default=position)
    return range(max(position - 1, 0), min(last + 2, len(sentences)))


def counted_elsewhere(question: str, numbers: list[Term], span: Span,
                      sentences: list[tuple[str, int, int]]) -> Span | None:
    """The sentence where another number counts what ``question`` asks the count of, when none of the claim's
    ``numbers`` does in the evidence's sentences: "最初的 390 名移居者" for "最初有多少移居者在马纳金镇定居?" answered 148
    ("148名胡格诺派信徒"). The counted noun is the question's longest run after 多少 / 几 (and a measure word) or
    "how many" that the sentences write right after a number."""
    match = _COUNTED_ZH.search(question) or _COUNTED_EN.search(question)
    if not match or not numbers:
        return None
    rest, english = match.group("noun"), match.re is _COUNTED_EN
    wanted = {t.text for t in numbers}
    around = [(sentences[i], normalise(sentences[i][0])) for i in window(sentences, span)]
    prefixes = ([" ".join(rest.split()[:n]) for n in range(len(rest.split()), 0, -1)] if english
                else [rest[:n] for n in range(len(rest), 1, -1)])
    measure = r"\s*" if english else rf"\s*[万亿千百]?{_MEASURE_ZH}?\s*"
    for noun in prefixes:
        pattern = re.compile(_NUMBER + measure + re.escape(normalise(noun)) + (r"\b" if english else ""))
        found = [(sentence, m.group(1).replace(",", "")) for sentence, text in around for m in pattern.finditer(text)]
        if not found:
            continue
        if any(value in wanted for _, value in found):
            return None
        text, start, end = found[0][0]
        return Span(span.number, text, start, end)
    return None


def counted_by_measure_elsewhere(question: str, claim: str, numbers: list[Term], span: Span,
                                 sentences: list[tuple[str, int, int]]) -> Span | None:
    """The passage's sentence that counts by the measure word ``question`` counts by, when ``claim`` counts a
    number by it that the passage never counts by it: "1条" for "KKT 条件一共有几条？" took its 1 from a formula's
    "i = 1", and "以上5 条便是……（简称KKT 条件）" is the count. None where the claim counts by no such measure word, the
    passage counts the claim's number by it, or counts nothing by it."""
    match = _COUNTED_BY.search(normalise(question))
    if match is None:
        return None
    measure = match.group("measure")
    claimed = {t.text for t in numbers if unit(claim, t.text) == measure}
    if not claimed:
        return None
    counted = re.compile(_NUMBER + r"\s*[万亿千百]?\s*" + re.escape(measure))
    found = [(sentence, m.group(1).replace(",", "")) for sentence in sentences
             for m in counted.finditer(normalise(sentence[0]))]
    if not found or any(value in claimed for _, value in found):
        return None
    text, start, end = found[0][0]
    return Span(span.number, text, start, end)


def clauses(text: str) -> list[str]:
    """The clauses of a sentence."""
    return [piece for piece in _CLAUSE_END.split(text) if piece.strip()]


def unit(text: str, number: str) -> str:
    """What ``number`` counts in ``text``: the character after it (its multiplier 万/亿/千/百 passed over), or the word
    after it in English ("%", "年", "幅", "settlers"); "" at the end of the text."""
    match = re.search(r"(?<![\d.])" + re.escape(number) + r"(?![\d.])\s*[万亿千百]?\s*([a-z]+|\S)?", normalise(text))
    return (match.group(1) or "") if match else ""


def number_from_other_clause(asked: list[Term], numbers: list[Term], span: Span,
                             sentences: list[tuple[str, int, int]]) -> Span | None:
    """The sentence holding the clause that the question's words point to, when the claim's ``numbers`` (numbers
    the question does not hold) stand only in clauses of the evidence's sentences that lack words of the question
    which that clause, holding a number of the same unit (:func:`unit`), has (each clause read with the clauses before it in its
    sentence and those after it up to the next that holds a number); None when the numbers stand in the best clause, or no clause is clearly better (``MIN_GAIN``)."""
    if not numbers:
        return None
    # (sentence, the clause's numbers with their units, its words with the clauses before it and those it leads)
    numbered: list[tuple[int, dict[str, str], TermIndex]] = []
    for i in window(sentences, span):
        parts = clauses(sentences[i][0])
        numbers_of = [TermIndex.of(clause).numbers for clause in parts]
        counted = [k for k, held in enumerate(numbers_of) if held]
        for k, following in zip(counted, [*counted[1:], len(parts)], strict=False):
            own = {number: unit(parts[k], number) for number in numbers_of[k]}
            numbered.append((i, own, TermIndex.of("，".join(parts[:following]))))
    wanted = {t.text for t in numbers}
    # a clause that holds every number of the claim is where it was read; one that shares a number by chance does not
    # hold it ("东经123 °40 ′13 ″" for 纬度, "北纬40 °15 ′37 ″" beside it)
    whole = [index for _, own, index in numbered if wanted <= own.keys()]
    held = whole or [index for _, own, index in numbered if wanted & own.keys()]
    units = {u for _, own, _ in numbered for number, u in own.items() if number in wanted}
    # a count of the same things, a year for a year: "在 1857 年，……捐赠了 233 幅画作" answers when with 1857
    others = [(i, index) for i, own, index in numbered if units & set(own.values())
              and (not wanted & own.keys() or (whole and 2 * len(wanted & own.keys()) < len(wanted)))]
    if not held or not others:
        return None
    best = clearly_better(asked, [index for _, _, index in numbered], held, [index for _, index in others], MIN_GAIN)
    if best is None:
        return None
    text, start, end = sentences[others[best][0]]
    return Span(span.number, text, start, end)


_COPULA = re.compile(
    r"(?<![因成以认称作置设定改变转分选列评视])(?:是|为)(?!了|何|什么|在|从|由|于|被|通过|因为|以|用|对|向|把|否)"
    r"|\s(?:is|are|was|were)\s",
    re.IGNORECASE,
)
"""Where "S 是 N" / "S is N" puts its subject before its value: not 因为 / 成为 / 设置为 (verbs), nor the cleft "是在…的"."""
_HEDGE = re.compile(r"约|大约|大概|约值|约合|约计|约达|约有|将近|接近|高达|多达|达|共计|合计|总计|about|around|approximately|nearly|almost")
"""Words that hedge the value, not name the subject: "华硕总品牌价值约值约为13亿美元" gives the number to 品牌价值."""
_BEFORE_COPULA = re.compile(r"(?:号码|的(?:含义|意思|意义|定义|构成|组成|格式)|所?指的|指|就|即|也|都|则|便)\s*$")
_ASIDE = re.compile(r"[(（][^()（）]*[)）]")
"""A bracketed aside: a person's years, an abbreviation, a translation."""
_MEASURE_AFTER = re.compile(r"\s*" + _MEASURE_ZH + r"?\s*")


def said_of_another(claim: str, sentence: str) -> str | None:
    """The subject ``sentence`` gives the number to, when a claim "S 是 N…" / "S is N…" gives ``sentence``'s
    number to S and the sentence names S's last word neither before the number nor as what it counts: "默认的向量模型
    是 300 个向量模型的 token" from "默认的文本块大小是 300 个向量模型的 token" (its 向量模型 modifies token). None when the
    claim is no such sentence or the source gives the number to S ("端口是 6006" from "监听 6006 端口")."""
    copula = _COPULA.search(claim)
    if copula is None or _NUMBER_RE.search(claim[: copula.start()]):
        return None
    # "传真号码是……", "FIPS代码的含义是5个数字……": 号码, 含义 name the kind of value, which the source's "传真：010-……",
    # "FIPS代码是由5个数字组成" does not write; "……时期指的是",
    # "……就是": 指, 就 belong to the copula, the subject is before them
    subject = [t for t in claimed_terms(_BEFORE_COPULA.sub("", claim[: copula.start()])) if t.kind != "number"
               and not _HEDGE.fullmatch(normalise(t.text))]
    # an aside in brackets is not the value stated: "作者是阿布·卡西姆·扎赫拉维 (936-1013)" states a name, with his years
    value = _ASIDE.sub(" ", claim[copula.end() :])
    said = [m.group(1).replace(",", "") for m in _SIZED_NUMBER_RE.finditer(value)]
    if not subject or not said:
        return None
    head, text = subject[-1], normalise(sentence)
    relative = _RELATIVE.search(claim[: copula.start()])
    before_relative = claimed_terms(claim[: relative.start()]) if relative and head.kind == "latin" else []
    # a name's other words name it as well: "Chivas USA was suspended…" from "Chivas were suspended…"
    heads = [head, *before_relative[-1:],
             *(dataclasses.replace(head, text=word) for word in head.run if word != head.text)]
    found: int | None = None
    for match in _SIZED_NUMBER_RE.finditer(text):
        if match.group(1).replace(",", "") != said[0]:
            continue
        found = match.start() if found is None else found
        before, after = text[: match.start()], text[match.end() :]
        lead = after[_MEASURE_AFTER.match(after).end() :] if head.kind == "cjk" else after.lstrip()
        counted = TermIndex.of(lead[: len(head.text) + 12])
        # an English subject's head may stand before a relative clause ("The satellite that allowed Sky to … was …")
        said_before = any(TermIndex.of(before).has(t) for t in heads)
        if said_before or (counted.has(head) and not _modifies(lead, head)):
            return None
    # the clause before the number names what the source gives it to; none when the sentence opens with it, or the
    # clause names nothing ("…, in at most 30 words": a bound, not another thing)
    before = clauses(text[:found]) if found is not None else []
    return before[-1].strip() if before and claimed_terms(before[-1]) else None


_RELATIVE = re.compile(r"\s(?:that|which|who|whom|whose|where)\s", re.IGNORECASE)


def _modifies(lead: str, head: Term) -> bool:
    """Whether the word ``lead`` opens with is followed by 的 (it modifies what is counted: "向量模型的 token")."""
    at = normalise(lead).find(head.text)
    return at >= 0 and lead[at + len(head.text) : at + len(head.text) + 2].lstrip().startswith("的")


_NUMBER_RE = re.compile(r"(?<![A-Za-z\d._-])(\d+(?:[.,]\d+)*)(?![A-Za-z\d_])")
"""A number standing alone: not the 5 of "e5", the 2 of "Qwen2"."""
_SIZED_NUMBER_RE = re.compile(r"(?<![A-Za-z\d._-])(\d+(?:[.,]\d+)*)(?:[KMGTkmgt][Bb]?|[Bb])?(?![A-Za-z\d_])")
"""A number standing alone or with a size's letters: the 744 of "744B" (parameters), "16K" (context), "4GB"."""


_PER_ZH = re.compile(r"每一?(公顷|平方公里|平方米|平米|平方英尺|平方英里|英亩|亩|人|户|家庭|年|月|天|日|周|小时|分钟|秒|公里|千米|英里"
                     r"|英尺|米|吨|磅|公斤|千克|加仑|升|次|场|届|株)")
# "a second MLS team" is an ordinal, not "20 metres a second"
_PER_EN = re.compile(r"\b(?:per|each|every|a)\s+(hectare|acre|square\s+\w+|km2|capita|person|head|household|year|month|week|day"
                     r"|hour|minute|second|mile|kilometre|kilometer|ton|tonne|litre|liter|game|match|season)\b"
                     r"(?!(?<=\ba\ssecond)\s+[a-z])", re.IGNORECASE)
_PER_CAPITA = ("人均", "平均每人", "per capita", "per person", "each person")
_CHARGED_ZH = re.compile(r"(?<![消经浪耗花免])费|价格|价钱|票价|售价|单价|定价|多少钱|奖学金|工资|薪|补贴|补助|津贴|罚款|押金")
_CHARGED_EN = re.compile(r"\b(?:tuition|fees?|prices?|salary|salaries|wages?|scholarships?|stipends?|allowances?|fines?"
                         r"|deposits?)\b", re.IGNORECASE)
"""What is charged or paid to each person: a fee (any 费: 学费, 住宿费, 报名费, but not 经费, a budget), a price, a wage.
Per person is what such a number is, not a share of a total ("学费均为每人每学年60000元" answers "中法学院每学年的学费是
多少？"); not what is spent or consumed ("每年消费多少吨大米" is a total, "每人每年消费" a share)."""


def rate_of_another(question: str, numbers: list[str], text: str) -> str | None:
    """The unit ``text`` divides its numbers by, when each of ``numbers`` found there is a rate per something
    ``question`` does not count by: "每公顷" of "亚马逊森林每公顷每年积累 0.62 吨碳" for "亚马逊每年吸收多少吨碳？" (a
    hectare's share, not the forest's), "per hectare" after the number in English. None where a number is not such
    a rate, or the question names the unit ("每公顷产量是多少", "人均" for 每人), or asks what each person pays or is
    paid (学费, a price, a wage: per person is what those are). On the judged passages of seven sets
    (Chinese and English), none of the 619 number questions' gold numbers is such a rate."""
    question, text = normalise(question), normalise(text)
    rates = []
    for number in numbers:
        at = [m.start() for m in _NUMBER_RE.finditer(text) if m.group(1).replace(",", "") == number.replace(",", "")]
        if not at:
            return None
        for start in at:
            before, after = clauses(text[:start] + "x")[-1], text[start : start + 40]  # its clause up to it
            per = [m.group(1) for m in _PER_ZH.finditer(before)] + [m.group(1) for m in _PER_EN.finditer(after)]
            unasked = [unit for unit in per if unit.lower() not in question
                       and not (unit in ("人", "person", "capita", "head") and _per_person_asked(question))]
            if not unasked:
                return None
            rates.append(unasked[0])
    return rates[0] if rates else None


def _per_person_asked(question: str) -> bool:
    """Whether a number per person answers ``question``: it asks per capita, or for what each person pays or is paid."""
    return (any(w in question for w in _PER_CAPITA) or _CHARGED_ZH.search(question) is not None
            or _CHARGED_EN.search(question) is not None)


def quantities(text: str) -> list[str]:
    """The numbers of ``text`` that are not years (a number before 年, or a four-digit one from 1000 to 2100)."""
    found, text = [], normalise(text)
    for match in _NUMBER_RE.finditer(text):
        number = match.group(1)
        after = text[match.end() : match.end() + 2].lstrip()
        if after.startswith("年") or (number.isdigit() and len(number) == 4 and 1000 <= int(number) <= 2100):
            continue
        found.append(number)
    return found


def rate_not_asked(question: str, text: str) -> bool:
    """Whether ``question`` asks for a number and the numbers of ``text`` (a sentence to quote) that are not years
    are all rates per something it does not count by (:func:`rate_of_another`)."""
    numbers = quantities(text)
    return bool(numbers) and asks_for_number(question) and rate_of_another(question, numbers, text) is not None


_COUNTED_BY = re.compile(r"(?:多少|几)(?P<measure>[条种件座所家项倍层届次只台辆艘架本张部对双套场])(?P<noun>[\u4e00-\u9fff]{0,8})")
"""多少 / 几 and a measure word; not 个 / 人 / 位 / 名, which sources leave out ("说勉语的人约有150万", "余下2位则为学生")."""


def counts_other(question: str, text: str) -> str | None:
    """The measure word a question counts by ("多少对同性恋人" counts 对, pairs), when ``text`` (a sentence to quote)
    has numbers but none counted by it nor by the noun after it: "全球已有20個國家……6個州" names no number of pairs.
    None where the question gives no measure word or the text counts by it ("约有150对")."""
    match = _COUNTED_BY.search(normalise(question))
    numbers = quantities(text)
    if match is None or not numbers:
        return None
    text, measure, noun = normalise(text), match.group("measure"), match.group("noun")
    heads = [re.escape(measure)] + [re.escape(noun[:n]) for n in range(len(noun), 1, -1)]
    counted = re.compile(r"(?:\d|[零一二三四五六七八九十百千万亿两〇])\s*[万亿千百]?\s*" + f"{_MEASURE_ZH}?"
                         + r"\s*[\u4e00-\u9fff]?(?:" + "|".join(heads) + ")")  # "16,000 个品种" counts 种
    return None if counted.search(text) or asks_for_year(question) else measure


def other_number(question: str, text: str) -> bool:
    """Whether the numbers of ``text`` (a sentence to quote) are not the kind ``question`` asks for: rates per
    something it does not count by (:func:`rate_not_asked`), counts by another measure word (:func:`counts_other`),
    counts of things for a count of people (:func:`counts_things_for_people`), or of other people than it counts
    (:func:`kb_assistant.qa.people_counted.other_people`)."""
    return (rate_not_asked(question, text) or counts_other(question, text) is not None
            or counts_things_for_people(question, text)
            or (bool(quantities(text)) and other_people(question, text) is not None))


_PEOPLE = "人名位"
_THINGS = "个项所家条种件座届次门本台辆艘架张部只"
_PERSON = re.compile(r"人|学生|同学|考生|名额|员工|职工|教师|老师|成员|队员|用户|儿童|孩子|居民|患者|选手|运动员|代表|委员|士兵")


def _counts_things(number: str, text: str) -> bool:
    """Whether ``text`` (normalised) has ``number`` and counts things by it wherever it has it: a measure word for
    things after it ("8个，", "8项制度"), not one for people, none ("约有150万") or 个 before a person ("8个名额")."""
    after = r"(?<![\d.])" + re.escape(number) + r"(?![\d.])\s*[万亿千百]?\s*(\S?)"
    counted = [(m.group(1), text[m.end() : m.end() + 3]) for m in re.finditer(after, text)]
    return bool(counted) and all(measure and measure in _THINGS and not _PERSON.match(rest) for measure, rest in counted)


_COUNTS = _PEOPLE + _THINGS + "集期章节篇首页轮对双套场"
"""Measure words that count (people, things, episodes, chapters): no unit a quantity is measured in."""
_MEASURED = re.compile(r"\s*[万亿千百]?\s*(小时|分钟|秒|天|周|个月|月|年|元|美元|欧元|英镑|日元|公里|千米|厘米|毫米|米|英里|英尺|公斤|千克"
                       r"|克|吨|磅|%|度|岁|gb|mb|kb|tb)")


def _measured(number: str, text: str) -> str | None:
    """The unit ``text`` (normalised) measures ``number`` in wherever it has it ("24 小时"), or None where it has it
    without one somewhere, or not at all."""
    units = _units(number, text)
    return units[0] if units else None


def counts_other_kind(claim: str, numbers: list[str], evidence: str) -> str | None:
    """The measure word ``evidence`` counts a number of ``claim`` by, when the claim counts people with it ("招生计划
    有8人") and the evidence, wherever it has that number, counts things ("A+学科数量为8个", "8项制度"): the number
    is another count. None where the evidence counts people by it, leaves the measure word out ("约有150万"), or
    counts by 个 a person ("8个名额")."""
    claim, text = normalise(claim), normalise(evidence)
    for number in numbers:
        measure = unit(claim, number)
        if measure and measure in _PEOPLE and _counts_things(number, text):
            return unit(text, number)
    return None


def measured_for_count(claim: str, numbers: list[str], passage: str) -> str | None:
    """The unit ``passage`` measures a number of ``claim`` in wherever it has it ("24 小时以内给您回复"), when the claim
    counts with that number ("视频教程一共有24集"): a quantity read as a count. The whole passage is read, since the
    sentence that holds the claim's other words ("配套视频教程：https://……") need not hold its number. None where the
    passage has the number bare or counted somewhere, or the claim measures it too ("3个月")."""
    claim, text = normalise(claim), normalise(passage)
    for number in numbers:
        measure = unit(claim, number)
        if measure and measure in _COUNTS and _measured(number, claim) is None:
            measured = _measured(number, text)
            if measured is not None:
                return measured
    return None


def measured_otherwise(claim: str, numbers: list[str], passage: str) -> str | None:
    """The unit ``passage`` measures a number of ``claim`` in wherever it has it, when the claim measures it in a unit
    of another quantity ("在 NASA 工作了 45 年" from "只有 45％的员工表示……"): another quantity's number. None where
    either leaves the number bare somewhere, or both measure it alike ("3个月" and "3 月")."""
    claim, text = normalise(claim), normalise(passage)
    for number in numbers:
        mine, theirs = _units(number, claim), _units(number, text)
        if mine and theirs and not {quantity_of(u) for u in mine} & {quantity_of(u) for u in theirs}:
            return theirs[0]
    return None


def _units(number: str, text: str) -> list[str]:
    """The units ``text`` (normalised) measures ``number`` in, one for each place it has it; [] where it has it bare
    somewhere ("12.95、10.00"), or not at all."""
    units = [_MEASURED.match(text, m.end()) for m in re.finditer(r"(?<![\d.])" + re.escape(number) + r"(?![\d.])", text)]
    return [u.group(1) for u in units] if units and all(units) else []


_PEOPLE_ASKED = re.compile(r"(?:多少|几)[人名位]")


def counts_things_for_people(question: str, text: str) -> bool:
    """Whether ``question`` asks how many people ("多少人") and ``text`` (a sentence to quote) counts only things by
    its numbers ("A+学科数量为8个，A类学科数量为13个")."""
    numbers = quantities(text)
    if not numbers or not _PEOPLE_ASKED.search(normalise(question)):
        return False
    normal = normalise(text)
    return all(_counts_things(number, normal) for number in numbers)
