"""The framework compiled to index arrays for the vectorised engine.

Indicators are sorted by element and elements by axis, so that every per-element or
per-axis sum is one ``np.add.reduceat`` over contiguous groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from citybase.assess.framework import (
    AXES,
    BoolArray,
    FloatArray,
    Framework,
    IntArray,
    unknown_indicator_message,
)
from citybase.errors import ValidationFailed


@dataclass(frozen=True)
class CompiledFramework:
    """The framework as index arrays: indicators sorted by element, elements by axis."""

    framework: Framework
    element_ids: tuple[str, ...]
    axis_of_element: IntArray
    axis_starts: IntArray
    indicator_ids: tuple[str, ...]
    element_of: IntArray
    element_starts: IntArray
    lower: FloatArray
    upper: FloatArray
    higher: BoolArray
    default_indicator_weights: FloatArray  # normalised within each element
    default_element_weights: FloatArray  # normalised within each axis
    domain_of: tuple[str, ...]

    @property
    def n_indicators(self) -> int:
        return len(self.indicator_ids)

    @property
    def n_elements(self) -> int:
        return len(self.element_ids)

    def index(self, indicator_id: str) -> int:
        try:
            return self.indicator_ids.index(indicator_id)
        except ValueError:
            raise ValidationFailed(
                unknown_indicator_message(self.framework, indicator_id), field=indicator_id
            ) from None

    def element_index(self, element: str) -> int:
        return self.element_ids.index(element)

    def global_indicator_weights(
        self, indicator_weights: FloatArray, element_weights: FloatArray
    ) -> FloatArray:
        """Each indicator's share in the model: element weight in axis / 3 x weight in element."""
        return np.asarray(
            indicator_weights * element_weights[self.element_of] / len(AXES), dtype=np.float64
        )


def normalise_groups(values: FloatArray, starts: IntArray) -> FloatArray:
    """Divide each contiguous group (starting at ``starts``) by its sum."""
    sums = np.add.reduceat(values, starts, axis=-1)
    counts = np.diff(np.append(starts, values.shape[-1]))
    return np.asarray(values / np.repeat(sums, counts, axis=-1), dtype=np.float64)


def compile_framework(fw: Framework) -> CompiledFramework:
    element_ids: list[str] = []
    axis_of: list[int] = []
    element_w: list[float] = []
    for a, axis_id in enumerate(AXES):
        axis = fw.axes[axis_id]
        for element in axis.elements:
            element_ids.append(element)
            axis_of.append(a)
            element_w.append((axis.element_weights or {}).get(element, 1.0))
    order = sorted(
        range(len(fw.indicators)),
        key=lambda i: (element_ids.index(fw.indicators[i].element), i),
    )
    inds = [fw.indicators[i] for i in order]
    element_of = np.array([element_ids.index(ind.element) for ind in inds], dtype=np.intp)
    element_starts = np.searchsorted(element_of, np.arange(len(element_ids))).astype(np.intp)
    axis_arr = np.array(axis_of, dtype=np.intp)
    axis_starts = np.searchsorted(axis_arr, np.arange(len(AXES))).astype(np.intp)
    raw_iw = np.array([ind.weight for ind in inds], dtype=np.float64)
    return CompiledFramework(
        framework=fw,
        element_ids=tuple(element_ids),
        axis_of_element=axis_arr,
        axis_starts=axis_starts,
        indicator_ids=tuple(ind.id for ind in inds),
        element_of=element_of,
        element_starts=element_starts,
        lower=np.array([ind.goalposts.lower for ind in inds], dtype=np.float64),
        upper=np.array([ind.goalposts.upper for ind in inds], dtype=np.float64),
        higher=np.array([ind.direction == "higher" for ind in inds], dtype=np.bool_),
        default_indicator_weights=normalise_groups(raw_iw, element_starts),
        default_element_weights=normalise_groups(
            np.array(element_w, dtype=np.float64), axis_starts
        ),
        domain_of=tuple(ind.domain for ind in inds),
    )
