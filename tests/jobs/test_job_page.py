"""The job page in a real browser: the percentage moves live (server-sent events from the
in-process worker), then the page shows the result."""

from __future__ import annotations

import threading
import time
from typing import Any

from citybase.identity.enums import Role
from citybase.jobs import JobContext, enqueue, job
from tests.events.helpers import LiveDb
from tests.factories import PASSWORD, make_user
from tests.live import LiveServer, login

GO = threading.Event()


@job("test.steps", max_attempts=1)
def steps(ctx: JobContext, *, n: int) -> dict[str, Any]:
    assert GO.wait(20)
    for i in range(1, n + 1):
        time.sleep(0.3)
        ctx._last = 0.0  # report every step
        ctx.progress(i, n, f"step {i} of {n}")
    return {"url": "/datahub"}


def test_job_page_shows_live_percentage_then_the_result(db: LiveDb, page: Any) -> None:
    GO.clear()
    with db.sf() as s:
        user = make_user(s, role=Role.officer, department_code="CG")
        job_id = enqueue(s, "test.steps", {"n": 8}, owner_id=user.id)
        s.commit()
    server = LiveServer(db.settings)  # in-process worker and dispatcher threads
    server.start()
    try:
        login(page, server, user.username, PASSWORD)
        page.goto(f"{server.url}/jobs/{job_id}")
        assert page.get_attribute("#job", "data-status") in ("queued", "running")
        GO.set()
        page.wait_for_function(
            "() => /^[1-9][0-9]?%$/.test("
            "document.querySelector('[data-testid=job-percent]').textContent.trim())",
            timeout=15000,
        )
        partial = page.text_content("[data-testid=job-percent]")
        assert partial is not None and partial.strip() != "100%"
        page.wait_for_selector("#job[data-status=succeeded]", timeout=20000)
        assert page.text_content("[data-testid=job-percent]").strip() == "100%"
        assert page.get_attribute("[data-testid=job-result] a", "href") == "/datahub"
    finally:
        GO.set()
        server.stop()
