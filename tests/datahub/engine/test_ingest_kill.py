"""A load killed with SIGKILL never leaves a corrupt file at the destination: the previous
file stays intact (or there is none), and the next load sweeps the dead process's
temporary files."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from citybase.datahub.ingest import ingest_file, sweep_stale_temp_files
from citybase.datahub.types import IngestOptions

from .helpers import leftovers, write_text

ROOT = Path(__file__).resolve().parents[3]


def big_csv(path: Path, encoding: str) -> Path:
    body = "".join(f"{i},居民{i},{i % 97},幸福路{i % 500}号\n" for i in range(400_000))
    return write_text(path, "编号,姓名,组,住址\n" + body, encoding)


def killed_load(source: Path, dest: Path, fraction: float) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.datahub.engine.kill_ingest",
            str(source),
            str(dest),
            str(fraction),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert "not killed" not in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encoding", "fraction"), [("gbk", 0.0), ("gbk", 0.3), ("utf-8", 0.0), ("utf-8", 0.6)]
)
def test_killed_load_never_leaves_a_corrupt_destination(
    work: Path, encoding: str, fraction: float
) -> None:
    """Killed while transcoding (GBK, deterministic) or while DuckDB writes the Parquet file
    (the progress poller's first report): ``dest`` is the previous file, byte for byte. If
    the load outran the poller, the kill lands after the rename and ``dest`` is the whole
    new file — never anything in between."""
    dest = work / "out" / "v1.parquet"
    ingest_file(
        write_text(work / "src" / "old.csv", "a,b\n1,2\n"), dest=dest, options=IngestOptions()
    )
    before = hashlib.sha256(dest.read_bytes()).hexdigest()
    source = big_csv(work / "src" / "new.csv", encoding)

    killed_load(source, dest, fraction)

    table = pq.read_table(dest)  # a readable Parquet file in every case
    if hashlib.sha256(dest.read_bytes()).hexdigest() == before:
        assert table.to_pylist() == [{"a": 1, "b": 2}]
        stale = leftovers(work / "out")
        assert stale and all(name.startswith("v1.") for name in stale)
    else:
        assert encoding == "utf-8", "a GBK load is always killed while transcoding"
        assert table.num_rows == 400_000

    result = ingest_file(source, dest=dest, options=IngestOptions())  # sweeps, then loads
    assert result.row_count == 400_000
    assert leftovers(work / "out") == []


@pytest.mark.slow
def test_killed_first_load_leaves_no_destination(work: Path) -> None:
    dest = work / "out" / "first.parquet"
    killed_load(big_csv(work / "src" / "new.csv", "gbk"), dest, 0.0)
    assert not dest.exists()
    assert sweep_stale_temp_files(dest)  # the dead process's files are removed
    assert leftovers(work / "out") == []


def test_sweep_removes_only_files_of_dead_processes(work: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    dest = work / "out" / "v2.parquet"
    mine = work / "out" / f"v2.tmp-{os.getpid()}-0123abcd"
    orphan = work / "out" / f".incoming-abc.utf8-{dead_pid}-89abcdef"  # another dataset file
    unrelated = work / "out" / "v2.tmp-notes.txt"
    for path in (mine, orphan, unrelated):
        path.write_bytes(b"x")
    assert sweep_stale_temp_files(dest) == [orphan]
    assert mine.exists() and unrelated.exists() and not orphan.exists()
