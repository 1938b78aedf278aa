"""``citybase geo …`` as an operator uses it: real processes, real files, real SQLite."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

from tests.core.test_cli import run
from tests.geo.cities import montreal_city, small_city


def areas_in(data: Path) -> int:
    con = sqlite3.connect(data / "citybase.db")
    try:
        return int(con.execute("SELECT count(*) FROM geo_area").fetchone()[0])
    finally:
        con.close()


def test_import_list_and_locate(tmp_path: Path) -> None:
    data = tmp_path / "city"
    assert run(["db", "upgrade"], data).returncode == 0
    city = montreal_city()
    files = []
    for level in ("district", "street", "grid"):
        path = tmp_path / f"{level}.geojson.gz"  # gzip is read transparently
        path.write_bytes(gzip.compress(json.dumps(city[level]).encode()))
        files.append((level, path))
    for level, path in files:
        r = run(["geo", "import", str(path), "--level", level], data)
        assert r.returncode == 0, r.stderr
        n = len(city[level]["features"])
        assert f"Imported {n} areas" in r.stdout and f"{n} created" in r.stdout
    again = run(["geo", "import", str(files[0][1]), "--level", "district"], data)
    assert "0 created, 0 updated, 19 unchanged" in again.stdout

    listed = run(["geo", "list", "--level", "street", "--parent", "MTL-B18"], data)
    assert listed.returncode == 0
    assert "MTL-181" in listed.stdout and "Peter-McGill" in listed.stdout
    assert "3 areas" in listed.stdout

    # A negative longitude is an argument, not an option.
    here = run(["geo", "locate", "-73.5771", "45.5048"], data)
    assert here.returncode == 0, here.stderr
    assert "MTL-B18" in here.stdout and "MTL-181" in here.stdout and "MTL-181-G" in here.stdout

    away = run(["geo", "locate", "2.35", "48.85"], data)
    assert away.returncode == 1
    assert "outside every area of the city" in away.stderr and "Traceback" not in away.stderr
    wrong = run(["geo", "locate", "--", "45.5", "-200"], data)
    assert wrong.returncode == 1 and "Latitude -200.0 is outside" in wrong.stderr


def test_bad_files_are_clear_errors_and_write_nothing(tmp_path: Path) -> None:
    data = tmp_path / "city"
    run(["db", "upgrade"], data)
    city = small_city()
    city["features"][9]["geometry"]["coordinates"][0].pop()
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
    r = run(["geo", "import", str(bad)], data)
    assert r.returncode == 1
    assert "features[9] (code 'D1-S2-G3')" in r.stderr and "does not close" in r.stderr
    assert "Traceback" not in r.stderr
    assert areas_in(data) == 0

    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    r = run(["geo", "import", str(broken)], data)
    assert r.returncode == 1 and "is not valid JSON" in r.stderr and "line 1" in r.stderr

    r = run(["geo", "import", str(tmp_path / "missing.geojson")], data)
    assert r.returncode == 1 and "File not found" in r.stderr
    assert areas_in(data) == 0


def test_an_import_by_another_process_is_seen_by_a_warm_index(tmp_path: Path) -> None:
    """This process caches the index; a CLI process changes the areas; the next locate sees it."""
    from citybase.db import make_engine, make_session_factory
    from citybase.geo import service

    data = tmp_path / "city"
    assert run(["db", "upgrade"], data).returncode == 0
    first = tmp_path / "v1.geojson"
    first.write_text(json.dumps(small_city()), encoding="utf-8")
    assert run(["geo", "import", str(first)], data).returncode == 0

    engine = make_engine(f"sqlite:///{data / 'citybase.db'}")
    factory = make_session_factory(engine)
    point = {"lon": 121.405, "lat": 31.205}  # in grid D1-S1-G1
    with factory() as s:
        found = service.locate(db_session=s, **point)
        assert found is not None and found.grid is not None
        assert (found.grid.code, found.grid.name) == ("D1-S1-G1", "D1-S1-G1 名称")

    renamed = small_city()
    for f in renamed["features"]:
        f["properties"]["name"] = f"{f['properties']['code']} 新名"
    second = tmp_path / "v2.geojson"
    second.write_text(json.dumps(renamed), encoding="utf-8")
    r = run(["geo", "import", str(second)], data)
    assert "22 updated" in r.stdout

    with factory() as s:
        found = service.locate(db_session=s, **point)
        assert found is not None and found.grid is not None
        assert found.grid.name == "D1-S1-G1 新名"
    engine.dispose()
