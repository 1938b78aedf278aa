"""Governed sharing: a 1,000,000-row download under a grant vs the owner's plain download,
and the data tracker's look-up latency over a ledger of millions of subject rows.

Builds a throw-away city (SQLite) with a residents dataset of ``--rows`` rows (ID number,
name, mobile, address, district, age) owned by 公安局, grants it to 数据局 (ID pseudonymised,
name/mobile/address masked) and times, each ``--repeat`` times, the service call behind
``GET /api/datahub/datasets/{name}/download`` (``export_rows``; no HTTP):

- engine   — the file engine's CSV writer alone (what an owner's download cost before the
             tracker existed): the anchor;
- owner    — the owner's download: engine + the tracker (distinct IDs of the rows read,
             keyed tokens, one Parquet ledger file) + usage and audit rows;
- grant    — 数据局's download under its grant: the same rows streamed through the grant's
             de-identification (HMAC pseudonyms, masks) + the tracker + usage and audit.

Then the tracker: ``accesses_of`` for ``--lookups`` random residents (each present in every
ledger file) and as many absent numbers, over all the ledger files the downloads wrote
(2 × repeat files of ``--rows`` tokens each), reporting p50/p95.

Usage: python bench/bench_sharing.py [--rows 1000000] [--repeat 3] [--lookups 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DISTRICTS = ["东城区", "西山区", "南湖区", "北岭区", "中心区"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")


def make_source(path: Path, rows: int, seed: int) -> np.ndarray[Any, Any]:
    """Residents with unique 18-character ID numbers (format only: tokens do not validate)."""
    rng = np.random.default_rng(seed)
    serial = rng.permutation(rows) + 10_000_000
    ids = np.char.add("1101051980", np.char.zfill(serial.astype(str), 8))
    table = pa.table(
        {
            "公民身份号码": pa.array(ids),
            "姓名": pa.array(
                np.char.add(np.array(SURNAMES)[rng.integers(0, len(SURNAMES), rows)], "某某")
            ),
            "手机号码": pa.array(np.char.add("138", np.char.zfill(serial.astype(str), 8))),
            "居住地址": pa.array([f"示范市东城区和平路{i % 5000}号" for i in range(rows)]),
            "区": pa.array(np.array(DISTRICTS)[rng.integers(0, len(DISTRICTS), rows)]),
            "年龄": pa.array(rng.integers(0, 100, rows)),
        }
    )
    pq.write_table(table, path)
    return ids


def build_city(data_dir: Path, rows: int, seed: int) -> tuple[Any, np.ndarray[Any, Any]]:
    from sqlalchemy import update

    from citybase.datahub import service as datahub_service
    from citybase.datahub.models import DatasetColumn
    from citybase.datahub.schemas import DatasetCreate
    from citybase.db import make_engine, make_session_factory, session_scope, upgrade
    from citybase.identity import service as identity_service
    from citybase.identity.enums import Role
    from citybase.settings import Settings
    from citybase.sharing import service
    from citybase.sharing.schemas import ApproveBody, RequestCreate

    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    source = data_dir / "source.parquet"
    ids = make_source(source, rows, seed)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        for code, name in (("GAJ", "公安局"), ("ZSJ", "数据局")):
            identity_service.create_department(db_session=s, actor=None, code=code, name_zh=name)
            identity_service.create_user(
                db_session=s,
                actor=None,
                username=code.lower(),
                display_name=name,
                password="a-long-bench-password",
                role=Role.data_steward,
                department_code=code,
            )
        datahub_service.create_dataset(
            db_session=s,
            actor=None,
            data=DatasetCreate(
                name="residents",
                title="常住人口",
                description="基准测试数据",
                department_code="GAJ",
                theme="population",
                keywords=["人口"],
                update_frequency="monthly",  # type: ignore[arg-type]
                licence="gov-internal",
                sharing_type="conditional",  # type: ignore[arg-type]
                sharing_condition="经审核后共享",
                open_type="not_open",  # type: ignore[arg-type]
            ),
        )
    with session_scope(factory) as s:
        datahub_service.load_version(
            db_session=s, data_dir=data_dir, actor=None, name="residents", source=source
        )
    source.unlink()
    pii = {"公民身份号码": "CN_ID_CARD", "姓名": "PERSON_NAME", "手机号码": "CN_MOBILE"}
    pii["居住地址"] = "ADDRESS"
    with session_scope(factory) as s:
        for column in ("区", "年龄", *pii):
            s.execute(
                update(DatasetColumn)
                .where(DatasetColumn.name == column)
                .values(pii_type=pii.get(column))
            )
    with session_scope(factory) as s:
        zsj = identity_service.get_user_by_username(db_session=s, username="zsj")
        gaj = identity_service.get_user_by_username(db_session=s, username="gaj")
        assert zsj is not None and gaj is not None
        req = service.file_request(
            db_session=s,
            data_dir=data_dir,
            settings=settings,
            actor=zsj,
            data=RequestCreate(
                dataset="residents",
                purpose="基准测试",
                legal_basis="基准测试",
                valid_until=dt.date.today() + dt.timedelta(days=30),
            ),
        )
        s.flush()
        service.approve_request(
            db_session=s,
            settings=settings,
            data_dir=data_dir,
            actor=gaj,
            request_id=req.id,
            decision=ApproveBody(reason="基准测试"),
        )
    return factory, ids


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "min": ordered[0],
    }


def time_downloads(factory: Any, data_dir: Path, repeat: int) -> dict[str, list[float]]:
    from citybase.datahub import export as engine_export
    from citybase.datahub import service as datahub_service
    from citybase.datahub.types import RowQuery
    from citybase.db import session_scope
    from citybase.identity import service as identity_service
    from citybase.settings import Settings

    settings = Settings(data_dir=data_dir)
    times: dict[str, list[float]] = {"engine": [], "owner": [], "grant": []}
    with session_scope(factory) as s:
        ds = datahub_service.find_dataset(db_session=s, name="residents")
        assert ds is not None
        path = datahub_service.version_path(
            data_dir, datahub_service.get_version(db_session=s, dataset=ds)
        )
    for _ in range(repeat):
        out = data_dir / "engine.csv"
        t0 = time.perf_counter()
        engine_export.write_csv(path, out, RowQuery())
        times["engine"].append(time.perf_counter() - t0)
        out.unlink()
        for who, key in (("gaj", "owner"), ("zsj", "grant")):
            t0 = time.perf_counter()
            with session_scope(factory) as s:
                user = identity_service.get_user_by_username(db_session=s, username=who)
                export = datahub_service.export_rows(
                    db_session=s,
                    data_dir=data_dir,
                    viewer=user,
                    name="residents",
                    fmt="csv",
                    query=RowQuery(),
                    purpose="基准测试",
                    settings=settings,
                )
            times[key].append(time.perf_counter() - t0)
            if key == "grant":
                with export.path.open(encoding="utf-8-sig") as fh:
                    fh.readline()
                    first = fh.readline()
                assert first.startswith("k1:"), f"not pseudonymised: {first[:40]}"
            export.path.unlink()
    return times


def time_lookups(
    factory: Any, data_dir: Path, ids: np.ndarray[Any, Any], n: int, seed: int
) -> dict[str, Any]:
    from citybase.db import session_scope
    from citybase.settings import Settings
    from citybase.sharing.tracker import accesses_of, subject_token

    settings = Settings(data_dir=data_dir)
    ledger = list((data_dir / "sharing" / "ledger").rglob("*.parquet"))
    ledger_rows = sum(pq.ParquetFile(p).metadata.num_rows for p in ledger)
    rng = random.Random(seed)
    present = [str(ids[rng.randrange(len(ids))]) for _ in range(n)]
    absent = [f"9901051980{rng.randrange(10**8):08d}" for _ in range(n)]
    result: dict[str, Any] = {"files": len(ledger), "ledger_rows": ledger_rows}
    for label, numbers in (("present", present), ("absent", absent)):
        times = []
        found = []
        with session_scope(factory) as s:
            for number in numbers:
                token = subject_token(number, settings)
                t0 = time.perf_counter()
                hits = accesses_of(db_session=s, data_dir=data_dir, token=token)
                times.append((time.perf_counter() - t0) * 1000)
                found.append(len(hits))
        result[label] = {**summary(times), "reads_found": statistics.mean(found)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sharing-") as tmp:
        data_dir = Path(tmp)
        t0 = time.perf_counter()
        factory, ids = build_city(data_dir, args.rows, args.seed)
        print(f"city with {args.rows:,} residents built in {time.perf_counter() - t0:.1f} s")
        times = time_downloads(factory, data_dir, args.repeat)
        anchor = statistics.median(times["engine"])
        print(f"\nCSV download of all {args.rows:,} rows, median of {args.repeat} (seconds):")
        for key, label in (
            ("engine", "engine only (anchor: the owner's download before sharing)"),
            ("owner", "owner's download (+ data tracker)"),
            ("grant", "download under a grant (de-identification + data tracker)"),
        ):
            median = statistics.median(times[key])
            print(f"  {label:<62} {median:7.2f} s  ×{median / anchor:5.2f}")
        owner = statistics.median(times["owner"])
        grant = statistics.median(times["grant"])
        print(f"  grant ÷ owner's download: ×{grant / owner:.2f}")
        looked = time_lookups(factory, data_dir, ids, args.lookups, args.seed)
        print(
            f"\ntracker look-up over {looked['ledger_rows']:,} ledger rows in "
            f"{looked['files']} files ({args.lookups} numbers each):"
        )
        for label in ("present", "absent"):
            r = looked[label]
            print(
                f"  {label:<8} p50 {r['median']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
                f"(reads found per number: {r['reads_found']:.1f})"
            )


if __name__ == "__main__":
    main()
