from __future__ import annotations

from typing import TYPE_CHECKING, Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import DashboardWidget, ModuleInfo, hookimpl

if TYPE_CHECKING:
    from citybase.events import DomainEvent
    from citybase.jobs import PeriodicJob

domain = DomainPlugin(
    name="sensing",
    models="citybase.sensing.models",
    # the alarm routes come first: the SensorThings router ends with catch-all paths
    routers=[
        "citybase.sensing.alarms.router:router",
        "citybase.sensing.pages:router",
        "citybase.sensing.router:router",
    ],
    cli="citybase.sensing.cli:app",
    templates=True,
    translations="locales/{locale}.yaml",
)


@hookimpl
def citybase_event_types() -> list[type[DomainEvent]]:
    from citybase.sensing.events import EVENT_TYPES

    return EVENT_TYPES


@hookimpl
def citybase_startup(session_factory: Any, settings: Any) -> None:
    from citybase.sensing import mqtt_publish

    mqtt_publish.configure(session_factory)


@hookimpl
def citybase_load_jobs() -> None:
    import citybase.sensing.jobs  # noqa: F401


@hookimpl
def citybase_periodic_jobs() -> list[PeriodicJob]:
    import datetime as dt

    from citybase.jobs import PeriodicJob

    return [
        PeriodicJob("sensing.check_no_data", dt.timedelta(minutes=1), {}),
        PeriodicJob("sensing.retention", dt.timedelta(hours=6), {}),
    ]


@hookimpl
def citybase_dashboard_widgets() -> list[DashboardWidget]:
    from citybase.sensing.service import status_summary
    from citybase.sensing.widgets import widgets

    return [
        DashboardWidget(
            key="sensing.status",
            title_zh="城市感知",
            title_en="City sensors",
            render=status_summary,
            order=40,
        ),
        *widgets(),
    ]


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    return [
        ModuleInfo(
            key="sensing",
            title_zh="城市感知",
            title_en="City sensing",
            url="/sensing",
            description_zh="传感器地图、数据曲线与告警（SensorThings API、MQTT）",
            description_en="Sensor map, charts and alarms (SensorThings API, MQTT)",
            order=45,
        )
    ]
