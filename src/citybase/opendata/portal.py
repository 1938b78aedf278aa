"""The public open-data portal: anonymous catalogue pages, like CKAN's front end.

A citizen, a journalist or a developer arrives at ``/open`` without an account: search with
facets (department, theme, licence, format, keyword), a page per dataset (description,
licence, schema, a preview of the first rows, downloads in CSV/JSON/Parquet, the API calls
to use, DCAT links) and a page per licence. Everything shown is what the CKAN Action API
already answers anonymously (``ckan_actions``): the portal is a second renderer of the same
views, so the pages and the API can never disagree about what is open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from citybase.datahub import service as datahub_service
from citybase.datahub.enums import FREQUENCY_LABELS, UpdateFrequency
from citybase.datahub.types import RowQuery
from citybase.errors import CitybaseError, NotFound
from citybase.identity.deps import OptionalUser, SessionDep
from citybase.opendata import catalog_read, ckan_actions
from citybase.opendata.ckan_context import ActionContext
from citybase.opendata.ckan_fq import parse_fq
from citybase.opendata.views import DatasetView, LicenceView
from citybase.web.i18n import request_locale
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
PREVIEW_ROWS = 20
# Portal facet → the CKAN fq field it filters on.
FACETS: dict[str, str] = {
    "org": "organization",
    "theme": "groups",
    "licence": "license_id",
    "format": "res_format",
    "tag": "tags",
}


@dataclass(frozen=True)
class FacetItem:
    value: str
    label: str
    count: int
    selected: bool


def _context(request: Request, db_session: Any) -> ActionContext:
    # The portal is the public's view: it never uses a signed-in visitor's wider rights.
    return ActionContext(
        db_session=db_session,
        user=None,
        settings=request.app.state.settings,
        base_url=str(request.base_url).rstrip("/"),
    )


def _facet_label(field: str, value: str, views: list[DatasetView], locale: str) -> str:
    en = locale == "en"
    for v in views:
        if field == "organization" and v.org.name == value:
            return v.org.title_en if en and v.org.title_en else v.org.title_zh
        if field == "groups" and v.theme and v.theme.code == value:
            return v.theme.name_en if en else v.theme.name_zh
        if field == "license_id" and v.licence and v.licence.id == value:
            return v.licence.title_en if en and v.licence.title_en else v.licence.title_zh
    return value


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search(
    ctx: ActionContext, *, q: str, selected: dict[str, str], locale: str
) -> tuple[int, list[DatasetView], dict[str, list[FacetItem]]]:
    """Datasets open to everyone matching ``q`` and the selected facets, with facet counts."""
    views = ckan_actions.visible_views(ctx, include_private=False)
    if q:
        hits = datahub_service.search_datasets(
            db_session=ctx.db_session, viewer=None, q=q, sort="relevance", limit=100_000
        ).hits
        order = {h.name: i for i, h in enumerate(hits)}
        views = sorted((v for v in views if v.name in order), key=lambda v: order[v.name])
    else:
        views = sorted(views, key=lambda v: v.modified, reverse=True)
    fq = " ".join(
        f"{FACETS[key]}:{_quote(value)}" for key, value in selected.items() if key in FACETS
    )
    if fq:
        clause = parse_fq(fq, fields=ckan_actions.FQ_FIELDS)
        views = [v for v in views if clause.matches(ckan_actions.facts_of(v))]
    facets: dict[str, list[FacetItem]] = {}
    for key, field in FACETS.items():
        counts: dict[str, int] = {}
        for view in views:
            value = ckan_actions.facts_of(view)[field]
            for item in value if isinstance(value, list) else [value]:
                if item:
                    counts[str(item)] = counts.get(str(item), 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
        facets[key] = [
            FacetItem(
                value=k,
                label=_facet_label(field, k, views, locale),
                count=n,
                selected=selected.get(key) == k,
            )
            for k, n in ranked
        ]
    return len(views), views, facets


@router.get("/open")
def catalogue_page(
    request: Request,
    db_session: SessionDep,
    user: OptionalUser,
    q: Annotated[str, Query(max_length=200)] = "",
    org: Annotated[str, Query(max_length=100)] = "",
    theme: Annotated[str, Query(max_length=100)] = "",
    licence: Annotated[str, Query(max_length=100)] = "",
    format: Annotated[str, Query(max_length=20)] = "",
    tag: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The open-data catalogue: search, facets and a page of datasets."""
    locale = request_locale(request)
    selected = {
        k: v
        for k, v in {
            "org": org,
            "theme": theme,
            "licence": licence,
            "format": format,
            "tag": tag,
        }.items()
        if v
    }
    ctx = _context(request, db_session)
    count, views, facets = search(ctx, q=q.strip(), selected=selected, locale=locale)
    pages = max(1, math.ceil(count / PAGE_SIZE))
    shown = views[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render(
        request,
        "opendata/catalogue.html",
        {
            "q": q,
            "selected": selected,
            "count": count,
            "datasets": shown,
            "facets": facets,
            "page": page,
            "pages": pages,
            "facet_labels": FACETS,
        },
    )


def _preview(
    request: Request, db_session: Any, view: DatasetView
) -> tuple[list[str], list[list[Any]], str | None]:
    """The first rows as the public may read them (empty with a reason if it cannot)."""
    if not view.resources:
        return [], [], None
    try:
        result = datahub_service.read_rows(
            db_session=db_session,
            data_dir=request.app.state.settings.data_dir,
            viewer=None,
            name=view.name,
            query=RowQuery(limit=PREVIEW_ROWS),
            version=None,
            purpose=None,
            channel="page",
            settings=request.app.state.settings,
        )
    except CitybaseError as err:
        return [], [], err.message
    columns = [c.name for c in result.page.columns]
    rows = [[row.get(c) for c in columns] for row in result.page.rows]
    return columns, rows, None


@router.get("/open/dataset/{name}")
def dataset_page(
    request: Request, name: str, db_session: SessionDep, user: OptionalUser
) -> Response:
    """One open dataset: what it is, its licence, schema, preview, downloads and API."""
    ctx = _context(request, db_session)
    view = ckan_actions.find_view(ctx, name)
    ds = datahub_service.get_dataset(db_session=db_session, name=view.name, viewer=None)
    columns = datahub_service.dataset_columns(db_session=db_session, dataset=ds)
    preview_columns, preview_rows, preview_error = _preview(request, db_session, view)
    db_session.commit()  # the preview read is counted like any other public read
    locale = request_locale(request)
    labels = (
        FREQUENCY_LABELS.get(UpdateFrequency(view.frequency))
        if view.frequency in set(UpdateFrequency)
        else None
    )
    frequency_label = (labels[1] if locale == "en" else labels[0]) if labels else view.frequency
    return render(
        request,
        "opendata/dataset.html",
        {
            "view": view,
            "columns": columns,
            "preview_columns": preview_columns,
            "preview_rows": preview_rows,
            "preview_error": preview_error,
            "base_url": ctx.base_url,
            "frequency_label": frequency_label,
        },
    )


def _licences(request: Request) -> list[LicenceView]:
    vocab = catalog_read.Vocabularies.load(request.app.state.settings)
    return list(vocab.licences.values())


@router.get("/licence")
def licences_page(request: Request, user: OptionalUser) -> Response:
    return render(request, "opendata/licences.html", {"licences": _licences(request)})


@router.get("/licence/{licence_id}")
def licence_page(
    request: Request, licence_id: str, db_session: SessionDep, user: OptionalUser
) -> Response:
    """A licence's terms, and the open datasets published under it."""
    found = [x for x in _licences(request) if x.id == licence_id]
    if not found:
        raise NotFound(f"No licence '{licence_id}'. See /licence for the list.", field="licence_id")
    lic = found[0]
    settings = request.app.state.settings
    note = next((x.note for x in datahub_service.licences(settings) if x.id == lic.id), "")
    ctx = _context(request, db_session)
    datasets = [
        v
        for v in ckan_actions.visible_views(ctx, include_private=False)
        if v.licence is not None and v.licence.id == lic.id
    ]
    return render(
        request,
        "opendata/licence.html",
        {"licence": lic, "note": note, "datasets": sorted(datasets, key=lambda v: v.title)},
    )
