"""``citybase worktime …`` as an operator runs it."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_cli import run


def test_due_and_day(tmp_path: Path) -> None:
    r = run(["worktime", "due", "2024-09-30T10:00", "5", "working_days"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "2024-10-12 18:00" in r.stdout
    r = run(["worktime", "day", "2024-10-12"], tmp_path)
    assert r.returncode == 0 and "working day · National Day" in r.stdout
    r = run(["worktime", "day", "2024-10-03"], tmp_path)
    assert r.returncode == 0 and "rest day" in r.stdout


def test_a_city_calendar_and_bad_input(tmp_path: Path) -> None:
    cal = tmp_path / "calendar.yaml"
    cal.write_text("days:\n  - {date: 2024-06-14, kind: holiday, name: 市庆日}\n", "utf-8")
    r = run(["worktime", "day", "2024-06-14"], tmp_path, CITYBASE_WORKTIME_CALENDAR=str(cal))
    assert r.returncode == 0 and "rest day · 市庆日" in r.stdout
    r = run(["worktime", "due", "2024-06-13T17:00", "2", "working_hours"], tmp_path,
            CITYBASE_WORKTIME_CALENDAR=str(cal))  # fmt: skip
    assert "2024-06-17 10:00" in r.stdout  # Friday is the city's holiday
    bad = run(["worktime", "due", "yesterday", "1", "working_days"], tmp_path)
    assert bad.returncode == 1 and "'yesterday' is not a date-time" in bad.stderr
    unit = run(["worktime", "due", "2024-06-13T17:00", "1", "weeks"], tmp_path)
    assert unit.returncode == 1 and "'weeks' is not one of" in unit.stderr
