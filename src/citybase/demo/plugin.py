"""The core share of the demo city: departments and accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from citybase.hookspecs import DemoStep, hookimpl

if TYPE_CHECKING:
    from citybase.demo.context import DemoContext


def _departments(ctx: DemoContext) -> None:
    from citybase.identity import service as identity_service

    path = ctx.settings.effective_taxonomy_dir / "departments.yaml"
    with ctx.session() as s:
        identity_service.load_departments_file(db_session=s, path=path, actor=None)


def _accounts(ctx: DemoContext) -> None:
    from citybase.demo.accounts import DEMO_PASSWORD, demo_accounts
    from citybase.identity import service as identity_service
    from citybase.identity.enums import Role

    accounts = demo_accounts()
    task = ctx.progress.add_task("演示账号 accounts", total=len(accounts))
    with ctx.session() as s:
        for acc in accounts:
            if identity_service.get_user_by_username(db_session=s, username=acc.username) is None:
                identity_service.create_user(
                    db_session=s,
                    actor=None,
                    username=acc.username,
                    display_name=acc.display_name,
                    password=DEMO_PASSWORD,
                    role=Role(acc.role),
                    department_code=acc.department,
                )
            ctx.progress.advance(task)


@hookimpl
def citybase_demo_steps() -> list[DemoStep]:
    return [
        DemoStep(name="departments", order=10, run=_departments),
        DemoStep(name="accounts", order=20, run=_accounts),
    ]
