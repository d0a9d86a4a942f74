"""Fetching weights from ModelScope, failing fast and clearly when it cannot be reached."""

from __future__ import annotations

import socket
from pathlib import Path

from kb_assistant.errors import DownloadError
from kb_assistant.llms.specs import find_spec

MODELSCOPE_HOST = "www.modelscope.cn"


def check_reachable(host: str = MODELSCOPE_HOST, port: int = 443, timeout: float = 5.0) -> None:
    """Raise ``DownloadError`` within ``timeout`` seconds when the hub cannot be reached."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as e:
        msg = (
            f"cannot reach {host} ({e.strerror or type(e).__name__}); download on a connected machine and copy "
            f"the folder here, or pass a local model path"
        )
        raise DownloadError(msg) from e


def download_model(name: str, cache_dir: Path, revision: str | None = None) -> Path:
    """Download a family (``qwen2-7b``) or any ModelScope id into ``cache_dir/modelscope/ID``."""
    spec = find_spec(name)
    model_id = spec.modelscope_id if spec and spec.modelscope_id else name
    if "/" not in model_id:
        msg = f"{name!r} is neither a known family nor a ModelScope id like 'qwen/Qwen2-7B-Instruct'"
        raise DownloadError(msg)
    check_reachable()
    from modelscope import snapshot_download

    target = cache_dir / "modelscope" / model_id
    try:
        return Path(snapshot_download(model_id, revision=revision, local_dir=str(target)))
    except Exception as e:  # modelscope raises requests/HTTP/its own errors
        msg = f"downloading {model_id} from ModelScope failed: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        raise DownloadError(msg) from e
