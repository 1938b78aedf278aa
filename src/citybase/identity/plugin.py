from __future__ import annotations

from citybase.domain import DomainPlugin
from citybase.hookspecs import ModuleInfo, hookimpl

domain = DomainPlugin(
    name="identity",
    models="citybase.identity.models",
    routers=["citybase.identity.router:router", "citybase.identity.pages:router"],
    cli="citybase.identity.cli:app",
    cli_name="users",
    templates=True,
)


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    return [
        ModuleInfo(
            key="departments",
            title_zh="部门",
            title_en="Departments",
            url="/departments",
            description_zh="全市委办局及其数据、事项的责任主体",
            description_en="The city's departments, owners of data and services",
            order=90,
        ),
        ModuleInfo(
            key="users",
            title_zh="用户与角色",
            title_en="Users and roles",
            url="/users",
            roles=frozenset({"platform_admin", "dept_admin"}),
            description_zh="账号、角色与部门授权",
            description_en="Accounts, roles and department scope",
            order=91,
        ),
        ModuleInfo(
            key="tokens",
            title_zh="API 令牌",
            title_en="API tokens",
            url="/tokens",
            # staff integrate systems; a citizen's menu stays about their own affairs
            roles=frozenset(
                {"platform_admin", "dept_admin", "officer", "dispatcher", "data_steward", "analyst"}
            ),
            description_zh="为脚本和系统对接签发令牌",
            description_en="Tokens for scripts and system integration",
            order=95,
        ),
    ]
