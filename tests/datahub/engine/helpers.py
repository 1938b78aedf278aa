"""Helpers for the file engine tests: write real files, load them, look at what is on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from citybase.datahub.ingest import ingest_file
from citybase.datahub.types import IngestOptions, IngestResult


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def load(
    source: Path, dest: Path | None = None, **options: Any
) -> tuple[IngestResult, list[dict[str, Any]]]:
    """Ingest ``source`` into ``out/<stem>.parquet`` and read the written rows back."""
    dest = dest or source.parent.parent / "out" / (source.stem + ".parquet")
    result = ingest_file(source, dest=dest, options=IngestOptions(**options))
    return result, pq.read_table(dest).to_pylist()


def leftovers(directory: Path) -> list[str]:
    """Everything in ``directory`` that is not a finished Parquet file (temporary files)."""
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".parquet"))


def types_of(result: IngestResult) -> dict[str, str]:
    return {c.name: c.type for c in result.columns}
