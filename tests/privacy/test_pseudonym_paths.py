"""Small columns are pseudonymised with Python's hmac, large ones in DuckDB: same tokens."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.privacy import operators
from citybase.privacy.operators import Keys, Pseudonymise

KEYS = Keys.derive(b"0123456789abcdef-test-key", "k1")


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=40),
    length=st.integers(min_value=8, max_value=64),
)
def test_small_path_gives_the_duckdb_tokens(values: list[str | None], length: int) -> None:
    column = pa.array(values, pa.string())
    op = Pseudonymise(op="pseudonymise", length=length)
    small = op.apply(column, KEYS)
    duck = operators._duck(column, *_duck_sql(length))
    assert small.to_pylist() == duck.to_pylist()
    assert all(v is None or v.startswith("k1:") for v in small.to_pylist())


def _duck_sql(length: int) -> tuple[str, list[object]]:
    block = KEYS.pseudonym.ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in block)
    outer = bytes(b ^ 0x5C for b in block)
    sql = "SELECT ? || left(sha256(?::BLOB || unhex(sha256(?::BLOB || encode(v)))), ?) AS v FROM t"
    return sql, [KEYS.key_id + ":", outer, inner, length]


def test_large_columns_still_go_through_duckdb() -> None:
    n = operators.SMALL_COLUMN + 1
    column = pa.array([f"1101051949123100{i % 100:02d}" for i in range(n)], pa.string())
    tokens = Pseudonymise(op="pseudonymise", length=16).apply(column, KEYS).to_pylist()
    again = Pseudonymise(op="pseudonymise", length=16).apply(column[:10], KEYS).to_pylist()
    assert tokens[:10] == again
