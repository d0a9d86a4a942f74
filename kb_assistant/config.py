"""Settings: defaults < config file (kb-assistant.toml or $KB_CONFIG) < KB_* environment < explicit values.

Settings are built once by an edge (CLI, server, notebook) and passed in; nothing reads them at import time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = "kb-assistant.toml"
KB_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")

# Model hubs are unreachable for many users; with these set, a hub id fails in seconds instead of
# retrying for a minute, and Chroma never phones home.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
}


def default_cache_dir() -> Path:
    """Where converted packaged models and ModelScope downloads live."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kb-assistant"


class Settings(BaseSettings):
    """Everything a user can configure. Field docs double as the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="forbid", validate_default=True)

    persist_dir: Path = Path("vectorstore")
    """Directory of the persistent Chroma store and the ingest records."""
    kb: str = "default"
    """Knowledge base (one Chroma collection each)."""
    cache_dir: Path = Field(default_factory=default_cache_dir)
    """Converted packaged models and downloaded weights."""
    offline: bool = True
    """Never contact a model hub at run time (set false to let transformers download by hub id)."""

    embedding_model: str = "packaged:multilingual-e5-small"
    """`packaged:NAME`, a sentence-transformers folder, or a ModelScope id already downloaded."""
    embedding_device: str | None = None
    """cpu, cuda, cuda:1 ...; default: cuda when present."""
    embedding_batch_size: int = Field(default=8, ge=1)
    """Texts per forward pass on the CPU (8 measured fastest on a 2-core CPU, also in int8)."""
    embedding_precision: Literal["auto", "float32", "int8"] = "auto"
    """auto: int8 on x86 CPUs for BERT-style models (ingest ~2x faster, same Recall@5), float16 on GPU; float32: never
    quantise; int8: require int8 (error if this model or CPU cannot)."""
    english_embedding_model: str | None = "packaged:all-MiniLM-L6-v2"
    """A second, English model: English chunks get its vectors too, and English queries search them as well
    (fused by reciprocal rank). Empty/null turns it off."""

    chunk_size: int = Field(default=300, ge=16)
    """Chunk size in embedding-model tokens."""
    chunk_overlap: int = Field(default=40, ge=0)
    """Overlap between neighbouring chunks, in tokens (whole sentences)."""
    ingest_group_files: int | None = Field(default=None, ge=1)
    """Files read, embedded (one length-sorted batch) and indexed together. None: as many as the machine embeds
    and writes in about 2 s (64-4,096 chunks), since each group's write has a fixed cost of ~0.1-0.2 s."""
    ingest_workers: int | None = Field(default=None, ge=0)
    """Processes that read, parse, split and tokenise files while the embedding model works on the ones read
    (runs of at least two groups of files). None: one per core beyond two, at most 8; 0: read in the ingesting
    process. A worker that crashes costs only the file that crashed it."""
    ocr: bool = True
    """Read scanned PDF pages and pictures (.png .jpg .tif .bmp .webp) with OCR (PP-OCRv6 models from PyPI wheels,
    offline); false: they are reported as needing OCR."""
    ocr_dpi: int = Field(default=200, ge=72, le=600)
    """Resolution at which scanned PDF pages are rendered for OCR."""
    ocr_model: Literal["auto", "small"] = "auto"
    """"auto": the tiny model (faster-paddle, ~4x faster), and the small one (RapidOCR) for pages in traditional
    Chinese, whose rarer characters the tiny one lacks; "small": the small one for every page."""
    html_main_content: bool = True
    """Keep only the main content of whole web pages (saved pages, intranet exports): their menus, footers and
    link lists are dropped by trafilatura before splitting. Fragments and bare HTML documents are read whole."""
    file_titles: bool = True
    """Chunks with no heading above them (plain text, PDF pages, slides) begin with the title the file's name
    gives ("2020中法学院招生简章.pdf"), so search reads what the whole document is about; names that say nothing
    (numbers, hashes, "scan0001", "新建文本文档") give none."""
    max_file_mb: float = Field(default=100.0, gt=0)
    """Files larger than this are reported and skipped."""
    lock_timeout: float = Field(default=0.0, ge=0)
    """Seconds an ingest waits for another ingest of the same KB before failing."""

    chroma_host: str | None = None
    """Use a Chroma server (`chroma run`) at this host instead of the local store."""
    chroma_port: int = 8000

    llm_model: str = "packaged:qwen2.5-0.5b-instruct"
    """`packaged:NAME`, a family name (qwen2-7b, llama3-8b, deepseek-coder-v2-lite, xverse-7b) or a local path."""
    llm_family: str | None = None
    """Family spec to use for a local path (default: guessed from the model's config)."""
    trust_remote_code: bool = False
    """Allow running code shipped with a checkpoint (XVERSE needs it)."""
    llm_device_map: str | None = None
    """auto, cpu, cuda, or balanced for two GPUs; default: cuda when present."""
    llm_max_memory_gb: float | None = Field(default=None, gt=0)
    """GiB of each GPU the chat model may use (weights, a prompt of `llm_context_window` tokens, the CUDA context):
    loading is refused with the plan's figures when it does not fit, and auto/balanced spread the weights within
    it (e.g. 24 for two 24 GB cards, less where the embedding model shares the card); default: free memory."""
    llm_dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    llm_quantization: Literal["none", "8bit", "4bit"] = "none"
    llm_runtime: Literal["transformers", "llama.cpp"] = "transformers"
    """What runs a local chat model. transformers: every model, CPU and GPU. llama.cpp: the packaged GGUF models on
    the CPU, their 4-bit weights as they are (`pip install -e ".[llama-cpp]"`; no llm_dtype or llm_quantization):
    less memory (a third of float32's) and faster long answers from the 1.5B model, but its pass over a prompt is
    slower than transformers' bfloat16 one, so QA answers (a long prompt, a short answer) come no sooner
    (benchmarks/cpu_runtime_bench.py)."""
    llm_threads: int | None = Field(default=None, ge=1)
    """CPU threads llama.cpp uses; default: OMP_NUM_THREADS where set, else every core."""
    llm_engine: Literal["auto", "plain", "batched"] = "auto"
    """auto: the batching engine (continuous batching, CUDA-graph decoding) on a CUDA GPU for Llama-style models
    (Qwen2, Llama 3), plain `generate` otherwise; plain: always `generate`; batched: the engine, CPU too."""
    engine_max_batch: int = Field(default=32, ge=1)
    """Requests the engine decodes together (lowered to what the KV cache memory holds)."""
    engine_max_len: int = Field(default=4096, ge=64)
    """Tokens (prompt + answer) one request may hold in the engine's KV cache."""
    engine_prefix_rows: int = Field(default=4, ge=0)
    """Recent prompts the engine keeps in spare KV cache rows (where memory is left after the request rows), so
    a prompt that starts the same way (system prompt, the same first chunks) prefills only the rest; 0: off."""
    engine_int8: bool = False
    """Weight-only int8 in the batching engine (a Triton kernel on CUDA): half the weight memory of bf16, so a
    24 GB card keeps more KV cache, and faster decoding. The model's bf16 weights are replaced at load."""
    engine_prefill_chunk: int = Field(default=1024, ge=16)
    """The most tokens a prefill pass takes (decoding rows included) while requests that came earlier decode;
    decode steps between the passes keep those at ``engine_decode_share`` of their speed."""
    engine_decode_share: float = Field(default=0.55, gt=0.0, le=1.0)
    """The share of their speed that decoding requests keep while prompts that came after them are prefilled:
    lower gets a burst of new prompts its first tokens sooner, higher keeps running answers flowing. 0.55 so that
    they keep at least half: the engine holds its own count at the share, and measured from outside they keep 1-1.5
    points less (on an H200: 48.6-48.9% at 0.5, 53.1-53.4% at 0.55)."""
    llm_prompt_lookup: int = Field(default=10, ge=0)
    """Prompt lookup decoding in plain `generate`: each step drafts up to this many tokens by finding the last words
    in the prompt and checks them in one pass. Answers copy the documents' words, so the answer comes 1.7x sooner
    on CPU, token for token the model's own greedy choice (bf16 rounding can tip a near-tie); 0: off. Not used by
    the batching engine, under a grammar, or for XVERSE's own modelling code."""
    llm_stop_repeats: bool = True
    """End an answer once it repeats a stretch of 64 characters of itself word for word (a list item again with a new
    number, a sentence again): a small model's loop runs to the token limit otherwise. Code blocks, tool calls and
    JSON output are never cut."""
    llm_base_url: str | None = None
    """Generate on an OpenAI-compatible server (e.g. vLLM: http://gpu-host:8000/v1) instead of a local model;
    `llm_model` is then the served model's name."""
    llm_api_key: str | None = None
    """Bearer token for `llm_base_url`."""
    llm_context_window: int = Field(default=8192, ge=512)
    """Context window of the served model (local models report their own); for a local model, the prompt length
    its memory plan keeps room for (the model's own window where that is shorter)."""
    max_new_tokens: int = Field(default=512, ge=1)
    temperature: float | None = 0.0
    """0 = greedy, best for answering from documents; unset (null) = the family's chat default."""

    retrieval_mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    """Dense (Chroma), lexical (BM25 with jieba) or both fused (see ``fusion``)."""
    top_k: int = Field(default=3, ge=1)
    """Chunks handed to the model (3: the embedded 0.5B model states the answer more often with 3 than with 5,
    and prefills faster; a 7B model may take more)."""
    fetch_k: int = Field(default=30, ge=1)
    """Candidates each retriever contributes before fusion / MMR / reranking."""
    fusion: Literal["convex", "rrf"] = "convex"
    """How hybrid retrieval merges its rankings: convex = weighted sum of each retriever's min-max normalised
    scores; rrf = reciprocal rank fusion (used with MMR, whose order has no scores)."""
    dense_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    """Convex fusion: the dense side's share, BM25 gets the rest (0.5 = equal; not tuned per dataset)."""
    rrf_k: int = Field(default=60, ge=1)
    """Reciprocal-rank-fusion constant."""
    mmr: bool = False
    """Diversify the dense candidates with maximal marginal relevance."""
    score_threshold: float | None = None
    """Drop dense hits under this cosine relevance (0-1)."""
    decompose_questions: bool = True
    """Questions about several things ("A 和 B 分别…", "…？它的导演是谁？") are also searched part by part, by
    rules, and the rankings interleaved (each part's best, then the whole question's, then each part's second...)
    so the top chunks cover every part; single questions are unaffected."""
    exact_ids: bool = True
    """A question that names an identifier only a few chunks hold (three or more characters with a digit, not a year
    of 1900-2099: "员工 1319", "v0.3") gets those chunks first: BM25 ranks a long table chunk that holds the one ID
    under chunks that repeat the question's common words."""
    reranker_model: str | None = None
    """A sentence-transformers cross-encoder (path) to rerank the fused candidates."""
    min_relevance: float | None = 0.86
    """In refuse mode, answer 'not in the knowledge base' when no chunk shares a term with the question and
    the best dense relevance is under this (multilingual-e5 scores unrelated text at 0.74-0.83)."""
    answer_mode: Literal["refuse", "general"] = "refuse"
    """When the context lacks the answer: say so, or answer from the model's own knowledge and say that it did."""
    answer_check: bool = True
    """Check every answer sentence against its sources (``qa.grounding``); false shows the model's raw text."""
    ask_in_other_language: bool = True
    """A question refused because the passages that may answer it are in the other language (an English question of
    a Chinese KB) is translated by the chat model and asked again in theirs (``qa.other_language``)."""

    host: str = "127.0.0.1"
    """Address the HTTP server binds to."""
    port: int = 6006
    api_key: str | None = None
    """Bearer token the server requires; mandatory when binding to a non-loopback address."""
    max_queue: int = Field(default=16, ge=1)
    """Generations running or waiting; past it the server answers 429 with Retry-After."""
    max_body_mb: float = Field(default=50.0, gt=0)
    """Largest request body (uploads included)."""
    max_tokens_limit: int = Field(default=4096, ge=1)
    """Most new tokens one request may ask for (larger asks are clamped)."""
    max_prompt_chars: int = Field(default=32000, ge=1)
    """Longest prompt or message list the server accepts."""
    cors_origins: list[str] = Field(default_factory=list)
    """Origins allowed by CORS; empty = CORS off. Other web pages may not write (upload, delete, chat) unless
    their origin is listed here."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Host names the server answers to besides loopback and ``host`` (e.g. the name of a reverse proxy).
    Other ``Host`` headers get 400, which stops DNS-rebinding pages. Ignored when binding to 0.0.0.0 / ::."""
    ui: bool = True
    """Serve the web chat page at /ui (it uses the same API and API key as any client)."""

    @field_validator("api_key")
    @classmethod
    def _check_api_key(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            msg = "the API key is blank: set a real key (KB_API_KEY / --api-key) or leave it unset"
            raise ValueError(msg)
        return value

    @field_validator("kb")
    @classmethod
    def _check_kb(cls, value: str) -> str:
        if not KB_NAME_PATTERN.match(value):
            msg = f"invalid knowledge-base name {value!r}: use letters, digits, '-' and '_' (max 63)"
            raise ValueError(msg)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("KB_CONFIG", DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @classmethod
    def defaults(cls) -> Settings:
        """The built-in defaults only, reading no config file and no KB_* variable: what library code uses
        when a caller passes no settings (only the edges read the environment)."""
        return cls.model_construct()

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the non-None values replaced (CLI flags left unset keep the configured value)."""
        changed = {k: v for k, v in values.items() if v is not None}
        return self.model_validate({**self.model_dump(), **changed}) if changed else self


def apply_offline_env(settings: Settings) -> None:
    """Set the offline variables (without overriding ones the user set)."""
    if settings.offline:
        for key, value in OFFLINE_ENV.items():
            os.environ.setdefault(key, value)
    else:
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
