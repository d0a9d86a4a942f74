"""What a question asks for (a year, a number, a name) and whether an answer's sentences give it.

The grounding check keeps a sentence whose words are all in its source; that is not yet an answer. The 0.5B model
answers "第一位获得诺贝尔和平奖的美国黑人是谁？" with "…是在这座教堂受浸" and "约翰·希普尚克斯在哪一年捐赠了大量的画作？" with
"…捐赠了 233 幅画作", every word in the source and nothing asked for: :func:`unnamed_answer` says so, and the check quotes
the source's sentence instead.
"""

from __future__ import annotations

import re

from kb_assistant.cjk import simplified
from kb_assistant.kb.tokens import english_root_stem
from kb_assistant.qa.deputy_roles import ASKS_PERSON
from kb_assistant.qa.evidence import LIST_NUMBER
from kb_assistant.qa.optional_words import kind_words
from kb_assistant.qa.people_words import names_someone_unnamed
from kb_assistant.qa.shares import share_for_count
from kb_assistant.qa.terms import VERSION_ASKED, Term, claimed_terms, normalise

_ASKS_YEAR = re.compile(r"哪一?年|何年|哪个年份|什么年份|\b(?:what|which) year\b", re.IGNORECASE)
_SAYS_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)|年|\b\d{1,4}\s*(?:BC|AD|BCE|CE)\b", re.IGNORECASE)
"""A question that asks which year is answered by a sentence with a four-digit number or 年 in it ("同年", "咸丰十年",
"in 1857"); "捐赠了 233 幅画作" does not say when."""
_NO_YEAR = re.compile(r"享年|年[龄纪轻级幼迈长]|(?<![\d\s零一二三四五六七八九十])年[代间]|[青少老中成童幼晚近多每历常长终连]年")
"""Words with 年 that say an age, a stage of life or a span, not a year: "在横须贺过世，享年66岁" and "近年，……对诸汗在位
年代多有补正" do not say which year."""
_ASKS_WHEN = re.compile(
    r"什么时候|何时|什么时间|什么日子|哪一?天|几时|(?:什么|哪个|哪一)(?P<kind>时期|年代|朝代|季节|月份|日期|时代|阶段)"
    r"|^\s*when\b|\bwhen (?:did|was|were|is|are|do|does|will|has|have|had|can|could|would|should)\b"
    r"|\b(?:what|which) (?:time|date|day|month|season|century|decade|period|era)\b",
    re.IGNORECASE,
)
_SAYS_TIME = re.compile(
    r"(?<![A-Za-z\d.\-])(?:\d+(?:s\b|(?![A-Za-z\d])(?!\s*[\u4e00-\u9fff])|\s*(?=[年月日号世点时天周星小钟分秒旬]))"
    r"|(?:1\d|20)\d\d(?!\d))"  # a number before a word counts a route or a thing ("17路"), a year stays a year
    r"|[零一二三四五六七八九十百千〇两半]+个?(?:年|月|日|号|世纪|点|时|天|周|星期|小时|钟头|分钟|秒)"
    r"|年|月份|世纪|朝代|时代|时期|期间|时候|之时|当时"
    r"|[在当][^，。；、]{1,20}时|[^\s，。；、]后(?:[，,]|$)|季节?|[春夏秋冬][天季]|早上|上午|中午|下午|晚上|傍晚|凌晨|夜间|夜里"
    r"|星期|周[一二三四五六日末]|当[日天年月]|之前|以前|之后|以后|此后|后来|前夕|如今|目前|现在|最近|当今|古代|近代|现代"
    r"|[初末中前后早晚]期|[秦汉晋隋唐宋元明清夏商周]代|[秦汉晋隋唐宋元明清]朝|[东西南北前后][汉晋周魏]|春秋|战国|三国|南北朝|五代"
    r"|民国|[清明]末|民初|幕末|[寒武奥陶志留泥盆石炭二叠三叠侏罗白垩]纪|[古始渐中上更全]新世"
    r"|清明|重阳|春节|中秋|端午|元旦|圣诞"
    r"|\b(?:century|centuries|decades?|eras?|period|ages?|years?|months?|weeks?|days?|today|yesterday|tomorrow"
    r"|tonight|morning|afternoon|evening|night|noon|midnight|spring|summer|autumn|winter|after|before|during"
    r"|until|till|since|when|while|following|prior|ago|later|earlier|currently|recently|early|late"
    r"|mid|ancient|medieval|modern|reign|dynasty|january|february|april|june|july|august|september"
    r"|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
"""A question that asks when ("劲松站什么时候投入使用？") is answered by a time: a date or a number (not one of a name:
"ChatGPT-3.5", "4K"), one in Chinese numerals ("两天内", "三个月后", as "2天内" is), a time word, or a time relative
to an event ("二战之后", "after the war", "在大潮时", "军制引入后，"), an era ("东汉", "寒武纪"); the question's own
words do not count, so "劲松站在北京市朝阳区投入使用" says where, not when."""
_NOW = re.compile(r"如今|目前|现在|当今|时至今日|\b(?:currently|now|today)\b", re.IGNORECASE)
_EVENT = re.compile(r"发布|推出|上市|成立|创立|建立|出生|诞生|去世|逝世|发生|爆发|提出|发明|发现|上映|发行|举行|召开|签署|开通|开业|问世"
                    r"|\b(?:released?|launched?|founded|established|born|died|invented|discovered|introduced|published)\b",
                    re.IGNORECASE)
"""When an event happened ("GPT-4 是什么时候发布的？") is not answered by "now": "时至目前，由 OpenAI 发布的 GPT-4 仍然是……" says
what it is today, not when it came out."""
_ASKS_DURATION = re.compile(r"多久|多长时间|多少(?:年(?![轻级代纪份])|个月|天|小时|分钟|时间)|(?<![近这前每])几(?:个月|天|小时|分钟)")
"""How long something lasts, in Chinese (English "how long" asks a length as often; "西元幾年" asks which year)."""
_DATE = re.compile(r"\d{1,4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?|\d{1,2}\s*月\s*\d{1,2}\s*[日号]")
_SAYS_DURATION = re.compile(
    r"(?<!\d)(?:\d{1,3}(?:\.\d+)?|[零一二三四五六七八九十百千两几数多半]+)\s*[万亿千百]?\s*(?:多)?\s*个?\s*半?"
    r"(?:年|月|天|日|周|星期|小时|钟头|分钟|秒|世纪|载|赛季|季度|学期|届|任期)"
    r"|[至到]\s*[^，。；]{0,12}(?:期满|结束|为止|止)|直到|until|\d+\s*[万亿千百]?\s*年前|每[年月天日周]"
    r"|\d{3,4}\s*年?[^，。；\d]{0,4}(?:到|至|-|–|—|~)\s*\d{2,4}|半年|之久|至今|多年|数年|终身|永久"
)
"""A length of time ("持续了四年", "两个月", "1260年至1264年"), not a date: "持续了1264年8月21日" names when, not how long."""
_ASKS_VERSION = re.compile(rf"{VERSION_ASKED.pattern}|哪些版本|版本号", re.IGNORECASE)
"""The questions whose version word the check does not look for in a source (:data:`~kb_assistant.qa.terms.VERSION_ASKED`),
and "哪些版本", "版本号": they ask for a version."""
_SAYS_VERSION = re.compile(r"(?<![\w.])v?\d+(?:\.(?:\d+|x))+|\bv\d+|版本\s*\d|\d+\s*版|latest|最新", re.IGNORECASE)
"""A question that asks which version is answered by a version ("python=3.10", "v0.3", "3.x", "最新版本");
"教程推荐使用 Python 语言开发" names none."""
_INSTITUTION_KINDS = ("机构|组织|公司|单位|学校|中学|小学|大学|学院|国家|城市|地区|团队|部门|球队|乐队|政党|厂商|品牌|银行|医院|出版社"
                      "|网站|平台|院校|高校")
ASKS_WHO = re.compile(
    rf"谁|哪位|何人|哪一?[支队]|(?:什么|哪个|哪家|哪所|哪一[个所家]?)(?:{_INSTITUTION_KINDS})|(?:{_INSTITUTION_KINDS})(?:是|为)哪一?[个所家支]"
    r"|\bwho(?:m|se)?\b|\b(?:which|what) (?:company|organi[sz]ation|country|city|university|college|school|agency|team)\b",
    re.IGNORECASE,
)
"""Questions answered by a name: a person's, a team's, an institution's or a place's ("……必须在什么机构注册?"); simplified."""
_ASKS_NUMBER = re.compile(
    r"多少|(?<![近这前那])几[个位次年月天岁名人条种件座所家项倍层届]|多[大长高远久重宽深]"
    r"|\bhow (?:many|much|long|old|far|tall|large|big|high)\b|\bwhat (?:percentage|proportion|number)\b"
    r"|(?:分数线|分数|人数|人口|票价|价格|费用|学费|面积|比例|数量|金额|总数|长度|高度|重量|温度|年龄)(?:是|为)\s*[?？]?\s*$",
    re.IGNORECASE,
)
"""How many or how much; or a quantity the question ends by asking for ("理科试验班专业的录取最低分数线是？")."""
_STANDALONE_NUMBER = re.compile(r"(?<![A-Za-z_\d.])(?<!\d:)\d+(?:[.:]\d+)*")  # "数量：1004" (NFKC: ":")
_CLOCK = re.compile(r"(?<![\d.])\d{1,2}\s*[:：]\s*\d{2}(?!\d)")
"""A time of day ("10:00-17:00" of "于2014年2月28日10:00-17:00到我校艺术楼报到"): no amount, count or price."""
_DATES = re.compile(
    r"(?<!\d)(?:1\d|20)\d{2}\s*(?:年代?|[~～\-–—至到]\s*(?:(?:1\d|20)?\d{2})\s*年)"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
)
"""Years and dates ("1945~1949年", "2008年6月30日", "6月30日"): no count or amount, which is what 多少 asks for."""
_ASKS_DAY = re.compile(r"哪一?天|几月几[日号]|几号|什么日子|哪个日期|什么日期|\b(?:what|which) (?:date|day)\b|\bon what day\b",
                       re.IGNORECASE)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_SAYS_DAY = re.compile(
    r"\d{1,2}\s*[日号]|[一二三四五六七八九十廿卅]+\s*[日号]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}/\d{1,2}"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b"
    r"|当天|当日|同日|同一天|次日|翌日|星期|礼拜|周[一二三四五六日天]|元旦|除夕|春节|国庆|今天|昨天|明天"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow)\b",
    re.IGNORECASE,
)
"""A question that asks which day ("哪天推出的", "what date") is answered by a day: "3 月 27 日", "2023-03-27",
"March 27", "当天", "周三"; a month or a year alone does not say which day."""
_ASKS_DATE = re.compile(r"几[年月日号]|哪一?[年月天]|[西公]元")
"""A number question that asks for a date after all: "西元幾年", "幾月幾日"."""
_CHINESE_QUANTITY = re.compile(
    r"[零一二三四五六七八九十百千万亿两〇]+[个年月日天周岁名人条种件座所家项倍层届次位分秒元米吨成]|[零一二三四五六七八九十百千万亿两〇]{2,}"
)
"""A number in Chinese characters ("五年", "三百", "五成": half, in tenths): jieba tags "五年" as a time word, not a
numeral."""
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?"
    r"|thousands?|millions?|billions?|dozens?|half)\b",
    re.IGNORECASE,
)

_ASKS_PRICE = re.compile(
    r"多少钱|价格|价钱|售价|票价|收费|多贵|费用?\s*(?:是|为|要)?\s*多少|\b(?:price|prices|cost|costs|fees?)\b", re.IGNORECASE
)
"""A how-much question about money."""
MONEY_UNITS = (r"[元块角¥￥$€£]|美元|欧元|英镑|日元|港[元币]|台币|人民币|卢布|法郎|比索"
               r"|\b(?:dollars?|cents?|euros?|pounds?|yen|yuan|rmb|usd|cny|eur|gbp)\b")
"""The signs and words a sum of money is written with (a pattern to build on)."""
_SAYS_MONEY = re.compile(rf"{MONEY_UNITS}|免费|\bfree\b", re.IGNORECASE)
_MEASURED = re.compile(r"(?<![A-Za-z0-9.])(\d[\d,]*(?:\.\d+)?)(?:[A-Za-z]|\s*(?:[%％个岁年月天次人倍层位度]|per ?cent\b)"
                       r"|\s+(?!(?:per|each|every|an?|for)\b)[A-Za-z]{2,})")
"""A number with a unit that is not money: "130B" (a model's size), "64GB", "30%", "5120 tokens"."""
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])\d[\d,]*(?:\.\d+)?")
_LABEL_NUMBER = re.compile(
    r"(?im)^(\s*(?:[\u4e00-\u9fff]{1,4}|(?:step|example|question|review|case|item|q|a)\s?))\d{1,3}(?=\s*[:：])"
)
"""The number of a label that opens a line ("评论1:", "问题2：", "Step 3:"): it tells items apart, it is no quantity."""
_RUN_IN_LIST_NUMBER = re.compile(r"(?<=[:：。；;!！?？])(\s*)(?:\*\*)?\d{1,3}[.)](?:\*\*)?(?=\s)")
"""A list's first number after the line that opens it, where a quote joined the lines ("请执行以下步骤：  1. 为应用程序创建
GitHub 存储库。"): it numbers a step, it counts nothing."""


def _without_times(text: str) -> str:
    """``text`` with its dates and times of day blanked out: they say when, not how many or how much."""
    return _CLOCK.sub(" ", _DATES.sub(" ", text))


def _names_a_price(text: str, known: set[str]) -> bool:
    """Whether ``text`` names an amount of money: a currency, or a number not in ``known`` without another unit
    ("全程收费4.9", "逃税4765.82万"); "智谱 GLM 的 API 价格是 130B" names a model's size."""
    if _SAYS_MONEY.search(text):
        return True
    measured = {m.start(1) for m in _MEASURED.finditer(text)}
    return any(m.start() not in measured and m.group(0) not in known for m in _NUMBER.finditer(text))


_ASKS_REASON = re.compile(r"(?<![称成认视作以])为什么|为何|何以|什么原因|原因是什么|\bwhy\b", re.IGNORECASE)
"""Questions that ask why; "被称为什么" (called what) and "成为什么" ask what."""
_GIVES_REASON = re.compile(
    r"因为|由于|之所以|所以|因此|因而|为了|以便|以免|导致|使得|原因|\b(?:because|since|so that|due to|therefore|"
    r"thus|in order to|leads? to|causes?|reason)\b",
    re.IGNORECASE,
)


_INDEFINITE = re.compile(r"一[个款种位家篇条项部本则份名台把只盏张件座所套段句门类批]")
"""一 and a measure word: mostly the article "a" ("关于一款台灯的评论"), which a source need not say."""


def only_an_article(term: Term, question: str) -> bool:
    """Whether ``term`` is 一 and a measure word in an answer to a question that asks for no number: "一款台灯"
    says "a lamp" and the source's "台灯评论" holds it. Where the question asks how many, it is a number."""
    return (term.kind == "cjk" and bool(_INDEFINITE.fullmatch(simplified(term.text)))
            and not _ASKS_NUMBER.search(simplified(question)))


_DIMENSIONS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    name: (re.compile(asked, re.IGNORECASE), re.compile(rf"^\s*(?:{units})", re.IGNORECASE))
    for name, asked, units in (
        ("temperature", r"温度|气温|水温|体温|熔点|沸点|冰点|\btemperature", r"度|℃|°|摄氏|华氏|开尔文|K\b|degrees?\b"),
        ("area", r"面积|占地|\barea\b", r"平方|公顷|亩|英亩|平米|㎡|km2|m2|(?:square|sq)\b|hectares?\b|acres?\b"),
        ("length", (r"深度|水深|高度|海拔|宽度|身高|直径|半径|周长|多[高深宽]|\b(?:how (?:tall|deep|high|wide)"
                    r"|depth|height|width|altitude|elevation)\b"),
         r"米|公尺|公里|千米|厘米|毫米|英尺|英里|英寸|海里|尺|\b(?:m|km|cm|mm|ft|mi|miles?|feet|foot|inch(?:es)?|metres?|meters?)\b"),
        ("weight", r"重量|体重|多重|\b(?:weight|how heavy)\b",
         r"克|公斤|千克|吨|磅|斤|盎司|\b(?:kg|g|t|lbs?|tons?|tonnes?|pounds?|grams?|kilograms?)\b"),
        ("frequency", r"频率|\bfrequency\b", r"赫兹|\b[kMG]?Hz\b|hertz\b"),
        ("sum of money", r"(?!)", r"元|美元|欧元|英镑|日元|港元|\b(?:dollars?|euros?|yuan)\b"),
        ("length of time", r"(?!)", r"年|个?月|天|日|周|小时|分钟|秒|\b(?:years?|months?|days?|weeks?|hours?|minutes?|seconds?)\b"),
        ("share", r"(?!)", r"%|％|percent\b|个百分点"),
        ("age", r"(?!)", r"周?岁"),
        ("size", r"(?!)", r"[kmgt]i?b\b"),
    )
}
"""The quantities a question can ask for by name (温度, 水深, 面积…) and the units each is given in; the last five
are only told apart (no question names them so; money before time, so 日元 is no 日). A number in another quantity's unit is no answer: "涡轮机的冷凝器
温度大约是50赫兹" (the grid's frequency) for the condenser's temperature. Not 距离, 多远 or 长度 (a distance is given in
minutes as often, "车程30分钟", and a video's length in seconds), nor 质量 (quality as often as mass)."""
_CITATION = re.compile(r"\[\d+(?:\s*[,，]\s*\d+)*\]")
_A_NUMBER = re.compile(r"(?<![A-Za-z0-9.])\d[\d,]*(?:\.\d+)?(?:\s*[~～\-–—至到]\s*\d[\d,]*(?:\.\d+)?)?\s*[万亿千百]?")


def other_dimension(question: str, kept: list[str]) -> str | None:
    """The quantity ``question`` asks for by name (a temperature, a length, an area, a weight, a frequency) where
    every number of ``kept`` is given in the unit of another quantity; None where one is in its unit or has none
    that is known, or the question names no such quantity."""
    question = simplified(question)
    asked = next((name for name, (named, _) in _DIMENSIONS.items() if named.search(question)), None)
    if asked is None:
        return None
    found = False
    for text in kept:
        for match in _A_NUMBER.finditer(_DATES.sub(" ", _CITATION.sub(" ", simplified(text)))):
            found = True
            kind = quantity_of(match.string[match.end() : match.end() + 12])
            if kind is None or kind == asked:
                return None
    return asked if found else None


def quantity_of(unit: str) -> str | None:
    """The quantity that the unit ``unit`` opens with measures ("公里" a length, "％" a share, "岁" an age, by
    ``_DIMENSIONS``); None for one it does not know."""
    return next((name for name, (_, units) in _DIMENSIONS.items() if units.match(unit)), None)


_ONLY_OR_NONE = re.compile(r"(?:没有|并无|无|仅有?|只有?|唯有?|就|才)\s*$")


def _counts(quantity: re.Match[str], question: str) -> bool:
    """Whether a Chinese quantity in an answer says how many: 一 and a measure word is as often the article ("每一个都是
    其各自的都市区的中心" for "大洛杉矶地区的人口是多少？"), so it counts only after "没有", "仅", "只有"… ("没有一项提到保护
    基本权利" for "有多少……条约保护了基本权利？") or where the question counts by that measure word ("有几个？", "多少个")."""
    if not _INDEFINITE.fullmatch(quantity.group(0)):
        return True
    if _ONLY_OR_NONE.search(quantity.string[: quantity.start()]):
        return True
    return re.search(f"(?:几|多少){quantity.group(0)[1:]}", question) is not None


_PLACE_SUFFIX = re.compile(r"..+[省市县区]")


def names_asked_place(term: Term, question: str) -> bool:
    """Whether ``term`` is a place the question names, with the administrative word the question left out: "上海市"
    for "2022年上海……", "甘肃省" for "2021年甘肃……" (an answer says it in full; its source may say it only in its
    title)."""
    return (term.kind == "cjk" and bool(_PLACE_SUFFIX.fullmatch(term.text))
            and simplified(term.text[:-1]) in simplified(question))


def asks_for_number(question: str) -> bool:
    """Whether ``question`` is answered by a number: how many, how much, how long, which year."""
    question = simplified(question)
    return bool(_ASKS_NUMBER.search(question) or _ASKS_YEAR.search(question))


def asks_for_a_kind(question: str) -> bool:
    """Whether ``question`` asks for a kind of answer the check can see named (:func:`unnamed_answer`): a year, a
    version, a length of time, a time, a name, a number; not what something is for, how or why."""
    question = simplified(question)
    return any(pattern.search(question) for pattern in
               (_ASKS_YEAR, _ASKS_VERSION, _ASKS_DURATION, _ASKS_WHEN, ASKS_WHO, _ASKS_NUMBER))


def asks_when(question: str) -> bool:
    """Whether ``question`` asks when: which year, date, time or period."""
    question = simplified(question)
    return bool(_ASKS_YEAR.search(question) or _ASKS_WHEN.search(question))


def asks_for_year(question: str) -> bool:
    """Whether ``question`` asks which year."""
    return bool(_ASKS_YEAR.search(simplified(question)))


def quote_gives_no_reason(question: str, quote: str) -> bool:
    """Whether ``question`` asks why and ``quote`` states no reason: for "使用分隔符为什么能防止提示词注入？" the
    sentence that repeats the question's words ("使用分隔符尤其重要的是可以防止提示词注入") is its premise, not
    its answer, however many of its words it holds."""
    return bool(_ASKS_REASON.search(simplified(question))) and not _GIVES_REASON.search(simplified(quote))


def unnamed_answer(question: str, kept: list[str], asked: list[Term]) -> str | None:
    """What ``question`` asks for that ``kept`` (the answer's supported sentences) does not name, if anything: a
    year for "which year", a version for "which version", a number for "how many", a name for "who" or "which
    institution" (a number or name not in the question: ``asked`` are its terms)."""
    question, kept = simplified(question), [simplified(text) for text in kept]  # 幾個, 為什麼 ask as 几个, 为什么 do
    if _ASKS_YEAR.search(question):
        return None if any(_SAYS_YEAR.search(_NO_YEAR.sub(" ", text)) for text in kept) else "year"
    if _ASKS_VERSION.search(question):
        # the question's own words are no answer: "最新" names no version for "最新版本是多少？"
        said = (m.group(0).lower() for text in kept for m in _SAYS_VERSION.finditer(text))
        return None if any(word not in question.lower() for word in said) else "version"
    if _ASKS_DURATION.search(question):
        return None if any(_SAYS_DURATION.search(_DATE.sub(" ", text)) for text in kept) else "length of time"
    when = _ASKS_WHEN.search(question)
    if when:
        # the question's words are no answer, but the kind it asks for is ("平安时代" answers "什么时代的人")
        own = sorted({simplified(t.text) for t in asked} - {when.group("kind")}, key=len, reverse=True)
        said = [_without(text, own) for text in kept]
        if _EVENT.search(question):
            said = [_NOW.sub(" ", text) for text in said]
        if not any(_SAYS_TIME.search(text) for text in said):
            return "time"
        # "哪天推出的" is not answered by "2023 年 3 月" alone
        return "day" if _ASKS_DAY.search(question) and not any(_SAYS_DAY.search(text) for text in said) else None
    who, number = ASKS_WHO.search(question), _ASKS_NUMBER.search(question)
    if not (who or number):
        return _no_thing_named(question, kept, asked)
    known = {simplified(t.text) for t in asked}
    if who and ASKS_PERSON.search(question):
        kept = [_TITLE.sub(" ", text) for text in kept]
    # "**1.** 可以设置……", "评论1: 熊猫公仔是生日礼物……" and "以下步骤：1. 创建……" name no number
    kept = [_RUN_IN_LIST_NUMBER.sub(r"\1 ", _LABEL_NUMBER.sub(r"\1 ", LIST_NUMBER.sub(" ", text))) for text in kept]
    new = [t for text in kept for t in claimed_terms(text) if t.text not in known]
    if number:
        dimension = other_dimension(question, kept) or share_for_count(question, kept)
        if dimension is not None:
            return dimension
        if _ASKS_PRICE.search(question):  # "构建一个点餐助手机器人" has a quantity, and no price
            return None if any(_names_a_price(_without_times(text), known) for text in kept) else "price"
        if not _ASKS_DATE.search(question):  # "1945~1949年" does not say how many people speak Hakka
            new = [t for text in kept for t in claimed_terms(_without_times(text)) if t.text not in known]
        # a digit inside a word is part of a name: "c7_data", "mp3", "v2" count nothing
        standalone = {m.group(0) for text in kept for m in _STANDALONE_NUMBER.finditer(normalise(text))}
        code = re.search(r"编号|代号|型号|代码|编码|号码", question) is not None  # "G11", not a path's "c7_data"
        named = any((t.kind == "number" and t.text in standalone)
                    or (code and re.fullmatch(r"[a-z]{1,4}-?\d{1,6}[a-z]{0,2}", t.text)) for t in new)
        # more of them than the question has: "在一个会话中仅有一个" answers "在一个会话中有几个？"
        named = named or any(
            text.count(m.group(0)) > question.count(m.group(0)) and _counts(m, question)
            for text in kept for m in _CHINESE_QUANTITY.finditer(text)
        )
        # "排第几名" is answered by a place: "全球第二大大豆生产国"
        named = named or (_ASKS_RANK.search(question) is not None and any(_SAYS_RANK.search(text) for text in kept))
        return None if named or any(_NUMBER_WORD.search(text) for text in kept) else "number"
    if _ASKS_SCHOOL.search(question) and not any(_SAYS_SCHOOL.search(text) for text in kept):
        return "school"  # "毕业于 OpenAI 技术团队" names a team, not where Isa Fulford studied
    if who and ASKS_PERSON.search(question) and names_someone_unnamed(new):
        return None  # "买给谁的生日礼物？" is answered by whom it was for: "买给女儿的"; "谁推荐的？" by "牙科卫生员"
    capitalised = _capitalised(kept)
    # a date or a count names no one ("更新时间：2014-04-06 点击数：3264" no school), nor does 一把 a brand
    return None if any((t.strict and t.kind != "number" and not _INDEFINITE.fullmatch(t.text)) or t.text in capitalised
                       for t in new) else "name"


_NUMBERED_KINDS = re.compile(r"年|月|日|天|届|次|期|季|代|纪|号|数|率|价|额|分|量|度|龄|岁|名|位|级|段|点|线|版|"
                             r"\b(?:year|decade|century|season|quarter|round|number|date|day|month|period|edition|score"
                             r"|percentage|age|amount|price|size|rate|level|place|rank|time)s?\b", re.IGNORECASE)  # 年份, 届, 名次


def _no_thing_named(question: str, kept: list[str], asked: list[Term]) -> str | None:
    """"name" when ``question`` asks which thing of a kind (哪场战役: :func:`kind_words`; not one a number names, 哪一届)
    and ``kept`` adds only years ("1288 年"; a port or a room is a number); "reason" when it asks why and they do."""
    kinds = kind_words(question)
    reason = _ASKS_REASON.search(question) is not None
    if not reason and (not kinds or any(_NUMBERED_KINDS.search(kind) for kind in kinds)):
        return None
    known = {simplified(t.text) for t in asked}
    new = [t for text in kept for t in claimed_terms(text) if simplified(t.text) not in known]
    said = [t for t in new if not (t.kind == "cjk" and len(t.text) == 1)]  # a unit or measure word: "1288 年", "3 场"
    if not said or not all(t.kind == "number" and (reason or _YEAR.fullmatch(t.text)) for t in said):
        return None
    return "reason" if reason else "name"


_YEAR = re.compile(r"1\d{3}|20\d{2}")
_ASKS_RANK = re.compile(r"第几|排名|名次|排行|\b(?:what|which) (?:place|rank|position)\b|\brank(?:ed|s)?\b", re.IGNORECASE)
_SAYS_RANK = re.compile(r"第\s*(?:\d+|[一二三四五六七八九十百两]+)|首位|榜首|冠军|亚军|季军|\b\d+(?:st|nd|rd|th)\b"
                        r"|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|top)\b", re.IGNORECASE)
"""A question that asks for a place in a ranking is answered by one: "第二大", "第12位", "榜首", "the 12th largest"."""
_ASKS_SCHOOL = re.compile(r"(?:哪|什么|何)[一所个家]?(?:大学|学校|院校|高校)|\b(?:which|what) (?:university|college|school)\b",
                          re.IGNORECASE)
_SAYS_SCHOOL = re.compile(r"大学|学院|学校|院校|高校|中学|小学|高中|初中|学堂|书院|\b(?:university|college|school|institute"
                          r"|academy|polytechnic)\b", re.IGNORECASE)
"""A question that asks which university or school is answered by a school's name, which says what it is (清华大学,
"the University of Oxford"); a school asked for by its kind is written with it."""
_TITLE = re.compile(r"《[^》]*》(?:\s*[（(][^）)]*[）)])?")
"""A work's title (and its translation after it): "《越战狂想曲》的作者是《狗屎一号》（Dog Shit One）" names a book, not who
wrote it."""


def _without(text: str, words: list[str]) -> str:
    """``text`` with each of ``words`` (longest first) blanked out."""
    for word in words:
        text = re.sub(re.escape(word), " ", text, flags=re.IGNORECASE)
    return text


def _capitalised(texts: list[str]) -> set[str]:
    """The stems of English words written with a capital ("Tesla founded it": a name, though it opens the
    sentence)."""
    stem = english_root_stem()
    return {stem(word.lower()) for text in texts for word in re.findall(r"\b[A-Z][A-Za-z]*", text)}
