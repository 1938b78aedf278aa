"""FastAPI application factory: mounts every domain's routers and the one error handler."""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import citybase
from citybase.audit.context import request_id_var
from citybase.db import database_busy, make_engine, make_session_factory
from citybase.errors import CitybaseError, Conflict, ServiceUnavailable
from citybase.jobs.runtime import lifespan as jobs_lifespan
from citybase.plugins import get_plugin_manager, load_all_models
from citybase.settings import Settings, get_settings
from citybase.web import apidocs
from citybase.web.openapi import ERROR_RESPONSES

log = logging.getLogger("citybase")

STATIC_DIR = Path(__file__).parent / "web" / "static"
RETRY_AFTER_SECONDS = 1


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api", "/catalog.")):
        return False
    return "text/html" in request.headers.get("accept", "")


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def content_security_policy(nonce: str, path: str) -> bytes:
    """CSP for HTML responses: scripts only from this site (or carrying this response's nonce).

    Styles allow inline: the templates use ``style`` attributes (e.g. the map legend's colours),
    which a nonce cannot cover; scripts, the dangerous part, stay strict. /api/docs and
    /api/redoc also run the vendored Swagger UI / ReDoc, whose ReDoc search uses a blob worker.
    """
    policy = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    if path in ("/api/docs", "/api/redoc"):
        policy += "; worker-src 'self' blob:"
    return policy.encode("latin-1")


class RequestContextMiddleware:
    """Request id (from X-Request-ID or new) for logs and audit; security headers.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware costs a task and a stream
    per request, which more than halves throughput on small endpoints.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                rid = value.decode("latin-1")[:64]
                break
        rid = rid or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        nonce = state["csp_nonce"] = secrets.token_urlsafe(16)
        token = request_id_var.set(rid)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.append((b"x-request-id", rid.encode("latin-1")))
                headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if (
                    content_type.startswith(b"text/html")
                    and b"content-security-policy" not in present
                ):
                    csp = content_security_policy(nonce, scope["path"])
                    headers.append((b"content-security-policy", csp))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_id_var.reset(token)


#: Paths that hold a request open without using the database meanwhile: not admitted
#: through the gate (a live stream would keep a place for hours).
_UNGATED = ("/api/events/stream", "/static/", "/api/health")


class AdmissionGate:
    """At most ``limit`` requests inside the app at once; the rest wait at the door.

    A request inside holds a pooled database connection from its first query until it
    ends, while its handler waits for one of the request threads. Without a bound, many
    clients at once could take every connection while the threads wait for connections
    for newer requests: nothing moves until the pool's timeout (503s). Waiting here holds
    no connection, so the limit (below the pool's size) keeps every admitted request able
    to finish. Clients see queueing, never an error.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._sem: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_UNGATED):
            await self.app(scope, receive, send)
            return
        if self._sem is None:  # made in the server's event loop
            self._sem = asyncio.Semaphore(self.limit)
        async with self._sem:
            await self.app(scope, receive, send)


def _error_response(request: Request, err: CitybaseError) -> Response:
    if wants_html(request):
        from citybase.web.templating import render

        if err.status == 401:
            from fastapi.responses import RedirectResponse

            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return render(request, "error.html", {"error": err}, status_code=err.status)
    return JSONResponse(err.as_dict(), status_code=err.status)


def busy_response(request: Request, why: str) -> Response:
    """503 with Retry-After: the database is busy past its timeout, not broken."""
    err = ServiceUnavailable(
        f"The database is busy ({why}); try again in a moment.", code="database_busy"
    )
    response = _error_response(request, err)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    load_all_models()
    get_plugin_manager().hook.citybase_check_settings(settings=settings)
    if session_factory is None:
        engine = make_engine(settings.effective_database_url)
        session_factory = make_session_factory(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run on this many threads: more only adds GIL hand-offs on a
        # CPU-bound Python server, and each must find a pooled connection (citybase.db).
        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        async with jobs_lifespan(app):
            yield

    app = FastAPI(
        lifespan=lifespan,
        title="citybase",
        version=citybase.__version__,
        description="城市数字底座 — the open city digital base.",
        docs_url=None,  # /api/docs and /api/redoc: citybase.web.apidocs (vendored, no CDN)
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.session_factory = session_factory

    # twice the request threads: enough queued to keep them busy, below the pool's size
    app.add_middleware(AdmissionGate, limit=2 * settings.request_threads)
    app.add_middleware(RequestContextMiddleware)

    @app.exception_handler(CitybaseError)
    async def citybase_error(request: Request, exc: CitybaseError) -> Response:
        return _error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        msg = first.get("msg", "Invalid input")
        err = CitybaseError(
            f"{field}: {msg}" if field else str(msg),
            field=field,
            code="validation_error",
            status=422,
        )
        return _error_response(request, err)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            message = f"No such page or endpoint: {request.url.path}"
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request.app, request.url.path)
            message = f"{request.method} is not allowed here; allowed: {headers['Allow']}."
        response = _error_response(
            request, CitybaseError(message, code=code, status=exc.status_code)
        )
        response.headers.update(headers)
        return response

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, exc: RecursionError) -> Response:
        # Reading a request nested ~1,000 levels deep (JSON bodies, JSON query values).
        err = CitybaseError(
            "The request nests arrays or objects too deeply to read; flatten it.",
            code="too_deep",
            status=400,
        )
        return _error_response(request, err)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def not_storable(request: Request, exc: Exception) -> Response:
        # A value the database cannot hold reached it (a number beyond 64 bits on SQLite or
        # 32 on PostgreSQL, a NUL byte in text on PostgreSQL). Ids are bounded where declared
        # (citybase.web.openapi.IdPath); this is the net for what no declaration caught.
        detail = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
        err = CitybaseError(
            f"A value in the request cannot be stored ({detail}); check numbers and text.",
            code="validation_error",
            status=422,
        )
        return _error_response(request, err)

    @app.exception_handler(ValidationError)
    async def service_validation_error(request: Request, exc: ValidationError) -> Response:
        # A service validated its input with a Pydantic model and it failed.
        return await validation_error(request, RequestValidationError(exc.errors()))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        if isinstance(exc, IntegrityError):
            # Two requests created the same thing at the same moment (a unique key); the
            # services check first, so only a race gets here: the loser is told to retry.
            log.warning("integrity conflict on %s: %s", request.url.path, exc.orig)
            return _error_response(
                request,
                Conflict(
                    "This conflicts with a change made at the same moment by another "
                    "request; reload and try again.",
                    code="concurrent_change",
                ),
            )
        busy = database_busy(exc)
        if busy is None:
            return await unexpected(request, exc)
        log.warning("database busy on %s: %s", request.url.path, busy)
        return busy_response(request, busy)

    @app.exception_handler(SATimeoutError)
    async def pool_timeout(request: Request, exc: SATimeoutError) -> Response:
        log.warning("no free database connection on %s", request.url.path)
        return busy_response(request, "no free database connection")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        rid = getattr(request.state, "request_id", "?")
        err = CitybaseError(
            f"Internal error. Quote request id {rid} to your administrator.",
            code="internal_error",
            status=500,
        )
        return _error_response(request, err)

    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.include_router(apidocs.router)
    for routers in get_plugin_manager().hook.citybase_routers():
        for router in routers:
            app.include_router(router, responses=ERROR_RESPONSES)
    return app


def allowed_methods(app: FastAPI, path: str) -> str:
    """The ``Allow`` header for ``path``: the methods of every route whose path matches it."""
    methods: set[str] = set()
    for route in iter_routes(app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def iter_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route of the app, looking inside included routers (FastAPI ≥ 0.160 nests them;
    citybase includes them without a prefix, so each route's own path is its full path)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from iter_routes(included.routes)
        else:
            yield route
