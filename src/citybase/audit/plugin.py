from __future__ import annotations

from citybase.domain import DomainPlugin
from citybase.hookspecs import ModuleInfo, hookimpl

domain = DomainPlugin(
    name="audit",
    models="citybase.audit.models",
    routers=["citybase.audit.router:router", "citybase.audit.router:pages"],
    cli="citybase.audit.cli:app",
    templates=True,
)


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    return [
        ModuleInfo(
            key="audit",
            title_zh="审计日志",
            title_en="Audit log",
            url="/audit",
            roles=frozenset({"platform_admin", "dept_admin"}),
            description_zh="所有写操作与个人数据访问的防篡改记录",
            description_en="Tamper-evident record of every write and personal-data read",
            order=99,
        )
    ]
