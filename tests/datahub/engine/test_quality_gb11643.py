"""GB 11643 over whole columns: the numpy check of plain values and the SQL check of the rest
give, row for row, the verdict of ``citybase.identifiers`` — across Arrow batches, with nulls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citybase.datahub import checksums
from citybase.datahub.quality import run_rules
from citybase.datahub.types import QualityRule
from citybase.identifiers.idcard import generate_id_number, is_valid_id_number

RULE = QualityRule(kind="checksum", column="id", params={"scheme": "gb11643"})


def _ids(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    start = dt.date(1930, 1, 1)
    return [
        generate_id_number(rng, "320102", start + dt.timedelta(days=int(d)))
        for d in rng.integers(0, 30000, n)
    ]


def _dirty(value: str, kind: int) -> str:
    """Ways registers get ID numbers wrong, and ways they write right ones oddly."""
    return [
        value,
        value[:17] + ("0" if value[17] != "0" else "1"),  # check character
        value.lower(),
        value[:6] + " " + value[6:],  # space: valid after normalisation
        value.translate(str.maketrans("0123456789", "０１２３４５６７８９")),  # full width
        value[:6] + value[8:17],  # pre-1999 15 digits
        value[:10] + "0230" + value[14:],  # 30 February
        "999999" + value[6:],  # unknown area
        value[:17],  # one short
        "身份证" + value[3:],  # text
    ][kind]


def test_rows_across_batches_get_the_python_verdict(tmp_path: Path) -> None:
    n = checksums.BATCH_ROWS * 2 + 123
    rng = np.random.default_rng(7)
    kinds = rng.integers(0, 10, n)
    values: list[str | None] = [_dirty(v, int(k)) for v, k in zip(_ids(n, 1), kinds, strict=True)]
    for i in rng.integers(0, n, 50):
        values[int(i)] = None
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": pa.array(values, pa.string())}), path, row_group_size=5000)
    (result,) = run_rules(path, [RULE], sample_size=n).results
    expected_bad = [
        i + 1 for i, v in enumerate(values) if v is not None and not is_valid_id_number(v)
    ]
    assert result.checked == n - sum(v is None for v in values)
    assert result.failed == len(expected_bad)
    assert [s["row"] for s in result.samples] == expected_bad
    assert all(s["id"] == values[s["row"] - 1] for s in result.samples)


def test_samples_stop_at_the_first_failures_in_file_order(tmp_path: Path) -> None:
    ids = _ids(checksums.BATCH_ROWS + 10, 2)
    bad = [3, checksums.BATCH_ROWS + 4, checksums.BATCH_ROWS + 7]
    for row in bad:
        ids[row - 1] = _dirty(ids[row - 1], 1)
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": ids}), path)
    (result,) = run_rules(path, [RULE], sample_size=2).results
    assert result.failed == 3
    assert result.samples == [{"row": r, "id": ids[r - 1]} for r in bad[:2]]


def test_numbers_stored_as_integers_are_checked_as_text(tmp_path: Path) -> None:
    path = tmp_path / "legacy.parquet"
    pq.write_table(pa.table({"id": [110105491231002, 110105491231, None]}), path)
    (result,) = run_rules(path, [RULE]).results
    assert (result.checked, result.failed) == (2, 1)
    assert result.samples == [{"row": 2, "id": 110105491231}]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.integers(0, 9), min_size=1, max_size=60),
    seed=st.integers(0, 2**32 - 1),
)
def test_dirty_columns_match_python(tmp_path: Path, kinds: list[int], seed: int) -> None:
    values = [_dirty(v, k) for v, k in zip(_ids(len(kinds), seed), kinds, strict=True)]
    path = tmp_path / f"ids-{seed}.parquet"
    pq.write_table(pa.table({"id": values}), path)
    (result,) = run_rules(path, [RULE], sample_size=len(values)).results
    failing = {s["row"] for s in result.samples}
    assert [i + 1 not in failing for i in range(len(values))] == [
        is_valid_id_number(v) for v in values
    ]
