"""Data hub HTTP API under /api/datahub: catalog, search, loads, quality, rows, elements, usage.

Thin: parse, authorise (the service decides who may read or change a dataset), call the
service, commit after writes and after reads (reads are counted and audited).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from citybase.datahub import service, uploads
from citybase.datahub.schemas import (
    DatasetCreate,
    DatasetRead,
    DatasetUpdate,
    LineageCreate,
    LineageRead,
    LoadReport,
    QualityRead,
    RollbackCreate,
    RollbackReport,
    RuleKindRead,
    RulesRead,
    SearchResults,
    ThemeRead,
    VersionDetail,
    VersionRead,
)
from citybase.datahub.types import (
    ColumnProfile,
    ColumnType,
    IngestOptions,
    LoadConsent,
    QualityRule,
)
from citybase.errors import ValidationFailed
from citybase.identity.deps import CurrentUser, OptionalUser, SessionDep
from citybase.identity.models import User
from citybase.web.openapi import MAX_ID, IdPath

router = APIRouter(prefix="/api/datahub", tags=["datahub"])

Limit = Annotated[int, Query(ge=1, le=100)]


def data_dir_of(request: Request) -> Path:
    """The data directory of the app serving ``request``."""
    return Path(request.app.state.settings.data_dir)


# --- vocabularies ------------------------------------------------------------------------


@router.get("/themes", response_model=list[ThemeRead])
def list_themes() -> list[ThemeRead]:
    """The city's data-catalogue themes, with their DCAT-AP data theme."""
    return [
        ThemeRead(code=t.code, name_zh=t.name_zh, name_en=t.name_en, dcat=t.dcat)
        for t in service.themes()
    ]


@router.get("/rule-kinds", response_model=list[RuleKindRead])
def list_rule_kinds() -> list[RuleKindRead]:
    """The kinds of quality rule a dataset may declare, with what each checks."""
    return [
        RuleKindRead(kind=kind, description_zh=zh, description_en=en)
        for (kind, zh), (_, en) in zip(
            service.rule_kinds("zh-CN"), service.rule_kinds("en"), strict=True
        )
    ]


@router.get("/licences")
def list_licences() -> list[dict[str, Any]]:
    return [
        {"id": x.id, "title_zh": x.title_zh, "title_en": x.title_en, "url": x.url, "open": x.open}
        for x in service.licences()
    ]


# --- datasets ----------------------------------------------------------------------------


@router.get("/datasets", response_model=SearchResults)
def search_datasets(
    db_session: SessionDep,
    user: OptionalUser,
    q: Annotated[str, Query(max_length=200)] = "",
    department: str | None = None,
    theme: str | None = None,
    sharing_type: str | None = None,
    open_type: str | None = None,
    format: str | None = None,
    sort: Literal["relevance", "updated", "title"] = "relevance",
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Limit = 20,
) -> SearchResults:
    """Full-text search (Chinese word segmentation) with facets; the public sees open datasets."""
    return service.search_datasets(
        db_session=db_session,
        viewer=user,
        q=q,
        department=department,
        theme=theme,
        sharing_type=sharing_type,
        open_type=open_type,
        format=format,
        sort=sort,
        offset=offset,
        limit=limit,
    )


@router.post("/datasets", response_model=DatasetRead, status_code=201)
def create_dataset(body: DatasetCreate, user: CurrentUser, db_session: SessionDep) -> DatasetRead:
    """Catalogue a dataset (data stewards, in their own department)."""
    ds = service.create_dataset(db_session=db_session, actor=user, data=body)
    db_session.commit()
    return service.to_read(db_session, ds)


@router.get("/datasets/{name}", response_model=DatasetRead)
def get_dataset(name: str, user: OptionalUser, db_session: SessionDep) -> DatasetRead:
    return service.to_read(
        db_session, service.get_dataset(db_session=db_session, name=name, viewer=user)
    )


@router.patch("/datasets/{name}", response_model=DatasetRead)
def update_dataset(
    name: str, body: DatasetUpdate, user: CurrentUser, db_session: SessionDep
) -> DatasetRead:
    ds = service.update_dataset(db_session=db_session, actor=user, name=name, data=body)
    db_session.commit()
    return service.to_read(db_session, ds)


# --- versions ----------------------------------------------------------------------------


@router.get("/datasets/{name}/versions", response_model=list[VersionRead])
def list_versions(name: str, user: OptionalUser, db_session: SessionDep) -> list[VersionRead]:
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    return [
        service.version_read(ds, v)
        for v in service.list_versions(db_session=db_session, dataset=ds)
    ]


@router.get("/datasets/{name}/versions/{number}", response_model=VersionDetail)
def get_version(
    name: str, number: IdPath, user: OptionalUser, db_session: SessionDep
) -> VersionDetail:
    """A version with its profile and quality report; values only for those who may read rows."""
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    version = service.get_version(db_session=db_session, dataset=ds, number=number)
    return service.version_detail(
        ds, version, with_values=service.can_read(user, ds, db_session=db_session)
    )


@router.post("/datasets/{name}/rollback", response_model=RollbackReport)
def rollback(
    name: str,
    body: RollbackCreate,
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
) -> RollbackReport:
    """Make an earlier version current again (audited). The dataset's rules run on it (a
    blocking failure answers 422) and an open release is re-checked: if the version no
    longer passes the release gate, the dataset is held back (``held_back`` true)."""
    report = service.rollback_version(
        db_session=db_session,
        data_dir=data_dir_of(request),
        actor=user,
        name=name,
        number=body.version,
        settings=request.app.state.settings,
    )
    db_session.commit()
    return report


@router.get("/datasets/{name}/profile", response_model=list[ColumnProfile])
def get_profile(name: str, user: OptionalUser, db_session: SessionDep) -> list[ColumnProfile]:
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    version = service.get_version(db_session=db_session, dataset=ds)
    detail = service.version_detail(
        ds, version, with_values=service.can_read(user, ds, db_session=db_session)
    )
    return detail.profile


_SCHEMA = TypeAdapter(dict[str, ColumnType])


def _options(
    format: str | None,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    column_types: str | None,
) -> IngestOptions:
    override: dict[str, Any] = {}
    if column_types:
        try:
            override = _SCHEMA.validate_json(column_types)
        except ValidationError as exc:
            raise ValidationFailed(
                'column_types must be JSON mapping column names to types, e.g. {"邮编": "string"}: '
                f"{exc.errors()[0]['msg']}.",
                field="column_types",
            ) from None
    try:
        return IngestOptions.model_validate(
            {
                "format": format or None,
                "encoding": encoding or None,
                "delimiter": delimiter or None,
                "sheet": sheet or None,
                "schema_override": override,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed(f"{field}: {first['msg']}.", field=field) from None


def receive_upload(upload: UploadFile, data_dir: Path, *, max_mb: int) -> Path:
    """Stream an upload to a private temporary file under the data directory.

    Refuses (and deletes what it copied) once the upload passes ``max_mb`` MiB.
    """
    folder = data_dir / "datahub" / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(upload.filename or "upload").suffix[:10]
    handle = tempfile.NamedTemporaryFile(dir=folder, suffix=suffix, delete=False)  # noqa: SIM115
    limit = max_mb * 1024 * 1024
    copied = 0
    with handle:
        while chunk := upload.file.read(1024 * 1024):
            copied += len(chunk)
            if copied > limit:
                handle.close()
                Path(handle.name).unlink(missing_ok=True)
                raise ValidationFailed(
                    f"The file is larger than the upload limit of {max_mb} MiB "
                    "(CITYBASE_MAX_UPLOAD_MB). Load it on the server with "
                    "`citybase datahub ingest PATH --dataset NAME`, which streams from disk.",
                    field="file",
                    code="upload_too_large",
                    status=413,
                )
            handle.write(chunk)
    return Path(handle.name)


def rejected_response(err: service.LoadRejected) -> JSONResponse:
    body = err.as_dict()
    body["report"] = err.report.model_dump(mode="json")
    return JSONResponse(body, status_code=err.status)


@router.post(
    "/datasets/{name}/versions",
    response_model=LoadReport,
    status_code=201,
    responses={202: {"description": "A large upload: queued as a job (see Location)."}},
)
def upload_version(
    name: str,
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
    file: Annotated[
        UploadFile, File(description="CSV (UTF-8/GBK/GB18030), XLSX, JSON, NDJSON or Parquet.")
    ],
    format: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    delimiter: Annotated[str | None, Form()] = None,
    sheet: Annotated[str | None, Form()] = None,
    column_types: Annotated[
        str | None, Form(description='Type overrides as JSON: {"column": "string"}.')
    ] = None,
    accept_schema: Annotated[
        bool,
        Form(
            description="Load even though a column loses its type (date → string …); "
            "audited. Without it such a load answers 422 schema_change_refused naming the "
            "lines and values."
        ),
    ] = False,
    confirm_shrink: Annotated[
        bool,
        Form(
            description="Load even though the file has far fewer rows than the current "
            "version (CITYBASE_LOAD_SHRINK_CONFIRM_SHARE); audited. Without it: 422 "
            "shrink_not_confirmed."
        ),
    ] = False,
) -> Any:
    """Load a file as the next version. A blocking quality failure answers 422 with the report;
    a column losing its type or a large shrink answers 422 unless accepted (``accept_schema``,
    ``confirm_shrink``). A file larger than CITYBASE_UPLOAD_JOB_MB answers 202 with the job
    (``Location``)."""
    options = _options(format, encoding, delimiter, sheet, column_types)
    consent = LoadConsent(accept_schema=accept_schema, confirm_shrink=confirm_shrink)
    data_dir = data_dir_of(request)
    # 404 (or 403) before copying the upload anywhere
    service.get_dataset(db_session=db_session, name=name, viewer=user)
    source = receive_upload(file, data_dir, max_mb=request.app.state.settings.max_upload_mb)
    if uploads.is_large(source, request.app.state.settings):  # load as a background job
        return uploads.accepted_response(
            db_session=db_session,
            name=name,
            actor=user,
            source=source,
            source_name=file.filename or source.name,
            options=options,
            data_dir=data_dir,
            consent=consent,
        )
    try:
        report = service.load_version(
            db_session=db_session,
            data_dir=data_dir,
            actor=user,
            name=name,
            source=source,
            source_name=file.filename or source.name,
            options=options,
            settings=request.app.state.settings,
            consent=consent,
        )
        db_session.commit()
    except service.LoadRejected as err:
        return rejected_response(err)
    finally:
        source.unlink(missing_ok=True)
    return report


# --- quality -----------------------------------------------------------------------------


@router.get("/datasets/{name}/rules", response_model=RulesRead)
def get_rules(name: str, user: CurrentUser, db_session: SessionDep) -> RulesRead:
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    return RulesRead(rules=service.rules_of(db_session=db_session, dataset=ds))


@router.put("/datasets/{name}/rules", response_model=RulesRead)
async def put_rules(
    name: str, request: Request, user: CurrentUser, db_session: SessionDep
) -> RulesRead:
    """Replace the rules: JSON ``{"rules": [...]}`` or YAML (Content-Type: application/yaml)."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    if ctype in ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"):
        rules = service.parse_rules_yaml(raw)
    else:
        try:
            rules = RulesRead.model_validate_json(raw).rules
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ValidationFailed(f"{field}: {first['msg']}.", field=field) from None
    return _set_rules(db_session, user, name, rules)


def _set_rules(db_session: Any, user: User, name: str, rules: list[QualityRule]) -> RulesRead:
    checked = service.set_rules(db_session=db_session, actor=user, name=name, rules=rules)
    db_session.commit()
    return RulesRead(rules=checked)


@router.get("/datasets/{name}/quality", response_model=QualityRead)
def get_quality(name: str, user: OptionalUser, db_session: SessionDep) -> QualityRead:
    """The latest quality report (failing samples only for those who may read rows)."""
    from citybase.datahub.rules import without_samples

    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    report, at = service.latest_quality(ds)
    if report is not None and not service.can_read(user, ds, db_session=db_session):
        report = without_samples(report)
    return QualityRead(dataset=ds.name, version=ds.current_version, checked_at=at, report=report)


@router.post("/datasets/{name}/quality", response_model=QualityRead)
def run_quality(
    name: str, request: Request, user: CurrentUser, db_session: SessionDep
) -> QualityRead:
    """Check the current version against the rules now."""
    report = service.run_quality(
        db_session=db_session, data_dir=data_dir_of(request), actor=user, name=name
    )
    db_session.commit()
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    return QualityRead(
        dataset=ds.name, version=ds.current_version, checked_at=ds.quality_checked_at, report=report
    )


# --- lineage -------------------------------------------------------------------------


@router.get("/datasets/{name}/lineage")
def get_lineage(
    name: str, user: OptionalUser, db_session: SessionDep
) -> dict[str, list[LineageRead]]:
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    sources, derived = service.lineage(db_session=db_session, dataset=ds)
    return {"sources": sources, "derived": derived}


@router.post("/datasets/{name}/lineage", response_model=LineageRead, status_code=201)
def post_lineage(
    name: str, body: LineageCreate, user: CurrentUser, db_session: SessionDep
) -> LineageRead:
    service.record_lineage(
        db_session=db_session,
        actor=user,
        name=name,
        source=body.source,
        transformation=body.transformation,
    )
    db_session.commit()
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    sources, _ = service.lineage(db_session=db_session, dataset=ds)
    return next(s for s in sources if s.source == body.source)
