"""Open311 GeoReport v2 at ``/open311/v2/``: services, service definitions, POST and GET
requests, one request; JSON and XML (docs/ops.md, section "Open311").

One service per ops category (``service_code`` = the category code). Posting needs an
``api_key``: a citybase API token of an account allowed to take reports in (the city issues
one per client app). Requests are created at once (no token resource). Errors are the
spec's error list with 400 (bad or missing parameter), 403 (``api_key``) and 404.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from citybase.errors import CitybaseError, NotFound, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.deps import SessionDep
from citybase.ops import channels, service
from citybase.ops.enums import OPEN_STATES, Channel
from citybase.ops.models import OpsCase
from citybase.ops.open311_format import FORMATS, document, errors, iso, mask_text
from citybase.ops.schemas import IntakeBody
from citybase.ops.taxonomy import Category
from citybase.settings import Settings
from citybase.web.i18n import request_locale, translate
from citybase.worktime import clock_for

_BOTH: dict[str, Any] = {"application/json": {}, "text/xml": {}}
#: What the resources answer (the spec's shapes, in JSON or XML), for the OpenAPI document.
DOCUMENTED: dict[int | str, dict[str, Any]] = {
    200: {"description": "The spec's document, JSON or XML.", "content": _BOTH},
    400: {"description": "The spec's error list: a missing or bad parameter.", "content": _BOTH},
    403: {"description": "The spec's error list: api_key missing or not allowed.",
          "content": _BOTH},
    404: {"description": "The spec's error list: no such service, request or format.",
          "content": _BOTH},
}  # fmt: skip
POSTED: dict[int | str, dict[str, Any]] = {
    **DOCUMENTED,
    201: {"description": "Created: [{service_request_id, service_notice, account_id}].",
          "content": _BOTH},
}  # fmt: skip
_FIELDS = ("api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string",
           "address_id", "email", "device_id", "account_id", "first_name", "last_name",
           "phone", "description", "media_url", "idempotency_key")  # fmt: skip
POST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["service_code"],
                    "properties": {f: {"type": "string"} for f in _FIELDS},
                }
            }
        },
    }
}
router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"], responses=DOCUMENTED)
CLOSED_STATES = ("closed", "rejected", "merged")
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"format: '{fmt}' is not served; use .json or .xml.", field="format")
    return fmt


def _guard(fmt: str, db_session: Any, run: Callable[[], Response]) -> Response:
    """Every failure as the spec's error list (never citybase's own error shape)."""
    shown = fmt if fmt in FORMATS else "xml"
    try:
        return run()
    except CitybaseError as exc:
        db_session.rollback()
        status = {401: 403, 403: 403, 404: 404}.get(exc.status, 400)
        return errors(shown, status, exc.message)


def _unit(cat: Category, locale: str) -> str:
    amount = f"{cat.limit_amount:g}"
    return translate(locale, f"ops.open311.limit.{cat.limit_unit.value}", n=amount)


def _service_row(cat: Category, depts: dict[str, str], locale: str) -> dict[str, Any]:
    name = cat.name_en if locale == "en" else cat.name_zh
    return {
        "service_code": cat.code,
        "service_name": name,
        "description": translate(
            locale,
            "ops.open311.service_description",
            department=depts.get(cat.department, cat.department),
            limit=_unit(cat, locale),
        ),
        "metadata": False,  # the categories carry no extra attributes
        "type": "realtime",
        "keywords": ", ".join(cat.keywords),
        "group": depts.get(cat.department, cat.department),
    }


@router.get("/services.{fmt}")
def services(fmt: str, request: Request, db_session: SessionDep) -> Response:
    """All services (one per city-event category)."""

    def run() -> Response:
        locale = request_locale(request)
        depts = channels.department_names(db_session, locale)
        rows = [_service_row(c, depts, locale) for c in service.category_list(_settings(request))]
        return document(_fmt(fmt), rows, root="services", item="service")

    return _guard(fmt, db_session, run)


@router.get("/services/{code}.{fmt}")
def service_definition(code: str, fmt: str, request: Request, db_session: SessionDep) -> Response:
    """A service's definition; the city's categories have no extra attributes."""

    def run() -> Response:
        if code not in {c.code for c in service.category_list(_settings(request))}:
            raise NotFound(f"service_code: no service '{code}'.", field="service_code")
        body = {"service_code": code, "attributes": []}
        return document(_fmt(fmt), body, root="service_definition", item="attribute",
                        attributes="attribute")  # fmt: skip

    return _guard(fmt, db_session, run)


def _text(form: Any, key: str, limit: int = 4000) -> str:
    value = form.get(key)
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise ValidationFailed(f"{key}: at most {limit} characters.", field=key)
    return text


def _float(form: Any, key: str) -> float | None:
    text = _text(form, key, 40)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationFailed(
            f"{key}: '{text}' is not a number (WGS84 degrees).", field=key
        ) from None


def _idempotency(request: Request, form: Any, user_id: int, body: dict[str, Any]) -> str:
    """The client's own key (``Idempotency-Key`` header or ``idempotency_key``), or else the
    content of the post on its city day: a second identical POST returns the first request."""
    key = request.headers.get("idempotency-key") or _text(form, "idempotency_key", 200)
    seed = f"k:{key}" if key else "c:" + "|".join(f"{k}={v}" for k, v in sorted(body.items()))
    return f"open311:{user_id}:" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:56]


@router.post("/requests.{fmt}", responses=POSTED, openapi_extra=POST_BODY)
async def post_request(fmt: str, request: Request, db_session: SessionDep) -> Response:
    """Create a service request (form-encoded, as the spec says; ``api_key`` in the form or
    the query string)."""
    form = await request.form()
    settings = _settings(request)
    locale = request_locale(request)

    def run() -> Response:
        _fmt(fmt)
        key = _text(form, "api_key", 200) or request.query_params.get("api_key", "")
        if not key:
            raise CitybaseError("api_key: required to post a request; ask the city for one.",
                                field="api_key", status=403)  # fmt: skip
        user = identity_service.resolve_token(db_session=db_session, token=key)
        code = _text(form, "service_code", 64)
        if not code:
            raise ValidationFailed("service_code: required.", field="service_code")
        cats = {c.code: c for c in service.category_list(settings)}
        if code not in cats:
            raise ValidationFailed(f"service_code: no service '{code}'.", field="service_code")
        lat, lon = _float(form, "lat"), _float(form, "long")
        address = _text(form, "address_string", 400) or _text(form, "address_id", 400)
        if (lat is None) != (lon is None):
            raise ValidationFailed("lat/long: give both, or an address_string.", field="long")
        if lat is None and not address:
            raise ValidationFailed("lat: give lat and long, or address_string.", field="lat")
        description = _text(form, "description") or f"{cats[code].name_zh} {address}".strip()
        name = (_text(form, "last_name", 32) + _text(form, "first_name", 32)).strip()
        raw = {
            "service_code": code, "lat": lat, "long": lon, "address": address,
            "description": description, "name": name, "phone": _text(form, "phone", 32),
            "email": _text(form, "email", 200), "day": dt.date.today().isoformat(),
        }  # fmt: skip
        body = IntakeBody(
            channel=Channel.open311, text=description, lon=lon, lat=lat, address=address,
            category=code, reporter_name=name, reporter_phone=raw["phone"],
            external_ref=_text(form, "device_id", 128) or _text(form, "account_id", 128),
            idempotency_key=_idempotency(request, form, user.id, raw),
        )  # fmt: skip
        result = service.intake(db_session=db_session, settings=settings, actor=user, body=body)
        media = _text(form, "media_url", 1000)
        if result.created and media:
            channels.add_media_url(
                db_session=db_session, case_id=result.case.id, url=media, author=user.username
            )
        db_session.commit()
        row = {
            "service_request_id": result.case.id,
            "service_notice": _notice(result.case, settings, locale),
            "account_id": None,
        }
        return document(fmt, [row], root="service_requests", item="request",
                        status=201 if result.created else 200)  # fmt: skip

    return _guard(fmt, db_session, run)


def _notice(case: OpsCase, settings: Settings, locale: str) -> str:
    if case.due_at is None:
        return translate(locale, "ops.open311.notice_received")
    due = iso(case.due_at, clock_for(settings).tz) or ""
    return translate(locale, "ops.open311.notice_due", due=due.replace("T", " ")[:16])


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _when(text: str, key: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{key}: '{text}' is not an ISO 8601 date-time (e.g. 2026-12-08T09:00:00+08:00).",
            field=key,
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _request_rows(
    db_session: Any, cases: list[OpsCase], settings: Settings, locale: str
) -> list[dict[str, Any]]:
    tz = clock_for(settings).tz
    cats = {c.code: c for c in service.category_list(settings)}
    depts = channels.department_names(db_session, locale)
    ids = [c.id for c in cases]
    replies = channels.notes_by_case(db_session, ids, "reply")
    media = channels.notes_by_case(db_session, ids, channels.MEDIA_NOTE)
    rows = []
    for case in cases:
        cat = cats.get(case.category or "")
        label = channels.state_label(settings, case.status, locale)
        notes = replies[case.id].text if case.id in replies else label
        if case.status == "merged" and case.merged_into:
            notes = translate(locale, "ops.open311.merged", id=case.merged_into)
        rows.append({
            "service_request_id": case.id,
            "status": "open" if case.status in OPEN_STATES else "closed",
            "status_notes": notes,
            "service_name": (cat.name_en if locale == "en" else cat.name_zh) if cat else "",
            "service_code": case.category or "",
            "description": mask_text(case.text),
            "agency_responsible": depts.get(case.department or "", case.department or ""),
            "service_notice": _notice(case, settings, locale),
            "requested_datetime": iso(case.created_at, tz),
            "updated_datetime": iso(case.updated_at, tz),
            "expected_datetime": iso(case.due_at, tz),
            "address": case.address,
            "address_id": "",
            "zipcode": "",
            "lat": case.lat,
            "long": case.lon,
            "media_url": media[case.id].text if case.id in media else "",
        })  # fmt: skip
    return rows


@router.get("/requests.{fmt}")
def get_requests(fmt: str, request: Request, db_session: SessionDep) -> Response:
    """Requests (public): by ``service_request_id`` (comma list; then nothing else filters),
    else ``service_code``, ``status`` (open, closed), ``start_date``/``end_date`` (default:
    the last 90 days), at most 1000, newest first."""
    q = request.query_params

    def run() -> Response:
        _fmt(fmt)
        ids: list[int] = []
        for part in _split(q.get("service_request_id", "")):
            if not part.isdigit():
                raise ValidationFailed(f"service_request_id: '{part}' is not a number.",
                                       field="service_request_id")  # fmt: skip
            ids.append(int(part))
        wanted = _split(q.get("status", ""))
        bad = [s for s in wanted if s not in ("open", "closed")]
        if bad:
            raise ValidationFailed(f"status: '{bad[0]}'; use open or closed.", field="status")
        states: list[str] | None = None
        if wanted and set(wanted) != {"open", "closed"}:
            states = list(OPEN_STATES) if wanted == ["open"] else list(CLOSED_STATES)
        start, end = _when(q.get("start_date", ""), "start_date"), _when(
            q.get("end_date", ""), "end_date")  # fmt: skip
        if start is None and end is None and not ids:
            start = dt.datetime.now(dt.UTC) - dt.timedelta(days=DEFAULT_DAYS)
        cases = channels.public_requests(
            db_session=db_session, ids=ids, categories=_split(q.get("service_code", "")),
            states=states, start=start, end=end, limit=MAX_REQUESTS,
        )  # fmt: skip
        rows = _request_rows(db_session, cases, _settings(request), request_locale(request))
        return document(fmt, rows, root="service_requests", item="request")

    return _guard(fmt, db_session, run)


@router.get("/requests/{request_id}.{fmt}")
def get_request(request_id: str, fmt: str, request: Request, db_session: SessionDep) -> Response:
    """One request, as a list of one (the spec's shape)."""

    def run() -> Response:
        _fmt(fmt)
        cases = (
            channels.public_requests(db_session=db_session, ids=[int(request_id)])
            if request_id.isdigit() else []
        )  # fmt: skip
        if not cases:
            raise NotFound(f"service_request_id: no request {request_id}.", field="id")
        rows = _request_rows(db_session, cases, _settings(request), request_locale(request))
        return document(fmt, rows, root="service_requests", item="request")

    return _guard(fmt, db_session, run)
