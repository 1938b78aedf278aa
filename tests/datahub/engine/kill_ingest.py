"""Load a file in a process that SIGKILLs itself mid-way; used by test_ingest_kill.py.

Usage: python -m tests.datahub.engine.kill_ingest SOURCE DEST FRACTION
The process kills itself at the first progress report at or beyond FRACTION of the bytes
(0 = the very first report: while transcoding a GBK file or writing Parquet).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from citybase.datahub.ingest import ingest_file
from citybase.datahub.types import IngestOptions


def main() -> None:
    source, dest, fraction = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])

    def progress(done: int, total: int) -> None:
        if done >= fraction * total:
            os.kill(os.getpid(), signal.SIGKILL)

    ingest_file(source, dest=dest, options=IngestOptions(), progress=progress)
    print("not killed")  # the test fails if this is reached


if __name__ == "__main__":
    main()
