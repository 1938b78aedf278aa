"""docs/assess.md's worked example must match what the engine computes."""

from __future__ import annotations

from pathlib import Path

from citybase.assess.assessment import assess
from citybase.assess.inputs import load_request

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "assess.md"
EXAMPLE = ROOT / "src/citybase/assess/data/examples/example_city.yaml"


def test_worked_example_numbers_are_the_engines() -> None:
    request = load_request(EXAMPLE)
    request.spec.robustness = None
    r = assess(request)
    text = DOC.read_text(encoding="utf-8")
    e = r["elements"]
    shown = {
        "data element": e["data"],
        "technology": e["technology"],
        "security": e["security"],
        "business": e["business"],
        "operations": e["operations"],
        "culture": e["culture"],
        "mechanism": e["mechanism"],
        "ecosystem": e["ecosystem"],
        "T": r["axes"]["T"],
        "B": r["axes"]["B"],
        "E": r["axes"]["E"],
        "A": r["triangle_area"],
        "I": r["index"],
        "sqrt I": r["sqrt_index"],
        "geometric mean": r["balance"]["geometric_mean"],
        "barrel ratio": r["balance"]["barrel_ratio"],
        "operations shortfall": r["barrel"]["overall"]["staves"][0]["shortfall"],
    }
    for label, value in shown.items():
        assert f"**{value:g}**" in text, f"{label} = {value} not in docs/assess.md"
    assert r["barrel"]["overall"]["shortest"] == ["operations", "business", "ecosystem"]
    assert r["phase"]["current"] == "short" and r["phase"]["next"] == "mid"
    mid = next(p for p in r["roadmap"]["phases"] if p["id"] == "mid")
    item = next(i for i in mid["common"] if i["action"] == "data_sharing_service_sla")
    assert f"**{item['priority']:g}**" in text
    hotline = r["indicators"]["hotline_response_hours"]
    assert hotline["value"] == 43.9 and hotline["entered_as"] == "2634 min"


def test_every_api_route_is_documented() -> None:
    from citybase.assess.router import router

    text = DOC.read_text(encoding="utf-8")
    for route in router.routes:
        path = getattr(route, "path", "")
        tail = path.removeprefix("/api/assess")
        first = "/" + tail.strip("/").split("/")[0]
        assert first in text, f"{path} is not documented in docs/assess.md"
