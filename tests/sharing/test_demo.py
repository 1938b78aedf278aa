"""The demo city's sharing (the issue's "done when"): 数据局 was granted the residents
registry and the social-insurance register, read pseudonymised IDs that join across both,
and the demo citizen sees those reads; a steward approves a new request in Chromium."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from citybase.demo.accounts import DEMO_PASSWORD
from tests.factories import login_csrf_token
from tests.web.conftest import LiveServer, login


@contextmanager
def _client(server: LiveServer, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        r = client.post(
            "/login",
            data={
                "username": username,
                "password": DEMO_PASSWORD,
                "next": "/",
                "csrf_token": login_csrf_token(client),
            },
            headers={"Accept": "text/html"},
        )
        assert r.status_code in (200, 303), r.text
        yield client


def test_demo_grants_join_and_the_citizen_sees_the_reads(demo_server: LiveServer) -> None:
    with _client(demo_server, "zsj_steward") as zsj:
        requests = zsj.get("/api/sharing/requests").json()
        granted = {r["dataset"] for r in requests if r["status"] == "granted"}
        assert {"gaj-residents", "rsj-social-insurance"} <= granted
        people = zsj.get("/api/datahub/datasets/gaj-residents/rows", params={"limit": 2000})
        assert people.status_code == 200
        ids = {r["id_number"] for r in people.json()["rows"]}
        assert all(i.startswith("k1:") for i in ids)
        download = zsj.get(
            "/api/datahub/datasets/rsj-social-insurance/download", params={"format": "parquet"}
        )
        insured = set(
            pq.read_table(io.BytesIO(download.content)).column("公民身份号码").to_pylist()
        )
        assert ids & insured, "the same person must get the same pseudonym in both datasets"
    with _client(demo_server, "citizen") as citizen:
        tracker = citizen.get("/api/sharing/tracker/me").json()
        read = {(e["dataset"], e["department"]) for e in tracker["entries"] if e["grant_id"]}
        assert {("gaj-residents", "ZSJ"), ("rsj-social-insurance", "ZSJ")} <= read
        assert all(e["purpose"] for e in tracker["entries"])
    with _client(demo_server, "rsj_steward") as rsj:
        decided = rsj.get("/api/sharing/requests", params={"box": "incoming"}).json()
        assert any(r["status"] == "rejected" and r["decision_reason"] for r in decided)


@pytest.mark.browser
def test_a_steward_approves_a_request_in_the_browser(page: Any, demo_server: LiveServer) -> None:
    until = (dt.date.today() + dt.timedelta(days=180)).isoformat()
    login(page, demo_server, "cgj_officer", DEMO_PASSWORD)
    page.goto(demo_server.url + "/sharing/requests/new?dataset=gaj-residents")
    page.fill("textarea[name=purpose]", "占道经营执法：核对当事人户籍信息")
    page.fill("input[name=legal_basis]", "《城市市容和环境卫生管理条例》")
    page.fill("input[name=valid_until]", until)
    page.click("[data-testid=request-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("[data-testid=status]", "data-status") == "pending"
    request_url = page.url
    page.context.clear_cookies()
    login(page, demo_server, "gaj_steward", DEMO_PASSWORD)
    page.goto(demo_server.url + "/sharing/queue")
    page.click(f"[data-testid=queue-item]:text-is('{request_url.rsplit('/', 1)[1]}')")
    page.wait_for_load_state("networkidle")
    page.fill("[data-testid=approve-reason]", "执法需要，身份证号假名化、姓名掩码后提供")
    page.click("[data-testid=approve]")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("[data-testid=state]", "data-state") == "active"
    assert "gaj-residents" in page.inner_text("[data-testid=grant]")
    page.context.clear_cookies()
    login(page, demo_server, "cgj_officer", DEMO_PASSWORD)
    page.goto(request_url)
    assert page.get_attribute("[data-testid=status]", "data-status") == "granted"
