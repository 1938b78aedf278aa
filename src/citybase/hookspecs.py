"""Every plug-in hook citybase offers, in one place.

Built-in domains (identity, audit, geo, datahub, assess, web, demo …) implement these
hooks in their own ``plugin.py`` exactly as a third-party domain would; third-party
domains are found through the ``citybase`` entry-point group. Each hook is documented in
docs/plugins.md (a test fails if one is not).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from sqlalchemy.orm import Session

hookspec = pluggy.HookspecMarker("citybase")
hookimpl = pluggy.HookimplMarker("citybase")


@dataclass(frozen=True)
class ModuleInfo:
    """A module shown on the home page to users whose roles may use it."""

    key: str
    title_zh: str
    title_en: str
    url: str
    roles: frozenset[str] = frozenset()  # empty: every signed-in user
    description_zh: str = ""
    description_en: str = ""
    order: int = 100


@dataclass(frozen=True)
class DemoStep:
    """One step of building the demo city; steps run in ``order``."""

    name: str
    order: int
    run: Callable[[Any], None]  # receives a citybase.demo.context.DemoContext


@dataclass(frozen=True)
class DashboardScope:
    """What the person looking at a dashboard may see; every widget's data function gets it.

    ``department_code`` None means city-wide (platform admins on a city layout); otherwise
    the widget must count only that department's records. ``area_code`` narrows a
    district's or street's screen to that area (None: the whole city). ``today`` is the
    city's calendar day (``worktime_timezone``), ``day_start`` the UTC instant it began,
    ``now`` the current UTC instant.
    """

    user: Any  # the signed-in citybase.identity.models.User (for service calls taking a viewer)
    role: str
    department_code: str | None
    area_code: str | None
    locale: str
    today: dt.date
    now: dt.datetime
    day_start: dt.datetime  # the UTC instant the city's ``today`` began
    layout: str = ""

    @property
    def city_wide(self) -> bool:
        return self.department_code is None


#: The shapes a widget's data may take (docs/dashboard.md gives each one's JSON).
WIDGET_KINDS = ("number", "trend", "bar", "map", "map_layer", "ticker", "triangle", "figures")


@dataclass(frozen=True)
class DashboardWidget:
    """One tile, chart or map layer of the one-screen dashboard (一屏总览).

    The first five fields are the original contract (``render(session)``); a widget now
    gives ``data(session, scope)`` instead, and says which events refresh it. See
    docs/dashboard.md.
    """

    key: str  # "<domain>.<name>", unique, referenced by layouts
    title_zh: str
    title_en: str
    render: Callable[[Any], dict[str, Any]] | None = None  # old form: receives a Session
    order: int = 100
    kind: str = "number"  # one of WIDGET_KINDS
    data: Callable[[Any, DashboardScope], dict[str, Any]] | None = None  # (Session, scope)
    refresh_on: tuple[str, ...] = ()  # event types ("ops.CaseOpened", "t:field=value")
    url: str | None = None  # drill-down page when the tile is clicked
    roles: frozenset[str] = frozenset()  # empty: every staff user; admins always
    refresh_seconds: int = 0  # also re-read this often (figures no event announces); 0: never
    per_user: bool = False  # data depends on the user, not only on role, department and area
    unit_zh: str = ""
    unit_en: str = ""
    description_zh: str = ""
    description_en: str = ""

    @property
    def shown_as(self) -> str:
        """The kind drawn: a widget in the original ``render`` form that names no kind
        returns a dict of figures (``{"applications": 12, "instant_share": 0.4}``)."""
        if self.data is None and self.kind == "number":
            return "figures"
        return self.kind

    def compute(self, session: Any, scope: DashboardScope) -> dict[str, Any]:
        """The widget's data for ``scope`` (old-form widgets ignore the scope)."""
        if self.data is not None:
            return self.data(session, scope)
        if self.render is not None:
            return self.render(session)
        raise TypeError(f"dashboard widget {self.key!r} has neither data nor render")


@dataclass(frozen=True)
class LiveIndicator:
    """A value the platform measures about its own city, for the assessment."""

    indicator_id: str
    value: float
    unit: str
    source: str  # which domain / query measured it
    measured_at: str  # ISO timestamp
    note: str = ""


@dataclass
class Translations:
    locale: str
    messages: dict[str, str] = field(default_factory=dict)


@hookspec
def citybase_load_models() -> None:
    """Import the domain's SQLAlchemy models so they join ``citybase.db.Base.metadata``."""


@hookspec
def citybase_migration_dirs() -> list[Path]:  # type: ignore[empty-body]
    """Extra Alembic version directories (third-party domains)."""


@hookspec
def citybase_routers() -> list[APIRouter]:  # type: ignore[empty-body]
    """FastAPI routers (API and pages) to mount on the app."""


@hookspec
def citybase_cli(app: typer.Typer) -> None:
    """Add the domain's Typer sub-app (``app.add_typer(...)``) to the root CLI."""


@hookspec
def citybase_template_dirs() -> list[Path]:  # type: ignore[empty-body]
    """Directories of Jinja2 templates for the domain's pages."""


@hookspec
def citybase_translations(locale: str) -> dict[str, str]:  # type: ignore[empty-body]
    """UI strings for ``locale`` ("zh-CN" or "en"), keyed by message id."""


@hookspec
def citybase_modules() -> list[ModuleInfo]:  # type: ignore[empty-body]
    """Home-page entries for the domain's screens."""


@hookspec
def citybase_demo_steps() -> list[DemoStep]:  # type: ignore[empty-body]
    """Steps that add the domain's share of the demo city."""


@hookspec
def citybase_dashboard_widgets() -> list[DashboardWidget]:  # type: ignore[empty-body]
    """Widgets for the one-screen city dashboard (一屏总览)."""


@hookspec
def citybase_live_indicators(session: Session) -> list[LiveIndicator]:  # type: ignore[empty-body]
    """Indicator values the domain measures from its own data, for BTE assessment."""


@hookspec(firstresult=True)
def citybase_read_scope(db_session: Session, user: Any, dataset: Any, settings: Any) -> Any:
    """How ``user``, who may not read ``dataset`` in full, may read part of it.

    Return a ``citybase.datahub.scope.ReadScope`` (columns, row filters, de-identification,
    purpose), a ``ReadRefusal`` whose message says why not (e.g. an expired grant), or None
    when the plug-in has nothing to say. The first answer that is not None wins.
    """


@hookspec
def citybase_rows_read(db_session: Session, event: Any) -> None:
    """A staff user read rows about personal subjects (``citybase.datahub.scope.RowsReadEvent``:
    who, which dataset and version, purpose, grant, channel and the subjects' ID numbers —
    never to be stored in clear). Runs inside the reader's transaction."""


@hookspec
def citybase_event_types() -> list[type[Any]]:  # type: ignore[empty-body]
    """The domain's event classes (``citybase.events.DomainEvent`` subclasses, each with a
    unique ``event_type`` such as "sharing.RequestDecided"). ``publish`` refuses others."""


@hookspec
def citybase_event_subscribers() -> list[Any]:  # type: ignore[empty-body]
    """The domain's reactions to events (``citybase.events.Subscriber``: a stable name, the
    event types, and ``handle(db_session, event)``), run after the publisher commits."""


@hookspec
def citybase_workflows() -> list[Path]:  # type: ignore[empty-body]
    """The domain's workflow definitions (YAML files named ``<workflow>.yaml``; see
    docs/workflow.md). A file of the same name in the ``workflow_dir`` setting replaces one."""


@hookspec
def citybase_check_settings(settings: Any) -> None:
    """Validate the domain's configuration files at start-up (``create_app``); raise
    ``citybase.errors.ConfigurationError`` naming the file, the entry and the fix."""


@hookspec
def citybase_load_jobs() -> None:
    """Import the modules that define the domain's ``@citybase.jobs.job`` functions."""


@hookspec
def citybase_periodic_jobs() -> list[Any]:  # type: ignore[empty-body]
    """Jobs to run every so often (``citybase.jobs.PeriodicJob(name, interval, args)``)."""


@hookspec
def citybase_startup(session_factory: Any, settings: Any) -> None:
    """Work a domain does when an API process starts, before it serves (e.g. the data hub
    removes upload leftovers of killed loads). A failure is logged, not fatal."""
