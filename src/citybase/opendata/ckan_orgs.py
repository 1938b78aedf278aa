"""CKAN organizations, groups and tags: departments, catalogue themes and keywords.

Anonymous callers see only the departments and themes that have datasets open to everyone
(and those datasets' keywords); signed-in callers every active department and every theme.
"""

from __future__ import annotations

from typing import Any

from citybase.datahub import service as datahub_service
from citybase.errors import NotFound
from citybase.identity import service as identity_service
from citybase.opendata import catalog_read
from citybase.opendata.ckan_actions import ROWS_MAX, paged, visible_views
from citybase.opendata.ckan_context import ActionContext, action
from citybase.opendata.ckan_dicts import group_dict, organization_dict, package_dict
from citybase.opendata.ckan_params import get_bool, get_str, get_str_list, parse_sort
from citybase.opendata.views import OrgView, ThemeView


def _orgs_with_counts(ctx: ActionContext) -> list[tuple[OrgView, int]]:
    """Departments the caller may list, with how many datasets each shows them.

    Anonymous callers get only departments that publish open datasets; signed-in callers
    every active department.
    """
    counts: dict[str, int] = {}
    for ds in catalog_read.visible_datasets(db_session=ctx.db_session, viewer=ctx.user):
        counts[ds.department.code] = counts.get(ds.department.code, 0) + 1
    depts = identity_service.list_departments(db_session=ctx.db_session)
    return [
        (catalog_read.org_view(d), counts.get(d.code, 0))
        for d in depts
        if ctx.user is not None or counts.get(d.code)
    ]


def _themes_with_counts(ctx: ActionContext) -> list[tuple[ThemeView, int]]:
    counts: dict[str, int] = {}
    for ds in catalog_read.visible_datasets(db_session=ctx.db_session, viewer=ctx.user):
        counts[ds.theme] = counts.get(ds.theme, 0) + 1
    vocab = catalog_read.Vocabularies.load(ctx.settings)
    return [
        (theme, counts.get(code, 0))
        for code, theme in vocab.themes.items()
        if ctx.user is not None or counts.get(code)
    ]


def _list_params(data: dict[str, Any], allowed_sort: tuple[str, ...]) -> tuple[str, str, bool]:
    sort = get_str(data, "sort") or get_str(data, "order_by") or "name asc"
    if sort.strip() == "packages":
        sort = "packages desc"
    (key, direction), *_ = parse_sort(sort, param="sort", allowed=allowed_sort) or [("name", "asc")]
    return key, direction, get_bool(data, "all_fields", default=False)


@action
def organization_list(ctx: ActionContext, data: dict[str, Any]) -> list[Any]:
    """Departments as organizations: names, or full dicts with ``all_fields=true``.
    ``sort`` by ``name`` or ``packages``; ``organizations`` limits to the names given."""
    key, direction, all_fields = _list_params(data, ("name", "title", "packages"))
    wanted = set(get_str_list(data, "organizations") or [])
    q = (get_str(data, "q") or "").casefold()
    items = [
        (org, n)
        for org, n in _orgs_with_counts(ctx)
        if (not wanted or org.name in wanted)
        and (not q or q in org.name or q in org.title_zh.casefold() or q in org.title_en.casefold())
    ]
    items.sort(
        key=lambda it: (
            it[1] if key == "packages" else (it[0].title_zh if key == "title" else it[0].name)
        ),
        reverse=direction == "desc",
    )
    out = [organization_dict(org, package_count=n) if all_fields else org.name for org, n in items]
    return paged(out, data)


def _find_org(ctx: ActionContext, ident: str) -> tuple[OrgView, int]:
    for org, n in _orgs_with_counts(ctx):
        if ident in (org.id, org.name, org.code):
            return org, n
    raise NotFound(f"Organization '{ident}' was not found.", field="id")


@action
def organization_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """One department by ``id`` (UUID, name or department code); ``include_datasets=true``
    adds its datasets the caller may see (up to 1000)."""
    ident = get_str(data, "id", required=True) or ""
    org, count = _find_org(ctx, ident)
    out = organization_dict(org, package_count=count)
    if get_bool(data, "include_datasets", default=False):
        views = [v for v in visible_views(ctx) if v.org.code == org.code]
        out["packages"] = [package_dict(v) for v in views[:ROWS_MAX]]
    return out


@action
def group_list(ctx: ActionContext, data: dict[str, Any]) -> list[Any]:
    """Catalogue themes as groups: names, or full dicts with ``all_fields=true``."""
    key, direction, all_fields = _list_params(data, ("name", "title", "packages"))
    wanted = set(get_str_list(data, "groups") or [])
    items = [(t, n) for t, n in _themes_with_counts(ctx) if not wanted or t.code in wanted]
    items.sort(
        key=lambda it: (
            it[1] if key == "packages" else (it[0].name_zh if key == "title" else it[0].code)
        ),
        reverse=direction == "desc",
    )
    out = [group_dict(t, package_count=n) if all_fields else t.code for t, n in items]
    return paged(out, data)


@action
def group_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """One theme by ``id`` (its code); ``include_datasets=true`` adds its datasets."""
    ident = get_str(data, "id", required=True) or ""
    for theme, count in _themes_with_counts(ctx):
        if theme.code == ident:
            out = group_dict(theme, package_count=count)
            if get_bool(data, "include_datasets", default=False):
                views = [v for v in visible_views(ctx) if v.theme and v.theme.code == ident]
                out["packages"] = [package_dict(v) for v in views[:ROWS_MAX]]
            return out
    raise NotFound(f"Group '{ident}' was not found.", field="id")


@action
def tag_list(ctx: ActionContext, data: dict[str, Any]) -> list[Any]:
    """Keywords of the datasets the caller may see; ``query`` keeps those containing it;
    ``all_fields=true`` returns tag dicts."""
    query = (get_str(data, "query") or get_str(data, "q") or "").casefold()
    all_fields = get_bool(data, "all_fields", default=False)
    words: set[str] = set()
    for ds in catalog_read.visible_datasets(db_session=ctx.db_session, viewer=ctx.user):
        words.update(datahub_service.keywords_of(ds))
    names = sorted(w for w in words if query in w.casefold())
    if all_fields:
        return [
            {"id": w, "name": w, "display_name": w, "vocabulary_id": None, "state": "active"}
            for w in names
        ]
    return names
