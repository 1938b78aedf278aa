"""The top bar as each role sees it: one line, and only the citizen's own affairs for citizens."""

from __future__ import annotations

from typing import Any

import pytest

from citybase.demo.accounts import DEMO_PASSWORD
from tests.live import LiveServer, login

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_admins_top_bar_stays_on_one_line(
    page: Any, demo_server: LiveServer, lang: str
) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, demo_server, "admin", DEMO_PASSWORD)
    page.goto(demo_server.url + f"/?lang={lang}")
    height = page.eval_on_selector(".topbar", "el => el.getBoundingClientRect().height")
    assert height < 60, f"the top bar wraps ({height}px)"
    more = page.locator("[data-testid=nav-more]")
    assert more.count() == 1
    more.locator("summary").click()
    assert more.locator(".menu a").first.is_visible()


def test_a_citizen_sees_no_staff_tools(page: Any, demo_server: LiveServer) -> None:
    login(page, demo_server, "citizen", DEMO_PASSWORD)
    links = page.eval_on_selector_all("[data-nav]", "els => els.map(e => e.dataset.nav)")
    assert "tokens" not in links and "sharing" not in links
    response = page.goto(demo_server.url + "/sharing/queue")
    assert response is not None and response.status == 403
    assert "共享审核队列仅供" in page.inner_text("[data-testid=error-message]")
