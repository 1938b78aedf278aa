"""The issue's "done when" in Chromium on the demo city: the demo citizen finds 就业登记,
previews the evidence the city holds, submits with nothing to upload or type, gets the
instant, explained decision and a certificate that verifies; an officer handles a manual
case within its limit."""

from __future__ import annotations

from typing import Any

from citybase.demo.accounts import DEMO_PASSWORD
from tests.live import LiveServer, login


def test_citizen_applies_gets_instant_decision_and_certificate(
    page: Any, demo_server: LiveServer
) -> None:
    login(page, demo_server, "citizen", DEMO_PASSWORD)
    page.goto(demo_server.url + "/services?q=就业登记")
    page.click('[data-testid="item-RSJ-JYDJ-01"]')
    materials = page.inner_text('[data-testid="materials"]')
    assert materials.count("免于提交") == 2
    page.click('[data-testid="apply"]')
    page.wait_for_selector('[data-testid="preview-form"]')
    identity = page.inner_text('[data-testid="piece-identity"]')
    assert "gaj-residents" in identity and "出生日期" in identity
    assert "正常缴费" in page.inner_text('[data-testid="piece-insurance"]')
    page.check('[data-testid="agree-identity"]')
    page.check('[data-testid="agree-insurance"]')
    page.click('[data-testid="submit"]')
    page.wait_for_selector('[data-testid="decision"]')
    assert page.get_attribute('[data-testid="decision"]', "data-decision") == "approved"
    assert page.get_attribute('[data-testid="status"]', "data-status") == "delivered"
    assert page.get_attribute('[data-rule="working_age"]', "data-result") == "pass"
    assert "gaj-residents" in page.inner_text('[data-testid="trace"]')
    assert page.inner_text('[data-testid="asked"]').startswith("0 /")
    page.click('[data-testid="certificate-link"]')
    page.wait_for_selector('[data-testid="qr"] svg')
    token = page.input_value('[data-testid="token"]')
    assert token.startswith("ecert1.")
    page.goto(demo_server.url + "/services/verify")
    page.fill('[data-testid="verify-token"]', token)
    page.click('[data-testid="verify"]')
    page.wait_for_selector('[data-testid="verify-result"]')
    assert page.get_attribute('[data-testid="verify-result"]', "data-valid") == "true"
    page.fill(
        '[data-testid="verify-token"]', token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    )
    page.click('[data-testid="verify"]')
    page.wait_for_selector('[data-testid="verify-result"]')
    assert page.get_attribute('[data-testid="verify-result"]', "data-valid") == "false"


def test_officer_accepts_and_decides_a_manual_case(page: Any, demo_server: LiveServer) -> None:
    login(page, demo_server, "zjj_officer", DEMO_PASSWORD)
    page.goto(demo_server.url + "/services/staff?status=submitted")
    page.wait_for_selector('[data-testid="queue"]')
    link = page.locator('[data-testid="queue"] a').first
    link.click()
    page.wait_for_selector('[data-testid="trace"]')
    page.click('[data-testid="act-accept"]')
    page.wait_for_selector('[data-testid="due"]')
    assert page.get_attribute('[data-testid="status"]', "data-status") == "review"
    assert page.get_attribute('[data-testid="due"]', "data-limit") in ("on_time", "warning")
    page.fill('[data-testid="reason-approve"]', "经审核符合公共租赁住房保障条件")
    page.click('[data-testid="act-approve"]')
    page.wait_for_selector('[data-testid="decision"]')
    assert page.get_attribute('[data-testid="decision"]', "data-decision") == "approved"
    assert page.get_attribute('[data-testid="status"]', "data-status") == "delivered"
