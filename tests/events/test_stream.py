"""The live event stream through a real uvicorn server: audience rules, reconnect with
Last-Event-ID, keep-alives, authentication."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from citybase.events import publish
from citybase.identity.enums import Role
from tests.events.helpers import CaseOpened, LiveDb, Recorder
from tests.events.sse import SseReader
from tests.factories import auth_headers, make_user
from tests.live import LiveServer


@dataclass
class People:
    admin: dict[str, str]
    cg: dict[str, str]
    other: dict[str, str]
    other_id: int


@pytest.fixture
def people(db: LiveDb) -> People:
    # made before the server (and its worker threads) start writing
    with db.sf() as s:
        admin = make_user(s, role=Role.platform_admin)
        cg = make_user(s, role=Role.officer, department_code="CG")
        other = make_user(s, role=Role.officer, department_code="ZZ")
        return People(auth_headers(s, admin), auth_headers(s, cg), auth_headers(s, other), other.id)


@pytest.fixture
def server(db: LiveDb, recorder: Recorder, people: People) -> Iterator[LiveServer]:
    srv = LiveServer(db.settings)
    srv.start()
    yield srv
    srv.stop()


def test_stream_carries_only_what_each_user_may_see(
    db: LiveDb, server: LiveServer, people: People
) -> None:
    h_admin, h_cg, h_other, other_id = people.admin, people.cg, people.other, people.other_id
    url = server.url + "/api/events/stream"
    r_admin = SseReader(url, h_admin, want=4).start()
    r_cg = SseReader(url, h_cg, want=2).start()
    r_other = SseReader(url, h_other, want=2).start()
    with db.sf() as s:
        e1 = publish(s, CaseOpened(case="for CG", audience_departments=["CG"]))
        e2 = publish(s, CaseOpened(case="for all", public=True))
        e3 = publish(s, CaseOpened(case="for one user", audience_users=[other_id]))
        e4 = publish(s, CaseOpened(case="admins only"))
        s.commit()
    assert r_admin.wait() and r_admin.ids() == [e1, e2, e3, e4]
    assert r_cg.wait() and r_cg.ids() == [e1, e2]
    assert r_other.wait() and r_other.ids() == [e2, e3]
    first = r_cg.events[0]
    assert first["event"] == "test.CaseOpened"
    assert first["data"]["data"] == {"case": "for CG"}
    assert first["data"]["type"] == "test.CaseOpened" and first["data"]["version"] == 1

    # reconnect after e1: the stream replays what came after it, still filtered
    again = SseReader(url, {**h_cg, "Last-Event-ID": str(e1)}, want=1).start()
    assert again.wait() and again.ids() == [e2]
    # the same through ?after= (what a page's first EventSource connection uses)
    by_query = SseReader(url + f"?after={e2}", h_other, want=1).start()
    assert by_query.wait() and by_query.ids() == [e3]


def test_idle_stream_sends_keepalives_and_needs_sign_in(server: LiveServer, people: People) -> None:
    headers = people.cg
    reader = SseReader(server.url + "/api/events/stream", headers, want=1).start()
    reader.wait(timeout=1.6)
    assert reader.events == []
    assert sum(c.startswith(": keep-alive") for c in reader.comments) >= 2
    r = httpx.get(server.url + "/api/events/stream", timeout=5)
    assert r.status_code == 401


PUBLISH_FROM_ANOTHER_PROCESS = """
import sys
from citybase.db import make_engine, make_session_factory
from citybase.events import publish
from citybase.jobs.events import JobProgress
sf = make_session_factory(make_engine(sys.argv[1]))
with sf() as s:
    publish(s, JobProgress(job_id=7, name="elsewhere", status="running", public=True))
    s.commit()
"""


def test_event_from_another_process_wakes_the_stream_through_notify(
    db: LiveDb, recorder: Recorder, people: People
) -> None:
    """On PostgreSQL a NOTIFY from the publishing process wakes this server's streams at once
    (keep-alive here is 30 s, so polling alone would not deliver in time)."""
    if db.backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    import os
    import subprocess
    import sys
    import time

    srv = LiveServer(db.settings.model_copy(update={"events_keepalive_seconds": 30.0}))
    srv.start()
    try:
        reader = SseReader(
            srv.url + "/api/events/stream", people.cg, want=1, only="jobs.JobProgress"
        ).start()
        subprocess.run(
            [
                sys.executable,
                "-c",
                PUBLISH_FROM_ANOTHER_PROCESS,
                db.settings.effective_database_url,
            ],
            check=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            timeout=60,
        )
        published = time.monotonic()
        events = reader.wait(timeout=10)
        assert [e["data"]["data"]["name"] for e in events] == ["elsewhere"]
        assert time.monotonic() - published < 5, "the stream waited for its poll"
    finally:
        srv.stop()
