"""CSV files that mix encodings: name the lines and the encodings, not "undecodable".

A file assembled from two exports (UTF-8 lines, then lines pasted from a GBK system) is
neither encoding as a whole. These helpers find the first line where the file changes
encoding and say which encodings that line fits, so the clerk knows what to re-save.
"""

from __future__ import annotations

from pathlib import Path

from citybase.datahub.bytescan import BOM_UTF8, DecodeError, _complete_lines, _first_error

#: A block of lines counts as UTF-8 only with this many multi-byte characters: GBK text is
#: valid UTF-8 by accident for a character or two, never for a run of them.
MIXED_MIN_CHARS = 4


def fitting_encodings(data: bytes) -> list[str]:
    """Which of UTF-8 and GBK (else GB18030) decode ``data`` — for naming a line's encoding."""
    found = [name for name, codec in (("UTF-8", "utf-8"), ("GBK", "gbk")) if _fits(data, codec)]
    if "GBK" not in found and _fits(data, "gb18030"):
        found.append("GB18030")
    return found


def _fits(data: bytes, codec: str) -> bool:
    return _first_error(data, codec) is None


def line_at(path: Path, offset: int, limit: int = 1 << 16) -> bytes:
    """The bytes from ``offset`` to the end of that line (at most ``limit``)."""
    with path.open("rb") as f:
        f.seek(offset)
        data = f.read(limit)
    end = data.find(b"\n")
    return data[: end if end >= 0 else len(data)].rstrip(b"\r")


def _multibyte_chars(text: str) -> int:
    return sum(1 for ch in text if ord(ch) > 127)


def mixed_message(name: str, first: str, line: int, then: str, error: DecodeError) -> str:
    before = f"line 1 is {first}" if line == 2 else f"lines 1-{line - 1} are {first}"
    shown_bytes = " ".join(f"0x{b:02X}" for b in error.bad[:4])
    return (
        f"{name} mixes encodings: {before}, but line {line} is {then} (byte offset "
        f"{error.offset}: {shown_bytes}). Save the whole file in one encoding, preferably UTF-8"
    )


def mixed_in_head(name: str, head: bytes, at_eof: bool) -> str | None:
    """A message when the first MiB is one encoding's block of lines followed by another's.

    Catches UTF-8 lines followed by GBK lines (which would otherwise be refused as "not
    UTF-8, GBK or GB18030", or worse, read as GBK and garbled) and GBK lines followed by
    UTF-8 lines. Called only when the head is not valid UTF-8.
    """
    sample = _complete_lines(head, at_eof).removeprefix(BOM_UTF8)
    bad = _first_error(sample, "utf-8")
    if bad is None:
        return None
    start = sample.rfind(b"\n", 0, bad.start) + 1
    end = sample.find(b"\n", bad.start)
    bad_line = sample[start : end if end >= 0 else len(sample)]
    line_no = sample.count(b"\n", 0, start) + 1
    prefix = sample[:start].decode("utf-8")
    error = DecodeError(offset=bad.start, line=line_no, bad=sample[bad.start : bad.start + 4])
    then = ", ".join(fitting_encodings(bad_line))
    if _multibyte_chars(prefix) >= MIXED_MIN_CHARS and then:
        return mixed_message(name, "UTF-8", line_no, then, error)
    # GBK first: the last lines form a UTF-8 block that GBK would garble (or refuse).
    # Walk back line by line (a GBK file stops at its last line: no split of the MiB).
    body = sample[:-1] if sample.endswith(b"\n") else sample
    cut, tail_chars = len(body), 0
    while cut > 0:
        start = body.rfind(b"\n", 0, cut) + 1
        line_bytes = body[start:cut]
        if not _fits(line_bytes, "utf-8"):
            break
        tail_chars += _multibyte_chars(line_bytes.decode("utf-8"))
        cut = start - 1
    if tail_chars < MIXED_MIN_CHARS or cut <= 0:
        return None
    before = body[:cut]
    first = next((e for e in fitting_encodings(before) if e != "UTF-8"), None)
    if first is None:
        return None
    offset = cut + 1
    line = before.count(b"\n") + 2
    return (
        f"{name} mixes encodings: lines 1-{line - 1} are {first}, but lines from "
        f"{line} (byte offset {offset}) are UTF-8. Save the whole file in one "
        "encoding, preferably UTF-8"
    )
