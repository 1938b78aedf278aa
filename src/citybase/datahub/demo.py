"""The demo city's data hub: base registries, ~17 departmental datasets, elements, rules,
bindings, lineage and a month of usage — all through the catalog's own service functions.

Two demo steps: ``registries`` (order 40) writes residents/enterprises/vehicles Parquet
files with the shared generator if they are not there yet; ``datahub`` (order 50) loads
them and the departmental datasets described in ``data/demo_catalog.yaml``. Source files
are written in the formats departments really send (GBK CSV, XLSX, JSON, NDJSON, Parquet)
and loaded through the same ingestion as any upload.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from citybase.datahub import demo_places, demo_tables, service
from citybase.datahub.demo_tables import Inputs
from citybase.datahub.enums import BindingRole
from citybase.datahub.schemas import BindingCreate, DatasetCreate
from citybase.datahub.themes import DATA_DIR
from citybase.datahub.types import IngestOptions, QualityRule
from citybase.datahub.usage import count_read, flush_counts
from citybase.db import utcnow
from citybase.demo.context import DemoContext

REGISTRIES = ("residents", "enterprises", "vehicles")
# demo_catalog.yaml's source tables, by name.
GENERATORS: dict[str, Callable[[Inputs], pa.Table]] = {
    "social_insurance": demo_tables.social_insurance,
    "medical_insurance": demo_tables.medical_insurance,
    "elderly_allowance": demo_tables.elderly_allowance,
    "real_estate": demo_tables.real_estate,
    "public_housing": demo_tables.public_housing,
    "grid_population": demo_tables.grid_population,
    "care_homes": demo_places.care_homes,
    "food_licences": demo_places.food_licences,
    "hazard_enterprises": demo_places.hazard_enterprises,
    "schools": demo_places.schools,
    "hospitals": demo_places.hospitals,
    "bus_stops": demo_places.bus_stops,
    "air_stations": demo_places.air_stations,
    "air_quality_daily": demo_places.air_quality_daily,
    "enforcement_cases": demo_places.enforcement_cases,
}


def _geography(ctx: DemoContext) -> Any:
    geography = ctx.shared.get("geography")
    if geography is None:
        from citybase.demo.generate import generate_geography

        geography = generate_geography(ctx.seed)
        ctx.shared["geography"] = geography
    return geography


def build_registries(ctx: DemoContext) -> None:
    """Write the base registries unless this seed's files are already there."""
    out = ctx.registries_dir
    stamp = out / "seed.json"
    done = stamp.exists() and json.loads(stamp.read_text("utf-8")).get("seed") == ctx.seed
    if done and all((out / f"{n}.parquet").exists() for n in REGISTRIES):
        return
    from citybase.demo.generate import generate_registries

    task = ctx.progress.add_task("基础库 registries", total=None)

    def report(step: str, done: int, total: int) -> None:
        ctx.progress.update(task, description=f"基础库 {step}", completed=done, total=total)

    generate_registries(ctx.seed, _geography(ctx), out, progress=report)
    stamp.write_text(json.dumps({"seed": ctx.seed}), encoding="utf-8")
    ctx.progress.update(task, completed=1, total=1)


def demo_catalog() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((DATA_DIR / "demo_catalog.yaml").read_text("utf-8"))
    return raw


def _write_source(table: pa.Table, folder: Path, name: str, source: dict[str, Any]) -> Path:
    fmt = source["format"]
    path = folder / f"{name}.{'json' if fmt in ('json', 'ndjson') else fmt}"
    if fmt == "parquet":
        pq.write_table(table, path)
    elif fmt == "csv":
        encoding = source.get("encoding", "utf-8")
        tmp = folder / f"{name}.utf8.csv"
        pacsv.write_csv(table, tmp)
        path.write_bytes(tmp.read_bytes().decode("utf-8").encode(encoding))
        tmp.unlink()
    elif fmt in ("json", "ndjson"):
        rows = [{k: _plain(v) for k, v in row.items()} for row in table.to_pylist()]
        if fmt == "json":
            path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            path.write_text(
                "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
            )
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("数据")
        ws.append(table.column_names)
        for row in zip(*(table[c].to_pylist() for c in table.column_names), strict=True):
            ws.append(list(row))
        wb.save(path)
    else:
        raise ValueError(f"demo_catalog.yaml: unknown source format {fmt}")
    return path


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _tables(ctx: DemoContext, geography: Any) -> dict[str, pa.Table]:
    reg = ctx.registries_dir
    inputs = Inputs(
        residents=pq.read_table(reg / "residents.parquet"),
        enterprises=pq.read_table(reg / "enterprises.parquet"),
        vehicles=pq.read_table(reg / "vehicles.parquet"),
        district_names={p["code"]: p["name"] for p in geography.properties("district")},
        reference_date=geography.city.reference_date,
        today=utcnow().date(),
        rng=ctx.rng("datahub"),
    )
    tables: dict[str, pa.Table] = {
        "residents": inputs.residents,
        "enterprises": inputs.enterprises,
        "vehicles": inputs.vehicles,
    }
    for key, make in GENERATORS.items():
        tables[key] = make(inputs)
    tables["air_quality_monthly"] = demo_places.air_quality_monthly(tables["air_quality_daily"])
    return tables


def build_datahub(ctx: DemoContext) -> None:
    """Publish the demo catalog (skipping datasets that already exist)."""
    catalog = demo_catalog()
    entries: list[dict[str, Any]] = catalog["datasets"]
    task = ctx.progress.add_task("数据目录 data hub", total=len(entries) + 2)
    with ctx.session() as s:
        service.load_elements_file(db_session=s, actor=None, path=DATA_DIR / "elements.yaml")
        todo = [e for e in entries if service.find_dataset(db_session=s, name=e["name"]) is None]
    ctx.progress.advance(task)
    if todo:
        tables = _tables(ctx, _geography(ctx))
        folder = ctx.data_dir / "datahub" / "demo-sources"
        folder.mkdir(parents=True, exist_ok=True)
        for entry in todo:
            source = _write_source(
                tables[entry["source"]["table"]], folder, entry["name"], entry["source"]
            )
            with ctx.session() as s:
                _publish(s, ctx, entry, source)
            ctx.progress.advance(task)
    else:
        ctx.progress.advance(task, len(entries))
    with ctx.session() as s:
        _simulate_usage(s, catalog.get("usage", []), ctx.rng("datahub-usage"))
    ctx.progress.advance(task)


def _publish(s: Any, ctx: DemoContext, entry: dict[str, Any], source: Path) -> None:
    meta = {
        k: v
        for k, v in entry.items()
        if k not in ("source", "rules", "bindings", "lineage", "department")
    }
    service.create_dataset(
        db_session=s, actor=None, data=DatasetCreate(department_code=entry["department"], **meta)
    )
    rules = [QualityRule.model_validate(r) for r in entry.get("rules", [])]
    if rules:
        service.set_rules(db_session=s, actor=None, name=entry["name"], rules=rules)
    src = entry["source"]
    service.load_version(
        db_session=s,
        data_dir=ctx.data_dir,
        actor=None,
        name=entry["name"],
        source=source,
        settings=ctx.settings,
        options=IngestOptions(format=src["format"], encoding=src.get("encoding")),
    )
    for b in entry.get("bindings", []):
        service.bind_column(
            db_session=s,
            actor=None,
            code=b["element"],
            data=BindingCreate(
                dataset=entry["name"],
                column=b["column"],
                role=BindingRole(b["role"]),
                key_column=b.get("key"),
            ),
        )
    for link in entry.get("lineage", []):
        service.record_lineage(
            db_session=s,
            actor=None,
            name=entry["name"],
            source=link["source"],
            transformation=link["transformation"],
        )


def _simulate_usage(s: Any, patterns: list[dict[str, Any]], rng: np.random.Generator) -> None:
    """A month of other departments' reads (what the data API would have counted)."""
    from sqlalchemy import func, select

    from citybase.datahub.models import DatasetUsage

    if s.scalar(select(func.count()).select_from(DatasetUsage)):
        return
    today = utcnow().date()
    for pattern in patterns:
        ds = service.find_dataset(db_session=s, name=pattern["dataset"])
        if ds is None:
            continue
        for dept, per_day in pattern["readers"].items():
            for back in range(1, 31):
                reads = int(rng.poisson(per_day))
                if reads:
                    count_read(
                        s,
                        dataset_id=ds.id,
                        department_code=str(dept),
                        channel="api",
                        rows=reads * int(rng.integers(1, 200)),
                        columns=pattern.get("columns"),
                        reads=reads,
                        day=today - dt.timedelta(days=back),
                    )
    flush_counts(s)
