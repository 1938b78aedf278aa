"""Governed sharing as a plug-in: models, API and pages, CLI, the data hub's read scope and
read events, a home-page module and the demo step."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import DashboardScope, DashboardWidget, DemoStep, ModuleInfo, hookimpl

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

HERE = Path(__file__).parent


domain = DomainPlugin(
    name="sharing",
    models="citybase.sharing.models",
    routers=["citybase.sharing.router:router", "citybase.sharing.pages:router"],
    cli="citybase.sharing.cli:app",
    templates=True,
    translations=True,
)


@hookimpl
def citybase_read_scope(db_session: Session, user: Any, dataset: Any, settings: Any) -> Any:
    from citybase.sharing.grants import read_scope

    return read_scope(db_session, user=user, dataset=dataset, settings=settings)


@hookimpl
def citybase_rows_read(db_session: Session, event: Any) -> None:
    from citybase.sharing.tracker import record_read

    record_read(db_session, event)


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    from citybase.identity.enums import DEPARTMENT_ROLES, Role

    staff = frozenset(str(r) for r in DEPARTMENT_ROLES | {Role.platform_admin})
    return [
        ModuleInfo(
            key="sharing",
            title_zh="数据共享",
            title_en="Data sharing",
            url="/sharing",
            roles=staff,
            description_zh="一网通用：申请、审批与使用其他部门的数据（按授权脱敏、全程留痕）",
            description_en="Request, approve and use other departments' data under grants",
            order=43,
        ),
        ModuleInfo(
            key="sharing-tracker",
            title_zh="我的数据使用记录",
            title_en="Who used my data",
            url="/sharing/tracker",
            roles=frozenset({Role.applicant.value}),
            description_zh="查看哪些部门在何时、为何读取了与您有关的记录",
            description_en="See which departments read records about you, when and why",
            order=90,
        ),
    ]


@hookimpl
def citybase_demo_steps() -> list[DemoStep]:
    from citybase.sharing.demo import build_sharing

    return [DemoStep(name="sharing", order=60, run=build_sharing)]


@hookimpl
def citybase_workflows() -> list[Path]:
    return [HERE / "data" / "workflows" / "sharing_request.yaml"]


@hookimpl
def citybase_check_settings(settings: Any) -> None:
    from citybase.sharing.flow import check_definition

    check_definition(settings)


@hookimpl
def citybase_dashboard_widgets() -> list[DashboardWidget]:
    from citybase.sharing import service

    def granted_today(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
        n = service.grants_since(
            db_session=db_session, since=scope.day_start, department_code=scope.department_code
        )
        return {"value": n}

    def pending(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
        return {"value": service.pending_count(db_session=db_session, viewer=scope.user)}

    moves = ("workflow.Transitioned:workflow=sharing_request",)
    return [
        DashboardWidget(
            key="sharing.grants_today",
            title_zh="今日共享授权",
            title_en="Shares granted today",
            unit_zh="项",
            kind="number",
            data=granted_today,
            refresh_on=moves,
            url="/sharing",
            order=50,
        ),
        DashboardWidget(
            key="sharing.pending",
            title_zh="待审共享申请",
            title_en="Sharing requests to decide",
            unit_zh="件",
            kind="number",
            data=pending,
            refresh_on=moves,
            url="/sharing/queue",
            order=51,
        ),
    ]
