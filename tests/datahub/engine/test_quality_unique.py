"""The ``unique`` rule's counts and samples against a brute-force count, for values that
repeat twice (samples from the grouping alone) and more often (samples fetched by a scan)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citybase.datahub.quality import run_rules
from citybase.datahub.types import QualityRule


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=1, max_size=80),
    sample_size=st.integers(0, 8),
)
def test_unique_matches_a_brute_force_count(
    tmp_path: Path, values: list[int | None], sample_size: int
) -> None:
    path = tmp_path / "values.parquet"
    pq.write_table(pa.table({"v": pa.array(values, pa.int64())}), path)
    (result,) = run_rules(
        path, [QualityRule(kind="unique", column="v")], sample_size=sample_size
    ).results
    counts = Counter(v for v in values if v is not None)
    failing = [(i + 1, v) for i, v in enumerate(values) if v is not None and counts[v] > 1]
    assert result.checked == sum(counts.values())
    assert result.failed == len(failing)
    assert result.samples == [{"row": r, "v": v} for r, v in failing[:sample_size]]
    duplicated = sum(1 for n in counts.values() if n > 1)
    assert (f"({duplicated:,} values are duplicated)" in result.message) == (duplicated > 0)


def test_a_value_three_times_among_pairs_gives_rows_in_file_order(tmp_path: Path) -> None:
    values = ["a", "b", "c", "a", "c", "b", "d", "b", "e", "e"]
    path = tmp_path / "values.parquet"
    pq.write_table(pa.table({"v": values}), path)
    (result,) = run_rules(path, [QualityRule(kind="unique", column="v")], sample_size=4).results
    assert result.failed == 9
    assert [s["row"] for s in result.samples] == [1, 2, 3, 4]


def test_interleaved_pairs_give_rows_in_file_order(tmp_path: Path) -> None:
    values = ["a", "b", "x", "a", "b", "c", "c"]
    path = tmp_path / "values.parquet"
    pq.write_table(pa.table({"v": values}), path)
    (result,) = run_rules(path, [QualityRule(kind="unique", column="v")], sample_size=5).results
    assert result.failed == 6
    assert result.samples == [
        {"row": 1, "v": "a"},
        {"row": 2, "v": "b"},
        {"row": 4, "v": "a"},
        {"row": 5, "v": "b"},
        {"row": 6, "v": "c"},
    ]
