"""Public system endpoints: health."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

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


#: The database's state is looked at most this often; between looks health answers from
#: memory, so a probe (or a load balancer polling every instance) costs no query.
HEALTH_TTL_SECONDS = 1.0


@dataclass
class _Probe:
    at: float = -1e9
    body: Health | None = None
    status: int = 503
    encoded: bytes = b""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _check_database(factory: Any, heads: list[str]) -> tuple[Health, int]:
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
        return body, 503
    up_to_date = current == heads
    body = Health(
        status="ok" if up_to_date else "degraded",
        version=citybase.__version__,
        database=dialect,
        migrations={"current": current, "heads": heads, "up_to_date": up_to_date},
    )
    return body, 200 if up_to_date else 503


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready: database or migrations."}},
)
async def health(request: Request) -> Response:
    """Liveness and readiness: version, database reachability and migration state. Public.

    The database is queried at most once a second (``HEALTH_TTL_SECONDS``), in a worker
    thread; concurrent probes share that answer.
    """
    probe: _Probe = getattr(request.app.state, "health_probe", None) or _Probe()
    request.app.state.health_probe = probe
    if time.monotonic() - probe.at > HEALTH_TTL_SECONDS:
        async with probe.lock:
            if time.monotonic() - probe.at > HEALTH_TTL_SECONDS:
                factory = request.app.state.session_factory
                body, status = await run_in_threadpool(
                    _check_database, factory, list(_script_heads())
                )
                probe.body, probe.status = body, status
                probe.encoded = json.dumps(body.model_dump()).encode()
                probe.at = time.monotonic()
    return Response(probe.encoded, status_code=probe.status, media_type="application/json")
