"""The file name a person sees in a load error: theirs, not the server's temporary copy.

Uploads are streamed to a private temporary file (``tmp7b694jdx.csv``) and transcoded files
are work copies, but a clerk only knows the name of the file they chose. ``ingest_file`` and
``detect`` run inside ``showing(source_name)``, and every loader names a file through
``shown(path)``: the uploaded name while one is set, the path's own name otherwise (the CLI,
which reads the operator's own file).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path, PureWindowsPath

_shown: ContextVar[str | None] = ContextVar("citybase_datahub_shown_name", default=None)


def shown(path: Path) -> str:
    """How to name ``path`` (the source or any work copy of it) in a message."""
    return _shown.get() or path.name


@contextmanager
def showing(name: str | None) -> Iterator[None]:
    """Name the file being loaded ``name`` (only its last part: browsers may send a path)."""
    clean = PureWindowsPath(name).name.strip() if name else ""
    if not clean:
        yield
        return
    token = _shown.set(clean)
    try:
        yield
    finally:
        _shown.reset(token)


def scrub(text: str, *paths: Path) -> str:
    """``text`` (e.g. a DuckDB error) with the server's paths replaced by the shown name."""
    for path in paths:
        text = text.replace(f'"{path}"', shown(path)).replace(str(path), shown(path))
        text = text.replace(path.name, shown(path))
    return text
