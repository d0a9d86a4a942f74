"""Questions written by hand, asked as a user would, of a KB of a real course folder (Chinese Markdown, notebooks
converted to Markdown, a DOCX, a PPTX, a CSV, a talk's transcript): the "rounds as a user" of README's "Answer
quality". Each round was written before the code it was first run on was changed for it.

Each question has the words a right answer holds (any one of several alternatives), or none when the folder holds
its topic but not its answer and the right answer is a refusal. A question counts right when the shown answer holds
the words (and is no refusal), or is a refusal where one is expected.

    python -m kb_assistant --persist-dir /tmp/kbu ingest ../shared/corpora/llm_universe_kb
    python benchmarks/user_rounds.py /tmp/kbu --round 6 --json build/round6.json
    python -m kb_assistant --persist-dir /tmp/kbh ingest ../shared/corpora/domainrag_html
    python benchmarks/user_rounds.py /tmp/kbh --round 8
    python benchmarks/user_rounds.py /tmp/kbu --round 9
    python benchmarks/user_rounds.py /tmp/kbu --round 10
    python benchmarks/user_rounds.py /tmp/kbu --round 11
    python benchmarks/user_rounds.py /tmp/kbh --round 12
    python benchmarks/user_rounds.py /tmp/kbu --round 13
    python benchmarks/user_rounds.py /tmp/kbu --round 14
    python benchmarks/user_rounds.py /tmp/kbu --round 15
    python benchmarks/user_rounds.py /tmp/kbh --round 16
    python benchmarks/user_rounds.py /tmp/kbu --round 17
    python benchmarks/user_rounds.py /tmp/kbu --round 18
    python benchmarks/user_rounds.py /tmp/kbu --round 19
    python benchmarks/user_rounds.py /tmp/kbu --round 20
    python benchmarks/user_rounds.py /tmp/kbu --round 21
    python benchmarks/user_rounds.py /tmp/kbu --round 22
    python benchmarks/user_rounds.py /tmp/kbh --round 23
    python benchmarks/user_rounds.py /tmp/kbu --round 24
    python benchmarks/user_rounds.py /tmp/kbu --round 25
    python benchmarks/user_rounds.py /tmp/kbu --round 26
    python benchmarks/user_rounds.py /tmp/kbu --round 27
    python benchmarks/user_rounds.py /tmp/kbu --round 5 6 7 9 10 11 13 14 15 17 18 19 20 21 22 24 25 26 27

Several rounds in one process load the models once; ``--json`` writes each round's answers under its number.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

Expected = list[list[str]] | None
"""Alternatives, each a list of words the answer must all hold; None: the answer must be a refusal."""

ROUNDS: dict[int, list[tuple[str, Expected]]] = {
    5: [
        ("DeepSeek 在 2023 年 11 月发布了哪些规模的基础模型？", [["7B", "67B"]]),
        ("RAG 在哪些领域取得了成功？", [["问答系统"]]),
        ("文心大模型包括哪些大模型？", [["NLP 大模型"]]),
        ("LLM 的多模态支持指什么？", [["图像"], ["不同媒体类型"]]),
        ("LLM 引发了哪些伦理和风险问题？", [["隐私"]]),
        ("temperature 越低输出会怎样？", [["一致"], ["高概率"]]),
        ("智谱 GLM 的 temperature 默认值是多少？", [["0.95"]]),
        ("Chroma 的缺点是什么？", [["GPU"]]),
        ("天机是哪个团队做的？", [["SocialAI"]]),
        ("个人知识库助手项目使用了哪些技术栈？", [["LangChain"], ["向量数据库", "检索问答链"]]),
        ("创建检索 QA 链用哪个方法？", [["RetrievalQA"]]),
        ("Prompt Engineering 的两个关键原则是什么？", [["清晰", "思考"]]),
        ("文本扩展一章中，温度系数设为多少时回答更有创造性？", [["0.7"]]),
        ("LangChain 的创始人是谁？", None),
        ("天机项目获得了多少融资？", None),
        ("Chroma 的最新版本号是多少？", None),
        ("智谱 GLM 的 API 价格是多少？", None),
        ("这门课程的作者毕业于哪所大学？", None),
    ],
    6: [
        ("读取 PDF 文档可以用 LangChain 的哪个加载器？", [["PyMuPDFLoader"]]),
        ("PyMuPDFLoader 有什么优点？", [["最快"]]),
        ("chunk_overlap 指什么？", [["重叠"], ["共享"]]),
        ("MarkdownHeaderTextSplitter 是怎么分割文本的？", [["标题"]]),
        ("知识库的源数据放在哪个目录下？", [["knowledge_db"]]),
        ("示例代码中知识库单段文本长度设为多少？", [["500"]]),
        ("相邻文本的重合长度设为多少？", [["50"]]),
        ("Chroma 的相似度搜索使用什么距离？", [["余弦"]]),
        ("为什么选择 Chroma 作为向量库？", [["轻量"], ["内存"]]),
        ("LangChain 集成了多少个向量存储库？", [["30"]]),
        ("RAG 应用的评估分别聚焦哪两个部分？", [["检索", "生成"]]),
        ("验证集变大以后应该采用什么评估方法？", [["自动评估"]]),
        ("Which PDF loader does the course use?", [["PyMuPDFLoader"]]),
        ("What distance does Chroma's similarity search use?", [["cosine"], ["余弦"]]),
        ("PyMuPDFLoader 的作者是谁？", None),
        ("Chroma 每秒能处理多少次查询？", None),
        ("课程推荐的 GPU 型号是什么？", None),
        ("LangChain 的最新版本是多少？", None),
    ],
    7: [
        ("文心一言是哪家公司推出的？", [["百度"]]),
        ("文心一言是什么时候推出的？", [["3 月 27 日"], ["3月27日"], ["2023 年 3 月"]]),  # C1: "于 2023 年 3 月……开启邀测"
        ("GPT-4 是什么时候发布的？", [["2023"]]),
        ("System Prompt 在一个会话中一般有几个？", [["仅有一个"], ["只有一个"], ["一个会话中一个"]]),
        ("千帆的 API Key 和 Secret Key 要填到 .env 的哪些参数？", [["QIANFAN_AK", "QIANFAN_SK"]]),
        ("智谱新注册的用户可以免费领取多少 token？", [["2000"]]),
        ("哪些大模型 API 会给新用户赠送 tokens？", [["讯飞星火", "智谱"]]),
        ("强化学习由哪两部分组成？", [["智能体", "环境"]]),
        ("Company.csv 里 CEO 的员工编号是多少？", [["1318"]]),
        ("员工 1319 的职位是什么？", [["VP Stores"]]),
        ("文心大模型 5.0 的参数规模是多少？", [["2.4 万亿"], ["2.4万亿"]]),
        ("When was GPT-4 released?", [["2023"]]),
        ("Which .env parameters hold the Qianfan API Key and Secret Key?", [["QIANFAN_AK"]]),
        ("文心一言的 API 每千 tokens 多少钱？", None),
        ("王奇的导师是谁？", None),
        ("GPT-5.1 的参数量是多少？", None),
        ("讯飞星火给新用户赠送多少 tokens？", None),
        ("Company.csv 中 CEO 的年薪是多少？", None),
    ],
    8: [  # ../shared/corpora/domainrag_html: a university admissions site's saved pages, score tables on most
        ("2020年人大在河北的校本部一批理科录取线是多少？", [["690"]]),
        ("2020年北京的提前批录取线是多少？", [["669"]]),
        ("2022年上海金融学类的最低分是多少？", [["587"]]),
        ("2021年甘肃经济学类文史类最高分是多少？", [["643"]]),
        ("2023年强基计划在浙江的入围校考分数线是多少？", [["680"]]),
        ("强基计划综合成绩中高考成绩占多少？", [["85%"]]),
        ("强基计划的体育测试项目有哪些？", [["肺活量", "立定跳远", "50米跑"]]),
        ("2014年高水平运动员招生中男篮签约参考人数是多少？",
         [["5 人"], ["5人"], ["5名"], ["为 5"], ["为5"], ["是 5"], ["是5"], ["| 5 |"]]),
        ("音乐表演专业声乐（美声）方向学制几年？", [["五年"]]),
        ("国防奖学金标准是每人每年多少钱？", [["15000"]]),
        ("2021年澳门保送生招生计划多少人？", [["20人"], ["20 人"], ["20名"]]),  # first set [["20"]]: "2021年" held it
        ("2016年国防生招生专业有哪些？", [["新闻学", "信息管理"]]),
        ("人大招生办的传真号码是多少？", [["62511156"]]),
        ("What was the lowest score for 金融学类 in Shanghai in 2022?", [["587"]]),
        ("2023年强基计划在新疆的入围校考分数线是多少？", None),
        ("人大艺术学院的院长是谁？", None),
        ("高水平运动员招生中乒乓球签约多少人？", None),
        ("2022年上海哲学专业的最低分是多少？", None),
    ],
    9: [  # llm_universe_kb again: the cases (天机), the slides, a talk's transcript, the prompt course; English too
        ("天机的模型训练基于哪个模型？", [["InternLM2"]]),
        ("创建天机的虚拟环境用哪个 Python 版本？", [["3.11"]]),
        ("运行天机的 Prompt 和 Agent 需要显卡吗？", [["不需要"]]),
        ("Sora 用什么替换了 Diffusion 的 U-net 架构？", [["Transformer"]]),
        ("Diffusion 模型分为哪两个过程？", [["前向", "反向"]]),
        ("AI 视频生成的大致流程第一步做什么？", [["分镜"]]),
        ("蘑菇书的 GitHub 仓库有多少 star？", [["48k"]]),
        ("订餐机器人的大号芝士披萨多少钱？", [["10.95"]]),
        ("聊天机器人一章中系统消息有什么作用？", [["行为"], ["指示"], ["引导"]]),
        ("迭代优化一章把营销描述限制在多少词以内？", [["50"]]),
        ("Which base model is Tianji's model training based on?", [["InternLM2"]]),
        ("What did Sora replace the U-net with?", [["Transformer"]]),
        ("How much is a large cheese pizza in the order bot?", [["10.95"]]),
        ("Which Python version does the Tianji setup use?", [["3.11"]]),
        ("Sora 能生成多长的视频？", None),
        ("订餐机器人所在的披萨餐厅叫什么名字？", None),
        ("天机项目在 GitHub 上有多少 star？", None),
        ("What GPU does Tianji's model training need?", None),
    ],
    10: [
        ("南瓜书的主编是谁？", [["Sm1les"]]),
        ("南瓜书介绍了哪三种模型评估方法？", [["留出法", "交叉验证", "自助法"]]),
        ("KKT 条件一共有几条？", [["5"], ["五"]]),
        ("在南瓜书的 GitHub Issues 反馈问题，多久会得到回复？", [["24"]]),
        ("阅读南瓜书需要学过哪几门数学课？", [["高等数学", "线性代数", "概率论"]]),
        ("推断一章的台灯评论里，台灯是哪个品牌的？", [["Lumina"]]),
        ("推断一章的调查中，哪个部门的员工满意度最高？", [["NASA"]]),
        ("文本概括一章把商品评论的摘要限制在多少字以内？", [["30"]]),
        ("熊猫公仔的快递比预期提前了多久到货？", [["一天"], ["1天"], ["1 天"]]),
        ("文本转换一章的语法纠错示例类似于哪个工具？", [["Grammarly"]]),
        ("Who are the chief editors of the Pumpkin Book?", [["Sm1les"]]),
        ("In the inferring chapter's survey, which department had the highest satisfaction?", [["NASA"]]),
        ("What is the word limit for the product review summary in the summarizing chapter?", [["30"]]),
        ("Which tool is the grammar correction example in the transforming chapter like?", [["Grammarly"]]),
        ("南瓜书纸质版的定价是多少？", None),
        ("熊猫公仔的价格是多少？", None),
        ("南瓜书读者交流群有多少人？", None),
        ("How many employees took part in the NASA satisfaction survey?", None),
    ],
    11: [  # llm_universe_kb: vector stores, LCEL and Streamlit (C3, C4), temperature (C2), hallucination, the talk
        ("Qdrant 是用什么语言开发的？", [["Rust"]]),
        ("Qdrant 支持哪几种部署模式？", [["本地", "云"]]),
        ("Streamlit 中用哪个模块呈现 Pandas 数据框？", [["st.dataframe"]]),
        ("LCEL 支持哪些运行方式？", [["异步", "流式"], ["ainvoke", "stream"]]),
        ("提示原则一章用哪个产品演示了大模型的幻觉？", [["GT Watch"]]),
        ("Temperature 一般取值在什么范围？", [["0~1"], ["0 到 1"], ["0到1"], ["0-1"], ["0 和 1"], ["0和1"]]),
        ("强化学习入门指南的分享分为几部分？", [["三"], ["3"]]),
        ("王奇目前在哪所学校就读？", [["中国科"]]),
        ("构建检索问答链时用 ChatOpenAI 调用的是哪个模型？", [["gpt-4o"]]),
        ("数据清洗时用什么方法删除 PDF 文本里多余的换行符？", [["正则"]]),
        ("What language is Qdrant written in?", [["Rust"]]),
        ("Which Streamlit function displays a Pandas DataFrame?", [["st.dataframe"]]),
        ("What command runs the Streamlit app locally?", [["streamlit run"]]),
        ("Which model does the retrieval QA chain call through ChatOpenAI?", [["gpt-4o"]]),
        ("Qdrant 每秒能处理多少请求？", None),
        ("Streamlit 是哪一年发布的？", None),
        ("华为 GT Watch 的售价是多少？", None),
        ("How many GitHub stars does Streamlit have?", None),
    ],
    12: [  # ../shared/corpora/domainrag_html again: the art, athletes', HR and Sino-French pages round 8 left
        ("2014年音乐表演专业的初试费是多少？", [["100"]]),
        ("中国人民大学艺术学院成立于哪一年？", [["1999"]]),
        ("2014年美术类招生中视觉传达设计专业计划招多少人？", [["20"]]),
        ("2014年美术类专业的全国招生计划总计多少人？", [["101"]]),
        ("人力资源管理类依托哪个学院招生和培养？", [["劳动人事学院"]]),
        ("人力资源管理类学生在什么时候选择专业？", [["第四学期"]]),
        ("2014年高水平运动员招生中网球项目优先招收什么队员？", [["女队员"], ["女性"], ["女生"]]),
        ("高水平运动员招生中篮球项目的年龄上限是多少岁？", [["20"]]),
        ("中法学院的办学地点在哪里？", [["苏州"]]),
        ("中法学院目前有多少名在读学生？", [["1104"]]),
        ("In what year was the School of Arts of Renmin University founded?", [["1999"]]),
        ("Where is the Sino-French Institute located?", [["Suzhou"], ["苏州"]]),
        ("How much is the 2014 art tuition per year?", [["10000"], ["10,000"]]),
        ("How many students were planned for 动画 in the 2014 fine arts admissions?", [["10"]]),
        ("2014年高水平运动员招生中女排签约多少人？", None),
        ("音乐表演专业钢琴方向计划招多少人？", None),
        ("中法学院的院长是谁？", None),
        ("How many women's volleyball players did the 2014 high-level athletes plan sign?", None),
    ],
    13: [  # llm_universe_kb: C5's evaluation and optimisation, C4's custom LLM appendix
        ("多维评估中的回答幻觉比例怎么打分？", [["0~1"], ["没有任何幻觉"], ["全部是模型幻觉"]]),
        ("计算答案相似度一般用什么方法？", [["BLEU"]]),
        ("把南瓜书作者的问答题构造成客观题后，标准答案是什么？", [["BCD"]]),
        ("混合评估中智能性用什么方式评估？", [["人工评估"], ["抽样"]]),
        ("检索部分的准确率怎么计算？", [["M", "N"], ["成功检索"]]),
        ("关键词误导问题一般怎么优化？", [["改写"]]),
        ("匹配关系不合理时有哪些优化思路？", [["倒排索引"], ["向量模型"]]),
        ("自定义 LLM 需要定义哪两个函数？", [["_generate", "_stream"]]),
        ("量化评估的量纲可以是多少？", [["0~5"], ["0~100"]]),
        ("混合评估中知识查找正确性推荐用什么方法评估？", [["大模型"]]),
        ("What method does the course suggest for computing answer similarity?", [["BLEU"]]),
        ("Which two methods must a custom LLM class define?", [["_generate", "_stream"]]),
        ("How is retrieval accuracy defined in the evaluation chapter?", [["M", "N"]]),
        ("How does the course suggest fixing misleading keywords in retrieval?", [["rewrit"], ["改写"]]),
        ("多维评估中逻辑性的权重是多少？", None),
        ("BLEU 是哪一年提出的？", None),
        ("本项目的验证集一共有多少条 Bad Case？", None),
        ("How much does one evaluation with a large model cost?", None),
    ],
    14: [  # llm_universe_kb: C6's personal knowledge-base assistant case, C3's embeddings and its custom Embeddings appendix
        ("个人知识库助手项目选择了哪个向量数据库？", [["Chroma"]]),
        ("运行个人知识库助手至少需要多少内存？", [["4 GB"], ["4GB"]]),
        ("个人知识库助手的服务层用哪两种方式实现？", [["Gradio", "FastAPI"]]),
        ("个人知识库助手要求的 Python 版本是多少？", [["3.9"]]),
        ("问答链的 prompt 要求在回答的最后说什么？", [["谢谢你的提问"]]),
        ("项目未来规划中模型架构要升级成什么？", [["Multi-Agent"], ["多智体"]]),
        ("自定义 Embeddings 需要定义哪两个函数？", [["embed_query", "embed_documents"]]),
        ("智谱 embedding-3 生成的 embedding 长度是多少？", [["2048"]]),
        ("text-embedding-3-small 每美元能处理多少页？", [["62,500"], ["62500"]]),
        ("哪个 OpenAI embedding 模型性能最好？", [["text-embedding-3-large"]]),
        ("Which vector database does the personal knowledge base assistant project use?", [["Chroma"]]),
        ("How much RAM does the personal knowledge base assistant need at least?", [["4 GB"], ["4GB"]]),
        ("Which two methods does a custom LangChain Embeddings class define?", [["embed_query", "embed_documents"]]),
        ("How many pages per dollar does text-embedding-3-small give?", [["62,500"], ["62500"]]),
        ("个人知识库助手项目在 GitHub 上有多少 star？", None),
        ("智谱 embedding-3 每千 tokens 多少钱？", None),
        ("个人知识库助手需要什么型号的显卡？", None),
        ("What is the MTEB score of the m3e model?", None),
    ],
    15: [  # llm_universe_kb: the Pumpkin Book PDF's chapters 1 and 2 (terms, the house-price example, evaluation)
        ("房价预测例子中一元线性回归学得的模型是什么？", [["3x"]]),
        ("奥卡姆剃刀原则认为应该怎么选假设？", [["最简单"]]),
        ("南瓜书说一般常用的性能度量指标有哪些？", [["查准率", "查全率"]]),
        ("查准率是什么意思？", [["预测为正例"]]),
        ("精度和错误率是什么关系？", [["1-错误率"], ["1 - 错误率"], ["1减去错误率"], ["1 减去错误率"], ["1减错误率"]]),
        ("支持向量机把二分类任务的标记取成什么？", [["+1"]]),
        ("经验误差又称为什么？", [["训练误差"]]),
        ("南瓜书建议零基础的读者怎么读第 2 章？", [["泛读"], ["跳过"]]),
        ("交叉验证法本质上是在做什么？", [["留出法"]]),
        ("加权调和平均和算数平均相比更重视什么？", [["较小值"]]),
        ("What does Occam's razor say, according to the Pumpkin Book?", [["simplest"], ["最简单"]]),
        ("What is empirical error also called?", [["training error"], ["训练误差"]]),
        ("Which labels does the support vector machine use for binary classification?", [["+1"]]),
        ("In the house price example, what model does linear regression learn?", [["3x"]]),
        ("南瓜书配套视频教程一共有多少集？", None),
        ("房价预测例子中 2023 年的房价是多少？", None),
        ("周志华老师在哪所大学任教？", None),
        ("How many episodes does the Pumpkin Book's video course have?", None),
    ],
    16: [  # ../shared/corpora/domainrag_html a third time: Macau 2024, 强基 results, 2020 cut-offs, 中法 FAQ, 圆梦, uniforms
        ("2024年澳门保送生的学费每学年多少钱？", [["5000"]]),
        ("澳门保送生报考外国语言文学类专业的学费是多少？", [["6000"]]),
        ("澳门保送生原则上需要在澳门有几年以上的学习经历？", [["2年"], ["2 年"], ["两年"]]),
        ("2023年强基计划浙江的拟录名单综合成绩分数线是多少？", [["663.04"]]),
        ("强基计划的校考成绩中面试成绩占多大比重？", [["0.4"], ["40%"]]),
        ("2020年北京校本部一批录取线文科是多少分？", [["671"]]),
        ("中法学院每学年的学费是多少？", [["60000"], ["60,000"], ["6万"]]),
        ("中法学院是人大和哪些法国学校合作创办的？", [["索邦", "蒙彼利埃", "KEDGE"]]),
        ("2014年圆梦计划青海的推荐资格中学是哪所？", [["湟川中学"]]),
        ("国防生被装供应表中夏作训帽发几顶？", [["2顶"], ["2 顶"], ["两顶"], ["为2"], ["为 2"], ["是2"], ["是 2"],
                                              ["| 2 |"]]),
        ("What is the annual tuition for Macau recommended students in 2024?", [["5000"], ["5,000"]]),
        ("What was the 2023 Strong Foundation Plan composite score cutoff for Zhejiang?", [["663.04"]]),
        ("Which French universities co-founded the Sino-French Institute?", [["索邦"], ["Sorbonne"]]),
        ("What was the 2020 first-batch liberal arts cutoff for the main campus in Beijing?", [["671"]]),
        ("2023年强基计划西藏的拟录名单综合成绩分数线是多少？", None),
        ("国防生每月的津贴是多少？", None),
        ("2014年圆梦计划西藏有哪些推荐资格中学？", None),
        ("How many students did the Sino-French Institute admit in 2023?", None),
    ],
    17: [  # llm_universe_kb: C2, calling the LLM APIs (ChatGPT, 文心一言, 讯飞星火, 智谱 GLM)
        ("文心一言是哪家公司推出的？", [["百度"]]),
        ("文心一言是哪天推出的？", [["3 月 27 日"], ["3月27日"]]),
        ("讯飞星火认知大模型是什么时候推出的？", [["5 月"], ["5月"]]),
        ("文心一言的密钥要填写到 .env 文件的哪两个参数？", [["QIANFAN_AK", "QIANFAN_SK"]]),
        ("智谱 GLM 的 API key 要设置到 .env 的哪个参数？", [["ZHIPUAI_API_KEY"]]),
        ("智谱 AI 新注册的用户可以免费领取多少 token？", [["2000w"], ["2000 万"], ["2000万"]]),
        ("ChatGPT 是什么时候发布的？", [["11 月"], ["11月"]]),
        ("讯飞星火平台提供了哪些模型的免费额度？", [["Spark3.5 Max"], ["Spark4.0 Ultra"]]),
        ("哪些大模型 API 给新用户赠送 tokens？", [["讯飞星火", "智谱"]]),
        ("智谱 AI 是由哪里的技术成果转化而来的公司？", [["清华"]]),
        ("Which company launched 文心一言?", [["Baidu"], ["百度"]]),
        ("Which .env parameter holds the Zhipu AI API key?", [["ZHIPUAI_API_KEY"]]),
        ("When was ChatGPT released?", [["November"], ["11 月"], ["11月"]]),
        ("How many free tokens do new Zhipu AI users get?", [["2000w"], ["20 million"], ["2000万"], ["2000 万"]]),
        ("文心一言的 API 每千 token 多少钱？", None),
        ("讯飞星火的 APPID 有效期是多久？", None),
        ("智谱 GLM-4-Plus 的上下文长度是多少？", None),
        ("How many parameters does Spark4.0 Ultra have?", None),
    ],
    18: [  # llm_universe_kb: the prompt course's introduction, its hallucination section, translation, the e-mail reply
        ("《Prompt Engineering for Developer》课程由哪位老师与 Isa Fulford 合作授课？", [["吴恩达"]]),
        ("Isa Fulford 曾开发过什么受欢迎的插件？", [["检索插件"]]),
        ("LLM 大致可以分为哪两种类型？", [["基础", "指令微调"]]),
        ("提示原则一章用哪个编造的产品演示大模型的幻觉？", [["GT Watch"]]),
        ("为了减少幻觉，可以先让语言模型做什么？", [["引用"]]),
        ("文本转换一章把“我想订购一个搅拌机”翻译成了哪种语言？", [["西班牙"]]),
        ("文本扩展一章的客户评论中，17件套装在11月的售价约是多少？", [["49"]]),
        ("文本扩展一章生成的回复邮件以什么名义签署？", [["AI客户代理"]]),
        ("评论中的搅拌机用了多久后电机发出奇怪的噪音？", [["一年"]]),
        ("评论中的货物几天内到达？", [["两天"]]),
        ("Who taught the Prompt Engineering for Developer course together with Isa Fulford?", [["吴恩达"], ["Andrew Ng"]]),
        ("Which made-up product does the guidelines chapter use to show hallucination?", [["GT Watch"]]),
        ("How is the customer reply e-mail signed in the expanding chapter?", [["AI客户代理"], ["AI customer agent"]]),
        ("In the blender review, how soon did the goods arrive?", [["两天"], ["two days"], ["2 days"]]),
        ("GT Watch 运动手表的售价是多少？", None),
        ("Isa Fulford 毕业于哪所大学？", None),
        ("评论中的搅拌机是哪个品牌的？", None),
        ("How much did the customer pay for the replacement blender?", None),
    ],
    19: [  # llm_universe_kb: the prompt course's chair fact sheet, panda review, lamp review, NASA story, OrderBot menu
        ("迭代优化一章的椅子产自哪个国家？", [["意大利"]]),
        ("迭代优化一章中椅子的座椅高度是多少厘米？", [["44"]]),
        ("迭代优化一章的提示要求产品描述最多使用多少个词？", [["50"]]),
        ("熊猫公仔是评论者买给谁的生日礼物？", [["女儿"]]),
        ("熊猫公仔的快递比预期提前了多久到货？", [["一天"], ["1天"]]),
        ("台灯评论中的公司叫什么名字？", [["Lumina"]]),
        ("台灯在运输过程中什么坏了？", [["灯绳"]]),
        ("政府调查中满意度最高的部门是哪个？", [["NASA"]]),
        ("社会保障管理局的员工满意度是多少？", [["45"]]),
        ("订餐机器人的菜单上，大份芝士披萨多少钱？", [["10.95"]]),
        ("Which country is the office chair in the iterative chapter made in?", [["意大利"], ["Italy"]]),
        ("Which department had the highest satisfaction in the government survey?", [["NASA"]]),
        ("How much is a large pepperoni pizza on the OrderBot menu?", [["12.95"]]),
        ("What broke on the lamp during shipping?", [["灯绳"], ["string"], ["cord"]]),
        ("迭代优化一章的椅子重多少公斤？", None),
        ("熊猫公仔的售价是多少钱？", None),
        ("NASA 主管 Tom Johnson 在 NASA 工作了多少年？", None),
        ("How much does the pizza restaurant charge for delivery?", None),
    ],
    20: [  # llm_universe_kb: the summarizing chapter's toothbrush review, the inferring chapter, the easy_rl talk
        ("蘑菇书对应的 Github 仓库 star 数达到了多少？", [["48k"], ["4.8万"], ["48000"]]),
        ("蘑菇书这个名字寓意的是哪个游戏角色？", [["玛里奥"], ["马里奥"]]),
        ("强化学习入门指南中提到的围棋强化学习算法叫什么？", [["AlphaGo"]]),
        ("周博恩老师发表了多少篇学术论文？", [["五十"], ["50"]]),
        ("电动牙刷是谁推荐给评论者的？", [["牙科卫生员"]]),
        ("评论者认为电动牙刷以多少美元左右买到是不错的交易？", [["50"]]),
        ("电动牙刷评论中，牙刷头有什么缺点？", [["小"]]),
        ("推断一章中台灯评论的情感倾向是什么？", [["正面"], ["积极"]]),
        ("推断一章判断主题列表时，哪个主题与 NASA 的报道无关？", [["工程"]]),
        ("不需要训练样本就能判断文本主题的能力在机器学习领域叫什么？", [["零样本"], ["Zero-Shot"]]),
        ("Who recommended the electric toothbrush to the reviewer?", [["牙科卫生员"], ["dental hygienist"]]),
        ("How many stars does the Easy RL GitHub repository have?", [["48k"], ["48,000"], ["48000"]]),
        ("Which reinforcement learning algorithm for Go does the introductory talk mention?", [["AlphaGo"]]),
        ("Is the sentiment of the lamp review positive or negative?", [["正面"], ["积极"], ["positive"]]),
        ("评论中的电动牙刷是哪个品牌的？", None),
        ("蘑菇书的定价是多少元？", None),
        ("王奇的博士导师是谁？", None),
        ("How much does the manufacturer's replacement brush head cost?", None),
    ],
    21: [  # llm_universe_kb: the Pumpkin Book's chapter 3 (linear models), the expanding chapter's e-mail, Company.csv
        ("属性数值化时，不存在“序”关系的属性应该怎么处理？", [["拆解"], ["拆分"]]),
        ("“arg min”中的“arg”是哪个英文单词的前三个字母？", [["argument"]]),
        ("对数几率回归通常把阈值θ设为多少？", [["0.5"]]),
        ("梯度下降法中的步长又叫什么？", [["学习率"]]),
        ("把牛顿法中求 Hessian 矩阵的逆矩阵改为求近似逆矩阵的算法叫什么？", [["拟牛顿"]]),
        ("XTX 不是正定矩阵时，除了引入正则化，还可以用什么代入式(3.11)求解？", [["伪逆"]]),
        ("文本扩展一章的客户邮件示例中，回复邮件以什么身份署名？", [["AI客户代理"], ["AI 客户代理"]]),
        ("在比萨的例子里，temperature 为 0 时每次会生成什么？", [["比萨"]]),
        ("员工编号 1500 的员工属于哪个部门？", [["Employee Records"]]),
        ("EmployeeID 为 1341 的员工职位是什么？", [["Labor Relations"]]),
        ("In the Pumpkin Book, what word is the \"min\" of arg min short for?", [["minimum"]]),
        ("What is the job title of employee 1318?", [["CEO"]]),
        ("Which city does employee 1329 work in?", [["Terrace"]]),
        ("In the customer e-mail example, what sentiment is given for the review?", [["消极"], ["negative"]]),
        ("线性判别分析是谁提出的？", None),
        ("员工 1318 的年薪是多少？", None),
        ("牛顿法的收敛速度是几阶？", None),
        # written as unanswerable from the Chinese review; C3's English copy of it says "the earlier sale price of $29"
        ("How much did the 11-piece set cost in November?", [["29"]]),
    ],
    22: [  # llm_universe_kb: the Pumpkin Book's chapter 4 (decision trees), the transforming chapter's examples
        ("在信息论中，信息增益也称为什么？", [["互信息"]]),
        ("互信息定义为哪两者的差？", [["信息熵", "条件熵"]]),
        ("两个样本类别标记不一致的概率叫什么？", [["基尼值"]]),
        ("决策树递归划分时，为什么离散属性通常不能重复使用？", [["取值相同"], ["取值都相同"]]),
        ("纹理属性有哪几种取值？", [["清晰", "稍糊", "模糊"]]),
        ("如果初始数据集中的样本全是某一类，南瓜书建议怎么做？", [["其他算法"]]),
        ("文件格式转换的例子中，JSON 数据包含餐厅员工的哪些信息？", [["姓名", "邮箱"], ["name", "email"]]),
        ("餐厅员工 Bob 的邮箱是什么？", [["bob32@gmail.com"]]),
        ("语气转换的例子里，小羊问的是部门要采购的什么东西？", [["显示器"]]),
        ("拼写及语法纠正一节用哪个包详细显示纠错过程？", [["Redlines"]]),
        ("What is information gain also called in information theory?", [["互信息"], ["mutual information"]]),
        ("What is Jai's email address in the format conversion example?", [["jai87@gmail.com"]]),
        ("What are the three values of the texture attribute?", [["清晰", "稍糊", "模糊"]]),
        ("Which package shows the spelling corrections as a diff?", [["Redlines"]]),
        ("基尼指数是谁提出的？", None),
        ("C4.5 算法是哪一年提出的？", None),
        ("小羊的部门需要采购多少台显示器？", None),
        ("What is Shyam's phone number?", None),
    ],
    23: [  # ../shared/corpora/domainrag_html a fourth time: 强基 2023's rules, 国防生 2016, the 中法 FAQ's figures
        ("报考人大强基计划的考生最多可以填报几个专业志愿？", [["3个"], ["3 个"], ["三个"]]),
        ("强基计划校考成绩中笔试成绩占多少？", [["60%"]]),
        ("强基计划按分省招生计划数的几倍确定入围校考名单？", [["5倍"], ["5 倍"], ["五倍"]]),
        ("2016年报考国防生的年龄要求是什么？", [["17", "20"]]),
        ("2016年国防生新闻学专业计划招生多少人？", [["30人"], ["30 人"], ["30名"]]),
        ("国防奖学金中有多少用于学费？", [["7000"]]),
        ("国防生毕业后授予什么警衔？", [["中尉"]]),
        ("国防生毕业离校后要参加多长时间的任职培训？", [["10个月"], ["10 个月"], ["十个月"]]),
        ("中法学院国民经济管理专业的国外合作院校是哪所？", [["蒙彼利埃"]]),
        ("中法学院学生在国内学习期间的住宿费是多少？", [["2200"]]),
        ("How much of the national defense scholarship is for living allowance?", [["8000"], ["8,000"]]),
        ("What rank do national defense students receive after graduating?", [["中尉"], ["lieutenant"]]),
        ("How many students are in the Sino-French Institute's finance major?", [["684"]]),
        ("What was the TFS4 pass rate of the Sino-French Institute's 2019 students?", [["93%"]]),
        ("国防生的体能测试有哪些项目？", None),
        ("强基计划的报名费是多少？", None),
        ("中法学院的法语教师有多少人？", None),
        ("How many students did the Sino-French Institute's math major admit in 2023?", None),
    ],
    24: [  # llm_universe_kb: the Pumpkin Book's chapter 5 (neural networks), C1's LLM introduction, the 天机 case, the README
        ("M-P 神经元模型中的“M-P”指的是什么？", [["McCulloch", "Pitts"]]),
        ("感知机由几层神经元组成？", [["两层"], ["2层"], ["2 层"]]),
        ("RBF 网络确定神经元中心之后，接下来要做的是什么？", [["线性回归"]]),
        ("南瓜书提醒“阈值”的“阈”应该读什么音？", [["yù"]]),
        ("涌现能力中的上下文学习是由哪个模型首次引入的？", [["GPT-3"]]),
        ("讯飞星火认知大模型是哪一年首次发布的？", [["2023"]]),
        ("天机是哪个团队制作的？", [["SocialAI"], ["来事儿AI"], ["来事儿 AI"]]),
        ("天机目前通过模型训练实现的是哪个功能？", [["送祝福"]]),
        ("《动手学大模型应用开发》第二部分的负责人是谁？", [["高立业"]]),
        ("深度学习和机器学习是什么关系？", [["子集"]]),
        ("What do the letters M-P in the M-P neuron model stand for?", [["McCulloch"]]),
        ("Which model first introduced in-context learning?", [["GPT-3"]]),
        ("Who is the project lead of the LLM application development tutorial?", [["邹雨衡"]]),
        ("When was Spark 4.0 Turbo released?", [["2024"]]),
        ("感知机是谁提出的？", None),
        ("M-P 神经元模型是哪一年提出的？", None),
        # written as unanswerable; the case's table and version note say its training is "基于InternLM2"
        ("天机项目用的基座模型是哪个？", [["InternLM2"]]),
        ("How many stars does the Tianji project have on GitHub?", None),
    ],
    25: [  # llm_universe_kb: C3's data processing (loading, splitting) and vector stores, C4's LLMs in LangChain and QA chain
        ("南瓜书 PDF 用 PyMuPDFLoader 载入后一共有多少页？", [["196"]]),
        ("南瓜书切分后一共得到多少个文档块？", [["711"]]),
        ("文档分割示例中 CHUNK_SIZE 设为多少？", [["500"]]),
        ("chunk_overlap 指的是什么？", [["共享"], ["重叠"], ["重合"]]),
        ("哪个向量数据库不支持 GPU 加速？", [["Chroma"]]),
        ("Weaviate 除了相似度搜索还支持什么搜索？", [["MMR"], ["最大边际相关性"], ["混合搜索"]]),
        ("智谱的 chatglm_pro 弃用后会指向哪个模型？", [["glm-4"]]),
        ("chatglm_pro 的弃用日期是哪天？", [["12 月 31"], ["12月31"]]),
        ("构建检索问答链时加载的向量库中存储了多少条数据？", [["1004"]]),
        ("用 LangChain 调用讯飞星火时 .env 里要配置哪些变量？", [["IFLYTEK_SPARK_APP_ID"]]),
        ("How many pages does the Pumpkin Book PDF have when loaded with PyMuPDFLoader?", [["196"]]),
        ("Which vector database does not support GPU acceleration?", [["Chroma"]]),
        ("Which model does chatglm_pro route to after it is deprecated?", [["glm-4"]]),
        ("How many chunks did splitting the Pumpkin Book produce?", [["711"]]),
        ("Qdrant 的最新版本号是多少？", None),
        ("Weaviate 是用什么语言开发的？", None),
        ("南瓜书 PDF 文件有多少 MB？", None),
        ("What is the default chunk size of CharacterTextSplitter?", None),
    ],
    26: [  # llm_universe_kb: the Pumpkin Book's section 5.6 (deep learning) and chapter 6's first section (SVM margins)
        ("卷积神经网络是哪一年提出的？", [["1989"]]),
        ("BP 算法是哪一年提出的？", [["1986"]]),
        ("2012 年 Hinton 和他的学生提出了什么网络？", [["AlexNet"]]),
        ("哪三位学者被称为深度学习之父？", [["LeCun", "Bengio", "Hinton"]]),
        ("深度学习的概念是哪一年正式提出的？", [["2015"]]),
        ("用非深度学习算法做西瓜分类时，人工设计特征的过程统称为什么？", [["特征工程"]]),
        ("支持向量机想要求解的是什么样的划分超平面？", [["正中间"], ["尽可能远"]]),
        ("超平面方程中的 w 称为什么？", [["法向量"]]),
        ("超平面方程中的 b 称为什么？", [["位移项"]]),
        ("支持向量机所要求的超平面需要满足几个条件？", [["三个"], ["3个"], ["3 个"]]),
        ("In which year was the BP algorithm proposed?", [["1986"]]),
        ("Which network did Hinton and his students propose in 2012?", [["AlexNet"]]),
        ("What is b called in the hyperplane equation?", [["位移项"], ["displacement"], ["bias"], ["offset"]]),
        ("In which year was the concept of deep learning formally proposed?", [["2015"]]),
        ("AlexNet 一共有多少层？", None),
        ("AlexNet 在 ImageNet 评测中的错误率是多少？", None),
        ("LeCun 是哪一年获得图灵奖的？", None),
        ("How many layers does AlexNet have?", None),
    ],
    27: [  # llm_universe_kb: the Pumpkin Book's chapter 7 (Bayes classifiers: maximum likelihood, Laplace correction, EM)
        ("拉普拉斯修正从贝叶斯估计的角度来说等价于什么？", [["Dirichlet"]]),
        ("南瓜书用什么例子说明式(7.16)和式(7.17)背后的极大似然估计？", [["硬币"]]),
        ("掷硬币的例子中一共投掷了几次？", [["5"], ["五"]]),
        ("硬币正面朝上的概率服从什么分布？", [["伯努利"]]),
        ("使 P(θ|D) 达到最大值的估计称为什么？", [["最大后验估计"]]),
        ("求 P(θ|D) 的中位数作为 θ 的估计称为什么？", [["后验中位数估计"]]),
        ("Categorical 分布的共轭先验是什么分布？", [["Dirichlet"]]),
        ("EM 算法的两种推导方法分别出自哪里？", [["统计学习方法", "CS229"]]),
        ("核函数可以分解成什么？", [["内积"]]),
        ("EM 算法用什么方法来完成对数似然函数的极大化？", [["迭代"]]),
        ("What is the Laplace correction equivalent to from the perspective of Bayesian estimation?", [["Dirichlet"]]),
        ("What distribution does the probability of a coin landing heads follow?", [["Bernoulli"], ["伯努利"]]),
        ("Where do the two derivations of the EM algorithm come from?", [["CS229"]]),
        ("What is the estimate that maximizes P(θ|D) called?", [["最大后验"], ["maximum a posteriori"], ["MAP"]]),
        ("朴素贝叶斯分类器是哪一年提出的？", None),
        ("李航老师的《统计学习方法》是哪一年出版的？", [["2012"]]),  # the key said unanswerable; the reference list says 2012
        ("掷骰子的例子中一共投掷了几次？", None),
        ("How many times was the die rolled in the example?", None),
    ],
}


def is_right(expected: Expected, status: str, answer: str) -> bool:
    """Whether the shown answer is what the question expects."""
    if expected is None:
        return status == "refused"
    text = answer.lower()
    return status != "refused" and any(all(word.lower() in text for word in words) for words in expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("persist_dir", help="the KB of ../shared/corpora/llm_universe_kb (rounds 8, 12, 16 and 23: domainrag_html)")
    parser.add_argument("--round", type=int, nargs="+", choices=sorted(ROUNDS), default=[max(ROUNDS)],
                        help="one round or several, asked in one process (the models loaded once)")
    parser.add_argument("--json", type=Path, help="write each question's answer, draft, status and time here, by round")
    args = parser.parse_args()

    from kb_assistant.config import Settings
    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa import qa_chain_for
    from kb_assistant.retrieval import make_retriever

    settings = Settings(persist_dir=args.persist_dir)
    chain = qa_chain_for(make_retriever(settings), make_chat_model(settings), settings)
    asked: dict[int, list[dict[str, object]]] = {}
    for number in args.round:
        rows = asked.setdefault(number, [])
        for question, expected in ROUNDS[number]:
            started = time.perf_counter()
            result = chain.invoke(question)
            seconds = round(time.perf_counter() - started, 1)
            right = is_right(expected, result["status"], result["answer"])
            rows.append({"question": question, "expected": expected, "right": right, "status": result["status"],
                         "answer": result["answer"], "draft": result["raw_answer"], "asked_as": result.get("asked_as"),
                         "seconds": seconds})
            shown = result["answer"][:160].replace("\n", " / ")
            print(f"{'OK ' if right else 'BAD'} {seconds:4.1f}s {question} -> {result['status']}: {shown}", flush=True)
        print(f"round {number}: {sum(bool(r['right']) for r in rows)} of {len(rows)} right", flush=True)
    if len(asked) > 1:
        right = sum(bool(r["right"]) for rows in asked.values() for r in rows)
        print(f"rounds {', '.join(map(str, asked))}: {right} of {sum(map(len, asked.values()))} right")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asked, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
