"""Errors raised by kb_assistant. Every message says what went wrong and what to do.

    KBError
    ├── ConfigError                 a setting is invalid
    ├── IngestError                 an ingest run cannot start or go on
    │   └── LoaderError             one file cannot be read (the run reports it and goes on)
    │       └── NoTextError         the file is readable but holds no text (skipped, not failed)
    ├── StoreError                  the vector store cannot be opened or used
    │   ├── EmbeddingMismatchError  the KB was built with another embedding model
    │   ├── StoreBusyError          another ingest holds the KB
    │   └── KBNotFoundError         no such knowledge base
    └── ModelError                  a model cannot be found, downloaded or loaded
        ├── ModelNotFoundError
        ├── DownloadError
        ├── RemoteCodeNotAllowedError
        └── InsufficientMemoryError
"""

from __future__ import annotations


class KBError(Exception):
    """Base class: the CLI and the server turn these into one-line messages."""


class ConfigError(KBError):
    """A setting has a value we cannot use."""


class IngestError(KBError):
    """An ingest run cannot start or continue."""


class LoaderError(IngestError):
    """One file cannot be turned into text; the pipeline records the reason and skips it."""


class NoTextError(LoaderError):
    """The file was read and holds no text (a blank page, a page shell filled by script): skipped, not failed."""


class StoreError(KBError):
    """The vector store cannot be opened or used."""


class EmbeddingMismatchError(StoreError):
    """The collection was built with a different embedding model than the one configured."""


class StoreBusyError(StoreError):
    """Another process is writing to the same knowledge base."""


class KBNotFoundError(StoreError):
    """The named knowledge base does not exist."""


class ModelError(KBError):
    """A model cannot be resolved or loaded."""


class ModelNotFoundError(ModelError):
    """Neither a local path nor a known name."""


class DownloadError(ModelError):
    """Fetching weights from ModelScope failed."""


class RemoteCodeNotAllowedError(ModelError):
    """The model needs trust_remote_code and the user has not allowed it."""


class InsufficientMemoryError(ModelError):
    """The model does not fit the memory of the chosen devices."""
