"""Alarm rule kinds as pure functions: what counts as a breach, what counts as normal.

Shared by the live engine (state kept in ``sensing_rule_state``) and the dry run (state in
memory), so "how often would this have fired last month?" replays exactly what live would do.

- threshold — params ``above`` and/or ``below``; hysteresis ``clear_below`` (default
  ``above``) and ``clear_above`` (default ``below``). Breach: value > above or < below;
  normal again: value ≤ clear_below and ≥ clear_above; in between nothing changes.
- rate_of_change — ``max_per_minute``: breach when abs(Δvalue)/Δminutes exceeds it.
- out_of_range — ``min``, ``max``, the sensor's physical range: outside is a sensor fault.
- no_data — ``minutes``: nothing arrived for that long (checked every minute); a value
  arriving clears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from citybase.errors import ValidationFailed

KINDS = ("threshold", "rate_of_change", "no_data", "out_of_range")
PARAMS = {
    "threshold": {"above", "below", "clear_above", "clear_below"},
    "rate_of_change": {"max_per_minute"},
    "out_of_range": {"min", "max"},
    "no_data": {"minutes"},
}
LABEL_ZH = {
    "threshold": "超过阈值",
    "rate_of_change": "变化过快",
    "out_of_range": "超出量程（传感器故障）",
    "no_data": "长时间无数据",
}


def check_params(kind: str, params: Any) -> dict[str, float]:
    if kind not in KINDS:
        raise ValidationFailed(
            f"kind must be one of {', '.join(KINDS)}, got {kind!r}.", field="kind"
        )
    if not isinstance(params, dict):
        raise ValidationFailed("params must be an object.", field="params")
    unknown = set(params) - PARAMS[kind]
    if unknown:
        raise ValidationFailed(
            f"params.{sorted(unknown)[0]}: not a parameter of {kind} "
            f"(allowed: {', '.join(sorted(PARAMS[kind]))}).",
            field=f"params.{sorted(unknown)[0]}",
        )
    out: dict[str, float] = {}
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationFailed(f"params.{key} must be a number.", field=f"params.{key}")
        out[key] = float(value)
    need = {"threshold": None, "rate_of_change": "max_per_minute", "no_data": "minutes"}
    if kind == "threshold" and not ({"above", "below"} & set(out)):
        raise ValidationFailed(
            "a threshold needs params.above or params.below.", field="params.above"
        )
    if kind == "out_of_range" and not ({"min", "max"} <= set(out)):
        raise ValidationFailed("out_of_range needs params.min and params.max.", field="params.min")
    key = need.get(kind)
    if key and key not in out:
        raise ValidationFailed(f"{kind} needs params.{key}.", field=f"params.{key}")
    if "above" in out and out.get("clear_below", out["above"]) > out["above"]:
        raise ValidationFailed(
            "params.clear_below must not exceed params.above.", field="params.clear_below"
        )
    if "below" in out and out.get("clear_above", out["below"]) < out["below"]:
        raise ValidationFailed(
            "params.clear_above must not be below params.below.", field="params.clear_above"
        )
    return out


def classify(
    kind: str,
    p: dict[str, float],
    value: float,
    at_ms: int,
    last_value: float | None,
    last_ms: int | None,
    active: bool,
) -> bool | None:
    """True: a breach; False: normal; None: in the hysteresis band (no change)."""
    if kind == "threshold":
        if ("above" in p and value > p["above"]) or ("below" in p and value < p["below"]):
            return True
        high_ok = "above" not in p or value <= p.get("clear_below", p["above"])
        low_ok = "below" not in p or value >= p.get("clear_above", p["below"])
        return False if (high_ok and low_ok) or not active else None
    if kind == "out_of_range":
        return value < p["min"] or value > p["max"]
    if kind == "rate_of_change":
        if last_value is None or last_ms is None or at_ms <= last_ms:
            return False if last_ms is None or at_ms != last_ms else None
        per_minute = abs(value - last_value) / ((at_ms - last_ms) / 60_000)
        return per_minute > p["max_per_minute"]
    return False  # no_data: any value is "data again"


@dataclass
class Machine:
    """Debounce: ``debounce`` consecutive breaches raise, as many normals clear."""

    debounce: int
    breaches: int = 0
    normals: int = 0
    active: bool = False

    def step(self, verdict: bool | None) -> str | None:
        """'raise', 'repeat', 'clear' or None."""
        if verdict is None:
            return None
        if verdict:
            self.breaches += 1
            self.normals = 0
            if not self.active and self.breaches >= self.debounce:
                self.active = True
                return "raise"
            return "repeat" if self.active else None
        self.normals += 1
        self.breaches = 0
        if self.active and self.normals >= self.debounce:
            self.active = False
            return "clear"
        return None
