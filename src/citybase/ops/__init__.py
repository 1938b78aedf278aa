"""一网统管: city event operations — intake, classification, dispatch, the closed loop on the
platform workflow, time limits, indicators (docs/ops.md)."""
