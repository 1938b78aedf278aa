"""Data hub pages for changing a dataset's data: upload a new version, roll back to one.

An upload whose file makes a column lose its type, or has far fewer rows than the current
version, is refused with the lines and values named; the form then shows the checkbox
that accepts it ("接受新的数据结构" / "确认行数减少"), and the acceptance is audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from citybase.datahub import access, service, uploads
from citybase.datahub.router import _options, receive_upload
from citybase.datahub.types import LoadConsent
from citybase.errors import CitybaseError, ValidationFailed
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


def _data_dir(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir)


def _context(ds: Any, **over: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "ds": ds,
        "report": None,
        "rejected": None,
        "error": None,
        "type_losses": [],
        "shrink": None,
        "quality_text": service.quality_text,
    }
    ctx.update(over)
    return ctx


@router.get("/datahub/datasets/{name}/upload")
def upload_form(request: Request, name: str, user: CurrentUser, db_session: SessionDep) -> Response:
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    access.ensure_can_edit(user, ds, what="load data into")
    return render(request, "datahub/upload.html", _context(ds))


@router.post("/datahub/datasets/{name}/upload")
def upload(
    request: Request,
    name: str,
    user: CurrentUser,
    db_session: SessionDep,
    file: Annotated[UploadFile, File()],
    format: Annotated[str, Form()] = "",
    encoding: Annotated[str, Form()] = "",
    sheet: Annotated[str, Form()] = "",
    column_types: Annotated[str, Form()] = "",
    accept_schema: Annotated[bool, Form()] = False,
    confirm_shrink: Annotated[bool, Form()] = False,
) -> Response:
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    ctx = _context(ds)
    if not file.filename:
        ctx["error"] = ValidationFailed("Choose a file to upload.", field="file")
        return render(request, "datahub/upload.html", ctx, status_code=422)
    consent = LoadConsent(accept_schema=accept_schema, confirm_shrink=confirm_shrink)
    source: Path | None = None
    try:
        options = _options(format, encoding, None, sheet, column_types)
        source = receive_upload(
            file, _data_dir(request), max_mb=request.app.state.settings.max_upload_mb
        )
        if uploads.is_large(source, request.app.state.settings):  # a job; its page shows it
            job_id = uploads.queue_upload(
                db_session=db_session,
                name=name,
                actor=user,
                source=source,
                source_name=file.filename,
                options=options,
                data_dir=_data_dir(request),
                consent=consent,
            )
            source = None
            return RedirectResponse(f"/jobs/{job_id}", status_code=303)
        ctx["report"] = service.load_version(
            db_session=db_session,
            data_dir=_data_dir(request),
            actor=user,
            name=name,
            source=source,
            settings=request.app.state.settings,
            source_name=file.filename,
            options=options,
            consent=consent,
        )
        db_session.commit()
        status = 201
    except service.LoadRejected as err:
        db_session.rollback()
        ctx["rejected"], ctx["error"], status = err.report, err, err.status
    except service.SchemaChangeRefused as err:
        db_session.rollback()
        ctx["type_losses"], ctx["error"], status = err.losses, err, err.status
    except service.ShrinkRefused as err:
        db_session.rollback()
        ctx["shrink"], ctx["error"], status = err.shrink, err, err.status
    except CitybaseError as err:
        db_session.rollback()
        ctx["error"], status = err, err.status
    finally:
        if source is not None:
            source.unlink(missing_ok=True)
    return render(request, "datahub/upload.html", ctx, status_code=status)


@router.post("/datahub/datasets/{name}/rollback")
def rollback(
    request: Request,
    name: str,
    user: CurrentUser,
    db_session: SessionDep,
    version: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    """Make ``version`` current again; the dataset page then says what happened."""
    try:
        service.rollback_version(
            db_session=db_session,
            data_dir=_data_dir(request),
            actor=user,
            name=name,
            number=version,
            settings=request.app.state.settings,
        )
        db_session.commit()
    except CitybaseError:
        db_session.rollback()
        raise
    return RedirectResponse(f"/datahub/datasets/{name}?rolled_back={version}#versions", 303)
