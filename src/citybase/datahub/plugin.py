from __future__ import annotations

from typing import TYPE_CHECKING, Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import (
    DashboardScope,
    DashboardWidget,
    DemoStep,
    LiveIndicator,
    ModuleInfo,
    hookimpl,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


domain = DomainPlugin(
    name="datahub",
    models="citybase.datahub.models",
    routers=[
        "citybase.datahub.router:router",
        "citybase.datahub.router_rows:router",
        "citybase.datahub.router_elements:router",
        "citybase.datahub.router_privacy:router",
        "citybase.datahub.pages:router",
        "citybase.datahub.pages_load:router",
        "citybase.datahub.pages_privacy:router",
    ],
    cli="citybase.datahub.cli:app",
    templates=True,
    translations=True,
)


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    from citybase.identity.enums import DEPARTMENT_ROLES, Role

    staff = frozenset(str(r) for r in DEPARTMENT_ROLES | {Role.platform_admin})
    return [
        ModuleInfo(
            key="datahub",
            title_zh="数据目录",
            title_en="Data catalog",
            url="/datahub",
            roles=staff,
            description_zh="全市数据资源目录：检索、元数据、版本、质量与数据接口",
            description_en="The city's data catalog: search, metadata, versions, quality, data API",
            order=40,
        ),
        ModuleInfo(
            key="datahub-elements",
            title_zh="数据元与一数一源",
            title_en="Data elements (one data, one source)",
            url="/datahub/elements",
            roles=staff,
            description_zh="数据元注册、权威来源与副本一致性核查",
            description_en="Element registry, authoritative sources, replica consistency",
            order=41,
        ),
        ModuleInfo(
            key="datahub-usage",
            title_zh="高频共性数据",
            title_en="High-frequency common data",
            url="/datahub/usage",
            roles=staff,
            description_zh="按使用部门数与调用次数排名的数据元与数据集",
            description_en="Elements and datasets ranked by using departments and reads",
            order=42,
        ),
    ]


@hookimpl
def citybase_demo_steps() -> list[DemoStep]:
    from citybase.datahub.demo import build_datahub, build_registries
    from citybase.datahub.demo_privacy import build_privacy

    return [
        DemoStep(name="registries", order=40, run=build_registries),
        DemoStep(name="datahub", order=50, run=build_datahub),
        DemoStep(name="grading-release", order=55, run=build_privacy),
    ]


@hookimpl
def citybase_live_indicators(session: Session) -> list[LiveIndicator]:
    from citybase.datahub.indicators import live_indicators

    return live_indicators(db_session=session)


@hookimpl
def citybase_load_jobs() -> None:
    from citybase.datahub import uploads  # noqa: F401 - registers datahub.load_upload


@hookimpl
def citybase_periodic_jobs() -> list[Any]:
    from citybase.datahub.uploads import PERIODIC

    return list(PERIODIC)


@hookimpl
def citybase_event_types() -> list[type[Any]]:
    from citybase.datahub.events import VersionLoaded, VersionRestored

    return [VersionLoaded, VersionRestored]


@hookimpl
def citybase_startup(session_factory: Any, settings: Any) -> None:
    """Remove what killed loads left behind (also hourly, as ``datahub.sweep_uploads``)."""
    from citybase.datahub.uploads import sweep

    sweep(session_factory=session_factory, settings=settings)


@hookimpl
def citybase_dashboard_widgets() -> list[DashboardWidget]:
    from citybase.datahub import service

    def datasets(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
        found = service.list_datasets(
            db_session=db_session, viewer=scope.user, department_code=scope.department_code
        )
        return {"value": len(found)}

    def open_reads(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
        # usage counters are kept per UTC day (datahub.usage)
        reads = service.reads_on(
            db_session=db_session, day=scope.now.date(), department_code=scope.department_code
        )
        return {"value": reads["public"], "downloads": reads["downloads"], "total": reads["total"]}

    return [
        DashboardWidget(
            key="datahub.datasets",
            title_zh="数据资源",
            title_en="Datasets",
            unit_zh="个",
            kind="number",
            data=datasets,
            refresh_on=("datahub.VersionLoaded",),
            url="/datahub",
            order=40,
        ),
        DashboardWidget(
            key="datahub.open_reads_today",
            title_zh="今日开放数据调用",
            title_en="Open-data reads today",
            unit_zh="次",
            kind="number",
            data=open_reads,
            url="/datahub/usage",
            refresh_seconds=60,  # reads announce no event (they are counted, not published)
            description_zh="公众（未登录）今日读取与下载开放数据的次数",
            description_en="Reads and downloads of open data by the public today",
            order=41,
        ),
    ]
