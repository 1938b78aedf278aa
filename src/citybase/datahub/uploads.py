"""Large uploads as background jobs, and sweeping what killed loads leave behind.

An upload larger than ``CITYBASE_UPLOAD_JOB_MB`` is streamed to a temp file under
``<data_dir>/datahub/uploads/``, renamed (atomically) to ``job-<token><ext>`` once complete,
and loaded by the ``datahub.load_upload`` job, which removes the file when it is done (or
has failed for good). ``sweep`` removes temp files and ``.incoming-*`` files older than
``CITYBASE_UPLOAD_SWEEP_MINUTES`` that no queued or running job holds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog, service
from citybase.datahub.models import Dataset
from citybase.datahub.types import IngestOptions, LoadConsent
from citybase.identity.models import User
from citybase.jobs import JobCancelled, JobContext, JobFailed, PeriodicJob, enqueue, job
from citybase.jobs.models import Job
from citybase.settings import get_settings

log = logging.getLogger("citybase.datahub")


def uploads_dir(data_dir: Path) -> Path:
    return data_dir / "datahub" / "uploads"


def is_large(path: Path, settings: Any) -> bool:
    return path.stat().st_size > float(settings.upload_job_mb) * 1024 * 1024


def keep_for_job(source: Path) -> Path:
    """Rename a received upload to the name its job will load (atomic, same folder)."""
    final = source.with_name(f"job-{secrets.token_hex(8)}{source.suffix}")
    os.replace(source, final)
    return final


def enqueue_load(
    *,
    db_session: Session,
    dataset: Any,
    actor: Any,
    source: Path,
    source_name: str,
    options: Any,
    data_dir: Path,
    consent: LoadConsent | None = None,
) -> int:
    """Queue the load of ``source`` (already kept for the job) in the caller's transaction."""

    job_id = enqueue(
        db_session,
        "datahub.load_upload",
        {
            "dataset_id": dataset.id,
            "path": str(source),
            "source_name": source_name,
            "options": options.model_dump(mode="json"),
            "actor_id": actor.id,
            "data_dir": str(data_dir),
            "consent": (consent or LoadConsent()).model_dump(mode="json"),
        },
        owner_id=actor.id,
    )
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.version.queue",
        object_type="dataset",
        object_id=dataset.name,
        detail={"job": job_id, "source": source_name, "bytes": source.stat().st_size},
    )
    return job_id


@job("datahub.load_upload", max_attempts=3)
def load_upload(
    ctx: JobContext,
    *,
    dataset_id: int,
    path: str,
    source_name: str,
    options: dict[str, Any],
    actor_id: int,
    data_dir: str,
    consent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Load an uploaded file as the dataset's next version, reporting bytes read."""

    source = Path(path)
    settings = get_settings().model_copy(update={"data_dir": Path(data_dir)})
    finished = False
    try:
        if not source.is_file():
            raise JobFailed(f"The uploaded file {source_name} is gone; upload it again.")
        ctx.progress(0, source.stat().st_size, f"{source_name}: 0%")
        with ctx.session_factory() as s:
            actor = s.get(User, actor_id)
            ds = s.get(Dataset, dataset_id)
            if ds is None or actor is None:
                raise JobFailed("The dataset or the uploading account no longer exists.")
            name = ds.name
            sqlite = s.get_bind().dialect.name == "sqlite"
            me = _thread_id()

            def progress(done: int, total: int) -> None:
                message = f"{source_name}: {round(100 * done / max(total, 1))}%"
                if _thread_id() != me:  # DuckDB's progress poller: never raise there
                    with contextlib.suppress(JobCancelled):
                        ctx.progress(done, total, message)
                    return
                if sqlite:
                    # Another connection's write (this progress) would invalidate this
                    # session's read snapshot before it writes: load_version writes only
                    # after the ingest, whose last report comes from this thread, so end
                    # the snapshot here.
                    s.commit()
                ctx.progress(done, total, message)

            try:
                report = service.load_version(
                    db_session=s,
                    data_dir=Path(data_dir),
                    actor=actor,
                    name=name,
                    source=source,
                    source_name=source_name,
                    options=IngestOptions.model_validate(options),
                    progress=progress,
                    settings=settings,
                    consent=LoadConsent.model_validate(consent or {}),
                )
            except (service.SchemaChangeRefused, service.ShrinkRefused) as err:
                s.rollback()
                finished = True
                raise JobFailed(err.message, result=err.as_dict()) from None
            except service.LoadRejected as err:
                s.rollback()
                finished = True
                raise JobFailed(
                    err.message, result={"report": err.report.model_dump(mode="json")}
                ) from None
            ctx.raise_if_cancelled()
            s.commit()
        finished = True
        return {
            "dataset": name,
            "version": report.version.number,
            "url": f"/datahub/datasets/{name}",
            "warnings": report.warnings,
        }
    except JobFailed:
        finished = True
        raise
    finally:
        if finished or ctx.last_attempt or ctx.cancelled():
            source.unlink(missing_ok=True)


def _thread_id() -> int:
    import threading

    return threading.get_ident()


def _held_paths(db_session: Session) -> set[str]:

    rows = db_session.scalars(
        select(Job.args).where(
            Job.name == "datahub.load_upload", Job.status.in_(("queued", "running"))
        )
    ).all()
    return {str(json.loads(a).get("path", "")) for a in rows}


def sweep(
    *, session_factory: sessionmaker[Session], settings: Any, now: float | None = None
) -> list[Path]:
    """Remove upload temp files and ``.incoming-*`` files older than the sweep age that no
    queued or running job holds. Return what was removed."""
    data_dir = Path(settings.data_dir)
    root = data_dir / "datahub"
    if not root.is_dir():
        return []
    cutoff = (now if now is not None else time.time()) - 60 * int(settings.upload_sweep_minutes)
    with session_factory() as s:
        held = _held_paths(s)
    candidates = list(uploads_dir(data_dir).glob("*")) if uploads_dir(data_dir).is_dir() else []
    candidates += list(root.glob("*/.incoming-*"))
    removed: list[Path] = []
    for path in candidates:
        try:
            if not path.is_file() or str(path) in held or path.stat().st_mtime > cutoff:
                continue
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            continue
    if removed:
        log.info("swept %d file(s) left by interrupted loads", len(removed))
    return removed


@job("datahub.sweep_uploads", max_attempts=1)
def sweep_job(ctx: JobContext, *, data_dir: str | None = None) -> dict[str, Any]:

    settings = get_settings()
    if data_dir:
        settings = settings.model_copy(update={"data_dir": Path(data_dir)})
    removed = sweep(session_factory=ctx.session_factory, settings=settings)
    return {"removed": [p.name for p in removed]}


PERIODIC = [PeriodicJob("datahub.sweep_uploads", dt.timedelta(hours=1))]


def queue_upload(
    *,
    db_session: Session,
    name: str,
    actor: Any,
    source: Path,
    source_name: str,
    options: Any,
    data_dir: Path,
    consent: LoadConsent | None = None,
) -> int:
    """Keep ``source`` for a job and queue its load (committed); return the job id. The
    caller's checks ran already; this one repeats the edit check before anything is queued."""

    try:
        ds = catalog.get_dataset(db_session=db_session, name=name, viewer=actor)
        access.ensure_can_edit(actor, ds, what="load data into")
        kept = keep_for_job(source)
    except BaseException:
        source.unlink(missing_ok=True)
        raise
    try:
        job_id = enqueue_load(
            db_session=db_session,
            dataset=ds,
            actor=actor,
            source=kept,
            source_name=source_name,
            options=options,
            data_dir=data_dir,
            consent=consent,
        )
        db_session.commit()
    except BaseException:
        db_session.rollback()
        kept.unlink(missing_ok=True)
        raise
    return job_id


def accepted_response(**kwargs: Any) -> Any:
    """202 Accepted with the job's URL (``Location``) and id, for the data API."""
    from fastapi.responses import JSONResponse

    job_id = queue_upload(**kwargs)
    url = f"/api/jobs/{job_id}"
    return JSONResponse(
        {"job_id": job_id, "status": "queued", "url": url, "page": f"/jobs/{job_id}"},
        status_code=202,
        headers={"Location": url},
    )
