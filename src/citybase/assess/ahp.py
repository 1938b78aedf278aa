"""The analytic hierarchy process (Saaty): principal-eigenvector weights and consistency.

Cells are validated (positive, reciprocal, unit diagonal, within Saaty's 1/9…9 scale) and a
consistency ratio CR = CI / RI(n) of 0.1 or more is refused, naming the judgement furthest
from what the others imply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from citybase.assess.framework import FloatArray
from citybase.errors import ValidationFailed

#: Saaty's random consistency index RI(n) (Saaty 1980, n = 1..15).
SAATY_RI: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}
CR_LIMIT = 0.1


@dataclass(frozen=True)
class AhpResult:
    labels: tuple[str, ...]
    weights: FloatArray
    lambda_max: float
    ci: float
    ri: float
    cr: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "weights": [round(float(w), 6) for w in self.weights],
            "lambda_max": round(self.lambda_max, 6),
            "ci": round(self.ci, 6),
            "ri": self.ri,
            "cr": round(self.cr, 6),
        }


def _cell_value(value: object, where: str) -> float:
    if isinstance(value, bool):
        raise ValidationFailed(
            f"{where} must be a number like 3 or '1/3', not {value}.", field=where
        )
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            raise ValidationFailed(
                f"{where} = '{value}' is not a number; write 3, 0.5 or '1/3'.", field=where
            ) from None
    else:
        raise ValidationFailed(f"{where} must be a number like 3 or '1/3'.", field=where)
    if not math.isfinite(number) or number <= 0:
        raise ValidationFailed(f"{where} = {value} must be a positive number.", field=where)
    return number


def parse_pairwise(matrix: object, labels: tuple[str, ...], where: str) -> FloatArray:
    """Validate a pairwise matrix: square, positive, unit diagonal, reciprocal, within 1/9..9."""
    n = len(labels)
    if not isinstance(matrix, list) or len(matrix) != n:
        raise ValidationFailed(
            f"{where}: expected a {n}×{n} matrix over ({', '.join(labels)}), one row per item.",
            field=where,
        )
    out = np.ones((n, n), dtype=np.float64)
    for i, row in enumerate(matrix):
        if not isinstance(row, list) or len(row) != n:
            raise ValidationFailed(
                f"{where}: row {i + 1} ({labels[i]}) must have {n} entries.", field=where
            )
        for j, value in enumerate(row):
            out[i, j] = _cell_value(value, f"{where}[{labels[i]}, {labels[j]}]")
    for i in range(n):
        if abs(out[i, i] - 1.0) > 1e-9:
            cell = f"{where}[{labels[i]}, {labels[i]}]"
            raise ValidationFailed(f"{cell} = {out[i, i]:g}; the diagonal must be 1.", field=cell)
        for j in range(n):
            cell = f"{where}[{labels[i]}, {labels[j]}]"
            if not (1 / 9 - 1e-6 <= out[i, j] <= 9 + 1e-6):
                raise ValidationFailed(
                    f"{cell} = {out[i, j]:g} is outside Saaty's scale 1/9 … 9.", field=cell
                )
            if j > i and abs(out[i, j] * out[j, i] - 1.0) > 0.02:
                raise ValidationFailed(
                    f"{cell} = {out[i, j]:g} but [{labels[j]}, {labels[i]}] = {out[j, i]:g}; "
                    f"they must be reciprocals (set the second to 1/{out[i, j]:g}).",
                    field=cell,
                )
    return out


def ahp(matrix: FloatArray, labels: tuple[str, ...], *, where: str = "matrix") -> AhpResult:
    """Saaty's principal-eigenvector weights; refuses a consistency ratio of 0.1 or more."""
    n = matrix.shape[0]
    if n not in SAATY_RI:
        raise ValidationFailed(
            f"{where}: {n} items; Saaty's random index is published for 1–15 items only — "
            "split the comparison into smaller groups.",
            field=where,
        )
    eigenvalues, eigenvectors = np.linalg.eig(matrix)
    k = int(np.argmax(eigenvalues.real))
    lam = float(eigenvalues[k].real)
    vec = np.abs(eigenvectors[:, k].real)
    weights = np.asarray(vec / vec.sum(), dtype=np.float64)
    ri = SAATY_RI[n]
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    cr = ci / ri if ri > 0 else 0.0
    result = AhpResult(labels, weights, lam, max(ci, 0.0), ri, max(cr, 0.0))
    if cr >= CR_LIMIT:
        raise ValidationFailed(_inconsistency_message(matrix, result, where), field=where)
    return result


def _inconsistency_message(matrix: FloatArray, res: AhpResult, where: str) -> str:
    w = res.weights
    implied = w[:, None] / w[None, :]
    deviation = np.abs(np.log(matrix / implied))
    i, j = np.unravel_index(int(np.argmax(np.triu(deviation, 1))), matrix.shape)
    a, b = res.labels[int(i)], res.labels[int(j)]
    return (
        f"{where}: the pairwise judgements are too inconsistent to derive weights "
        f"(consistency ratio CR = {res.cr:.3f} ≥ {CR_LIMIT}; λmax = {res.lambda_max:.3f}, "
        f"CI = (λmax − n)/(n − 1) = {res.ci:.3f}, Saaty's RI({len(w)}) = {res.ri}). "
        f"The judgement furthest from the weights it implies is cell [{a}, {b}] = "
        f"{matrix[i, j]:g}, where the other judgements suggest about {implied[i, j]:.2g}. "
        "Revise that cell (and its reciprocal), or the cells that contradict it, and run again."
    )
