"""/api/docs (Swagger UI) and /api/redoc (ReDoc) served from vendored files, never a CDN.

``make assets`` copies swagger-ui-dist and ReDoc's standalone bundle from the npm registry into
``static/vendor/`` (pinned in package.json / package-lock.json), so the pages work on an
intranet with no internet access. Swagger UI's one inline start-up script carries the
response's CSP nonce (see ``content_security_policy`` in citybase.app).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

VENDOR = "/static/vendor"
router = APIRouter(include_in_schema=False)


@router.get("/api/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} — API",
        swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui.css",
        swagger_favicon_url=f"{VENDOR}/swagger-favicon-32x32.png",
        # no validator badge: it would send the spec's URL to validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )
    nonce = getattr(request.state, "csp_nonce", "")
    html = bytes(page.body).decode().replace("<script>", f'<script nonce="{nonce}">')
    return HTMLResponse(html)


@router.get("/api/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} — API",
        redoc_js_url=f"{VENDOR}/redoc.standalone.js",
        redoc_favicon_url=f"{VENDOR}/swagger-favicon-32x32.png",
        with_google_fonts=False,
    )
