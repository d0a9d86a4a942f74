"""Ingestion: loaders (suffix -> loader), Chinese-aware splitting, the incremental pipeline."""

from kb_assistant.ingestion.pipeline import FileOutcome, Ingestor, IngestReport, ingest, reindex, remove_paths

__all__ = ["FileOutcome", "IngestReport", "Ingestor", "ingest", "reindex", "remove_paths"]
