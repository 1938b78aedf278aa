"""What a person sees in Chromium: signing in as each demo role, the audit page, errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from citybase.demo.accounts import DEMO_PASSWORD, demo_accounts
from tests.web.conftest import LiveServer, login

pytestmark = pytest.mark.browser

ADMIN_ONLY = {"users", "audit"}


@pytest.mark.parametrize("account", demo_accounts(), ids=lambda a: a.username)
def test_each_demo_role_sees_its_modules(page: Any, demo_server: LiveServer, account: Any) -> None:
    login(page, demo_server, account.username, DEMO_PASSWORD)
    assert page.url.rstrip("/") == demo_server.url
    assert account.display_name in page.inner_text("[data-testid=current-user]")
    modules = set(
        page.eval_on_selector_all("[data-module]", "els => els.map(e => e.dataset.module)")
    )
    assert "departments" in modules
    if account.role in ("platform_admin", "dept_admin"):
        assert modules >= ADMIN_ONLY
    else:
        assert not (ADMIN_ONLY & modules), f"{account.role} must not see {ADMIN_ONLY & modules}"
        # and the page itself is refused, not just hidden
        page.goto(demo_server.url + "/audit")
        assert "出错了" in page.content()


def test_admin_sees_an_intact_audit_chain(page: Any, demo_server: LiveServer) -> None:
    login(page, demo_server, "admin", DEMO_PASSWORD)
    page.goto(demo_server.url + "/audit")
    assert "哈希链完整" in page.inner_text("[data-testid=chain-status]")
    rows = page.locator("[data-testid=audit] tbody tr")
    assert rows.count() > 10


def test_wrong_password_shows_message(page: Any, demo_server: LiveServer) -> None:
    login(page, demo_server, "admin", "not-the-password")
    assert "用户名或密码错误" in page.inner_text("[data-testid=login-error]")


def test_english_switch_and_token_issue(page: Any, demo_server: LiveServer) -> None:
    login(page, demo_server, "analyst", DEMO_PASSWORD)
    page.goto(demo_server.url + "/tokens?lang=en")
    page.fill("input[name=name]", "my script")
    page.click("button.primary")
    token = page.inner_text("[data-testid=issued-token]")
    assert token.startswith("cb_")
    me = httpx.get(demo_server.url + "/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "analyst"
    assert "Sign out" in page.content()


def test_screenshot_of_home(page: Any, demo_server: LiveServer, tmp_path: Any) -> None:
    login(page, demo_server, "admin", DEMO_PASSWORD)
    shot = tmp_path / "home.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
