"""``citybase sharing …``: requests, decisions, grants, citizens' links and the data tracker.

Requests and decisions are made *as* a named account (``--as USERNAME``), with that
account's department and role checked exactly as on the web, and audited under it: the CLI
runs on the server, where an operator already holds the database. Linking citizens and
tracker look-ups act as the system.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from citybase.cli_support import console, db_session, friendly_errors, load_settings
from citybase.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from citybase.identity.models import User

app = typer.Typer(
    help="Governed sharing (一网通用) and the citizens' data tracker.", no_args_is_help=True
)
AsUser = Annotated[str, typer.Option("--as", help="Username the command acts as.")]


def _user(s: object, username: str) -> User:
    from citybase.identity import service as identity_service

    user = identity_service.get_user_by_username(db_session=s, username=username)  # type: ignore[arg-type]
    if user is None:
        raise NotFound(f"--as: no user '{username}'.", field="--as")
    return user


def _date(text: str | None, field: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{field}: '{text}' is not a date; write YYYY-MM-DD.", field=field
        ) from None


def _clear(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        column, sep, reason = item.partition("=")
        if not sep or not column:
            raise ValidationFailed(
                f"--clear '{item}' must be COLUMN=REASON (why the column is needed in clear).",
                field="--clear",
            )
        out[column] = reason
    return out


@app.command("request")
@friendly_errors
def request(
    dataset: Annotated[str, typer.Argument(help="Dataset name, e.g. gaj-residents.")],
    as_user: AsUser,
    purpose: Annotated[str, typer.Option(help="What the data is for (用途).")],
    legal_basis: Annotated[str, typer.Option(help="Law, regulation or duty allowing it.")],
    until: Annotated[str, typer.Option(help="Last day of the grant, YYYY-MM-DD (≤ 3 years).")],
    start: Annotated[str | None, typer.Option("--from", help="First day (default today).")] = None,
    column: Annotated[list[str], typer.Option(help="A column to request (repeat).")] = [],  # noqa: B006
    filter: Annotated[list[str], typer.Option(help="Row filter column:op:value (repeat).")] = [],  # noqa: B006
    clear: Annotated[list[str], typer.Option(help="COLUMN=REASON wanted in clear.")] = [],  # noqa: B006
) -> None:
    """File a sharing request and print what was decided."""
    from citybase.datahub import service as datahub_service
    from citybase.sharing import service
    from citybase.sharing.schemas import RequestCreate

    settings = load_settings()
    with db_session(settings) as s:
        req = service.file_request(
            db_session=s,
            data_dir=settings.data_dir,
            settings=settings,
            actor=_user(s, as_user),
            data=RequestCreate(
                dataset=dataset,
                purpose=purpose,
                legal_basis=legal_basis,
                valid_from=_date(start, "--from"),
                valid_until=_date(until, "--until"),
                columns=column or None,
                row_filter=[datahub_service.parse_filter(f) for f in filter],
                clear_columns=_clear(clear),
            ),
        )
        read = service.request_read(s, req)
    console.print(
        f"Request #{read.id}: {read.status_label} ({read.status}). {read.decision_reason}"
    )


@app.command("approve")
@friendly_errors
def approve(
    request_id: int,
    as_user: AsUser,
    reason: Annotated[str, typer.Option(help="Why it is approved (审核意见).")],
    column: Annotated[list[str], typer.Option(help="Narrow to these columns (repeat).")] = [],  # noqa: B006
    until: Annotated[str | None, typer.Option(help="An earlier end, YYYY-MM-DD.")] = None,
) -> None:
    """Approve a pending request as the owning department's data steward."""
    from citybase.sharing import service
    from citybase.sharing.schemas import ApproveBody

    settings = load_settings()
    with db_session(settings) as s:
        grant = service.approve_request(
            db_session=s,
            settings=settings,
            data_dir=settings.data_dir,
            actor=_user(s, as_user),
            request_id=request_id,
            decision=ApproveBody(
                reason=reason, columns=column or None, valid_until=_date(until, "--until")
            ),
        )
        read = service.grant_read(grant)
    console.print(
        f"Grant #{read.id}: {read.department} reads {read.dataset} until {read.valid_until}; "
        f"de-identified: {', '.join(read.deid_policy) or '(none)'}."
    )


@app.command("reject")
@friendly_errors
def reject(
    request_id: int,
    as_user: AsUser,
    reason: Annotated[str, typer.Option(help="Why it is rejected.")],
) -> None:
    """Reject a pending request as the owning department's data steward."""
    from citybase.sharing import service

    with db_session() as s:
        service.reject_request(
            db_session=s, actor=_user(s, as_user), request_id=request_id, reason=reason
        )
    console.print(f"Request #{request_id} rejected.")


@app.command("revoke")
@friendly_errors
def revoke(
    grant_id: int,
    as_user: AsUser,
    reason: Annotated[str, typer.Option(help="Why the grant ends now.")],
) -> None:
    """Revoke a grant as the owning department's data steward."""
    from citybase.sharing import service

    with db_session() as s:
        service.revoke_grant(
            db_session=s, actor=_user(s, as_user), grant_id=grant_id, reason=reason
        )
    console.print(f"Grant #{grant_id} revoked.")


@app.command("list")
@friendly_errors
def list_(
    as_user: Annotated[str | None, typer.Option("--as", help="List as this user.")] = None,
    incoming: Annotated[bool, typer.Option(help="Requests for the user's datasets.")] = False,
    status: Annotated[str | None, typer.Option(help="pending, granted, rejected …")] = None,
) -> None:
    """Sharing requests (all of them without --as) with their status and grant."""
    from rich.table import Table

    from citybase.sharing import service

    with db_session() as s:
        viewer = _user(s, as_user) if as_user else None
        rows = service.list_requests(
            db_session=s, viewer=viewer, box="incoming" if incoming else "mine", status=status
        )
        table = Table("#", "dataset", "requester", "status", "until", "grant", "reason")
        for r in (service.request_read(s, x) for x in rows):
            table.add_row(
                str(r.id),
                r.dataset,
                r.department,
                r.status,
                r.valid_until.isoformat(),
                str(r.grant_id or ""),
                r.decision_reason[:60],
            )
    console.print(table)


@app.command("link-citizen")
@friendly_errors
def link_citizen(
    username: Annotated[str, typer.Argument(help="The citizen's account.")],
    id_number: Annotated[str, typer.Argument(help="Their 18-character ID number.")],
) -> None:
    """Link a citizen account to its holder's ID number (only a keyed token is stored)."""
    from citybase.sharing import service

    settings = load_settings()
    with db_session(settings) as s:
        service.link_citizen(
            db_session=s, settings=settings, actor=None, username=username, id_number=id_number
        )
    console.print(f"Linked '{username}' to their ID number (token only; the number is not kept).")


@app.command("tracker")
@friendly_errors
def tracker(
    id_number: Annotated[str, typer.Argument(help="The citizen's ID number.")],
    purpose: Annotated[str, typer.Option(help="Why you look this person up (audited).")],
) -> None:
    """Who read records about this ID number, when and why (audited look-up)."""
    from rich.table import Table

    from citybase.sharing import service

    settings = load_settings()
    with db_session(settings) as s:
        result = service.lookup_on_behalf(
            db_session=s,
            data_dir=settings.data_dir,
            settings=settings,
            actor=None,
            id_number=id_number,
            purpose=purpose,
        )
    table = Table("when", "department", "dataset", "purpose", "legal basis", "grant", "channel")
    for e in result.entries:
        table.add_row(
            f"{e.at:%Y-%m-%d %H:%M}",
            e.department_name,
            e.dataset_title,
            e.purpose,
            e.legal_basis,
            str(e.grant_id or ""),
            e.channel,
        )
    console.print(table if result.entries else "No department has read records about this person.")
