"""Uploads a new user or an attacker sends: a zip-bomb workbook, oversized sheets, a file
that mixes encodings, an empty file — refused fast, naming the user's file and the limit."""

from __future__ import annotations

import io
import re
import time
import zipfile

import openpyxl
from fastapi.testclient import TestClient
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from citybase.datahub.mixed import mixed_in_head
from tests.datahub.conftest import Actor, create, upload

MIB = 1024 * 1024


def _workbook(rows: int = 3) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "姓名"])
    for i in range(rows):
        ws.append([i, f"张三{i}"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with_member(xlsx: bytes, name: str, payload_mb: int) -> bytes:
    """The workbook plus one part of ``payload_mb`` MiB of repeated XML (a zip bomb)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as member:
            block = b"<row><c><v>1</v></c></row>" * (MIB // 26)
            for _ in range(payload_mb):
                member.write(block)
    return out.getvalue()


def _replace_sheet(xlsx: bytes, transform: object) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = transform(data)  # type: ignore[operator]
            dst.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_zip_bomb_workbook_is_refused_before_parsing(client: TestClient, steward: Actor) -> None:
    create(client, steward, "bomb")
    bomb = _with_member(_workbook(), "xl/worksheets/sheet2.xml", payload_mb=256)
    assert len(bomb) < 2 * MIB  # small on disk, 256 MiB unzipped
    started = time.perf_counter()
    r = upload(client, steward, "bomb", bomb, filename="月报.xlsx")
    assert time.perf_counter() - started < 5
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "xlsx_too_large"
    assert "月报.xlsx" in err["message"] and "CITYBASE_XLSX_MAX_COMPRESSION_RATIO" in err["message"]
    assert "xl/worksheets/sheet2.xml" in err["message"]


def test_workbook_over_the_uncompressed_limit_names_the_setting(
    client: TestClient, steward: Actor
) -> None:
    client.app.state.settings.xlsx_max_uncompressed_mb = 4  # type: ignore[attr-defined]
    client.app.state.settings.xlsx_max_compression_ratio = 100_000  # type: ignore[attr-defined]
    create(client, steward, "wide")
    r = upload(client, steward, "wide", _with_member(_workbook(), "xl/big.xml", 6), "宽表.xlsx")
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert "宽表.xlsx" in message and "4 MiB" in message
    assert "CITYBASE_XLSX_MAX_UNCOMPRESSED_MB" in message
    ds = client.get("/api/datahub/datasets/wide", headers=steward.headers).json()
    assert ds["current_version"] is None


def test_sheet_with_more_rows_than_the_limit(client: TestClient, steward: Actor) -> None:
    client.app.state.settings.xlsx_max_rows = 10  # type: ignore[attr-defined]
    create(client, steward, "rows")
    assert upload(client, steward, "rows", _workbook(rows=9), "ok.xlsx").status_code == 201
    declared = upload(client, steward, "rows", _workbook(rows=20), "长表.xlsx")
    assert declared.status_code == 422
    assert "长表.xlsx" in declared.json()["error"]["message"]
    assert "10 rows" in declared.json()["error"]["message"]
    # a sheet that does not declare its size is counted while it streams
    undeclared = _replace_sheet(
        _workbook(rows=20), lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml)
    )
    r = upload(client, steward, "rows", undeclared, "无尺寸.xlsx")
    assert r.status_code == 422 and "CITYBASE_XLSX_MAX_ROWS" in r.json()["error"]["message"]
    ds = client.get("/api/datahub/datasets/rows", headers=steward.headers).json()
    assert ds["current_version"] == 1


def test_errors_name_the_users_file_not_the_servers_copy(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "names")
    empty = upload(client, steward, "names", b"", filename="户籍人口.csv")
    assert empty.status_code == 422
    message = empty.json()["error"]["message"]
    assert message.startswith("户籍人口.csv is empty") and "tmp" not in message
    header_only = upload(client, steward, "names", "姓名,年龄\n".encode(), filename="名单.csv")
    assert header_only.json()["error"]["message"].startswith("名单.csv has a header row")
    bad_json = upload(client, steward, "names", b'[{"a": 1}, {"a": ', filename="导出.json")
    assert "导出.json" in bad_json.json()["error"]["message"]
    assert "/uploads/" not in bad_json.json()["error"]["message"]
    # a browser on Windows may send the whole path: only the name is shown
    r = upload(client, steward, "names", b"", filename="C:\\Users\\clerk\\桌面\\表.csv")
    assert r.json()["error"]["message"].startswith("表.csv is empty")


def _lines(rows: int, encoding: str, name: str) -> bytes:
    return "".join(f"{name}{i},示范市人民路{i}号\n" for i in range(rows)).encode(encoding)


def test_utf8_then_gbk_names_the_line_and_the_encodings(client: TestClient, steward: Actor) -> None:
    create(client, steward, "mixed")
    content = "姓名,地址\n".encode() + _lines(30, "utf-8", "张三") + _lines(30, "gbk", "李四")
    r = upload(client, steward, "mixed", content, filename="合并.csv")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "encoding"
    assert err["message"].startswith("合并.csv mixes encodings: lines 1-31 are UTF-8")
    assert "line 32 is GBK" in err["message"] and "binary" not in err["message"]


def test_gbk_then_utf8_is_named_too(client: TestClient, steward: Actor) -> None:
    create(client, steward, "mixed2")
    content = "姓名,地址\n".encode("gbk") + _lines(30, "gbk", "李四") + _lines(30, "utf-8", "张三")
    r = upload(client, steward, "mixed2", content, filename="合并.csv")
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert "lines 1-31 are GBK" in message and "from 32" in message and "UTF-8" in message


def test_mixed_beyond_the_first_mib_names_the_line(client: TestClient, steward: Actor) -> None:
    create(client, steward, "mixed3")
    content = "姓名,地址\n".encode() + _lines(40_000, "utf-8", "张三") + _lines(5, "gbk", "李四")
    assert len(content) > 1 * MIB
    r = upload(client, steward, "mixed3", content, filename="大表.csv")
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert "大表.csv mixes encodings: lines 1-40001 are UTF-8" in message
    assert "line 40002 is GBK" in message


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
FIELD = st.text(CJK, min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FIELD, st.integers(0, 10**6)), min_size=1, max_size=60))
def test_a_file_in_one_encoding_is_never_called_mixed(rows: list[tuple[str, int]]) -> None:
    text = "".join(f"{name},{n}\n" for name, n in rows)
    try:
        gbk = text.encode("gbk")
    except UnicodeEncodeError:
        return  # a character GBK lacks: not a GBK file
    assert mixed_in_head("x.csv", gbk, at_eof=True) is None


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(CJK, min_size=2, max_size=6), min_size=2, max_size=20),
    st.lists(st.text(CJK, min_size=2, max_size=6), min_size=1, max_size=20),
)
def test_utf8_block_then_gbk_block_is_found_at_its_line(first: list[str], then: list[str]) -> None:
    try:
        tail = "".join(f"{t}\n" for t in then).encode("gbk")
    except UnicodeEncodeError:
        return
    # GBK that happens to be valid UTF-8 as well cannot be told apart from UTF-8
    assume(any(not _valid_utf8(t.encode("gbk")) for t in then[:1]))
    head = b"name\n" + "".join(f"{t}\n" for t in first).encode() + tail
    message = mixed_in_head("x.csv", head, at_eof=True)
    assert message is not None
    assert f"lines 1-{len(first) + 1} are UTF-8" in message
    assert f"line {len(first) + 2} is" in message
