"""Domain events as a plug-in: the outbox models, the live stream, the admin page of failed
deliveries and the CLI."""

from __future__ import annotations

from citybase.domain import DomainPlugin
from citybase.hookspecs import ModuleInfo, hookimpl

domain = DomainPlugin(
    name="events",
    models="citybase.events.models",
    routers=["citybase.events.router:router", "citybase.events.pages:router"],
    cli="citybase.events.cli:app",
    templates=True,
    translations=True,
)


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    return [
        ModuleInfo(
            key="event-failures",
            title_zh="事件投递失败",
            title_en="Failed event deliveries",
            url="/admin/events",
            roles=frozenset({"platform_admin"}),
            description_zh="多次重试仍失败的跨域事件订阅，可排除原因后重试",
            description_en="Domain event subscribers that kept failing; retry them here",
            order=95,
        )
    ]
