"""Text encodings of uploaded files: detect UTF-8 / UTF-8 with BOM / GBK / GB18030, transcode.

Chinese government systems still export GBK (Excel's "CSV" on a Chinese Windows is GBK).
DuckDB reads only UTF-8 without an extension download, so other encodings are transcoded
in 4 MiB chunks to a temporary UTF-8 file next to the destination — memory stays flat
whatever the file size. Chunks are cut after a newline byte: in every encoding accepted
here 0x0A is only ever a newline (GBK/GB18030 trail bytes are >= 0x30), so a cut never
splits a character and an error offset is exact.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import itertools
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from citybase.datahub.bytescan import BOM_UTF8, DecodeError, _complete_lines, _first_error
from citybase.datahub.filenames import shown
from citybase.datahub.mixed import fitting_encodings, line_at, mixed_message
from citybase.errors import ValidationFailed

CHUNK = 1 << 22
HEAD = 1 << 20
#: Names users and systems use for the Chinese national encodings, to the codec we decode
#: with. GB2312 files nearly always contain GBK characters, so GB2312 decodes as GBK.
_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "gbk": "gbk",
    "cp936": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
}


def codec_for(encoding: str) -> str:
    """The Python codec for an encoding name; only ASCII-compatible encodings are accepted."""
    name = encoding.strip().lower().replace("_", "-")
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValidationFailed(
            f"encoding {encoding!r} is unknown: use utf-8, gbk or gb18030, or leave it empty "
            "to detect it",
            field="encoding",
        ) from None
    if "a,b\n".encode(info.name) != b"a,b\n" or info.name.startswith(("utf-16", "utf-32")):
        raise ValidationFailed(
            f"encoding {encoding!r} is not supported (only ASCII-compatible encodings are): "
            "save the file as UTF-8",
            field="encoding",
        )
    return info.name


def is_utf8_name(codec: str) -> bool:
    return codec in ("utf-8", "utf-8-sig")


def sniff_encoding(head: bytes, at_eof: bool) -> str | None:
    """Encoding of the first MiB: 'utf-8-sig', 'utf-8', 'gbk', 'gb18030', or None if none fit.

    UTF-8 is tried first: GBK text is almost never valid UTF-8, while ASCII is valid in all.
    """
    if head.startswith(BOM_UTF8):
        return "utf-8-sig"
    sample = _complete_lines(head, at_eof)
    for codec in ("utf-8", "gbk", "gb18030"):
        if _first_error(sample, codec) is None:
            return codec
    return None


def read_head(path: Path, size: int = HEAD) -> tuple[bytes, bool]:
    """The first ``size`` bytes and whether they are the whole file."""
    with path.open("rb") as f:
        head = f.read(size + 1)
    return head[:size], len(head) <= size


def decode_head(head: bytes, codec: str, at_eof: bool) -> str:
    """The head as text, cut after its last complete line (unless it is the whole file)."""
    sample = _complete_lines(head, at_eof)
    if codec == "utf-8-sig" or sample.startswith(BOM_UTF8):
        sample = sample.removeprefix(BOM_UTF8)
        codec = "utf-8"
    return sample.decode(codec, errors="replace")


def find_decode_error(path: Path, codec: str) -> DecodeError | None:
    """The first byte where the whole file stops being valid ``codec``, or None if it is valid."""
    offset = 0
    line = 1
    carry = b""
    with path.open("rb") as f:
        if codec == "utf-8-sig":
            codec = "utf-8"
            offset = len(BOM_UTF8) if f.read(len(BOM_UTF8)) == BOM_UTF8 else 0
            f.seek(offset)
        while True:
            chunk = f.read(CHUNK)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            if chunk and cut == 0:
                carry = data
                continue
            block, carry = data[:cut], data[cut:]
            exc = _first_error(block, codec)
            if exc is not None:
                return DecodeError(
                    offset=offset + exc.start,
                    line=line + block.count(b"\n", 0, exc.start),
                    bad=block[exc.start : exc.start + 4],
                )
            offset += len(block)
            line += block.count(b"\n")
            if not chunk:
                return None


def undecodable_message(path: Path, codec: str, error: DecodeError, *, detected: bool) -> str:
    """Why a file cannot be read, in the words a clerk can act on."""
    if detected:
        line_fits = fitting_encodings(line_at(path, error.offset))
        if line_fits and codec.upper() not in line_fits:
            return mixed_message(
                shown(path), codec.upper(), error.line, ", ".join(line_fits), error
            )
        return (
            f"{shown(path)} is not valid UTF-8, GBK or GB18030 text: undecodable bytes at "
            f"{error.describe()}. Save it again as UTF-8, or set the encoding explicitly"
        )
    hint = ""
    if is_utf8_name(codec) and find_decode_error(path, "gb18030") is None:
        hint = "; the file looks like GBK/GB18030 — leave the encoding empty to detect it"
    return (
        f"{shown(path)} is not valid {codec.upper()}: undecodable bytes at {error.describe()}{hint}"
    )


def transcode_to_utf8(
    source: Path,
    target: Path,
    codec: str,
    *,
    detected: bool,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK,
) -> str:
    """Write ``source`` (in ``codec``) to ``target`` as UTF-8 and return the codec used.

    When the codec was detected as GBK and a later chunk holds a GB18030-only sequence,
    decoding switches to GB18030 (a superset with identical GBK mappings) and that is
    reported. Raises ValidationFailed with the byte offset and line of the first bad byte.
    """
    if _transcode_with_iconv(source, target, codec, progress=progress):
        return codec
    offset = 0
    line = 1
    carry = b""
    with source.open("rb") as src, target.open("wb") as dst:
        while True:
            chunk = src.read(chunk_size)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            if chunk and cut == 0:
                carry = data
                continue
            block, carry = data[:cut], data[cut:]
            try:
                text = block.decode(codec)
            except UnicodeDecodeError as exc:
                if detected and codec == "gbk" and _first_error(block, "gb18030") is None:
                    codec = "gb18030"
                    text = block.decode(codec)
                else:
                    err = DecodeError(
                        offset=offset + exc.start,
                        line=line + block.count(b"\n", 0, exc.start),
                        bad=block[exc.start : exc.start + 4],
                    )
                    raise ValidationFailed(
                        undecodable_message(source, codec, err, detected=detected),
                        field="encoding",
                    ) from None
            dst.write(text.encode("utf-8"))
            offset += len(block)
            line += block.count(b"\n")
            if progress is not None:
                progress(offset)
            if not chunk:
                return codec


#: Below this size the Python path is as fast as starting a process.
ICONV_MIN_BYTES = 4 * 1024 * 1024
#: Each iconv process gets at least this much of the file; more parts than cores never help.
ICONV_PART_BYTES = 8 * 1024 * 1024
_ICONV_NAMES = {"gbk": "GBK", "gb18030": "GB18030"}


def _transcode_with_iconv(
    source: Path, target: Path, codec: str, *, progress: Callable[[int], None] | None
) -> bool:
    """Fast path: the C library's iconv, one process per core on parts cut after a newline.

    iconv is about twice as fast as Python's codec, and it is single-threaded, so a file is
    cut into one part per core (after a newline byte, which is never inside a character)
    and the parts run at once — during the transcode nothing else would use those cores.
    Part 1 goes straight to ``target``, later parts to temporary files beside it that are
    appended in the kernel (``copy_file_range``). Each part's bytes reach its iconv through
    a pipe fed by ``sendfile``, so Python never copies the data.

    Used only for GBK/GB18030 files of a few MiB and more, when ``iconv`` is installed. Its
    mappings equal Python's for every GBK double-byte code (tests/datahub/engine checks all
    21,791). On any failure — an undecodable byte, a GB18030-only sequence in a GBK file, no
    iconv — it returns False and the Python path runs, which finds and names the exact byte.
    """
    name = _ICONV_NAMES.get(codec)
    exe = shutil.which("iconv")
    size = source.stat().st_size
    if name is None or exe is None or size < ICONV_MIN_BYTES:
        return False
    bounds = split_at_newlines(source, _iconv_parts(size))
    parts = [target] + [_part_path(target) for _ in bounds[1:]]
    try:
        ok = _run_iconv(exe, name, source, bounds, parts)
        if ok:
            _append(target, parts[1:])
    finally:
        for part in parts[1:]:
            part.unlink(missing_ok=True)
    if not ok:
        target.unlink(missing_ok=True)
        return False
    if progress is not None:
        progress(size)
    return True


def _iconv_parts(size: int) -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8, size // ICONV_PART_BYTES))


def split_at_newlines(path: Path, parts: int) -> list[tuple[int, int]]:
    """``parts`` byte ranges of about equal size, each ending just after a newline byte.

    A cut point with no newline in the next MiB (one enormous line) is dropped, so fewer
    ranges may come back; together they always cover the whole file.
    """
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as f:
        for k in range(1, parts):
            at = max(size * k // parts, cuts[-1])
            f.seek(at)
            nl = f.read(HEAD).find(b"\n")
            if nl >= 0 and at + nl + 1 < size:
                cuts.append(at + nl + 1)
    cuts.append(size)
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def _part_path(target: Path) -> Path:
    """A sibling of ``target`` named like it (``<stem>.utf8-<pid>-<random>``), so that the
    sweep of a killed load's temporary files removes it too."""
    return target.with_suffix(f".utf8-{os.getpid()}-{secrets.token_hex(4)}")


def _run_iconv(
    exe: str, name: str, source: Path, bounds: list[tuple[int, int]], parts: list[Path]
) -> bool:
    """Run one iconv per range at once; True when every one of them succeeded."""
    procs: list[subprocess.Popen[bytes]] = []
    feeders: list[threading.Thread] = []
    outputs = [part.open("wb") for part in parts]
    src = os.open(source, os.O_RDONLY)
    try:
        for (start, end), out in zip(bounds, outputs, strict=True):
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [exe, "-f", name, "-t", "UTF-8"],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.DEVNULL,
            )
            procs.append(proc)
            assert proc.stdin is not None
            feeder = threading.Thread(
                target=_feed, args=(proc.stdin, src, start, end), name="citybase-iconv-feed"
            )
            feeder.start()
            feeders.append(feeder)
        for feeder in feeders:
            feeder.join()
        return all(proc.wait() == 0 for proc in procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for out in outputs:
            out.close()
        os.close(src)


def _feed(pipe: IO[bytes], src: int, start: int, end: int) -> None:
    """Send bytes [start, end) of ``src`` into an iconv's stdin, then close it (EOF)."""
    out = pipe.fileno()
    offset = start
    try:
        while offset < end:
            try:
                sent = os.sendfile(out, src, offset, min(end - offset, 1 << 24))
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                sent = os.write(out, os.pread(src, min(end - offset, CHUNK), offset))
            if sent == 0:
                break
            offset += sent
    except BrokenPipeError:
        pass  # iconv stopped at a bad byte; its exit status says so
    finally:
        with contextlib.suppress(BrokenPipeError):
            pipe.close()


def _append(target: Path, parts: list[Path]) -> None:
    """Append ``parts`` to ``target`` in order, copied by the kernel."""
    if not parts:
        return
    with target.open("r+b") as out:
        position = os.fstat(out.fileno()).st_size
        for part in parts:
            with part.open("rb") as src:
                remaining = os.fstat(src.fileno()).st_size
                while remaining > 0:
                    copied = os.copy_file_range(
                        src.fileno(), out.fileno(), remaining, None, position
                    )
                    if copied == 0:  # pragma: no cover - the part shrank under us
                        break
                    position += copied
                    remaining -= copied
