"""Every source format and encoding loads into one typed Parquet file with the right values."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from citybase.datahub.ingest import detect, ingest_file
from citybase.datahub.types import IngestOptions

from .helpers import leftovers, load, types_of, write_text

RESIDENTS = (
    "姓名,身份证号,出生日期,家庭人数,月收入,邮编\n"
    "张三,11010119900307123X,1990-03-07,3,5200.5,010020\n"
    "李四,110101198512120019,1985-12-12,1,,200000\n"
    "王五,,2001-01-31,4,3100.25,100101\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_chinese_encoding_is_detected_and_loaded(work: Path, encoding: str) -> None:
    source = write_text(work / "src" / "residents.csv", RESIDENTS, encoding)
    result, rows = load(source)
    assert result.encoding == ("gbk" if encoding == "gb18030" else encoding)
    assert result.delimiter == ","
    assert result.row_count == 3
    assert types_of(result) == {
        "姓名": "string",
        "身份证号": "string",
        "出生日期": "date",
        "家庭人数": "integer",
        "月收入": "float",
        "邮编": "string",
    }
    assert rows[0] == {
        "姓名": "张三",
        "身份证号": "11010119900307123X",
        "出生日期": dt.date(1990, 3, 7),
        "家庭人数": 3,
        "月收入": 5200.5,
        "邮编": "010020",
    }
    assert rows[1]["月收入"] is None and rows[2]["身份证号"] is None
    assert {c.name: c.nullable for c in result.columns}["姓名"] is False


def test_gb18030_only_characters_switch_the_codec(work: Path) -> None:
    # 𠮷 (U+20BB7) has no GBK code: GB18030 encodes it in four bytes.
    text = "姓名,备注\n" + "".join(f"居民{i},普通\n" for i in range(2000)) + "吉𠮷,生僻字\n"
    source = write_text(work / "src" / "rare.csv", text, "gb18030")
    result, rows = load(source)
    assert result.encoding == "gb18030"
    assert rows[-1] == {"姓名": "吉𠮷", "备注": "生僻字"}


def test_gbk_appearing_after_a_long_ascii_head_is_still_detected(work: Path) -> None:
    """The first MiB is plain ASCII (valid UTF-8); GBK text appears further down."""
    head = "".join(f"{i},resident-{i:07d}\n" for i in range(80_000))
    source = work / "src" / "late.csv"
    source.write_bytes(b"id,name\n" + head.encode() + "80000,张三\n".encode("gbk"))
    assert source.stat().st_size > 1 << 20
    result, rows = load(source)
    assert result.encoding == "gbk"
    assert rows[-1] == {"id": 80000, "name": "张三"}


@pytest.mark.parametrize(("delimiter", "name"), [("\t", "tab"), (";", "semicolon"), ("|", "pipe")])
def test_delimiters_are_detected(work: Path, delimiter: str, name: str) -> None:
    text = f"区{delimiter}人口{delimiter}备注\n玄武区{delimiter}537825{delimiter}a,b\n"
    text += f"秦淮区{delimiter}740809{delimiter}c\n"
    result, rows = load(write_text(work / "src" / f"{name}.csv", text))
    assert result.delimiter == delimiter
    assert rows == [
        {"区": "玄武区", "人口": 537825, "备注": "a,b"},
        {"区": "秦淮区", "人口": 740809, "备注": "c"},
    ]


def test_a_file_without_header_gets_numbered_columns(work: Path) -> None:
    result, rows = load(write_text(work / "src" / "bare.csv", "1,2.5,x\n3,4.5,y\n"))
    assert [c.name for c in result.columns] == ["column_1", "column_2", "column_3"]
    assert rows[1] == {"column_1": 3, "column_2": 4.5, "column_3": "y"}


def test_header_option_overrides_detection(work: Path) -> None:
    source = write_text(work / "src" / "names.csv", "甲,乙\n丙,丁\n")
    result, rows = load(source, header=False)
    assert result.row_count == 2 and rows[0] == {"column_1": "甲", "column_2": "乙"}
    result, rows = load(source, header=True)
    assert result.row_count == 1 and rows == [{"甲": "丙", "乙": "丁"}]


def test_title_lines_above_the_header_are_skipped(work: Path) -> None:
    text = (
        "某某区居民花名册\n导出时间：2024年3月1日\n"
        '姓名;年龄;住址\n张三;34;幸福路1号\n李四;28;"人民路2号;3单元"\n'
    )
    source = write_text(work / "src" / "titled.csv", text)
    found = detect(source, IngestOptions())
    assert found.skip_rows == 2 and found.delimiter == ";"
    _result, rows = load(source)
    assert rows == [
        {"姓名": "张三", "年龄": 34, "住址": "幸福路1号"},
        {"姓名": "李四", "年龄": 28, "住址": "人民路2号;3单元"},
    ]


def test_quotes_newlines_and_blank_cells(work: Path) -> None:
    text = 'id,备注\n1,"第一行\n第二行"\n2,"他说""好"""\n3,\n'
    _result, rows = load(write_text(work / "src" / "quoted.csv", text))
    assert [r["备注"] for r in rows] == ["第一行\n第二行", '他说"好"', None]


def test_identifier_like_numbers_stay_text(work: Path) -> None:
    """Leading zeros, 16+ digit numbers (cards, IDs) and times of day are not numbers."""
    text = (
        "zip,card,id18,at,phone\n"
        "010020,6222021234567890123,110101199003071234,08:30,13812345678\n"
        "200000,6222021234567890124,110101198512120019,17:05,13912345678\n"
    )
    result, rows = load(write_text(work / "src" / "ids.csv", text))
    assert types_of(result) == {
        "zip": "string",
        "card": "string",
        "id18": "string",
        "at": "string",
        "phone": "integer",
    }
    assert rows[0]["card"] == "6222021234567890123" and rows[0]["at"] == "08:30"


def test_timestamps_booleans_and_zoned_times(work: Path) -> None:
    text = (
        "at,ok,zoned\n2024-01-02 08:30:00,true,2024-01-02T08:00:00+08:00\n"
        "2024-01-03 09:00:00,false,2024-01-02T00:00:00Z\n"
    )
    result, rows = load(write_text(work / "src" / "times.csv", text))
    assert types_of(result) == {"at": "timestamp", "ok": "boolean", "zoned": "timestamp"}
    assert rows[0]["at"] == dt.datetime(2024, 1, 2, 8, 30)
    assert rows[0]["ok"] is True
    assert rows[0]["zoned"] == dt.datetime(2024, 1, 2, 0, 0)  # stored in UTC


def test_schema_override_sets_types(work: Path) -> None:
    text = "code,amount,flag\n001,12.5,1\n002,3.25,0\n"
    result, rows = load(
        write_text(work / "src" / "o.csv", text),
        schema_override={"amount": "decimal", "flag": "string", "code": "integer"},
    )
    assert types_of(result) == {"code": "integer", "amount": "decimal", "flag": "string"}
    assert rows[0] == {"code": 1, "amount": Decimal("12.50"), "flag": "1"}


def test_json_array_of_objects(work: Path) -> None:
    records = [
        {
            "区": "玄武区",
            "人口": 537825,
            "面积": 75.46,
            "设立": "1955-01-01",
            "街道": ["梅园新村", "新街口"],
            "负责人": {"姓名": "张三"},
        },
        {
            "区": "秦淮区",
            "人口": 740809,
            "面积": 49.11,
            "设立": "2013-02-01",
            "街道": [],
            "负责人": None,
            "备注": "合并",
        },
    ]
    source = work / "src" / "districts.json"
    source.write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    result, rows = load(source)
    assert result.source_format == "json"
    assert types_of(result) == {
        "区": "string",
        "人口": "integer",
        "面积": "float",
        "设立": "date",
        "街道": "string",
        "负责人": "string",
        "备注": "string",
    }
    assert json.loads(rows[0]["街道"]) == ["梅园新村", "新街口"]
    assert json.loads(rows[0]["负责人"]) == {"姓名": "张三"}
    assert rows[1]["备注"] == "合并" and rows[0]["备注"] is None


def test_ndjson_with_a_type_change_after_the_sample(work: Path) -> None:
    lines = [json.dumps({"n": i, "tag": "x"}) for i in range(25_000)]
    lines.append(json.dumps({"n": "unknown", "tag": "y"}))
    source = write_text(work / "src" / "events.ndjson", "\n".join(lines) + "\n")
    result, rows = load(source)
    assert result.source_format == "ndjson"
    assert types_of(result)["n"] == "string"
    assert rows[0]["n"] == "0" and rows[-1]["n"] == "unknown"


def test_xlsx_keeps_the_types_excel_gave_its_cells(work: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    ws.append(["姓名", "身份证号", "出生日期", "人数", "收入", "登记时间", "在册", "混合"])
    ws.append(
        [
            "张三",
            "11010119900307123X",
            dt.datetime(1990, 3, 7),
            3,
            5200.5,
            dt.datetime(2024, 1, 2, 8, 30),
            True,
            "A1",
        ]
    )
    ws.append(
        [
            "李四",
            "110101198512120019",
            dt.datetime(1985, 12, 12),
            1,
            3000,
            dt.datetime(2024, 1, 3, 9, 0),
            False,
            7,
        ]
    )
    ws.append([None] * 8)  # an empty row in the middle is skipped
    ws.append(["王五", None, dt.datetime(2001, 1, 31), 4, None, None, True, None])
    wb.create_sheet("说明").append(["本表为测试数据"])
    source = work / "src" / "roster.xlsx"
    wb.save(source)
    result, rows = load(source)
    assert result.source_format == "xlsx" and result.row_count == 3
    assert types_of(result) == {
        "姓名": "string",
        "身份证号": "string",
        "出生日期": "date",
        "人数": "integer",
        "收入": "float",
        "登记时间": "timestamp",
        "在册": "boolean",
        "混合": "string",
    }
    assert rows[0]["出生日期"] == dt.date(1990, 3, 7)
    assert rows[1]["收入"] == 3000.0 and rows[1]["混合"] == "7"
    assert rows[2]["身份证号"] is None
    found = detect(source, IngestOptions())
    assert found.sheets == ["名册", "说明"] and found.format == "xlsx"
    _other, rows = load(source, dest=work / "out" / "notes.parquet", sheet="说明", header=False)
    assert rows == [{"column_1": "本表为测试数据"}]


def test_parquet_input_is_normalised_to_the_engine_types(work: Path) -> None:
    table = pa.table(
        {
            "small": pa.array([1, 2], pa.int16()),
            "ratio": pa.array([0.5, 1.5], pa.float32()),
            "money": pa.array([Decimal("1.20"), Decimal("3.45")], pa.decimal128(10, 2)),
            "at": pa.array(
                [dt.datetime(2024, 1, 2, 8), None], pa.timestamp("ms", tz="Asia/Shanghai")
            ),
            "tags": pa.array([["a", "b"], []], pa.list_(pa.string())),
            "raw": pa.array([b"\x00\x01", None], pa.binary()),
        }
    )
    source = work / "src" / "typed.parquet"
    pq.write_table(table, source)
    result, rows = load(source, dest=work / "out" / "typed-out.parquet")
    assert types_of(result) == {
        "small": "integer",
        "ratio": "float",
        "money": "decimal",
        "at": "timestamp",
        "tags": "string",
        "raw": "binary",
    }
    assert rows[0]["money"] == Decimal("1.20") and rows[0]["raw"] == b"\x00\x01"
    assert json.loads(rows[0]["tags"]) == ["a", "b"]
    # 08:00 at UTC+8 given as a naive UTC instant by pyarrow -> stored as UTC wall time
    assert isinstance(rows[0]["at"], dt.datetime) and rows[0]["at"].tzinfo is None


def test_result_checksum_is_the_sha256_of_the_written_file(work: Path) -> None:
    source = write_text(work / "src" / "r.csv", RESIDENTS)
    dest = work / "out" / "r.parquet"
    result = ingest_file(source, dest=dest, options=IngestOptions())
    assert result.checksum == hashlib.sha256(dest.read_bytes()).hexdigest()
    assert result.bytes_read == source.stat().st_size and result.seconds >= 0
    meta = pq.ParquetFile(dest).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert leftovers(work / "out") == []


def test_loading_again_replaces_the_destination(work: Path) -> None:
    dest = work / "out" / "v.parquet"
    first = write_text(work / "src" / "one.csv", "a\n1\n")
    second = write_text(work / "src" / "two.csv", "a,b\n1,2\n3,4\n")
    ingest_file(first, dest=dest, options=IngestOptions())
    result = ingest_file(second, dest=dest, options=IngestOptions())
    assert result.row_count == 2 and pq.read_table(dest).num_rows == 2
    assert leftovers(work / "out") == []


def test_progress_reports_bytes_monotonically_up_to_the_total(work: Path) -> None:
    body = "".join(f"{i},居民{i},{i % 7}\n" for i in range(200_000))
    source = write_text(work / "src" / "big.csv", "id,name,group\n" + body, "gbk")
    seen: list[tuple[int, int]] = []
    ingest_file(
        source,
        dest=work / "out" / "big.parquet",
        options=IngestOptions(),
        progress=lambda done, total: seen.append((done, total)),
    )
    size = source.stat().st_size
    assert len(seen) >= 2
    assert all(total == size for _, total in seen)
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and len(set(dones)) == len(dones)
    assert seen[-1] == (size, size)


def test_detect_previews_without_writing(work: Path) -> None:
    source = write_text(work / "src" / "preview.csv", RESIDENTS, "gbk")
    found = detect(source, IngestOptions())
    assert (found.format, found.encoding, found.delimiter, found.header) == (
        "csv",
        "gbk",
        ",",
        True,
    )
    assert [c.name for c in found.columns][:2] == ["姓名", "身份证号"]
    assert found.sample[0]["姓名"] == "张三" and len(found.sample) == 3
    assert leftovers(work / "src") == ["preview.csv"]
    assert list((work / "out").iterdir()) == []


def test_detect_gbk_json(work: Path) -> None:
    source = work / "src" / "gbk.json"
    source.write_bytes(json.dumps([{"区": "玄武区", "人口": 1}], ensure_ascii=False).encode("gbk"))
    found = detect(source, IngestOptions())
    assert (found.format, found.encoding) == ("json", "gbk")
    assert [(c.name, c.type) for c in found.columns] == [("区", "string"), ("人口", "integer")]
    assert found.sample == [{"区": "玄武区", "人口": 1}]
    result, rows = load(source)
    assert result.encoding == "gbk" and rows == [{"区": "玄武区", "人口": 1}]
