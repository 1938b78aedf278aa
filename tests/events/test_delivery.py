"""Publishing in the caller's transaction, delivery after commit, retries, failures."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from citybase.audit.models import AuditRecord
from citybase.cli import app as cli_app
from citybase.db import utcnow
from citybase.errors import ConfigurationError
from citybase.events import publish
from citybase.events.dispatch import deliver_due
from citybase.events.models import Delivery, OutboxEvent
from citybase.jobs.runtime import drain
from tests.events.helpers import Broken, CaseOpened, LiveDb, NotRegistered, Recorder


def _audits(db: LiveDb, action: str) -> int:
    with db.sf() as s:
        return int(s.scalar(select(func.count()).where(AuditRecord.action == action)) or 0)


def test_committed_event_reaches_every_subscriber_once(db: LiveDb, recorder: Recorder) -> None:
    with db.sf() as a:
        event_id = publish(a, CaseOpened(case="C-1", audience_departments=["CG"]))
        a.commit()
    # another session (the dispatcher's) delivers it
    assert drain(db.sf, settings=db.settings)["deliveries"] == 2
    assert sorted(recorder.calls) == [("dashboard", "C-1"), ("operations", "C-1")]
    assert _audits(db, "test.dashboard") == 1 and _audits(db, "test.operations") == 1
    # idempotent: nothing is delivered twice
    assert drain(db.sf, settings=db.settings)["deliveries"] == 0
    assert len(recorder.calls) == 2
    with db.sf() as s:
        rows = s.scalars(select(Delivery).where(Delivery.outbox_id == event_id)).all()
        assert {(r.subscriber, r.status, r.attempts) for r in rows} == {
            ("test.dashboard", "done", 1),
            ("test.operations", "done", 1),
        }


def test_rolled_back_transaction_publishes_nothing(db: LiveDb, recorder: Recorder) -> None:
    with db.sf() as a:
        publish(a, CaseOpened(case="C-2"))
        a.rollback()
    with db.sf() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 0
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0
    assert drain(db.sf, settings=db.settings)["deliveries"] == 0
    assert recorder.calls == []


def test_unregistered_event_type_is_refused(db: LiveDb, recorder: Recorder) -> None:
    with db.sf() as a, pytest.raises(ConfigurationError, match="citybase_event_types"):
        publish(a, NotRegistered())


def test_failing_subscriber_is_retried_with_backoff_then_shown_failed(
    db: LiveDb, recorder: Recorder
) -> None:
    recorder.fail_times = 100
    with db.sf() as a:
        publish(a, Broken(case="B-1"))
        a.commit()
    now = utcnow()
    assert deliver_due(db.sf, max_attempts=3, now=now) == 1
    with db.sf() as s:
        d = s.scalars(select(Delivery)).one()
        assert (d.status, d.attempts) == ("pending", 1)
        assert "the dashboard service is down" in d.last_error
        first_delay = d.next_attempt_at - now
    assert dt.timedelta(seconds=1) <= first_delay <= dt.timedelta(seconds=3)
    # not due yet: nothing runs
    assert deliver_due(db.sf, max_attempts=3, now=now) == 0
    later = now + dt.timedelta(hours=1)
    assert deliver_due(db.sf, max_attempts=3, now=later) == 1
    with db.sf() as s:
        d = s.scalars(select(Delivery)).one()
        assert d.attempts == 2 and d.next_attempt_at - later > first_delay  # backoff grows
    assert deliver_due(db.sf, max_attempts=3, now=later + dt.timedelta(hours=2)) == 1
    with db.sf() as s:
        assert s.scalars(select(Delivery)).one().status == "failed"
    # the handler's own writes rolled back with each failed attempt
    assert _audits(db, "test.broken") == 0

    runner = CliRunner()
    env = {
        "CITYBASE_DATABASE_URL": db.settings.effective_database_url,
        "CITYBASE_DATA_DIR": str(db.settings.data_dir),
        "COLUMNS": "250",
    }
    from citybase.settings import get_settings

    get_settings.cache_clear()
    try:
        out = runner.invoke(cli_app, ["events", "failures"], env=env, terminal_width=200)
        assert out.exit_code == 0, out.output
        assert "test.broken" in out.output and "dashboard service is down" in out.output
        recorder.fail_times = 0
        with db.sf() as s:
            delivery_id = s.scalars(select(Delivery.id)).one()
        out = runner.invoke(cli_app, ["events", "retry", str(delivery_id)], env=env)
        assert out.exit_code == 0, out.output
        out = runner.invoke(cli_app, ["events", "retry", str(delivery_id)], env=env)
        assert out.exit_code == 1 and "not failed" in out.output
    finally:
        get_settings.cache_clear()
    assert drain(db.sf, settings=db.settings)["deliveries"] == 1
    assert recorder.calls == [("broken", "B-1")]
    assert _audits(db, "test.broken") == 1
    assert _audits(db, "events.retry") == 1


@pytest.mark.postgres
def test_two_dispatchers_deliver_each_event_once_per_subscriber(
    db: LiveDb, recorder: Recorder
) -> None:
    if db.backend != "postgres":
        pytest.skip("several dispatchers run on PostgreSQL")
    n = 60
    with db.sf() as a:
        for i in range(n):
            publish(a, CaseOpened(case=f"C-{i}"))
        a.commit()
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run() -> None:
        barrier.wait()
        counts.append(deliver_due(db.sf, max_attempts=3))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == 2 * n
    assert all(c > 0 for c in counts), counts  # both did part of the work
    assert sorted(recorder.calls) == sorted(
        [(who, f"C-{i}") for i in range(n) for who in ("dashboard", "operations")]
    )


def test_admins_see_failures_on_a_page_and_retry_them(db: LiveDb, recorder: Recorder) -> None:
    from fastapi.testclient import TestClient

    from citybase.app import create_app
    from citybase.identity.enums import Role
    from tests.factories import PASSWORD, auth_headers, csrf_of, login_csrf_token, make_user

    recorder.fail_times = 100
    with db.sf() as s:
        admin = make_user(s, role=Role.platform_admin)
        officer = make_user(s, role=Role.officer, department_code="CG")
        officer_headers = auth_headers(s, officer)
        publish(s, Broken(case="B-9"))
        s.commit()
    deliver_due(db.sf, max_attempts=1)
    settings = db.settings.model_copy(update={"inprocess_worker": False})
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/events/failures", headers=officer_headers).status_code == 403
        r = client.post(
            "/login",
            data={
                "csrf_token": login_csrf_token(client),
                "username": admin.username,
                "password": PASSWORD,
                "next": "/",
            },
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = client.get("/admin/events", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "test.broken" in page.text and "the dashboard service is down" in page.text
        with db.sf() as s:
            delivery_id = s.scalars(select(Delivery.id)).one()
        recorder.fail_times = 0
        r = client.post(
            f"/admin/events/{delivery_id}/retry",
            data={"csrf_token": csrf_of(page.text)},
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert drain(db.sf, settings=db.settings)["deliveries"] == 1
        page = client.get("/admin/events", headers={"Accept": "text/html"})
        assert 'data-testid="no-failures"' in page.text
    assert recorder.calls == [("broken", "B-9")]
