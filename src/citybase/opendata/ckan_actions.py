"""The CKAN actions citybase answers, each a function ``(ctx, data_dict) -> result``.

Names, parameters and result shapes follow CKAN's ``ckan.logic.action.get`` and the
DataStore's ``datastore_search``; the docstring of each action is what ``help_show``
returns. Organizations are departments, groups are catalogue themes, tags are keywords.
Anonymous callers see datasets open to everyone (无条件开放); signed-in callers what the
catalog's authorisation lets them see, with ``include_private`` as in CKAN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import citybase
from citybase.datahub import service as datahub_service
from citybase.errors import NotFound, ValidationFailed
from citybase.opendata import catalog_read
from citybase.opendata.ckan_context import ACTIONS, ActionContext, action
from citybase.opendata.ckan_dicts import (
    package_dict,
    resource_dict,
)
from citybase.opendata.ckan_fq import FieldKind, looks_like_field_query, parse_fq
from citybase.opendata.ckan_params import get_bool, get_int, get_str, get_str_list, parse_sort
from citybase.opendata.views import DatasetView

CKAN_COMPAT_VERSION = "2.10.4"
ROWS_MAX = 1000
SEARCH_LIMIT = 100_000  # rank every match: fq, visibility and paging are applied after

FQ_FIELDS: dict[str, FieldKind] = {
    "id": "text",
    "name": "text",
    "organization": "text",
    "owner_org": "text",
    "groups": "text",
    "tags": "text",
    "res_format": "text",
    "license_id": "text",
    "sharing_type": "text",
    "open_type": "text",
    "update_frequency": "text",
    "theme": "text",
    "department_code": "text",
    "metadata_modified": "date",
    "metadata_created": "date",
}
FACET_FIELDS = (
    "organization",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "sharing_type",
    "open_type",
    "update_frequency",
)
SORT_FIELDS = ("score", "metadata_modified", "metadata_created", "name", "title", "id")
SORT_ALIASES = {"relevance": "score", "rank": "score", "title_string": "title"}
DEFAULT_SORT = "score desc, metadata_modified desc"


# --- shared look-ups ---------------------------------------------------------------------


def visible_views(ctx: ActionContext, *, include_private: bool = True) -> list[DatasetView]:
    datasets = catalog_read.visible_datasets(db_session=ctx.db_session, viewer=ctx.user)
    if not include_private:
        datasets = [d for d in datasets if d.public_open_type == "unconditional"]
    return catalog_read.dataset_views(
        db_session=ctx.db_session, datasets=datasets, base_url=ctx.base_url, settings=ctx.settings
    )


def find_view(ctx: ActionContext, ident: str) -> DatasetView:
    """A dataset by CKAN id (UUID) or name, if the caller may see it."""
    ds = datahub_service.find_dataset(db_session=ctx.db_session, name=ident)
    if ds is not None and catalog_read.visible(ctx.user, ds):
        found = [ds]
    else:
        found = [
            d
            for d in catalog_read.visible_datasets(db_session=ctx.db_session, viewer=ctx.user)
            if catalog_read.dataset_uuid(d) == ident
        ]
    if not found:
        raise NotFound(f"Dataset '{ident}' was not found (or is not open to you).", field="id")
    return catalog_read.dataset_views(
        db_session=ctx.db_session, datasets=found, base_url=ctx.base_url, settings=ctx.settings
    )[0]


def facts_of(view: DatasetView) -> dict[str, Any]:
    """What ``fq`` clauses and facets look at, per dataset."""
    return {
        "id": view.id,
        "name": view.name,
        "organization": view.org.name,
        "owner_org": view.org.id,
        "department_code": view.org.code,
        "groups": [view.theme.code] if view.theme else [],
        "theme": view.theme.code if view.theme else None,
        "tags": list(view.keywords),
        "res_format": view.formats,
        "license_id": view.licence.id if view.licence else None,
        "sharing_type": view.sharing_type,
        "open_type": view.open_type,
        "update_frequency": view.frequency,
        "metadata_modified": view.modified,
        "metadata_created": view.created,
    }


def paged(items: list[Any], data: dict[str, Any]) -> list[Any]:
    limit = get_int(data, "limit", default=len(items) or 1, minimum=0, maximum=ROWS_MAX)
    offset = get_int(data, "offset", default=0)
    return items[offset : offset + limit] if "limit" in data else items[offset:]


# --- site --------------------------------------------------------------------------------


@action
def status_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Site information: CKAN version this API is compatible with, title, locale, extensions."""
    title_zh, _ = catalog_read.site_titles(ctx.settings)
    return {
        "site_title": title_zh,
        "site_description": "城市数字底座 — the open city digital base",
        "site_url": ctx.base_url,
        "ckan_version": CKAN_COMPAT_VERSION,
        "citybase_version": citybase.__version__,
        "error_emails_to": None,
        "locale_default": "zh_Hans_CN" if ctx.settings.locale == "zh-CN" else "en",
        "extensions": ["datastore", "dcat"],
    }


@action
def help_show(ctx: ActionContext, data: dict[str, Any]) -> str:
    """The documentation of the action named ``name``."""
    name = get_str(data, "name", required=True)
    assert name is not None
    fn = ACTIONS.get(name)
    if fn is None:
        raise NotFound(f"Action '{name}' does not exist. Actions: {', '.join(sorted(ACTIONS))}.")
    return (fn.__doc__ or "").strip()


# --- datasets ----------------------------------------------------------------------------


@action
def package_list(ctx: ActionContext, data: dict[str, Any]) -> list[str]:
    """Names of the datasets open to everyone, sorted; ``limit`` and ``offset`` page them."""
    datasets = catalog_read.visible_datasets(db_session=ctx.db_session, viewer=ctx.user)
    return paged(sorted(d.name for d in datasets if d.public_open_type == "unconditional"), data)


@action
def package_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """One dataset by ``id`` (its UUID or name): metadata, organization, groups, tags,
    resources (the current version, with ``datastore_active``) and citybase ``extras``."""
    ident = get_str(data, "id", required=True) or ""
    return package_dict(find_view(ctx, ident))


def _facet_display(field: str, value: str, views: list[DatasetView]) -> str:
    for v in views:
        if field == "organization" and v.org.name == value:
            return v.org.title_zh
        if field == "groups" and v.theme and v.theme.code == value:
            return v.theme.name_zh
        if field == "license_id" and v.licence and v.licence.id == value:
            return v.licence.title_zh
    return value


def _facets(
    views: list[DatasetView], fields: list[str], *, limit: int, mincount: int
) -> tuple[dict[str, dict[str, int]], dict[str, Any]]:
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for name in fields:
        counts: dict[str, int] = {}
        for view in views:
            value = facts_of(view)[name]
            for item in value if isinstance(value, list) else [value]:
                if item:
                    counts[str(item)] = counts.get(str(item), 0) + 1
        ranked = sorted(
            ((k, n) for k, n in counts.items() if n >= mincount), key=lambda kv: (-kv[1], kv[0])
        )
        if limit >= 0:
            ranked = ranked[:limit]
        facets[name] = dict(ranked)
        search_facets[name] = {
            "title": name,
            "items": [
                {"name": k, "display_name": _facet_display(name, k, views), "count": n}
                for k, n in ranked
            ],
        }
    return facets, search_facets


def _sort_key(key: str, view: DatasetView, scores: dict[str, float]) -> Any:
    if key == "score":
        return scores.get(view.name, 0.0)
    if key == "metadata_modified":
        return view.modified
    if key == "metadata_created":
        return view.created
    return getattr(view, key)


def _sorted(
    views: list[DatasetView], order: Sequence[tuple[str, str]], scores: dict[str, float]
) -> list[DatasetView]:
    out = sorted(views, key=lambda v: v.name)
    for key, direction in reversed(order):  # stable sorts, least significant key first
        out.sort(key=lambda v: _sort_key(key, v, scores), reverse=direction == "desc")
    return out


@action
def package_search(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Search datasets.

    ``q`` free text (Chinese word segmentation, ranked) or field clauses like ``tags:公交``;
    ``fq`` filter query: ``organization:X tags:Y res_format:CSV groups:Z sharing_type:…
    open_type:… license_id:… metadata_modified:[2024-01-01T00:00:00Z TO *]``, ``-`` to
    exclude, ``OR`` for alternatives; ``rows`` (default 10, at most 1000) and ``start``;
    ``sort`` like ``metadata_modified desc`` (score, metadata_modified, metadata_created,
    name, title); ``facet.field`` a JSON list of fields to count (organization, groups,
    tags, res_format, license_id, sharing_type, open_type, update_frequency) with
    ``facet.limit`` (default 50, -1 for all) and ``facet.mincount`` (default 1);
    ``include_private`` to include datasets that are not open to everyone (signed in).

    Result: ``count``, ``results`` (package dicts), ``facets``, ``search_facets``, ``sort``.
    """
    q = (get_str(data, "q") or "").strip()
    rows = get_int(data, "rows", default=10, maximum=ROWS_MAX)
    start = get_int(data, "start", default=0)
    sort_text = get_str(data, "sort") or DEFAULT_SORT
    order = parse_sort(sort_text, param="sort", allowed=SORT_FIELDS, aliases=SORT_ALIASES)
    fq_texts: list[str] = []
    fq = data.get("fq")
    if isinstance(fq, list):
        fq_texts.extend(str(x) for x in fq)
    elif fq is not None:
        fq_texts.append(str(get_str(data, "fq") or ""))
    fq_texts.extend(get_str_list(data, "fq_list") or [])
    filters = [parse_fq(text, fields=FQ_FIELDS) for text in fq_texts]
    facet_on = get_bool(data, "facet", default=True)
    facet_fields = get_str_list(data, "facet.field") or []
    for name in facet_fields:
        if name not in FACET_FIELDS:
            raise ValidationFailed(
                f"Cannot facet on '{name}'. Facet fields: {', '.join(FACET_FIELDS)}.",
                field="facet.field",
            )
    facet_limit = get_int(data, "facet.limit", default=50, minimum=-1)
    facet_mincount = get_int(data, "facet.mincount", default=1)
    include_private = ctx.user is not None and get_bool(data, "include_private", default=False)

    views = visible_views(ctx, include_private=include_private)
    scores: dict[str, float] = {}
    if q and q != "*:*":
        if looks_like_field_query(q, FQ_FIELDS):
            filters.append(parse_fq(q, fields=FQ_FIELDS, param="q"))
        else:
            hits = datahub_service.search_datasets(
                db_session=ctx.db_session,
                viewer=ctx.user,
                q=q,
                sort="relevance",
                limit=SEARCH_LIMIT,
            ).hits
            scores = {h.name: h.score for h in hits}
            views = [v for v in views if v.name in scores]
    matched = [v for v in views if all(f.matches(facts_of(v)) for f in filters)]
    facets, search_facets = (
        _facets(matched, facet_fields, limit=facet_limit, mincount=facet_mincount)
        if facet_on
        else ({}, {})
    )
    page = _sorted(matched, order, scores)[start : start + rows]
    return {
        "count": len(matched),
        "results": [package_dict(v) for v in page],
        "facets": facets,
        "search_facets": search_facets,
        "sort": ", ".join(f"{k} {d}" for k, d in order),
    }


@action
def resource_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """One resource (a dataset's current version) by ``id``."""
    ident = get_str(data, "id", required=True) or ""
    for view in visible_views(ctx):
        for i, res in enumerate(view.resources):
            if res.id == ident:
                out = resource_dict(res, i)
                out["package_name"] = view.name
                return out
    raise NotFound(f"Resource '{ident}' was not found.", field="id")
