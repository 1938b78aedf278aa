"""Privacy models over quasi-identifiers: k-anonymity, l-diversity and t-closeness.

Rows that share every quasi-identifier (QI) value form an equivalence class; an attacker who
knows a person's QIs learns which class they are in. k-anonymity asks every class to hold at
least k rows; l-diversity asks each class to hold at least l "well-represented" sensitive values
(distinct: l distinct values; entropy: exp(entropy) ≥ l); t-closeness asks the sensitive
distribution inside each class to be within Earth Mover's Distance t of the whole table's
(ordered distance for numbers, equal distance for categories).

Everything works on integer codes with numpy so that the lattice search can evaluate thousands
of generalisations of 200,000 rows in seconds; the table-level functions here are the same
code applied to a table as released.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from citybase.errors import ValidationFailed

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Diversity = Literal["distinct", "entropy"]
_DENSE_LIMIT = 1 << 62


def require_columns(table: pa.Table, columns: Sequence[str], role: str) -> None:
    """Refuse a column name the table does not have, naming it and what it has."""
    if not columns and role == "quasi-identifier":
        raise ValidationFailed("qis: name at least one quasi-identifier column", field="qis")
    for name in columns:
        if name not in table.column_names:
            raise ValidationFailed(
                f"{role} column {name!r} is not in the table; it has: "
                f"{', '.join(table.column_names)}",
                field=name,
            )


def column_codes(column: pa.ChunkedArray | pa.Array) -> tuple[IntArray, list[object]]:
    """Dense integer codes per row and the distinct values they stand for (None for missing)."""
    encoded = pc.dictionary_encode(column)
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    if not chunks:
        return np.zeros(0, dtype=np.int64), []
    unified = pa.chunked_array(chunks).unify_dictionaries()
    dictionary = unified.chunk(0).dictionary if unified.num_chunks else pa.array([])
    indices = pa.chunked_array([c.indices for c in unified.chunks]).combine_chunks()
    values: list[object] = dictionary.to_pylist()
    codes = indices.fill_null(len(values)).to_numpy(zero_copy_only=False).astype(np.int64)
    if indices.null_count:
        values.append(None)
    return codes, values


def combine_codes(codes: Sequence[IntArray], cards: Sequence[int]) -> tuple[IntArray, int]:
    """Group ids for rows by several code columns at once (mixed radix, re-densified)."""
    n = len(codes[0]) if codes else 0
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    for column, card in zip(codes, cards, strict=True):
        if radix * max(card, 1) >= _DENSE_LIMIT:
            uniq, key = np.unique(key, return_inverse=True)
            radix = len(uniq)
        key = key * max(card, 1) + column
        radix *= max(card, 1)
    uniq, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(np.int64), len(uniq)


def class_sizes(
    class_ids: IntArray, n_classes: int, weights: FloatArray | None = None
) -> FloatArray:
    return np.bincount(class_ids, weights=weights, minlength=n_classes).astype(np.float64)


def diversity_per_class(
    class_ids: IntArray,
    n_classes: int,
    sensitive: IntArray,
    n_sensitive: int,
    kind: Diversity,
    weights: FloatArray | None = None,
) -> FloatArray:
    """Distinct count, or exp(entropy), of the sensitive values in each class."""
    pair = class_ids * n_sensitive + sensitive
    uniq, inverse = np.unique(pair, return_inverse=True)
    pair_weight = np.bincount(inverse, weights=weights, minlength=len(uniq))
    pair_class = uniq // n_sensitive
    if kind == "distinct":
        return np.bincount(pair_class, minlength=n_classes).astype(np.float64)
    totals = np.bincount(pair_class, weights=pair_weight, minlength=n_classes)
    share = pair_weight / totals[pair_class]
    entropy = np.bincount(pair_class, weights=-share * np.log(share), minlength=n_classes)
    return np.asarray(np.exp(entropy), dtype=np.float64)


def closeness_per_class(
    class_ids: IntArray,
    n_classes: int,
    sensitive: IntArray,
    n_sensitive: int,
    *,
    ordered: bool,
    weights: FloatArray | None = None,
) -> FloatArray:
    """Earth Mover's Distance between each class's sensitive distribution and the table's.

    ``ordered``: codes must be in value order; ground distance |i-j|/(m-1). Otherwise every
    pair of distinct values is at distance 1 and EMD is half the L1 distance.
    """
    counts = np.bincount(
        class_ids * n_sensitive + sensitive, weights=weights, minlength=n_classes * n_sensitive
    ).reshape(n_classes, n_sensitive)
    totals = counts.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1
    within = counts / totals
    overall = counts.sum(axis=0) / max(counts.sum(), 1)
    diff = within - overall
    if not ordered:
        return np.asarray(0.5 * np.abs(diff).sum(axis=1), dtype=np.float64)
    if n_sensitive < 2:
        return np.zeros(n_classes)
    return np.asarray(np.abs(np.cumsum(diff, axis=1)).sum(axis=1) / (n_sensitive - 1))


def sensitive_codes(column: pa.ChunkedArray, *, ordered: bool) -> tuple[IntArray, int]:
    """Codes of a sensitive column; in value order when ``ordered`` (for numeric EMD)."""
    codes, values = column_codes(column)
    if not ordered:
        return codes, len(values)
    if None in values:
        raise ValidationFailed(
            "sensitive column has missing values; ordered t-closeness needs a value in every row",
            field="sensitive",
        )
    order = np.argsort(np.asarray(values, dtype=np.float64), kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank[codes], len(values)


def is_numeric(column: pa.ChunkedArray) -> bool:
    return bool(pa.types.is_integer(column.type) or pa.types.is_floating(column.type))


def equivalence_classes(table: pa.Table, qis: Sequence[str]) -> pa.Table:
    """One row per distinct QI combination with its ``size``, largest first."""
    require_columns(table, qis, "quasi-identifier")
    grouped = table.group_by(list(qis), use_threads=False).aggregate([([], "count_all")])
    grouped = grouped.rename_columns([*qis, "size"])
    return grouped.sort_by([("size", "descending")])


def _classes(table: pa.Table, qis: Sequence[str]) -> tuple[IntArray, int]:
    require_columns(table, qis, "quasi-identifier")
    if table.num_rows == 0:
        raise ValidationFailed("table has no rows; nothing to measure", field="table")
    encoded = [column_codes(table.column(q)) for q in qis]
    return combine_codes([c for c, _ in encoded], [len(v) for _, v in encoded])


def k_anonymity(table: pa.Table, qis: Sequence[str]) -> int:
    """The k the table satisfies: the size of its smallest equivalence class."""
    ids, n = _classes(table, qis)
    return int(class_sizes(ids, n).min())


def l_diversity(
    table: pa.Table, qis: Sequence[str], sensitive: str, *, kind: Diversity = "distinct"
) -> float:
    """The l the table satisfies for ``sensitive``: the least diverse class's l."""
    if kind not in ("distinct", "entropy"):
        raise ValidationFailed(f"kind must be distinct or entropy, got {kind!r}", field="kind")
    require_columns(table, [sensitive], "sensitive")
    ids, n = _classes(table, qis)
    codes, values = column_codes(table.column(sensitive))
    return float(diversity_per_class(ids, n, codes, len(values), kind).min())


def t_closeness(
    table: pa.Table, qis: Sequence[str], sensitive: str, *, ordered: bool | None = None
) -> float:
    """The t the table satisfies: the largest EMD of a class from the whole table.

    ``ordered`` defaults to True for numeric sensitive columns, False otherwise.
    """
    require_columns(table, [sensitive], "sensitive")
    column = table.column(sensitive)
    use_order = is_numeric(column) if ordered is None else ordered
    ids, n = _classes(table, qis)
    codes, m = sensitive_codes(column, ordered=use_order)
    return float(closeness_per_class(ids, n, codes, m, ordered=use_order).max())
