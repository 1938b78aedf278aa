"""In Chromium: the main pages work under the Content-Security-Policy (no violation reported),
and /api/docs and /api/redoc render the spec from vendored files, asking only 127.0.0.1."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from citybase.demo.accounts import DEMO_PASSWORD
from tests.web.conftest import LiveServer, login

pytestmark = pytest.mark.browser

PAGES = ["/", "/datahub", "/datahub/datasets/gaj-residents", "/assess", "/audit"]


def _watch_csp(page: Any) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def test_main_pages_work_under_the_csp(page: Any, demo_server: LiveServer) -> None:
    violations = _watch_csp(page)
    response = page.goto(demo_server.url + "/login")
    csp = response.headers["content-security-policy"]
    assert (
        "default-src 'self'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    login(page, demo_server, "admin", DEMO_PASSWORD)
    assert page.url.rstrip("/") == demo_server.url
    for path in PAGES:
        response = page.goto(demo_server.url + path)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
        assert "content-security-policy" in response.headers, path
        assert page.evaluate("typeof window.htmx") == "object", path  # vendored script ran
    assert violations == []
    # control: the listener does see a violation, so the empty list above means something
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected") is None
    assert violations, "an injected inline script must be refused and reported"


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/api/docs", ".opblock-summary-path[data-path='/api/health']"),
        ("/api/redoc", "text=Liveness and readiness: version, database reachability"),
    ],
)
def test_api_docs_render_from_local_files(
    page: Any, demo_server: LiveServer, path: str, rendered: str
) -> None:
    hosts: set[str] = set()

    def seen(request: Any) -> None:
        if not request.url.startswith(("data:", "blob:")):
            hosts.add(urlparse(request.url).hostname or request.url)

    page.on("request", seen)
    violations = _watch_csp(page)
    response = page.goto(demo_server.url + path)
    assert response.status == 200
    page.locator(rendered).first.wait_for(timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert hosts == {"127.0.0.1"}, f"{path} asked other hosts: {hosts}"
    assert violations == []
