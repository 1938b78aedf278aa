from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from citybase.hookspecs import ModuleInfo, hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter


@hookimpl
def citybase_load_models() -> None:
    from citybase.audit import models  # noqa: F401


@hookimpl
def citybase_routers() -> list[APIRouter]:
    from citybase.audit import router

    return [router.router, router.pages]


@hookimpl
def citybase_cli(app: typer.Typer) -> None:
    from citybase.audit.cli import app as audit_app

    app.add_typer(audit_app, name="audit")


@hookimpl
def citybase_template_dirs() -> list[Path]:
    return [Path(__file__).parent / "templates"]


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
