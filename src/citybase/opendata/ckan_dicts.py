"""Dataset views → the dictionaries CKAN's ``package_show`` & co. return, field for field.

CKAN prints timestamps as naive UTC ISO strings (``2024-05-01T08:00:00.123456``) and names
datasets, organizations and groups with lowercase slugs; citybase's own facts that CKAN has
no field for (sharing and open type, update frequency, coverage) travel as ``extras``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from citybase.opendata.views import DatasetView, OrgView, ResourceView, ThemeView


def ckan_time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


def organization_dict(org: OrgView, *, package_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": org.id,
        "name": org.name,
        "title": org.title_zh,
        "display_name": org.title_zh,
        "title_en": org.title_en,
        "description": org.title_en,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
        "created": ckan_time(org.created),
        "department_code": org.code,
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group_dict(theme: ThemeView, *, package_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": theme.code,
        "name": theme.code,
        "title": theme.name_zh,
        "display_name": theme.name_zh,
        "title_en": theme.name_en,
        "description": theme.name_en,
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
        "dcat_theme": theme.dcat,
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def resource_dict(res: ResourceView, position: int = 0) -> dict[str, Any]:
    return {
        "id": res.id,
        "package_id": res.package_id,
        "name": res.name,
        "description": res.description,
        "format": res.format,
        "url": res.download_url,
        "url_type": None,
        "mimetype": "text/csv" if res.format == "CSV" else None,
        "size": res.size,
        "hash": f"sha256:{res.checksum}" if res.checksum else "",
        "created": ckan_time(res.created),
        "last_modified": ckan_time(res.last_modified),
        "metadata_modified": ckan_time(res.last_modified),
        "datastore_active": res.datastore_active,
        "position": position,
        "state": "active",
        "resource_type": None,
        "citybase_version": res.version,
        "row_count": res.row_count,
    }


def tag_dicts(keywords: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {"id": word, "name": word, "display_name": word, "state": "active", "vocabulary_id": None}
        for word in keywords
    ]


def package_dict(view: DatasetView) -> dict[str, Any]:
    lic = view.licence
    extras = {
        "department_code": view.org.code,
        "theme": view.theme.code if view.theme else "",
        "sharing_type": view.sharing_type,
        "open_type": view.open_type,
        "update_frequency": view.frequency,
        "temporal_start": view.temporal_start.isoformat() if view.temporal_start else "",
        "temporal_end": view.temporal_end.isoformat() if view.temporal_end else "",
        "spatial": view.spatial or "",
        "personal_data": "true" if view.personal_data else "false",
    }
    if view.derived_from:
        extras["derived_from"] = view.derived_from
    if view.deid_policy:
        extras["deidentification_policy"] = view.deid_policy
    current = next((r for r in view.resources if r.is_current), None)
    return {
        "id": view.id,
        "name": view.name,
        "title": view.title,
        "notes": view.description,
        "url": view.landing_url,
        "author": view.org.title_zh,
        "author_email": None,
        "maintainer": view.contact_name or None,
        "maintainer_email": view.contact_email or None,
        "license_id": lic.id if lic else None,
        "license_title": lic.title_zh if lic else None,
        "license_url": (lic.url or None) if lic else None,
        "isopen": bool(lic and lic.open),
        "metadata_created": ckan_time(view.created),
        "metadata_modified": ckan_time(view.modified),
        "owner_org": view.org.id,
        "organization": organization_dict(view.org),
        "groups": [group_dict(view.theme)] if view.theme else [],
        "tags": tag_dicts(view.keywords),
        "num_tags": len(view.keywords),
        "resources": [resource_dict(r, i) for i, r in enumerate(view.resources)],
        "num_resources": len(view.resources),
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
        "private": view.open_type != "unconditional",
        "state": "active",
        "type": "dataset",
        "version": str(current.version) if current else None,
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }
