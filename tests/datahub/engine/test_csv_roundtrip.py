"""Property: any table written as CSV (UTF-8 or GBK) loads back with the same values."""

from __future__ import annotations

import csv
import io
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import load, types_of

#: Common characters every GBK encoder has, plus the separators and quotes CSV must escape.
CJK = "张王李赵刘陈杨黄区街路号村镇市县省户籍人口"
TEXT_ALPHABET = CJK + "abcXYZ019 ,.\"'\n-_()（），。"
NAME_ALPHABET = CJK + "abcdefghijklmnopqrstuvwxyz_"


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[str], list[list[Any]]]:
    n_cols = draw(st.integers(2, 5))
    names = draw(
        st.lists(
            st.text(NAME_ALPHABET, min_size=1, max_size=8),
            min_size=n_cols,
            max_size=n_cols,
            unique_by=str.casefold,
        )
    )
    kinds = draw(
        st.lists(st.sampled_from(["int", "float", "text"]), min_size=n_cols, max_size=n_cols)
    )
    n_rows = draw(st.integers(1, 25))
    cells = {
        "int": st.integers(-(10**12), 10**12),
        "float": st.floats(-1e12, 1e12, allow_nan=False, allow_subnormal=False).filter(
            lambda f: not f.is_integer()
        ),
        "text": st.text(TEXT_ALPHABET, max_size=12).map(lambda s: "x" + s),
    }
    rows = [[draw(st.none() | cells[kind]) for kind in kinds] for _ in range(n_rows)]
    return names, kinds, rows


def to_csv(names: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
    return buf.getvalue()


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(table=tables(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
def test_csv_round_trip(table: tuple[list[str], list[str], list[list[Any]]], encoding: str) -> None:
    names, kinds, rows = table
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "out").mkdir()
        source = root / "src" / "t.csv"
        source.write_bytes(to_csv(names, rows).encode(encoding))
        result, loaded = load(source)
    assert [c.name for c in result.columns] == names
    assert result.row_count == len(rows)
    types = types_of(result)
    for name, kind, values in zip(names, kinds, zip(*rows, strict=True), strict=True):
        got = [r[name] for r in loaded]
        if all(v is None for v in values):
            assert all(g is None for g in got)
            continue
        assert types[name] == {"int": "integer", "float": "float", "text": "string"}[kind]
        for want, have in zip(values, got, strict=True):
            if isinstance(want, float):
                assert have is not None and math.isclose(want, have, rel_tol=0, abs_tol=0)
            else:
                assert have == want
