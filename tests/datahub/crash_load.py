"""Run one load in a process that kills itself (SIGKILL) mid-way; used by test_crash.py.

Usage: python -m tests.datahub.crash_load DATABASE_URL DATA_DIR SOURCE MODE
MODE ingest: die at the engine's first progress report (while the file is being written);
MODE commit: die just before the version row would be committed (file already renamed).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from sqlalchemy import event

from citybase.datahub import service
from citybase.db import make_engine, make_session_factory


def main() -> None:
    url, data_dir, source, mode = sys.argv[1:5]
    session = make_session_factory(make_engine(url))()

    def die(*_: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    if mode == "commit":
        event.listen(session, "before_commit", die)
    service.load_version(
        db_session=session,
        data_dir=Path(data_dir),
        actor=None,
        name="crash-test",
        source=Path(source),
        progress=die if mode == "ingest" else None,
    )
    session.commit()
    print("not killed")  # the test fails if this is reached


if __name__ == "__main__":
    main()
