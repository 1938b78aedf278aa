"""Jinja2 rendering shared by every domain's pages."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

import citybase
from citybase.hookspecs import ModuleInfo
from citybase.plugins import get_plugin_manager
from citybase.web.i18n import LANG_COOKIE, request_locale, translate


@lru_cache(maxsize=1)
def environment() -> Environment:
    dirs: list[Path] = [Path(__file__).parent / "templates"]
    for more in get_plugin_manager().hook.citybase_template_dirs():
        dirs.extend(d for d in more if d not in dirs)
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in dirs]),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = citybase.__version__
    return env


def modules_for(user: Any) -> list[ModuleInfo]:
    """Home-page modules the user's role may open, in order."""
    if user is None:
        return []
    out: list[ModuleInfo] = []
    for mods in get_plugin_manager().hook.citybase_modules():
        for m in mods:
            if not m.roles or user.role in m.roles or user.role == "platform_admin":
                out.append(m)
    return sorted(out, key=lambda m: (m.order, m.key))


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    locale = request_locale(request)
    user = getattr(request.state, "user", None)

    def t(key: str, **kwargs: object) -> str:
        return translate(locale, key, **kwargs)

    ctx: dict[str, Any] = {
        "request": request,
        "t": t,
        "locale": locale,
        "user": user,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        "nav": modules_for(user),
    }
    ctx.update(context or {})
    html = environment().get_template(template_name).render(ctx)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") == locale:
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    return response
