"""一网统管 as a plug-in: tables, API, CLI, workflow, events, the alarm subscriber, live
indicators, the demo step and the live trickle."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import LiveIndicator, hookimpl

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

HERE = Path(__file__).parent

domain = DomainPlugin(
    name="ops",
    models="citybase.ops.models",
    routers=[
        "citybase.ops.router:router",
        "citybase.ops.open311:router",
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
