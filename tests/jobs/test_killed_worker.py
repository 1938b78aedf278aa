"""kill -9 a worker process in the middle of a job: after the lease the job runs again
elsewhere and succeeds; before it, nobody touches it."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from citybase.db import utcnow
from citybase.jobs import JobContext, enqueue, job
from citybase.jobs.models import Job
from citybase.jobs.worker import run_one
from tests.events.helpers import LiveDb


@job("test.hangs_first_time", max_attempts=3)
def hangs_first_time(ctx: JobContext, *, hang: bool) -> dict[str, Any]:
    ctx.progress(1, 3, "started")
    if hang and ctx.attempt == 1:
        time.sleep(3600)  # the worker is killed here
    return {"attempt": ctx.attempt}


WORKER = """
import sys
from citybase.db import make_engine, make_session_factory
from citybase.jobs.worker import run_one
import tests.jobs.test_killed_worker  # registers the job
sf = make_session_factory(make_engine(sys.argv[1]))
run_one(sf, worker="doomed", lease_seconds=int(sys.argv[2]))
"""


def test_job_of_a_killed_worker_runs_again_after_its_lease(db: LiveDb) -> None:
    with db.sf() as s:
        job_id = enqueue(s, "test.hangs_first_time", {"hang": True})
        s.commit()
    lease = 30
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, db.settings.effective_database_url, str(lease)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with db.sf() as s:
                row = s.get(Job, job_id)
                assert row is not None
                if row.status == "running" and row.progress_done == 1:
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("the worker never started the job")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    now = utcnow()
    assert not run_one(db.sf, worker="survivor", lease_seconds=lease, now=now)  # lease holds
    assert run_one(
        db.sf, worker="survivor", lease_seconds=lease, now=now + dt.timedelta(seconds=lease + 1)
    )
    with db.sf() as s:
        row = s.get(Job, job_id)
        assert row is not None
        assert (row.status, row.attempts, row.worker) == ("succeeded", 2, "survivor")
        assert json.loads(row.result or "null") == {"attempt": 2}
