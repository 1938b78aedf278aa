from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from citybase.hookspecs import ModuleInfo, hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter


@hookimpl
def citybase_load_models() -> None:
    from citybase.identity import models  # noqa: F401


@hookimpl
def citybase_routers() -> list[APIRouter]:
    from citybase.identity import pages, router

    return [router.router, pages.router]


@hookimpl
def citybase_cli(app: typer.Typer) -> None:
    from citybase.identity.cli import app as users_app

    app.add_typer(users_app, name="users")


@hookimpl
def citybase_template_dirs() -> list[Path]:
    return [Path(__file__).parent / "templates"]


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
            description_zh="为脚本和系统对接签发令牌",
            description_en="Tokens for scripts and system integration",
            order=95,
        ),
    ]
