"""Open data: the public portal, the CKAN-compatible Action API and the DCAT-AP export."""

from __future__ import annotations

from citybase.domain import DomainPlugin

domain = DomainPlugin(
    name="opendata",
    routers=[
        "citybase.opendata.portal:router",
        "citybase.opendata.ckan:router",
        "citybase.opendata.dcat:router",
    ],
    templates=True,
    translations="locales/{locale}.yaml",
)
