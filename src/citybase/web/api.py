"""Public system endpoints: health."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

import citybase

router = APIRouter(prefix="/api", tags=["system"])


class Health(BaseModel):
    status: str
    version: str
    database: str
    migrations: dict[str, object]


@lru_cache(maxsize=1)
def _script_heads() -> tuple[str, ...]:
    """Migration heads come from files shipped with the code: read them once."""
    from alembic.script import ScriptDirectory

    from citybase.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return tuple(sorted(script.get_heads()))


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready: database or migrations."}},
)
def health(request: Request) -> JSONResponse:
    """Liveness and readiness: version, database reachability and migration state. Public."""
    factory = request.app.state.session_factory
    heads = list(_script_heads())
    try:
        with factory() as session:
            conn = session.connection()
            dialect = conn.dialect.name
            try:
                current = sorted(
                    r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                )
            except SQLAlchemyError:
                session.rollback()
                if inspect(session.connection()).has_table("alembic_version"):
                    raise
                current = []
    except SQLAlchemyError as exc:
        body = Health(
            status="unavailable",
            version=citybase.__version__,
            database=f"error: {type(exc).__name__}",
            migrations={"current": [], "heads": heads, "up_to_date": False},
        )
        return JSONResponse(body.model_dump(), status_code=503)
    up_to_date = current == heads
    body = Health(
        status="ok" if up_to_date else "degraded",
        version=citybase.__version__,
        database=dialect,
        migrations={"current": current, "heads": heads, "up_to_date": up_to_date},
    )
    return JSONResponse(body.model_dump(), status_code=200 if up_to_date else 503)
