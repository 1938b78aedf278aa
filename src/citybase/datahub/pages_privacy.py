"""Pages: a dataset's classification (分类分级) with steward forms, and release reports.

The classification card is rendered inside the dataset page (``classification_context``);
the forms post here and redirect back, so a steward never leaves the dataset.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from citybase.datahub import access, catalog, classify, extracts, release
from citybase.datahub.models import Dataset, Release
from citybase.datahub.router import data_dir_of
from citybase.datahub.router_privacy import classification_of
from citybase.errors import NotFound, PermissionDenied
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.privacy.deid import DeidPolicy
from citybase.privacy.policy import PII_TYPES
from citybase.settings import Settings
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


def classification_context(
    db_session: Any, user: Any, dataset: Dataset, settings: Settings
) -> dict[str, Any]:
    """What the dataset page's classification and release cards need."""
    if not access.is_staff(user):
        return {"classification": None}
    policy = classify.grading_policy(settings)  # the city's labels, not the default's
    report = classification_of(db_session, dataset)
    return {
        "classification": report,
        "sharing_treatment": _sharing_treatment(report),
        "pii_types": [(t, policy.label(t)) for t in PII_TYPES],
        "releases": [
            release.release_read(r)
            for r in release.releases_of(db_session=db_session, dataset=dataset)[:10]
        ],
    }


def _sharing_treatment(report: Any) -> dict[str, str]:
    """How each column reaches another department under a grant (unless approved in clear).

    The sharing plug-in owns that rule; without it installed the column stays empty.
    """
    try:
        from citybase.sharing.deid import ColumnClass, operators_for
    except ImportError:  # pragma: no cover - sharing is a plug-in
        return {}
    out: dict[str, str] = {}
    for c in report.columns:
        ops = operators_for(ColumnClass(name=c.name, type=c.type, pii_type=c.pii_type))
        out[c.name] = ", ".join(
            o["op"] + "".join(f" {k}={v}" for k, v in o.items() if k != "op") for o in ops
        )
    return out


@router.post("/datahub/datasets/{name}/classify")
def classify_column(
    request: Request,
    name: str,
    user: CurrentUser,
    db_session: SessionDep,
    column: Annotated[str, Form()],
    pii_type: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    ds = catalog.get_dataset(db_session=db_session, name=name, viewer=user)
    classify.override_column(
        db_session=db_session,
        actor=user,
        dataset=ds,
        column=column,
        pii_type=None if pii_type == "none" else pii_type,
        reason=reason,
        policy=classify.grading_policy(request.app.state.settings),
    )
    db_session.commit()
    return RedirectResponse(f"/datahub/datasets/{name}#classification", status_code=303)


@router.post("/datahub/datasets/{name}/grade")
def designate_grade(
    request: Request,
    name: str,
    user: CurrentUser,
    db_session: SessionDep,
    grade: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    ds = catalog.get_dataset(db_session=db_session, name=name, viewer=user)
    classify.designate_grade(
        db_session=db_session,
        actor=user,
        dataset=ds,
        grade=None if grade == "none" else grade,
        reason=reason,
        policy=classify.grading_policy(request.app.state.settings),
    )
    db_session.commit()
    return RedirectResponse(f"/datahub/datasets/{name}#classification", status_code=303)


@router.post("/datahub/datasets/{name}/deidentify")
def deidentify(
    request: Request,
    name: str,
    user: CurrentUser,
    db_session: SessionDep,
    into: Annotated[str, Form()],
    policy_yaml: Annotated[str, Form()],
) -> Response:
    extracts.deidentify(
        db_session=db_session,
        data_dir=data_dir_of(request),
        settings=request.app.state.settings,
        actor=user,
        source=name,
        into=into.strip(),
        policy=DeidPolicy.from_yaml(policy_yaml),
    )
    db_session.commit()
    return RedirectResponse(f"/datahub/datasets/{into.strip()}#classification", status_code=303)


@router.post("/datahub/datasets/{name}/release")
def run_release(
    request: Request,
    name: str,
    user: CurrentUser,
    db_session: SessionDep,
    quasi_identifiers: Annotated[str, Form()] = "",
    open_type: Annotated[str, Form()] = "unconditional",
) -> Response:
    rec = release.release(
        db_session=db_session,
        data_dir=data_dir_of(request),
        settings=request.app.state.settings,
        actor=user,
        name=name,
        quasi_identifiers=[q.strip() for q in quasi_identifiers.replace("，", ",").split(",")],
        open_type=open_type,
    )
    db_session.commit()
    return RedirectResponse(f"/datahub/datasets/{name}/releases/{rec.id}", status_code=303)


@router.get("/datahub/datasets/{name}/releases/{release_id}")
def release_report(
    request: Request, name: str, release_id: int, user: CurrentUser, db_session: SessionDep
) -> Response:
    ds = catalog.get_dataset(db_session=db_session, name=name, viewer=user)
    if not access.is_staff(user):
        raise PermissionDenied("Only staff see release reports.")
    rec = db_session.get(Release, release_id)
    if rec is None or rec.dataset_id != ds.id:
        raise NotFound(f"Release {release_id} of '{name}' does not exist.", field="release_id")
    data = release.release_read(rec)
    risk = data["report"].get("risk") or {}
    return render(
        request,
        "datahub/release.html",
        {
            "ds": ds,
            "rel": data,
            "risk": risk,
            "columns": data["report"].get("columns", []),
            "histogram": risk.get("class_size_distribution", {}),
            "loss": risk.get("information_loss", {}),
            "report_json": json.dumps(data["report"], ensure_ascii=False, indent=1)[:20000],
        },
    )
