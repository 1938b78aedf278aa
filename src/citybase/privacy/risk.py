"""Re-identification risk and information loss of one generalisation of a table.

``EncodedTable`` turns the quasi-identifiers into integer codes once (distinct values through
their hierarchies, identical rows collapsed into weighted tuples), so that evaluating a
generalisation — one level per QI — is a handful of numpy gathers and one group-by. The
lattice search evaluates thousands of them; ``risk_report`` evaluates one.

Information loss measures (all computed over every row; a suppressed row loses everything):

- ``loss_metric`` (Iyengar's LM, 0..1): a value generalised to a label covering m of the M
  distinct values of its column loses (m-1)/(M-1); averaged over rows and QIs.
- ``discernibility`` (Bayardo & Agrawal's DM): Σ |E|² over released classes + n per
  suppressed row; divided by n² here so that it reads 0..1 (1/n means every row unique).
- ``precision`` (Sweeney's Prec loss, 0..1): level / top level of each QI, averaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from citybase.errors import ValidationFailed
from citybase.privacy.anonymity import (
    Diversity,
    FloatArray,
    IntArray,
    closeness_per_class,
    column_codes,
    combine_codes,
    diversity_per_class,
    is_numeric,
    require_columns,
    sensitive_codes,
)
from citybase.privacy.hierarchies import Hierarchy

BoolArray = npt.NDArray[np.bool_]
LossName = Literal["loss_metric", "discernibility", "precision"]
LOSSES: tuple[LossName, ...] = ("loss_metric", "discernibility", "precision")


class _Identity(Hierarchy):
    """A one-level hierarchy: the value itself. Used to measure a table as released."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.level_names = ("value",)

    def labels(self, value: object) -> tuple[str, ...]:
        return (str(value),)


@dataclass
class _QI:
    name: str
    hierarchy: Hierarchy
    gen: list[IntArray]  # per level: generalised code of each tuple
    cards: list[int]  # per level: number of distinct labels
    labels: list[list[str]]  # per level: label text of each code
    lm_loss: list[FloatArray]  # per level: LM loss of each tuple's value
    row_codes: IntArray  # per row: level-0 code (to release a table)
    value_labels: list[tuple[str, ...]]  # per level-0 code: labels at each level


@dataclass(frozen=True)
class Evaluation:
    """One generalisation evaluated: which tuples stay, how many rows go, the class sizes."""

    levels: tuple[int, ...]
    keep: BoolArray  # per tuple: True when its class satisfies every criterion
    suppressed: int
    anonymous: bool
    class_of: IntArray
    sizes: FloatArray
    size_sq_sum: float  # Σ |E|² over every class: a lower bound of DM for all successors


class EncodedTable:
    """The QIs (and optional sensitive column) of a table, encoded for fast evaluation."""

    def __init__(
        self,
        table: pa.Table,
        qis: Sequence[str],
        hierarchies: Mapping[str, Hierarchy] | None = None,
        *,
        sensitive: str | None = None,
        ordered: bool | None = None,
    ) -> None:
        require_columns(table, qis, "quasi-identifier")
        if len(set(qis)) != len(qis):
            raise ValidationFailed("qis: a column is named twice", field="qis")
        if table.num_rows == 0:
            raise ValidationFailed("table has no rows; nothing to anonymise", field="table")
        hierarchies = hierarchies or {}
        for name in hierarchies:
            if name not in qis:
                raise ValidationFailed(
                    f"hierarchy given for {name!r}, which is not a quasi-identifier", field=name
                )
        self.n = table.num_rows
        self.qis = tuple(qis)
        raw = [column_codes(table.column(q)) for q in qis]
        columns = [c for c, _ in raw]
        cards = [len(v) for _, v in raw]
        self.sensitive: str | None = sensitive
        self.ordered = False
        sens_codes: IntArray | None = None
        self.n_sensitive = 0
        if sensitive is not None:
            require_columns(table, [sensitive], "sensitive")
            if sensitive in qis:
                raise ValidationFailed(
                    f"sensitive column {sensitive!r} is also a quasi-identifier", field=sensitive
                )
            column = table.column(sensitive)
            self.ordered = is_numeric(column) if ordered is None else ordered
            sens_codes, self.n_sensitive = sensitive_codes(column, ordered=self.ordered)
            columns = [*columns, sens_codes]
            cards = [*cards, self.n_sensitive]
        self.row_tuple, n_tuples = combine_codes(columns, cards)
        first = np.full(n_tuples, len(self.row_tuple), dtype=np.int64)
        np.minimum.at(first, self.row_tuple, np.arange(len(self.row_tuple), dtype=np.int64))
        self.weights = np.bincount(self.row_tuple, minlength=n_tuples).astype(np.float64)
        self.sens = sens_codes[first] if sens_codes is not None else None
        self.columns = [
            self._encode(q, hierarchies.get(q) or _Identity(q), codes, values, first)
            for q, (codes, values) in zip(qis, raw, strict=True)
        ]
        self.heights = tuple(len(c.gen) for c in self.columns)
        self.lm_totals = [
            np.array([(loss * self.weights).sum() for loss in c.lm_loss]) for c in self.columns
        ]

    def _encode(
        self,
        name: str,
        hierarchy: Hierarchy,
        codes: IntArray,
        values: list[object],
        first: IntArray,
    ) -> _QI:
        rows = hierarchy.table(values)
        height = hierarchy.height
        gen: list[IntArray] = []
        cards: list[int] = []
        labels: list[list[str]] = []
        lm: list[FloatArray] = []
        leaves = len(values)
        tuple_codes = codes[first]
        for level in range(height):
            index: dict[str, int] = {}
            mapped = np.array(
                [index.setdefault(r[level], len(index)) for r in rows], dtype=np.int64
            )
            covered = np.bincount(mapped, minlength=len(index)).astype(np.float64)
            value_loss = (covered[mapped] - 1) / (leaves - 1) if leaves > 1 else covered[mapped] * 0
            gen.append(mapped[tuple_codes])
            cards.append(len(index))
            labels.append(list(index))
            lm.append(value_loss[tuple_codes])
        return _QI(name, hierarchy, gen, cards, labels, lm, codes, rows)

    def evaluate(
        self,
        levels: Sequence[int],
        *,
        k: int = 1,
        l_value: float | None = None,
        diversity: Diversity = "distinct",
        t_value: float | None = None,
        max_suppressed: float = 0,
    ) -> Evaluation:
        """Group the tuples at ``levels``; classes failing k, l or t are suppressed."""
        key = np.zeros(len(self.weights), dtype=np.int64)
        radix = 1
        for column, level in zip(self.columns, levels, strict=True):
            card = column.cards[level]
            if radix * card >= 1 << 62:
                _, key = np.unique(key, return_inverse=True)
                radix = int(key.max()) + 1
            key = key * card + column.gen[level]
            radix *= card
        if radix <= max(4 * len(key), 1 << 16) and l_value is None and t_value is None:
            class_of, n_classes = key, radix
        else:
            uniq, class_of = np.unique(key, return_inverse=True)
            n_classes = len(uniq)
        sizes = np.bincount(class_of, weights=self.weights, minlength=n_classes).astype(np.float64)
        ok = sizes >= k
        if (l_value is not None or t_value is not None) and self.sens is not None:
            if l_value is not None:
                div = diversity_per_class(
                    class_of, n_classes, self.sens, self.n_sensitive, diversity, self.weights
                )
                ok &= div >= l_value - 1e-9
            if t_value is not None:
                emd = closeness_per_class(
                    class_of,
                    n_classes,
                    self.sens,
                    self.n_sensitive,
                    ordered=self.ordered,
                    weights=self.weights,
                )
                ok &= emd <= t_value + 1e-12
        keep = ok[class_of]
        suppressed = round(float(self.weights[~keep].sum()))
        return Evaluation(
            levels=tuple(levels),
            keep=keep,
            suppressed=suppressed,
            anonymous=suppressed <= max_suppressed,
            class_of=class_of,
            sizes=sizes,
            size_sq_sum=float((sizes**2).sum()),
        )

    def loss(self, ev: Evaluation, measure: LossName) -> float:
        """Information loss of an evaluated generalisation, 0..1 (see the module docstring)."""
        n = float(self.n)
        if measure == "discernibility":
            kept_ok = np.bincount(ev.class_of[ev.keep], minlength=len(ev.sizes)) > 0
            released = ev.sizes[kept_ok]
            return float(((released**2).sum() + ev.suppressed * n) / (n * n))
        if measure == "precision":
            per_qi = [
                lvl / (h - 1) if h > 1 else 0.0
                for lvl, h in zip(ev.levels, self.heights, strict=True)
            ]
            share = float(np.mean(per_qi))
            return float((share * (n - ev.suppressed) + ev.suppressed) / n)
        if measure == "loss_metric":
            per_tuple = np.mean(
                [c.lm_loss[lvl] for c, lvl in zip(self.columns, ev.levels, strict=True)], axis=0
            )
            per_tuple = np.where(ev.keep, per_tuple, 1.0)
            return float((per_tuple * self.weights).sum() / n)
        raise ValidationFailed(
            f"loss must be one of {', '.join(LOSSES)}, got {measure!r}", field="loss"
        )

    def static_lower_bound(self, lattice: IntArray, measure: LossName) -> FloatArray:
        """A loss no generalisation at or above each lattice node can beat, without the data."""
        q = len(self.columns)
        if measure == "precision":
            tops = np.maximum(np.array(self.heights) - 1, 1)
            return np.asarray((lattice / tops).mean(axis=1), dtype=np.float64)
        if measure == "loss_metric":
            total = np.zeros(len(lattice))
            for i in range(q):
                total += self.lm_totals[i][lattice[:, i]]
            return np.asarray(total / (q * self.n), dtype=np.float64)
        return np.full(len(lattice), 1.0 / self.n)

    def release(self, levels: Sequence[int], keep_rows: BoolArray) -> dict[str, pa.Array]:
        """The QI columns as released at ``levels`` (labels), for the rows kept."""
        out: dict[str, pa.Array] = {}
        for column, level in zip(self.columns, levels, strict=True):
            text = np.array([r[level] for r in column.value_labels] + [""], dtype=object)
            out[column.name] = pa.array(text[column.row_codes[keep_rows]], pa.string())
        return out


@dataclass(frozen=True)
class RiskReport:
    """What an attacker who knows the QIs could do with a release, and what it cost."""

    records: int
    classes: int
    suppressed_records: int
    prosecutor_risk_max: float
    prosecutor_risk_avg: float
    share_unique: float
    smallest_class: int
    class_size_distribution: dict[str, int]
    information_loss: dict[str, float]


_BUCKETS = ((1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, None))


def risk_report(
    table: pa.Table,
    qis: Sequence[str],
    *,
    hierarchies: Mapping[str, Hierarchy] | None = None,
    levels: Mapping[str, int | str] | None = None,
    k: int = 1,
) -> RiskReport:
    """Risk of releasing ``table`` generalised at ``levels`` (default: as it is).

    Classes smaller than ``k`` are counted as suppressed (not released). Prosecutor risk of a
    released row is 1/|its class|; the report gives the maximum and the average over released
    rows, the share of rows that are unique on their QIs, and a histogram of class sizes.
    """
    encoded = EncodedTable(table, qis, hierarchies)
    if levels is not None:
        for name in levels:
            if name not in qis:
                raise ValidationFailed(f"levels names {name!r}, not a quasi-identifier", field=name)
        at = tuple(
            c.hierarchy.level_index(levels[c.name]) if c.name in levels else 0
            for c in encoded.columns
        )
    else:
        at = tuple(0 for _ in encoded.columns)
    ev = encoded.evaluate(at, k=k, max_suppressed=encoded.n)
    released = ev.sizes[np.bincount(ev.class_of[ev.keep], minlength=len(ev.sizes)) > 0]
    kept_rows = float(released.sum())
    histogram: dict[str, int] = {}
    for low, high in _BUCKETS:
        mask = released >= low if high is None else (released >= low) & (released <= high)
        label = f"{low}+" if high is None else (str(low) if low == high else f"{low}-{high}")
        histogram[label] = int(mask.sum())
    return RiskReport(
        records=encoded.n,
        classes=len(released),
        suppressed_records=ev.suppressed,
        prosecutor_risk_max=float(1 / released.min()) if len(released) else 0.0,
        prosecutor_risk_avg=float(len(released) / kept_rows) if kept_rows else 0.0,
        share_unique=float((released == 1).sum() / encoded.n),
        smallest_class=int(released.min()) if len(released) else 0,
        class_size_distribution=histogram,
        information_loss={m: encoded.loss(ev, m) for m in LOSSES},
    )
