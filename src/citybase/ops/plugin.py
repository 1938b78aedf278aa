"""一网统管 as a plug-in: tables, API, CLI, workflow, events, the alarm subscriber, live
indicators, the demo step and the live trickle."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import DashboardWidget, DemoStep, LiveIndicator, ModuleInfo, hookimpl

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

HERE = Path(__file__).parent

domain = DomainPlugin(
    name="ops",
    models="citybase.ops.models",
    routers=[
        "citybase.ops.router:router",
        "citybase.ops.open311:router",
        "citybase.ops.pages:router",
        "citybase.ops.pages_work:router",
        "citybase.ops.pages_admin:router",
    ],
    cli="citybase.ops.cli:app",
    templates=True,
    translations="locales/{locale}.yaml",
)


@hookimpl
def citybase_workflows() -> list[Path]:
    return [HERE / "data" / "workflows" / "ops_case.yaml"]


@hookimpl
def citybase_check_settings(settings: Any) -> None:
    from citybase.ops.flow import check_definition
    from citybase.ops.routing import file_rules
    from citybase.ops.taxonomy import categories

    check_definition(settings)
    categories(settings)
    file_rules()


@hookimpl
def citybase_event_types() -> list[type[Any]]:
    from citybase.ops.events import EVENT_TYPES

    return list(EVENT_TYPES)


@hookimpl
def citybase_event_subscribers() -> list[Any]:
    from citybase.ops.alarms import SUBSCRIBERS

    return list(SUBSCRIBERS)


@hookimpl
def citybase_live_indicators(session: Session) -> list[LiveIndicator]:
    from citybase.ops.indicators import live_indicators

    return live_indicators(db_session=session)


@hookimpl
def citybase_demo_steps() -> list[DemoStep]:
    from citybase.ops.demo import build_ops

    return [DemoStep(name="ops", order=70, run=build_ops)]


@hookimpl
def citybase_load_jobs() -> None:
    from citybase.ops import demo  # noqa: F401 - registers ops.demo_trickle


@hookimpl
def citybase_periodic_jobs() -> list[Any]:
    from citybase.ops.demo import PERIODIC

    return list(PERIODIC)


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    """The ops pages on the home page, each for the roles that work there."""

    def module(key: str, zh: str, en: str, url: str, roles: set[str], dzh: str, den: str,
               order: int) -> ModuleInfo:  # fmt: skip
        return ModuleInfo(key=key, title_zh=zh, title_en=en, url=url, roles=frozenset(roles),
                          description_zh=dzh, description_en=den, order=order)  # fmt: skip

    return [
        module(
            "ops-intake",
            "12345 热线受理",
            "Hotline intake",
            "/ops/intake",
            {"call_taker", "dispatcher"},
            "接听来电、查询来电人历史诉求、智能分类与查重",
            "Take calls: caller lookup, category suggestions, duplicate warning",
            20,
        ),
        module(
            "ops-queue",
            "一网统管",
            "City operations",
            "/ops/queue",
            {"dispatcher", "officer", "dept_admin", "call_taker", "analyst"},
            "城市事件派遣、签收、处置、核查、结案全流程",
            "Dispatch, accept, handle, verify and close city events",
            21,
        ),
        module(
            "ops-patrol",
            "网格巡查",
            "Grid patrol",
            "/ops/patrol",
            {"grid_worker"},
            "巡查上报与现场核查（手机页面）",
            "Report findings and verify on site (mobile)",
            22,
        ),
        module(
            "ops-indicators",
            "一网统管考核指标",
            "Operations indicators",
            "/ops/indicators",
            {"dispatcher", "analyst", "officer", "dept_admin"},
            "结案率、按期结案率等指标，图表与导出，热点网格",
            "Closure and on-time rates, charts, exports, hot spots",
            23,
        ),
        module(
            "ops-report",
            "我要反映",
            "Report a problem",
            "/ops/report",
            {"applicant"},
            "向城市反映问题：文字、照片、地图定位，可匿名",
            "Tell the city about a problem: text, photos, a point on the map",
            10,
        ),
        module(
            "ops-my",
            "我的诉求",
            "My reports",
            "/ops/my",
            {"applicant"},
            "查看我反映问题的办理状态和答复",
            "Status and replies of what you reported",
            11,
        ),
    ]


@hookimpl
def citybase_dashboard_widgets() -> list[DashboardWidget]:
    from citybase.ops.widgets import widgets

    return widgets()
