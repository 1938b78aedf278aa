"""``citybase users …``: bootstrap and manage accounts from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from citybase.cli_support import console, db_session, friendly_errors, load_settings
from citybase.identity.enums import Role

app = typer.Typer(help="Users, departments and API tokens.", no_args_is_help=True)


@app.command("create")
@friendly_errors
def create(
    username: str,
    role: Annotated[Role, typer.Option(help="Role of the new user.")],
    display_name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    department: Annotated[str | None, typer.Option(help="Department code.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a user (as the system; audited)."""
    from citybase.identity import service

    with db_session() as s:
        user = service.create_user(
            db_session=s,
            actor=None,
            username=username,
            display_name=display_name or username,
            password=password,
            role=role,
            department_code=department,
        )
        console.print(f"[green]Created[/] {user.username} ({user.role})")


@app.command("list")
@friendly_errors
def list_users() -> None:
    """List users with role and department."""
    from rich.table import Table
    from sqlalchemy import select

    from citybase.identity.models import User

    table = Table("username", "name", "role", "department", "active")
    with db_session() as s:
        for u in s.scalars(select(User).order_by(User.username)):
            table.add_row(
                u.username, u.display_name, u.role, u.department_code or "-", str(u.active)
            )
    console.print(table)


@app.command("token")
@friendly_errors
def token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    days: Annotated[int | None, typer.Option(min=1, max=3650)] = None,
) -> None:
    """Issue an API token for a user; it is printed once."""
    from citybase.identity import service

    settings = load_settings()
    with db_session(settings) as s:
        user = service.get_user_by_username(db_session=s, username=username)
        if user is None:
            from citybase.errors import NotFound

            raise NotFound(f"No user '{username}'.", field="username")
        plain, row = service.issue_token(
            db_session=s, user=user, name=name, days=days or settings.token_days
        )
        console.print(plain)
        console.print(f"[dim]expires {row.expires_at:%Y-%m-%d}; shown only once[/]")


@app.command("load-departments")
@friendly_errors
def load_departments(
    path: Annotated[Path, typer.Argument(help="A departments.yaml taxonomy file.")],
) -> None:
    """Create or update departments from a taxonomy file (all or nothing)."""
    from citybase.identity import service

    with db_session() as s:
        n = service.load_departments_file(db_session=s, path=path, actor=None)
        console.print(f"[green]{n}[/] departments created or updated")


@app.command("update")
@friendly_errors
def update(
    username: str,
    role: Annotated[Role | None, typer.Option(help="New role.")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Enable or disable the account.")
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="New full name.")] = None,
) -> None:
    """Change a user's role, name or status (as the system; audited).

    The last active platform administrator cannot be demoted or disabled.
    """
    from citybase.errors import NotFound
    from citybase.identity import service

    with db_session() as s:
        user = service.get_user_by_username(db_session=s, username=username)
        if user is None:
            raise NotFound(f"No user '{username}'.", field="username")
        service.update_user(
            db_session=s,
            actor=None,
            user_id=user.id,
            role=role,
            active=active,
            display_name=display_name,
        )
        console.print(f"[green]Updated[/] {user.username} ({user.role}, active={user.active})")
