"""The iconv fast path for large GBK files agrees with Python's codec, and falls back cleanly."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from citybase.datahub import encoding
from citybase.errors import ValidationFailed

pytestmark = pytest.mark.skipif(shutil.which("iconv") is None, reason="iconv not installed")


def _all_gbk_codes() -> bytes:
    out = []
    for b1 in range(0x81, 0xFF):
        for b2 in [*range(0x40, 0x7F), *range(0x80, 0xFF)]:
            pair = bytes([b1, b2])
            try:
                pair.decode("gbk")
            except UnicodeDecodeError:
                continue
            out.append(pair)
    return b"\n".join(out) + b"\n"


@pytest.mark.parametrize("name", ["GBK", "GB18030"])
def test_iconv_maps_every_gbk_code_like_python(name: str) -> None:
    data = _all_gbk_codes()
    done = subprocess.run(["iconv", "-f", name, "-t", "UTF-8"], input=data, capture_output=True)
    assert done.returncode == 0
    assert done.stdout.decode("utf-8") == data.decode(name.lower())


def _big_gbk(tmp_path: Path, tail: bytes = b"") -> Path:
    line = "张三,示范市临江区滨江街道幸福路128号,13812345678\n".encode("gbk")
    path = tmp_path / "big.csv"
    reps = encoding.ICONV_MIN_BYTES // len(line) + 10
    path.write_bytes(line * reps + tail)
    return path


def test_large_file_takes_the_fast_path_and_matches(tmp_path: Path) -> None:
    src = _big_gbk(tmp_path)
    out = tmp_path / "out.csv"
    seen: list[int] = []
    assert encoding.transcode_to_utf8(src, out, "gbk", detected=True, progress=seen.append) == "gbk"
    assert out.read_bytes() == src.read_bytes().decode("gbk").encode("utf-8")
    assert seen == [src.stat().st_size]


def test_bad_byte_in_large_file_falls_back_and_names_the_line(tmp_path: Path) -> None:
    src = _big_gbk(tmp_path, tail=b"\xff\xfe,x,y\n")
    lines = src.read_bytes().count(b"\n")
    with pytest.raises(ValidationFailed) as err:
        encoding.transcode_to_utf8(src, tmp_path / "out.csv", "gbk", detected=True)
    assert f"line {lines}" in err.value.message


def test_gb18030_only_sequence_switches_codec(tmp_path: Path) -> None:
    extra = "𠀀,x,y\n".encode("gb18030")  # a four-byte GB18030 sequence, not GBK
    src = _big_gbk(tmp_path, tail=extra)
    out = tmp_path / "out.csv"
    assert encoding.transcode_to_utf8(src, out, "gbk", detected=True) == "gb18030"
    assert out.read_bytes().endswith("𠀀,x,y\n".encode())


def _two_part_gbk(tmp_path: Path, bad_at: float | None = None) -> Path:
    """A GBK file big enough for two iconv parts, optionally with a bad byte at a fraction."""
    line = "李四,示范市临江区滨江街道幸福路128号,13812345678,·é\n".encode("gbk")
    reps = 2 * encoding.ICONV_PART_BYTES // len(line) + 10
    lines = [line] * reps
    if bad_at is not None:
        lines[int(reps * bad_at)] = b"\xff\xfe,x,y\n"
    path = tmp_path / "two-part.csv"
    path.write_bytes(b"".join(lines))
    return path


def test_parts_are_cut_after_newlines_and_cover_the_file(tmp_path: Path) -> None:
    src = _two_part_gbk(tmp_path)
    data = src.read_bytes()
    for parts in (1, 2, 3, 8):
        ranges = encoding.split_at_newlines(src, parts)
        assert len(ranges) == parts
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        for (_, end), (start, _) in itertools.pairwise(ranges):
            assert end == start and data[end - 1 : end] == b"\n"


def test_a_cut_never_falls_inside_an_enormous_line(tmp_path: Path) -> None:
    src = tmp_path / "wide.csv"
    src.write_bytes(b"a" * (3 * encoding.HEAD) + b"\nb\n")
    assert encoding.split_at_newlines(src, 4) == [
        (0, 3 * encoding.HEAD + 1),
        (3 * encoding.HEAD + 1, src.stat().st_size),
    ]


def test_file_transcoded_in_parts_equals_python_decode(tmp_path: Path) -> None:
    src = _two_part_gbk(tmp_path)
    out = tmp_path / "out.utf8-1-0123abcd"
    assert encoding.transcode_to_utf8(src, out, "gbk", detected=True) == "gbk"
    assert out.read_bytes() == src.read_bytes().decode("gbk").encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, src.name]


@pytest.mark.parametrize("bad_at", [0.1, 0.9])
def test_bad_byte_in_either_part_names_its_line_and_leaves_no_parts(
    tmp_path: Path, bad_at: float
) -> None:
    src = _two_part_gbk(tmp_path, bad_at=bad_at)
    data = src.read_bytes()
    line = data[: data.index(b"\xff\xfe")].count(b"\n") + 1
    out = tmp_path / "out.utf8-1-0123abcd"
    with pytest.raises(ValidationFailed) as err:
        encoding.transcode_to_utf8(src, out, "gbk", detected=True)
    assert f"(line {line})" in err.value.message
    assert not [p for p in tmp_path.iterdir() if ".utf8-" in p.name and p != out]
