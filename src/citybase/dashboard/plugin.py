"""The dashboard as a plug-in: API and pages, translations, a home-page entry, the start-up
check of every layout, and its own widget (the live ticker of events)."""

from __future__ import annotations

from typing import Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import DashboardWidget, ModuleInfo, hookimpl

domain = DomainPlugin(
    name="dashboard",
    routers=["citybase.dashboard.router:router", "citybase.dashboard.pages:router"],
    templates=True,
    translations="locales/{locale}.yaml",
)


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    from citybase.identity.enums import DEPARTMENT_ROLES, Role

    staff = frozenset(str(r) for r in DEPARTMENT_ROLES | {Role.platform_admin})
    return [
        ModuleInfo(
            key="dashboard",
            title_zh="一屏总览",
            title_en="City dashboard",
            url="/dashboard",
            roles=staff,
            description_zh="城市运行一屏总览：地图、关键指标、实时动态与日报",
            description_en="The city on one screen: map, key figures, live events, daily briefing",
            order=5,
        )
    ]


@hookimpl
def citybase_check_settings(settings: Any) -> None:
    from citybase.dashboard.service import layouts

    layouts(settings)  # an unknown widget key or a bad placement stops the start-up


@hookimpl
def citybase_dashboard_widgets() -> list[DashboardWidget]:
    from citybase.dashboard import ticker

    every = ("*",)
    return [
        DashboardWidget(
            key="dashboard.live_events",
            title_zh="实时动态",
            title_en="Live events",
            kind="ticker",
            data=ticker.live_events,
            refresh_on=every,
            per_user=True,  # events addressed to one user
            order=900,
        ),
        DashboardWidget(
            key="dashboard.events_today",
            title_zh="今日平台事件",
            title_en="Platform events today",
            unit_zh="条",
            kind="number",
            data=ticker.events_today,
            refresh_on=every,
            per_user=True,
            order=901,
        ),
        DashboardWidget(
            key="dashboard.event_trend",
            title_zh="24小时事件趋势",
            title_en="Events per hour, last 24 h",
            kind="trend",
            data=ticker.event_trend,
            refresh_on=every,
            per_user=True,
            order=902,
        ),
        DashboardWidget(
            key="dashboard.event_types",
            title_zh="24小时事件类型",
            title_en="Events by type, last 24 h",
            kind="bar",
            data=ticker.event_types,
            refresh_on=every,
            per_user=True,
            order=903,
        ),
    ]
