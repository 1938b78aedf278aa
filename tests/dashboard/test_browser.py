"""The screen in headless Chromium against live uvicorn servers: the demo city's wall at
1920×1080 and 1366×768 (screenshots in the test run's tmp dir), no console errors, no request
to any other host, a third-party widget on the screen, and an event published through the
platform reaching the screen within 2 s — also after the connection dropped."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from citybase.demo.accounts import DEMO_PASSWORD
from citybase.events import publish
from citybase.identity.enums import Role
from tests.dashboard.helpers import (
    PARKING_LAYOUT,
    ParkingPlugin,
    SpaceTaken,
    small_city,
    write_layouts,
)
from tests.events.helpers import LiveDb, live_db
from tests.factories import PASSWORD, make_user
from tests.live import LiveServer, login


class Watch:
    """Every request the page makes and every console error it logs."""

    def __init__(self, page: Any, server: LiveServer) -> None:
        self.origin = urlparse(server.url).netloc
        self.foreign: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on(
            "console",
            lambda m: m.type == "error" and self.errors.append(f"{m.text} at {m.location}"),
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"))

    def _request(self, request: Any) -> None:
        url = urlparse(request.url)
        if url.scheme in ("data", "blob"):
            return
        if url.netloc != self.origin:
            self.foreign.append(request.url)

    def check(self) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.errors == [], f"console errors: {self.errors}"


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-testid=dash-live][data-state=live]", timeout=10_000)
    page.wait_for_selector("body[data-updated]", timeout=10_000)


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=["1920", "1366"])
def test_the_demo_citys_wall(
    page: Any, demo_server: LiveServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(page, demo_server, "admin", DEMO_PASSWORD)
    watch = Watch(page, demo_server)
    _open(page, demo_server.url + "/dashboard")
    assert page.url.endswith("/dashboard/city")
    page.wait_for_selector("[data-testid='widget-geo.city_map'] canvas", timeout=10_000)
    assert page.inner_text("[data-testid=dash-title]") == "示范市城市运行一屏总览"
    # with ops installed the wall's figures are the city's cases (the demo has open ones)
    open_cases = page.inner_text("[data-testid='value-ops.cases_open']")
    assert int("".join(ch for ch in open_cases if ch.isdigit()) or 0) > 0
    # every widget fits the screen: no scrolling, no tile cut off at the bottom
    grid = page.eval_on_selector("[data-testid=dash-grid]", "e => e.getBoundingClientRect()")
    assert grid["bottom"] <= size[1] + 1
    assert page.evaluate("document.documentElement.scrollHeight") <= size[1] + 1
    shot = tmp_path / f"dashboard-city-{size[0]}x{size[1]}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 50_000
    watch.check()


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[LiveDb]:
    yield from live_db(backend, tmp_path)


@pytest.fixture
def parking_server(db: LiveDb, parking: ParkingPlugin, tmp_path: Path) -> Iterator[LiveServer]:
    with db.sf() as s:
        small_city(s)
        make_user(s, role=Role.platform_admin, username="wall")
    folder = write_layouts(tmp_path / "layouts", parking=PARKING_LAYOUT)
    srv = LiveServer(db.settings.model_copy(update={"dashboard_layout_dir": folder}))
    srv.start()
    yield srv
    srv.stop()


def _take(db: LiveDb, parking: ParkingPlugin, lot: str) -> float:
    """The plug-in records a space taken and publishes its event in one transaction."""
    now = dt.datetime.now(dt.UTC)
    with db.sf() as s:
        parking.take(lot, 118.005, 32.01, now.isoformat())
        publish(s, SpaceTaken(lot=lot, lon=118.005, lat=32.01, public=True))
        s.commit()
    return time.monotonic()


def _shows(page: Any, n: int, timeout_ms: float) -> None:
    page.wait_for_function(
        "n => { const v = document.querySelector(\"[data-testid='value-parking.spaces_taken']\");"
        " return v && v.textContent.trim().startsWith(String(n)); }",
        arg=n,
        timeout=timeout_ms,
    )


def test_a_third_party_widget_updates_live_within_two_seconds(
    page: Any, db: LiveDb, parking: ParkingPlugin, parking_server: LiveServer, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, parking_server, "wall", PASSWORD)
    watch = Watch(page, parking_server)  # the screen's own requests, from here on
    _open(page, parking_server.url + "/dashboard/parking")
    assert page.inner_text("[data-testid='widget-parking.spaces_taken'] h2") == "今日停车"
    _shows(page, 0, 2000)
    assert page.inner_text("[data-testid='value-parking.lots']").startswith("3")

    started = _take(db, parking, "P1")
    _shows(page, 1, 2000)
    assert time.monotonic() - started < 2.0
    canvas = "[data-testid='widget-geo.city_map'] .map-canvas"
    page.wait_for_function(
        "s => document.querySelector(s).getAttribute('data-points') === '1'",
        arg=canvas,
        timeout=2000,
    )
    page.screenshot(path=str(tmp_path / "dashboard-parking-1920x1080.png"))

    # the stream is lost (as when the server restarts): the page reopens it after the last
    # event it saw, and an event published meanwhile still arrives
    page.evaluate("window.citybaseDashboard.source.close()")
    _take(db, parking, "P2")
    _shows(page, 2, 4000)
    assert page.evaluate("window.citybaseDashboard.reconnects") == 1

    watch.check()
    # the tile opens its work page in the same session
    page.click("[data-testid='widget-parking.spaces_taken']")
    page.wait_for_url("**/geo")
    assert "/login" not in page.url
