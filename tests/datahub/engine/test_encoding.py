"""Encoding detection, transcoding across chunk boundaries, exact error positions."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citybase.datahub import encoding as enc
from citybase.datahub.csvfile import detect_delimiter
from citybase.errors import ValidationFailed

GBK_TEXT = st.text(alphabet='张王李赵区街路号,\n\r"x1 。（）', max_size=300)


def test_sniff_encoding() -> None:
    assert enc.sniff_encoding(b"\xef\xbb\xbfa,b\n", True) == "utf-8-sig"
    assert enc.sniff_encoding("姓名\n".encode(), True) == "utf-8"
    assert enc.sniff_encoding("姓名\n".encode("gbk"), True) == "gbk"
    assert enc.sniff_encoding("𠮷\n".encode("gb18030"), True) == "gb18030"
    assert enc.sniff_encoding(b"\xff\xff\xff\n", True) is None
    # a head cut inside a character is judged on its complete lines only
    assert enc.sniff_encoding("甲\n乙".encode()[:-1], False) == "utf-8"


def test_codec_names() -> None:
    assert enc.codec_for("GB2312") == "gbk"  # GB2312 files hold GBK characters
    assert enc.codec_for("utf8") == "utf-8"
    with pytest.raises(ValidationFailed):
        enc.codec_for("utf-16")


def test_find_decode_error_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    good = "a,b\n张,三\n".encode()
    path.write_bytes(good + b"ok,\x80\x80\n")
    err = enc.find_decode_error(path, "utf-8")
    assert err is not None and (err.offset, err.line) == (len(good) + 3, 3)
    path.write_bytes("a,b\n张,三\n".encode("gbk"))
    assert enc.find_decode_error(path, "gbk") is None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=GBK_TEXT, chunk=st.integers(2, 64))
def test_transcoding_is_lossless_at_any_chunk_size(tmp_path: Path, text: str, chunk: int) -> None:
    """Tiny chunks put a chunk boundary inside every kind of character and line."""
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(text.encode("gbk"))
    reported: list[int] = []
    codec = enc.transcode_to_utf8(
        source, target, "gbk", detected=True, progress=reported.append, chunk_size=chunk
    )
    assert codec == "gbk"
    assert target.read_bytes() == text.encode("utf-8")
    assert reported == sorted(reported) and (not text or reported[-1] == source.stat().st_size)


def test_transcoding_error_names_offset_and_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    head = "甲,乙\n丙,丁\n".encode("gbk")
    source.write_bytes(head + b"\xff\xff\n")
    with pytest.raises(ValidationFailed) as caught:
        enc.transcode_to_utf8(source, tmp_path / "o.csv", "gbk", detected=False)
    assert f"byte offset {len(head)} (line 3)" in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b\n1,2\n", ","),
        ("a;b;c\n1;2;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('a,b\n"x;y;z",2\n', ","),
        ("单列\n值\n", ","),
    ],
)
def test_detect_delimiter(text: str, expected: str) -> None:
    assert detect_delimiter(text) == expected
