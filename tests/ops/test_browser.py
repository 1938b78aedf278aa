"""The closed loop in headless Chromium on a live server and a small seeded city (the box
city of tests/geo, the demo departments, one account per role; dispatch by hand):

a citizen reports on the map → a call-taker takes a hotline call about the same thing
(keyboard only, caller lookup, category suggestion, located grid, duplicate warning) → the
dispatcher dispatches it and merges the citizen's report into it → the department officer
accepts and handles it → the grid worker verifies → the dispatcher closes and replies →
the citizen sees the status and the reply on "my reports". No console errors on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citybase.identity.enums import Role
from citybase.ops.settings import get_ops_settings
from tests.events.helpers import LiveDb, live_db
from tests.factories import PASSWORD, make_user
from tests.live import LiveServer, login
from tests.ops.conftest import build_city

pytestmark = pytest.mark.browser

TEXT = "小区门口垃圾桶满了好几天没人清运"
PEOPLE = {
    "citizen": (Role.applicant, None),
    "taker": (Role.call_taker, "ZSJ"),
    "dispatch": (Role.dispatcher, "ZSJ"),
    "cgj": (Role.officer, "CGJ"),
    "grid": (Role.grid_worker, "CGJ"),
}


@pytest.fixture
def city(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveDb]:
    monkeypatch.setenv("CITYBASE_OPS_AUTO_DISPATCH", "false")
    get_ops_settings.cache_clear()
    for db in live_db(backend, tmp_path):
        with db.sf() as s:
            build_city(s)
            for name, (role, dept) in PEOPLE.items():
                make_user(s, role=role, department_code=dept, username=f"{name}_{backend}")
            s.commit()
        yield db
    get_ops_settings.cache_clear()


class Person:
    """One browser context per person, collecting console errors and failed page loads."""

    def __init__(self, browser: Any, server: LiveServer, username: str) -> None:
        self.context = browser.new_context(locale="zh-CN")
        # The platform serves no favicon; Chromium's own request for it is not the pages'.
        self.context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else 0,
        )
        self.server = server
        login(self.page, server, username, PASSWORD)

    def go(self, path: str) -> Any:
        self.page.goto(self.server.url + path)
        self.page.wait_for_load_state("networkidle")
        return self.page


def click_grid(page: Any, code: str) -> None:
    page.click(f'[data-testid=pick-map] path.grid[data-code="{code}"]')


def test_the_loop_in_chromium(city: LiveDb, browser: Any, backend: str) -> None:
    server = LiveServer(city.settings)
    server.start()
    people: dict[str, Person] = {}
    try:
        for name in PEOPLE:
            people[name] = Person(browser, server, f"{name}_{backend}")
        # A citizen reports on the map.
        pg = people["citizen"].go("/ops/report")
        pg.fill("[data-testid=text]", TEXT)
        click_grid(pg, "D1-S1-G1")
        assert pg.input_value("[data-testid=lon]") != ""
        pg.click("[data-testid=submit]")
        pg.wait_for_selector("[data-testid=sent]")
        web_case = int(pg.get_attribute("[data-testid=my-report]", "data-case") or 0)

        # The call-taker: keyboard entry from the autofocused phone field.
        pg = people["taker"].go("/ops/intake")
        pg.keyboard.type("13812345678")
        pg.keyboard.press("Tab")
        pg.keyboard.type("王芳")
        pg.keyboard.press("Tab")
        pg.keyboard.type(TEXT + "，很臭")
        pg.wait_for_selector("[data-testid=caller-new]")
        pg.wait_for_selector("[data-testid=suggestion]")
        assert "环境卫生" in pg.text_content("[data-testid=suggestion]")
        click_grid(pg, "D1-S1-G1")
        pg.wait_for_selector("[data-testid=located]:has-text('D1-S1-G1')")
        pg.wait_for_selector("[data-testid=duplicates]")
        assert f"#{web_case}" in pg.text_content("[data-testid=duplicates]")
        pg.click("[data-pick-category=SANITATION]")
        assert pg.input_value("[data-testid=category]") == "SANITATION"
        pg.focus("[data-testid=text]")
        pg.keyboard.press("Enter")  # Enter submits
        pg.wait_for_selector("[data-testid=intake-done]")
        case = int(pg.get_attribute("[data-testid=intake-done]", "data-case") or 0)
        assert case and case != web_case

        # The dispatcher: bulk-dispatch the call by the rules, merge the citizen's report.
        pg = people["dispatch"].go("/ops/queue")
        pg.check(f"[data-testid=pick-{case}]")
        pg.click("[data-testid=bulk-dispatch]")
        pg.wait_for_selector("[data-testid=dispatched]")
        assert pg.get_attribute(f"[data-testid=queue-row][data-case='{case}']",
                                "data-status") == "dispatched"  # fmt: skip
        pg = people["dispatch"].go(f"/ops/cases/{web_case}")
        pg.fill("[data-testid=merge-into]", str(case))
        pg.click("[data-testid=merge]")
        pg.wait_for_url(f"**/ops/cases/{case}")

        # The department officer accepts and handles it.
        pg = people["cgj"].go(f"/ops/cases/{case}")
        pg.click("[data-testid=do-accept]")
        pg.wait_for_selector("[data-testid=case-status][data-status=processing]")
        pg.fill("[data-testid=result]", "已清运垃圾并消毒")
        pg.click("[data-testid=do-handle]")
        pg.wait_for_selector("[data-testid=case-status][data-status=handled]")

        # The grid worker verifies on site (narrow screen).
        people["grid"].page.set_viewport_size({"width": 390, "height": 800})
        pg = people["grid"].go("/ops/patrol")
        pg.click(f"[data-testid=confirm-{case}]")
        pg.wait_for_selector("[data-testid=verify-tasks]")
        assert pg.query_selector(f"[data-testid=confirm-{case}]") is None

        # The dispatcher closes and replies.
        pg = people["dispatch"].go(f"/ops/cases/{case}")
        pg.click("[data-testid=do-close]")
        pg.wait_for_selector("[data-testid=case-status][data-status=closed]")
        pg.fill("[data-testid=reply-text]", "垃圾已清运完毕，感谢您的反映")
        pg.click("[data-testid=reply]")
        pg.wait_for_selector("[data-testid=note-reply]")
        actions = pg.eval_on_selector_all(
            "[data-testid=history] tr", "rows => rows.map(r => r.dataset.action)"
        )
        assert actions == ["start", "register", "dispatch", "accept", "handle", "confirm", "close"]

        # The citizen sees the status and the reply.
        pg = people["citizen"].go("/ops/my")
        mine = pg.locator(f"[data-testid=my-report][data-case='{case}']")
        assert mine.get_attribute("data-status") == "closed"
        assert "已结案" in mine.locator("[data-testid=my-status]").text_content()
        assert "垃圾已清运完毕" in mine.locator("[data-testid=my-reply]").text_content()
        errors = {name: p.errors for name, p in people.items() if p.errors}
        assert errors == {}
    finally:
        for p in people.values():
            p.context.close()
        server.stop()
