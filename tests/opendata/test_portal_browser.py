"""A visitor without an account finds, previews and downloads open data in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_anonymous_visitor_browses_the_demo_portal(page: Any, demo_server: LiveServer) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(demo_server.url + "/login")
    page.click("[data-testid=portal-link]")
    assert page.url.endswith("/open")
    hits = page.locator("[data-testid=portal-hit]")
    assert hits.count() >= 3
    listed = page.eval_on_selector_all(
        "[data-testid=portal-hit]", "els => els.map(e => e.dataset.name)"
    )
    assert "gaj-residents" not in listed  # closed datasets never appear

    page.fill("[data-testid=portal-search]", "公交")
    page.press("[data-testid=portal-search]", "Enter")
    page.wait_for_load_state("networkidle")
    names = page.eval_on_selector_all(
        "[data-testid=portal-hit]", "els => els.map(e => e.dataset.name)"
    )
    assert "jtj-bus-stops" in names

    page.click("[data-testid=portal-hit][data-name=jtj-bus-stops] h2 a")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=portal-schema] tbody tr").count() >= 3
    assert page.locator("[data-testid=portal-preview] tbody tr").count() >= 1
    licence = page.locator("[data-testid=portal-licence] a")
    with page.expect_download() as download:
        page.click("[data-testid=portal-downloads] a[data-format=csv]")
    assert download.value.suggested_filename.endswith(".csv")
    licence.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=licence-open]").inner_text().startswith("是")
    assert errors == []
