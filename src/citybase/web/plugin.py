from __future__ import annotations

from typing import TYPE_CHECKING

from citybase.hookspecs import hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter


@hookimpl
def citybase_routers() -> list[APIRouter]:
    from citybase.web import api, pages

    return [api.router, pages.router]
