"""Bad input is refused with a message naming the line/record, column and value — and a
failed load leaves nothing behind: no destination, no temporary file, the previous file
untouched."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from citybase.datahub.ingest import ingest_file
from citybase.datahub.types import IngestOptions
from citybase.errors import ValidationFailed

from .helpers import leftovers, load, types_of, write_text


def refuse(work: Path, source: Path, **options: object) -> ValidationFailed:
    """Load must fail; return the error after checking nothing was left on disk."""
    dest = work / "out" / "dest.parquet"
    with pytest.raises(ValidationFailed) as caught:
        ingest_file(source, dest=dest, options=IngestOptions(**options))  # type: ignore[arg-type]
    assert not dest.exists()
    assert leftovers(work / "out") == []
    assert caught.value.status == 422
    return caught.value


def test_a_failed_load_keeps_the_previous_file(work: Path) -> None:
    dest = work / "out" / "dest.parquet"
    ingest_file(
        write_text(work / "src" / "good.csv", "a,b\n1,2\n"), dest=dest, options=IngestOptions()
    )
    before = dest.read_bytes()
    with pytest.raises(ValidationFailed):
        ingest_file(
            write_text(work / "src" / "bad.csv", "a,b\n1,2\n3\n"),
            dest=dest,
            options=IngestOptions(),
        )
    assert dest.read_bytes() == before
    assert leftovers(work / "out") == []


def test_empty_file(work: Path) -> None:
    source = work / "src" / "empty.csv"
    source.write_bytes(b"")
    err = refuse(work, source)
    assert "empty (0 bytes)" in err.message and err.field == "file"


def test_header_only(work: Path) -> None:
    err = refuse(work, write_text(work / "src" / "head.csv", "姓名,身份证号\n"))
    assert "header row but no data rows" in err.message


def test_json_without_records(work: Path) -> None:
    err = refuse(work, write_text(work / "src" / "none.json", "[]"))
    assert "every record must be a JSON object" in err.message or "no records" in err.message


@pytest.mark.parametrize(
    ("body", "line", "found"),
    [("a,b,c\n1,2,3\n4,5\n6,7,8\n", 3, 2), ("a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n", 4, 4)],
)
def test_ragged_rows_name_the_line_and_counts(work: Path, body: str, line: int, found: int) -> None:
    err = refuse(work, write_text(work / "src" / "ragged.csv", body))
    assert f"line {line} has {found} columns, expected 3" in err.message


def test_ragged_row_deep_in_a_gbk_file(work: Path) -> None:
    body = "编号,姓名\n" + "".join(f"{i},居民{i}\n" for i in range(50_000)) + "50000\n"
    err = refuse(work, write_text(work / "src" / "deep.csv", body, "gbk"))
    assert "line 50002 has 1 columns, expected 2" in err.message


def test_duplicate_column_names_are_named(work: Path) -> None:
    err = refuse(
        work, write_text(work / "src" / "dup.csv", "姓名,电话,Name,姓名,name\n1,2,3,4,5\n")
    )
    assert "'姓名' (columns 1 and 4)" in err.message
    assert "'name' (columns 3 and 5)" in err.message
    assert err.field == "header"


def test_empty_column_name(work: Path) -> None:
    err = refuse(work, write_text(work / "src" / "blank.csv", "姓名,,电话\n张三,1,2\n"))
    assert "column 2 has no name" in err.message


def test_undecodable_bytes_give_offset_and_line(work: Path) -> None:
    source = work / "src" / "broken.csv"
    source.write_bytes("name,city\n张三,北京\n".encode() + b"\xff\xfe\xfd,x\n")
    err = refuse(work, source)
    offset = len("name,city\n张三,北京\n".encode())
    assert f"byte offset {offset} (line 3)" in err.message and "0xFF" in err.message
    assert err.field == "encoding"


def test_explicit_utf8_on_a_gbk_file_suggests_detection(work: Path) -> None:
    source = write_text(work / "src" / "gbk.csv", "姓名,城市\n张三,北京\n", "gbk")
    err = refuse(work, source, encoding="utf-8")
    assert "not valid UTF-8" in err.message and "line 1" in err.message
    assert "looks like GBK" in err.message


def test_unknown_encoding_name(work: Path) -> None:
    err = refuse(work, write_text(work / "src" / "x.csv", "a\n1\n"), encoding="klingon")
    assert "klingon" in err.message and err.field == "encoding"


def test_value_not_fitting_an_override_names_line_column_and_value(work: Path) -> None:
    body = "编号,人数\n" + "".join(f"{i},{i % 5}\n" for i in range(1000)) + "1000,三人\n"
    err = refuse(
        work, write_text(work / "src" / "o.csv", body), schema_override={"人数": "integer"}
    )
    assert "line 1002" in err.message and "'人数'" in err.message and "'三人'" in err.message
    assert err.field == "人数"


def test_decimal_point_under_an_integer_override(work: Path) -> None:
    err = refuse(
        work, write_text(work / "src" / "d.csv", "n\n1\n2.5\n"), schema_override={"n": "integer"}
    )
    assert "line 3" in err.message and "'2.5'" in err.message


def test_date_override(work: Path) -> None:
    err = refuse(
        work,
        write_text(work / "src" / "dt.csv", "d\n2024-01-02\n2024-02-30\n"),
        schema_override={"d": "date"},
    )
    assert "line 3" in err.message and "2024-02-30" in err.message


def test_override_naming_a_missing_column(work: Path) -> None:
    err = refuse(
        work, write_text(work / "src" / "m.csv", "a\n1\n"), schema_override={"b": "string"}
    )
    assert "'b'" in err.message and err.field == "schema_override.b"


def test_override_errors_in_json_and_xlsx_name_the_record(work: Path) -> None:
    source = work / "src" / "r.json"
    source.write_text(json.dumps([{"n": "1"}, {"n": "2"}, {"n": "x"}]), "utf-8")
    err = refuse(work, source, schema_override={"n": "integer"})
    assert "record 3" in err.message and "'x'" in err.message
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["n"])
    ws.append(["5"])
    ws.append(["五"])
    book = work / "src" / "r.xlsx"
    wb.save(book)
    err = refuse(work, book, schema_override={"n": "integer"})
    assert "row 3" in err.message and "'五'" in err.message


# --- a type that changes half-way: the whole file decides, nothing is lost ----------------


def test_integer_column_that_turns_into_text_becomes_text(work: Path) -> None:
    body = "id,code\n" + "".join(f"{i},{i}\n" for i in range(100_000)) + "100000,A-17\n"
    result, rows = load(write_text(work / "src" / "half.csv", body))
    assert types_of(result) == {"id": "integer", "code": "string"}
    assert rows[5]["code"] == "5" and rows[-1]["code"] == "A-17"
    assert result.row_count == 100_001


def test_integer_column_that_turns_fractional_becomes_float(work: Path) -> None:
    body = "v\n" + "".join(f"{i}\n" for i in range(30_000)) + "1.5\n"
    result, rows = load(write_text(work / "src" / "frac.csv", body))
    assert types_of(result) == {"v": "float"} and rows[-1]["v"] == 1.5


def test_late_leading_zero_is_not_dropped(work: Path) -> None:
    body = "code\n" + "".join(f"{i + 1}\n" for i in range(30_000)) + "007\n"
    result, rows = load(write_text(work / "src" / "zero.csv", body))
    assert types_of(result) == {"code": "string"} and rows[-1]["code"] == "007"


# --- formats we do not read --------------------------------------------------------------


def test_old_excel_html_pdf_zip_and_binaries_are_refused(work: Path) -> None:
    cases = {
        "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        "page.xls": b"<html><table><tr><td>1</td></tr></table></html>",
        "doc.pdf": b"%PDF-1.4\n...",
        "blob.bin": b"\x00\x01\x02\x03" * 50,
        "rows.csv.gz": b"\x1f\x8b\x08\x00" + b"\x00" * 20,
        "fake.xlsx": b"name,age\nx,1\n",
    }
    expected = {
        "old.xls": "Excel 97-2003",
        "page.xls": "HTML or XML",
        "doc.pdf": "PDF",
        "blob.bin": "binary file",
        "rows.csv.gz": "gzip",
        "fake.xlsx": "named .xlsx",
    }
    for name, data in cases.items():
        source = work / "src" / name
        source.write_bytes(data)
        err = refuse(work, source)
        assert expected[name] in err.message, name
        assert err.field == "format"
    archive = work / "src" / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.csv", "a\n1\n")
    assert "ZIP archive" in refuse(work, archive).message


def test_json_shapes_we_cannot_read(work: Path) -> None:
    numbers = write_text(work / "src" / "numbers.json", "[1, 2, 3]")
    assert "record 1 is a number" in refuse(work, numbers).message
    broken = write_text(work / "src" / "broken.ndjson", '{"a": 1}\n{"a": 2\n')
    err = refuse(work, broken)
    assert "not valid NDJSON" in err.message and "line" in err.message
    cased = write_text(work / "src" / "cased.json", '[{"a": 1, "A": 2}]')
    assert "'a' and 'A'" in refuse(work, cased).message


def test_unknown_sheet_lists_the_sheets(work: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "名册"
    wb.active.append(["a"])
    wb.active.append([1])
    book = work / "src" / "s.xlsx"
    wb.save(book)
    err = refuse(work, book, sheet="汇总")
    assert "'汇总'" in err.message and "名册" in err.message and err.field == "sheet"


def test_xlsx_value_outside_the_header(work: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["a", "b"])
    ws.append([1, 2])
    ws.append([3, 4, "stray"])
    book = work / "src" / "wide.xlsx"
    wb.save(book)
    err = refuse(work, book)
    assert "row 3" in err.message and "column C" in err.message


def test_damaged_parquet(work: Path) -> None:
    source = work / "src" / "cut.parquet"
    pq.write_table(__import__("pyarrow").table({"a": [1, 2, 3]}), source)
    source.write_bytes(source.read_bytes()[:-30])
    err = refuse(work, source)
    assert "cut.parquet" in err.message


def test_utf8_then_gbk_is_a_mixed_file(work: Path) -> None:
    head = "".join(f"{i},居民{i}\n" for i in range(60_000)).encode()
    source = work / "src" / "mixed.csv"
    source.write_bytes("编号,姓名\n".encode() + head + "60000,张三\n".encode("gbk"))
    assert len(head) > 1 << 20  # the detected part is valid UTF-8 with Chinese in it
    err = refuse(work, source)
    assert "mixes encodings" in err.message and "line 60002" in err.message


def test_reserved_column_name(work: Path) -> None:
    err = refuse(work, write_text(work / "src" / "r.csv", "id,File_Row_Number\n1,2\n"))
    assert "'File_Row_Number'" in err.message and "reserves" in err.message
