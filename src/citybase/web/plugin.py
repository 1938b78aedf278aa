"""The platform's own API (health) and pages (home, login, errors)."""

from __future__ import annotations

from citybase.domain import DomainPlugin

domain = DomainPlugin(
    name="web",
    routers=["citybase.web.api:router", "citybase.web.pages:router"],
)
