"""Byte-level checks shared by encoding detection and the mixed-encoding report: where a
file's bytes stop being valid in a codec. No database, no I/O."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

BOM_UTF8 = codecs.BOM_UTF8


@dataclass(frozen=True)
class DecodeError:
    """Where a file stops being valid in an encoding: byte offset (0-based) and line (1-based)."""

    offset: int
    line: int
    bad: bytes

    def describe(self) -> str:
        shown = " ".join(f"0x{b:02X}" for b in self.bad[:4])
        return f"byte offset {self.offset} (line {self.line}): {shown}"


def _complete_lines(head: bytes, at_eof: bool) -> bytes:
    if at_eof:
        return head
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut >= 0 else head


def _first_error(data: bytes, codec: str) -> UnicodeDecodeError | None:
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        return exc
    return None
