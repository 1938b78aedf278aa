"""The assess domain registers through the same hooks as any third-party domain."""

from __future__ import annotations

from typing import Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import DashboardScope, DashboardWidget, DemoStep, ModuleInfo, hookimpl

domain = DomainPlugin(
    name="assess",
    models="citybase.assess.models",
    routers=["citybase.assess.router:router", "citybase.assess.pages:router"],
    cli="citybase.assess.cli:app",
    templates=True,
)


@hookimpl
def citybase_translations(locale: str) -> dict[str, str]:
    from citybase.assess.report import all_messages

    return dict(all_messages().get(locale, {}))


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    return [
        ModuleInfo(
            key="assess",
            title_zh="转型评估",
            title_en="Assessment",
            url="/assess",
            roles=frozenset({"analyst"}),
            description_zh="BTE 模型、八大要素、木桶效应与“1+N”路线图",
            description_en="BTE model, eight elements, barrel effect and the 1+N roadmap",
            order=70,
        )
    ]


@hookimpl
def citybase_demo_steps() -> list[DemoStep]:
    from citybase.assess.demo import build_assessments

    # Late: the 2026 assessment reads the live indicators of every domain built before it.
    return [DemoStep(name="assessments", order=900, run=build_assessments)]


@hookimpl
def citybase_dashboard_widgets() -> list[DashboardWidget]:
    from citybase.assess import service

    def triangle(db_session: Any, scope: DashboardScope) -> dict[str, Any]:
        row = service.latest_assessment(db_session=db_session)
        if row is None:
            return {"b": None, "t": None, "e": None, "index": None, "period": None}
        return {
            "b": row.axis_b,
            "t": row.axis_t,
            "e": row.axis_e,
            "index": row.bte_index,
            "period": row.period,
            "city": row.city_name or row.city_code,
            "url": f"/assess/{row.id}",
        }

    return [
        DashboardWidget(
            key="assess.bte_triangle",
            title_zh="BTE 转型指数",
            title_en="BTE transformation index",
            kind="triangle",
            data=triangle,
            url="/assess",
            order=80,
        )
    ]
