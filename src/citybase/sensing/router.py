"""The SensorThings API v1.1 at ``/sta/v1.1`` (sensing part), with citybase extensions.

One catch-all route per method parses the resource path itself (``Things(1)/Datastreams``
is not a FastAPI path template). Every call needs a signed-in user; writes need a writer
role and, for department users, the Thing's department.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from citybase.errors import ValidationFailed
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.sensing import mqtt_publish, service
from citybase.sensing.sta.entities import ENTITY_SETS
from citybase.sensing.sta.query import Reader
from citybase.sensing.sta.resource import resolve
from citybase.sensing.store import GRAINS, now_ms, parse_time
from citybase.sensing.store import rollups as read_rollups

PREFIX = "/sta/v1.1"
router = APIRouter(prefix=PREFIX, tags=["sensing"])

MQTT_CREATE = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/"
    "observations-creation"
)
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/core",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
    MQTT_CREATE,
    "http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates",
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _factory(request: Request) -> Any:
    return request.app.state.session_factory


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            f"The body is not valid JSON: {exc}.", field="body", code="invalid_json"
        ) from None


@router.get("")
def service_root(request: Request, user: CurrentUser) -> dict[str, Any]:
    """The service document: entity sets and the conformance classes met."""
    base = _base(request)
    return {
        "value": [{"name": n, "url": f"{base}/{n}"} for n in ENTITY_SETS],
        "serverSettings": {
            "conformance": CONFORMANCE,
            MQTT_CREATE: {"endpoints": [f"mqtt://{request.url.hostname}:1883"]},
        },
    }


@router.post("/CreateObservations", status_code=201)
async def create_observations(
    request: Request, user: CurrentUser, db_session: SessionDep
) -> JSONResponse:
    """The dataArray extension; all rows commit together or none (the row is named)."""
    body = await _body(request)
    base = _base(request)

    def work() -> list[int]:
        ids = service.create_observations(db_session, actor=user, body=body)
        db_session.commit()
        return ids

    ids = await run_in_threadpool(work)
    mqtt_publish.observations_created(ids, base, session_factory=_factory(request))
    return JSONResponse([f"{base}/Observations({i})" for i in ids], status_code=201)


@router.get("/{path:path}")
async def read(path: str, request: Request, user: CurrentUser, db_session: SessionDep) -> Any:
    options = dict(request.query_params)
    base = _base(request)

    def work() -> Any:
        res = resolve(db_session, path)
        reader = Reader(db_session, base)
        reader.check_options(options)
        if res.extension == "Rollups":
            return _rollups(db_session, res.ident, options)
        if res.prop is not None:
            row = res.row(db_session)
            value = row.id if res.prop == "id" else res.es.props[res.prop].get(row)
            if res.raw_value:
                return Response(str(value), media_type="text/plain")
            return {res.prop: value}
        if res.ident is not None or res.single:
            row = res.row(db_session)
            (doc,) = reader.render_many(res.es, [row], options)
            return doc
        return reader.collection(res.es, res.conditions, options, f"{base}/{path}")

    return await run_in_threadpool(work)


def _rollups(db_session: Any, ident: int | None, options: dict[str, str]) -> dict[str, Any]:
    assert ident is not None
    grain = options.get("grain", "hour")
    end = parse_time(options["end"], "end")[0] if "end" in options else now_ms()
    start = (
        parse_time(options["start"], "start")[0]
        if "start" in options
        else end - 24 * GRAINS["hour"]
    )
    from citybase.sensing.sta.entities import ms_to_iso

    rows = read_rollups(db_session, datastream_id=ident, grain=grain, start_ms=start, end_ms=end)
    return {
        "grain": grain,
        "value": [{"time": ms_to_iso(r.pop("bucket_ms")), **r} for r in rows],
    }


@router.post("/{path:path}", status_code=201)
async def create(
    path: str, request: Request, user: CurrentUser, db_session: SessionDep
) -> JSONResponse:
    body = await _body(request)
    base = _base(request)

    def work() -> tuple[dict[str, Any], str, int]:
        res = resolve(db_session, path)
        if res.ident is not None or res.single or res.prop is not None:
            raise ValidationFailed("POST to a collection, e.g. /sta/v1.1/Things.", field="path")
        ident = service.create(db_session, actor=user, es=res.es, body=body, parent=res.parent)
        db_session.commit()
        reader = Reader(db_session, base)
        row = db_session.get(res.es.model, ident)
        return reader.render(res.es, row), res.es.name, ident

    doc, set_name, ident = await run_in_threadpool(work)
    if set_name == "Observations":
        mqtt_publish.observations_created([ident], base, session_factory=_factory(request))
    return JSONResponse(doc, status_code=201, headers={"Location": doc["@iot.selfLink"]})


async def _change(path: str, request: Request, user: Any, db_session: Any, replace: bool) -> Any:
    body = await _body(request)
    base = _base(request)
    if request.headers.get("content-type", "").startswith("application/json-patch+json"):
        raise ValidationFailed(
            "JSON Patch is not supported; send a JSON object with the new values (merge).",
            field="Content-Type",
        )

    def work() -> Any:
        res = resolve(db_session, path)
        if res.ident is None or res.prop is not None:
            raise ValidationFailed("PATCH one entity, e.g. /sta/v1.1/Things(1).", field="path")
        row = service.update(db_session, actor=user, es=res.es, ident=res.ident, body=body)
        db_session.commit()
        return Reader(db_session, base).render(res.es, row)

    return await run_in_threadpool(work)


@router.patch("/{path:path}")
async def patch(path: str, request: Request, user: CurrentUser, db_session: SessionDep) -> Any:
    return await _change(path, request, user, db_session, replace=False)


@router.put("/{path:path}")
async def put(path: str, request: Request, user: CurrentUser, db_session: SessionDep) -> Any:
    return await _change(path, request, user, db_session, replace=True)


@router.delete("/{path:path}")
async def remove(
    path: str, request: Request, user: CurrentUser, db_session: SessionDep
) -> Response:
    def work() -> None:
        res = resolve(db_session, path)
        if res.ident is None or res.prop is not None:
            raise ValidationFailed("DELETE one entity, e.g. /sta/v1.1/Things(1).", field="path")
        service.delete_entity(db_session, actor=user, es=res.es, ident=res.ident)
        db_session.commit()

    await run_in_threadpool(work)
    return Response(status_code=200)
