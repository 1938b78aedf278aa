"""The HTML report stands alone (no network) and the PDF embeds the Chinese font."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest

from citybase.assess import charts
from citybase.assess.assessment import assess
from citybase.assess.framework import Framework
from citybase.assess.inputs import AssessmentSpec, request_from_spec
from citybase.assess.report import messages, render_html, render_pdf
from tests.assess.builders import random_values


@pytest.fixture(scope="module")
def result(fw: Framework) -> dict[str, Any]:
    peers = [
        {"code": f"P{i}", "name": f"同类城市{i}", "values": random_values(fw, 40 + i)}
        for i in range(3)
    ]
    spec = AssessmentSpec.model_validate(
        {
            "city": {"code": "demo", "name": "示范市"},
            "period": "2025",
            "values": random_values(fw, 9),
            "peers": peers,
            "robustness": {"draws": 300},
        }
    )
    return assess(request_from_spec(spec, base_dir=None, origin="t"), framework=fw)


def _earlier(result: dict[str, Any]) -> dict[str, Any]:
    prev = dict(result)
    prev["period"] = "2024"
    prev["axes"] = {a: v * 0.8 for a, v in result["axes"].items()}
    prev["index"] = result["index"] * 0.6
    return prev


def test_html_is_self_contained(fw: Framework, result: dict[str, Any]) -> None:
    html = render_html(result, fw, history=[_earlier(result)])
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html), "no external resources"
    assert html.count("<svg") == 5  # triangle, radar, barrel, trend, peers
    assert "城市数字化转型评估报告" in html and "示范市" in html
    assert "“1+N”实施路线图" in html and "木桶效应" in html
    assert "同类城市0" in html
    for element in ("数据", "业务", "技术", "运营", "安全", "文化", "机制", "生态"):
        assert element in html


def test_html_english(fw: Framework, result: dict[str, Any]) -> None:
    html = render_html(result, fw, locale="en")
    assert "City Digital Transformation Assessment Report" in html
    assert "The 1+N roadmap" in html and 'lang="en"' in html


def test_user_text_is_escaped(fw: Framework, result: dict[str, Any]) -> None:
    evil = dict(result)
    evil["city"] = {"code": "x", "name": "<script>alert(1)</script>"}
    html = render_html(evil, fw)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    svg = charts.peers_svg([("<b>x</b>", 0.5, True)])
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def _pdf_text(pdf: bytes) -> bytes:
    out = b""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(match.group(1))
        except zlib.error:
            continue
    return out


@pytest.mark.slow
def test_pdf_embeds_noto_sans_cjk(fw: Framework, result: dict[str, Any]) -> None:
    pdf = render_pdf(render_html(result, fw, history=[_earlier(result)]))
    assert pdf.startswith(b"%PDF-")
    objects = pdf + _pdf_text(pdf)
    fonts = set(re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-]+)", objects))
    assert any(b"Noto-Sans-CJK-SC" in f or b"NotoSansCJK" in f for f in fonts), fonts
    assert b"/FontFile" in objects  # embedded, not merely referenced


def test_messages_have_both_locales() -> None:
    zh, en = messages("zh-CN"), messages("en")
    assert set(zh) == set(en)
    assert messages("zh-TW") == zh  # falls back by language
