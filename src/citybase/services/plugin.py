"""One-stop services (一网通办) as a plug-in: catalogue, rules, applications on the workflow,
e-certificates, bundles, pages, CLI, dashboard figures, live indicators and the demo step."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import DashboardWidget, DemoStep, LiveIndicator, ModuleInfo, hookimpl

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

HERE = Path(__file__).parent

domain = DomainPlugin(
    name="services",
    models="citybase.services.models",
    routers=["citybase.services.router:router", "citybase.services.pages:router"],
    cli="citybase.services.cli:app",
    templates=True,
    translations="locales/{locale}.yaml",
)


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    from citybase.identity.enums import Role

    return [
        ModuleInfo(
            key="services",
            title_zh="一网通办",
            title_en="One-stop services",
            url="/services",
            roles=frozenset({Role.applicant.value}),
            description_zh="查找事项、在线申请、秒批、免于提交、电子证照",
            description_en="Find a service, apply online, instant decisions, e-certificates",
            order=20,
        ),
        ModuleInfo(
            key="services-staff",
            title_zh="政务服务办件",
            title_en="Service applications",
            url="/services/staff",
            roles=frozenset({Role.officer.value, Role.dept_admin.value, Role.platform_admin.value}),
            description_zh="受理、审查（含规则轨迹）、补正与统计",
            description_en="Acceptance queue, review with the rule trace, statistics",
            order=44,
        ),
    ]


@hookimpl
def citybase_workflows() -> list[Path]:
    return [HERE / "data" / "workflows" / "service_application.yaml"]


@hookimpl
def citybase_check_settings(settings: Any) -> None:
    from citybase.services.certs import check_signing_key
    from citybase.services.flow import check_definition
    from citybase.services.ruletests import library

    check_definition(settings)
    library(settings)  # catalogue and every rule file: refused at start-up with file and line
    check_signing_key(settings)


@hookimpl
def citybase_live_indicators(session: Session) -> list[LiveIndicator]:
    from citybase.services.figures import live_indicators

    return live_indicators(db_session=session)


@hookimpl
def citybase_dashboard_widgets() -> list[DashboardWidget]:
    from citybase.services.figures import today_figures

    def today(db_session: Any, scope: Any) -> dict[str, Any]:
        return today_figures(db_session, department=scope.department_code)

    def applications(db_session: Any, scope: Any) -> dict[str, Any]:
        return {"value": today(db_session, scope)["applications"]}

    def instant(db_session: Any, scope: Any) -> dict[str, Any]:
        f = today(db_session, scope)
        zero = f["zero_trip_share"]
        note = (
            (f"零跑动 {zero:.0%}" if scope.locale != "en" else f"zero trips {zero:.0%}")
            if zero is not None
            else ""
        )
        return {"value": f["instant_share"], "note": note}

    refresh = ("workflow.Transitioned:workflow=service_application",)
    return [
        DashboardWidget(
            key="services.today",
            title_zh="今日政务服务",
            title_en="Services today",
            render=lambda session: today_figures(session),
            order=30,
        ),
        DashboardWidget(
            key="services.applications_today",
            title_zh="今日办件",
            title_en="Applications today",
            unit_zh="件",
            unit_en="applications",
            kind="number",
            data=applications,
            url="/services/staff",
            refresh_on=refresh,
            refresh_seconds=60,
        ),
        DashboardWidget(
            key="services.instant_share",
            title_zh="秒批率",
            title_en="Instant approvals",
            kind="number",
            data=instant,
            url="/services/staff",
            refresh_on=refresh,
            refresh_seconds=60,
        ),
    ]


@hookimpl
def citybase_demo_steps() -> list[DemoStep]:
    from citybase.services.demo import build_services

    return [DemoStep(name="services", order=70, run=build_services)]
