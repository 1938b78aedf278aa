"""Open data: mounts the CKAN-compatible Action API and the DCAT-AP export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from citybase.hookspecs import hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter


@hookimpl
def citybase_routers() -> list[APIRouter]:
    from citybase.opendata import ckan, dcat

    return [ckan.router, dcat.router]
