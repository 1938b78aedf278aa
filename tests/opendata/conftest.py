"""A small open catalog (four departments, five datasets with real Parquet versions) built
through the data hub's own services, and a live uvicorn serving it on loopback.

The server uses the test's session factory, so it sees the test's uncommitted catalog and
everything is rolled back afterwards, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from citybase.app import create_app
from citybase.datahub import service as datahub_service
from citybase.datahub.models import DatasetColumn
from citybase.datahub.schemas import DatasetCreate
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.settings import Settings
from tests.factories import auth_headers, make_department, make_user

DISTRICTS = ["黄浦区", "徐汇区", "长宁区", "静安区"]
BUS_STOP_ROWS = 60


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def bus_stop_rows() -> list[list[object]]:
    start = dt.date(2020, 1, 1)
    return [
        [
            i,
            f"示范路{i}号站",
            DISTRICTS[i % 4],
            (i * 37) % 1000,
            (start + dt.timedelta(days=i * 11)).isoformat(),
            "true" if i % 3 == 0 else "false",
        ]
        for i in range(1, BUS_STOP_ROWS + 1)
    ]


BUS_STOP_HEADER = ["站点编号", "站点名称", "区", "日均客流", "开通日期", "无障碍"]


@dataclass
class OpenCity:
    settings: Settings
    admin: User
    transport_steward: User
    police_officer: User
    health_officer: User
    applicant: User
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def token(self, who: str) -> str:
        return self.headers[who]["Authorization"].removeprefix("Bearer ")


def _dataset(session: Session, **fields: object) -> None:
    base: dict[str, object] = {
        "description": "",
        "keywords": [],
        "update_frequency": "monthly",
        "spatial": "示范市",
        "sharing_type": "unconditional",
        "open_type": "unconditional",
        "licence": "cc-by-4.0",
    }
    base.update(fields)
    datahub_service.create_dataset(db_session=session, actor=None, data=DatasetCreate(**base))  # type: ignore[arg-type]


def _load(session: Session, settings: Settings, name: str, path: Path) -> None:
    datahub_service.load_version(
        db_session=session, data_dir=settings.data_dir, actor=None, name=name, source=path
    )


@pytest.fixture
def city(session: Session, settings: Settings, tmp_path: Path) -> OpenCity:
    make_department(session, "JTJ", "交通运输局")
    make_department(session, "HBJ", "生态环境局")
    make_department(session, "GAJ", "公安局")
    make_department(session, "WJW", "卫生健康委员会")
    make_department(session, "TJJ", "统计局")  # publishes nothing open

    _dataset(
        session,
        name="bus-stops",
        title="公交站点",
        description="全市公交站点位置、客流与无障碍设施。",
        department_code="JTJ",
        theme="transport",
        keywords=["公交", "站点", "客流"],
        update_frequency="daily",
        temporal_start=dt.date(2020, 1, 1),
        temporal_end=dt.date(2024, 12, 31),
    )
    _load(
        session,
        settings,
        "bus-stops",
        _write_csv(tmp_path / "bus.csv", BUS_STOP_HEADER, bus_stop_rows()),
    )

    _dataset(
        session,
        name="air-quality",
        title="空气质量监测",
        description="各监测站每日空气质量指数。",
        department_code="HBJ",
        theme="environment",
        keywords=["空气", "监测"],
        licence="city-open",
    )
    _load(
        session,
        settings,
        "air-quality",
        _write_csv(
            tmp_path / "air.csv",
            ["监测站", "日期", "AQI"],
            [[f"站{i % 3}", f"2024-05-{i:02d}", 40 + i] for i in range(1, 21)],
        ),
    )

    _dataset(
        session,
        name="road-works",
        title="道路施工计划",
        description="计划中的道路施工（尚未上传数据）。",
        department_code="JTJ",
        theme="transport",
        keywords=["道路", "施工"],
    )

    _dataset(
        session,
        name="clinics",
        title="社区卫生服务中心",
        description="社区卫生服务中心名录，有条件开放。",
        department_code="WJW",
        theme="health",
        keywords=["医疗"],
        open_type="conditional",
        open_condition="经申请批准后开放。",
    )
    _load(
        session,
        settings,
        "clinics",
        _write_csv(
            tmp_path / "clinics.csv",
            ["名称", "区"],
            [[f"中心{i}", DISTRICTS[i % 4]] for i in range(8)],
        ),
    )

    _dataset(
        session,
        name="residents",
        title="户籍人口",
        description="户籍人口登记信息（含个人信息，不予开放）。",
        department_code="GAJ",
        theme="population",
        keywords=["人口", "户籍"],
        sharing_type="conditional",
        sharing_condition="依职责申请。",
        open_type="not_open",
        licence="gov-internal",
    )
    _load(
        session,
        settings,
        "residents",
        _write_csv(
            tmp_path / "residents.csv",
            ["姓名", "区"],
            [[f"居民{i}", DISTRICTS[i % 4]] for i in range(12)],
        ),
    )
    session.commit()

    admin = make_user(session, Role.platform_admin)
    steward = make_user(session, Role.data_steward, department_code="JTJ")
    police = make_user(session, Role.officer, department_code="GAJ")
    health = make_user(session, Role.officer, department_code="WJW")
    applicant = make_user(session, Role.applicant)
    out = OpenCity(
        settings=settings,
        admin=admin,
        transport_steward=steward,
        police_officer=police,
        health_officer=health,
        applicant=applicant,
    )
    for key, user in (
        ("admin", admin),
        ("steward", steward),
        ("police", police),
        ("health", health),
        ("applicant", applicant),
    ):
        out.headers[key] = auth_headers(session, user)
    return out


def mark_personal(session: Session, dataset_id: int, column: str, pii_type: str) -> None:
    """Classify a column as personal data (the governance work that sets this is not here
    yet, so the test writes the catalog's column row directly)."""
    session.execute(
        update(DatasetColumn)
        .where(DatasetColumn.dataset_id == dataset_id, DatasetColumn.name == column)
        .values(pii_type=pii_type)
    )
    session.commit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveApp:
    """The citybase app under uvicorn on a free loopback port, in a background thread."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(settings, session_factory=session_factory)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveApp:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.server.started:
                try:
                    httpx.get(self.url + "/api/3", timeout=2)
                    return self
                except httpx.HTTPError:
                    pass
            time.sleep(0.02)
        raise RuntimeError("live server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live(
    city: OpenCity, settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[LiveApp]:
    with LiveApp(settings, session_factory) as server:
        yield server
