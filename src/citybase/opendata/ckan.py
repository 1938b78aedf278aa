"""The CKAN-compatible Action API at ``/api/3/action/<name>`` and ``/api/action/<name>``.

Thin HTTP layer: read the request data the way CKAN does (GET query parameters, a JSON POST
body or a form), identify the caller from an API token, run the action, commit, and wrap the
result in CKAN's envelope ``{"help", "success", "result"}``. Errors get CKAN's bodies and
statuses (Not Found Error 404, Authorization Error 403, Validation Error 409, Search Query
Error 400) so ``ckanapi`` raises the same exceptions it raises against CKAN itself.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from citybase.errors import (
    AuthenticationRequired,
    CitybaseError,
    NotFound,
    PermissionDenied,
)
from citybase.identity import service as identity_service
from citybase.identity.deps import SESSION_COOKIE
from citybase.identity.models import User
from citybase.opendata import ckan_actions, ckan_orgs, datastore
from citybase.opendata.ckan_context import ACTIONS, ActionContext
from citybase.opendata.ckan_params import SearchQueryInvalid

log = logging.getLogger("citybase.opendata")

router = APIRouter(tags=["open data: CKAN Action API"])

# CKAN's own error envelope, documented in place of citybase's ErrorBody (route-level
# responses win over the ones create_app declares for every router).
CKAN_ERROR: dict[str, Any] = {
    "description": "CKAN's envelope: success false and error {__type, message}.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["success", "error"],
                "properties": {
                    "help": {"type": "string"},
                    "success": {"type": "boolean", "enum": [False]},
                    "error": {"type": "object"},
                },
            }
        }
    },
}
CKAN_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: CKAN_ERROR for status in (400, 403, 404, 409, 413, 422)
}

# The modules whose @action functions fill ACTIONS.
REGISTERED = (ckan_actions, ckan_orgs, datastore)

API_VERSION = 3


class BadRequest(Exception):
    """The request itself is unreadable (CKAN answers these with 400 "Bad request")."""


def _json_response(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type="application/json;charset=utf-8")


def error_body(err: CitybaseError) -> tuple[int, dict[str, Any]]:
    """CKAN's status and ``error`` object for one of our errors."""
    if isinstance(err, SearchQueryInvalid):
        return 400, {
            "__type": "Search Query Error",
            "message": f"Search Query is invalid: {err.message}",
        }
    if isinstance(err, NotFound):
        return 404, {"__type": "Not Found Error", "message": f"Not found: {err.message}"}
    if isinstance(err, AuthenticationRequired | PermissionDenied):
        return 403, {"__type": "Authorization Error", "message": f"Access denied: {err.message}"}
    if err.status >= 500:
        return err.status, {"__type": "Internal Server Error", "message": err.message}
    return 409, {"__type": "Validation Error", (err.field or "message"): [err.message]}


async def _request_data(request: Request) -> dict[str, Any]:
    """The action's input, read as CKAN reads it; repeated query keys become lists."""

    def mixed(pairs: list[tuple[str, str]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                prev = out[key]
                out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
            else:
                out[key] = value
        return out

    if request.method == "GET":
        return mixed(list(request.query_params.multi_items()))
    body = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body.strip():
        if ctype == "application/x-www-form-urlencoded":
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            # CKAN's old clients post the JSON object as the single form key.
            if len(pairs) == 1 and pairs[0][1] in ("", "1") and pairs[0][0].lstrip()[:1] == "{":
                body = pairs[0][0].encode()
            else:
                return mixed(pairs)
        if ctype == "multipart/form-data":
            form = await request.form()
            return mixed([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadRequest(f"JSON Error: the request body is not valid JSON ({exc}).") from None
        except RecursionError:
            raise BadRequest(
                "JSON Error: the request body nests arrays or objects too deeply to read; "
                "send a flat JSON object of parameters."
            ) from None
        if not isinstance(data, dict):
            raise BadRequest(
                f"Bad request data: Request data JSON decoded to {type(data).__name__} "
                "but it needs to be a dictionary (a JSON object of parameters)."
            )
        return data
    return mixed(list(request.query_params.multi_items()))


def _token_from_headers(request: Request) -> str | None:
    """ckanapi sends the key bare in ``Authorization`` (and ``X-CKAN-API-Key``); accept both,
    with or without the ``Bearer`` prefix."""
    raw = request.headers.get("authorization") or request.headers.get("x-ckan-api-key") or ""
    token = raw.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    return token or None


def _caller(db_session: Session, request: Request, token: str | None) -> User | None:
    if token is not None:
        user = identity_service.resolve_token(db_session=db_session, token=token)
        if db_session.dirty:
            db_session.commit()
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and request.method == "GET":  # a POST by cookie would need CSRF protection
        ws = identity_service.resolve_session(db_session=db_session, token=cookie)
        return ws.user if ws is not None else None
    return None


def _run(request: Request, name: str, data: dict[str, Any], token: str | None) -> Any:
    db_session: Session = request.app.state.session_factory()
    try:
        user = _caller(db_session, request, token)
        ctx = ActionContext(
            db_session=db_session,
            user=user,
            settings=request.app.state.settings,
            base_url=str(request.base_url).rstrip("/"),
        )
        result = ACTIONS[name](ctx, data)
        db_session.commit()
        return result
    except BaseException:
        db_session.rollback()
        raise
    finally:
        db_session.close()


def help_url(request: Request, name: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/api/3/action/help_show?name={name}"


async def call_action(name: str, request: Request) -> JSONResponse:
    """Run one CKAN action. GET reads query parameters; POST a JSON object (or a form)."""
    envelope: dict[str, Any] = {"help": help_url(request, name)}
    if name not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        envelope["success"] = False
        envelope["error"] = {
            "__type": "Bad Request",
            "message": f"Bad request - Action name not known: {name}. This site offers: {known}.",
        }
        return _json_response(400, envelope)
    try:
        data = await _request_data(request)
        result = await run_in_threadpool(_run, request, name, data, _token_from_headers(request))
    except BadRequest as exc:
        envelope["success"] = False
        envelope["error"] = {"__type": "Bad Request", "message": f"Bad request - {exc}"}
        return _json_response(400, envelope)
    except CitybaseError as err:
        status, error = error_body(err)
        envelope["success"] = False
        envelope["error"] = error
        return _json_response(status, envelope)
    except Exception:
        rid = getattr(request.state, "request_id", "?")
        log.exception("CKAN action %s failed", name)
        envelope["success"] = False
        envelope["error"] = {
            "__type": "Internal Server Error",
            "message": f"Internal Server Error: quote request id {rid} to the site administrator.",
        }
        return _json_response(500, envelope)
    envelope["success"] = True
    envelope["result"] = result
    return _json_response(200, envelope)


async def run_action(name: str, request: Request) -> JSONResponse:
    """CKAN Action API (read-only actions); see docs/ckan-api.md for actions and parameters."""
    return await call_action(name, request)


# ``/api/action`` is the version-less address ``ckanapi`` calls; both answer GET and POST.
for _prefix, _label in (("/api/3/action", "v3"), ("/api/action", "default")):
    for _method in ("GET", "POST"):
        router.add_api_route(
            f"{_prefix}/{{name}}",
            run_action,
            methods=[_method],
            operation_id=f"ckan_action_{_label}_{_method.lower()}",
            summary=f"CKAN action ({_method} {_prefix})",
            responses=CKAN_RESPONSES,
        )


@router.get("/api/3", summary="CKAN API version")
def api_version() -> dict[str, int]:
    """CKAN clients probe this to learn the API version."""
    return {"version": API_VERSION}
