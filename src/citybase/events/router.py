"""The live event stream (server-sent events) and the admin API for failed deliveries."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from citybase.events import service
from citybase.events.service import Viewer
from citybase.events.wake import hub
from citybase.identity.deps import AdminUser, CurrentUser, SessionDep

router = APIRouter(tags=["events"])


def _start_id(session_factory: sessionmaker[Session], given: str | None) -> int:
    if given is not None and given.strip().isdigit():
        return min(int(given.strip()), 2**62)
    with session_factory() as s:
        return service.last_id(s)


def _read(
    session_factory: sessionmaker[Session], viewer: Viewer, after: int
) -> tuple[int, list[dict[str, Any]]]:
    with session_factory() as s:  # a short read: no connection is held between batches
        return service.read_after(s, viewer=viewer, after=after)


@router.get(
    "/api/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
    summary="Live stream of the events you may see (server-sent events)",
)
async def stream(
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> StreamingResponse:
    """Each message: ``id`` (outbox id), ``event`` (event type), ``data`` (JSON). Resumes
    after ``Last-Event-ID`` (or ``?after=``); without either, starts with new events."""
    viewer = Viewer.of(user)
    db_session.close()  # release the connection before streaming
    sf: sessionmaker[Session] = request.app.state.session_factory
    keepalive = float(request.app.state.settings.events_keepalive_seconds)
    given = last_event_id if last_event_id is not None else (None if after is None else str(after))
    start = await run_in_threadpool(_start_id, sf, given)

    async def body() -> AsyncIterator[str]:
        last = start
        h = hub("events")
        yield "retry: 3000\n: connected\n\n"
        while not await request.is_disconnected():
            seen = h.seq
            scanned, events = await run_in_threadpool(_read, sf, viewer, last)
            for ev in events:
                data = json.dumps(ev, ensure_ascii=False)
                yield f"id: {ev['id']}\nevent: {ev['type']}\ndata: {data}\n\n"
            if scanned != last:
                last = scanned
                continue
            if await h.wait_async(seen, keepalive) == seen:
                yield ": keep-alive\n\n"

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/api/events/failures", summary="Event deliveries that kept failing (admins)")
def list_failures(user: AdminUser, db_session: SessionDep) -> list[dict[str, Any]]:
    return service.failures(db_session)


@router.post(
    "/api/events/deliveries/{delivery_id}/retry", summary="Retry a failed delivery (admins)"
)
def retry_delivery(
    delivery_id: Annotated[int, Path(ge=1, le=2**62)],
    user: AdminUser,
    db_session: SessionDep,
) -> dict[str, Any]:
    row = service.retry_delivery(db_session, delivery_id=delivery_id, actor=user)
    db_session.commit()
    return {"id": row.id, "status": row.status}
