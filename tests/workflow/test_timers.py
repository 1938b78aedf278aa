"""SLA timers: warnings and overdue notices, once per due instant, never while paused."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybase.events.models import OutboxEvent
from citybase.jobs import enqueue
from citybase.jobs.runtime import drain
from citybase.settings import Settings
from citybase.workflow import service as workflow_service
from citybase.workflow.timers import check_deadlines

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def _notices(session: Session, subject: str) -> list[tuple[str, str]]:
    out = []
    for row in session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)):
        payload = json.loads(row.payload)
        if row.event_type.startswith("workflow.Deadline") and payload["subject_id"] == subject:
            due = dt.datetime.fromisoformat(payload["due_at"]).astimezone(SH)
            out.append((row.event_type, f"{due:%Y-%m-%d %H:%M}"))
    return out


def test_warning_then_overdue_once_each_and_again_after_an_extension(
    session: Session, wf_settings: Settings
) -> None:
    inst = workflow_service.start(
        db_session=session, workflow="test_case", subject_type="test_case", subject_id="t-1",
        departments={"handler": "CG", "reporter": "JD"}, actor=None, settings=wf_settings,
        at=at("2024-06-11 09:00"),
    )  # fmt: skip
    # 8 working hours → due Wednesday 09:30; warning at 80 % (6.4 h) → Tuesday 16:54.
    assert check_deadlines(db_session=session, now=at("2024-06-11 16:50")) == {
        "warning": 0, "overdue": 0,
    }  # fmt: skip
    assert check_deadlines(db_session=session, now=at("2024-06-11 17:00"))["warning"] == 1
    assert check_deadlines(db_session=session, now=at("2024-06-11 17:30"))["warning"] == 0
    assert check_deadlines(db_session=session, now=at("2024-06-12 09:31"))["overdue"] == 1
    assert check_deadlines(db_session=session, now=at("2024-06-12 11:00"))["overdue"] == 0
    workflow_service.transition(
        db_session=session, instance=inst, action="extend", actor=None, reason="延期",
        settings=wf_settings, at=at("2024-06-12 11:00"),
    )  # fmt: skip
    # +4 working hours from the old due instant → Wednesday 15:00: a new due, noticed anew.
    assert check_deadlines(db_session=session, now=at("2024-06-12 16:00"))["overdue"] == 1
    assert _notices(session, "t-1") == [
        ("workflow.DeadlineWarning", "2024-06-12 09:30"),
        ("workflow.DeadlineOverdue", "2024-06-12 09:30"),
        ("workflow.DeadlineOverdue", "2024-06-12 15:00"),
    ]


def test_a_paused_limit_is_not_noticed(session: Session, wf_settings: Settings) -> None:
    inst = workflow_service.start(
        db_session=session, workflow="test_case", subject_type="test_case", subject_id="t-2",
        departments={"handler": "CG", "reporter": "JD"}, actor=None, settings=wf_settings,
        at=at("2024-06-11 09:00"),
    )  # fmt: skip
    workflow_service.transition(
        db_session=session, instance=inst, action="suspend", actor=None, reason="等待材料",
        settings=wf_settings, at=at("2024-06-11 10:00"),
    )  # fmt: skip
    assert check_deadlines(db_session=session, now=at("2024-06-20 10:00")) == {
        "warning": 0, "overdue": 0,
    }  # fmt: skip
    assert _notices(session, "t-2") == []


def test_the_periodic_job_runs_the_check(
    session: Session, session_factory: sessionmaker[Session], wf_settings: Settings
) -> None:
    workflow_service.start(
        db_session=session, workflow="test_case", subject_type="test_case", subject_id="t-3",
        departments={"handler": "CG", "reporter": "JD"}, actor=None, settings=wf_settings,
        at=at("2024-06-11 09:00"),
    )  # fmt: skip
    enqueue(session, "workflow.check_deadlines", {})
    session.commit()
    ran = drain(session_factory, settings=wf_settings)
    assert ran["jobs"] >= 1
    session.expire_all()
    assert ("workflow.DeadlineOverdue", "2024-06-12 09:30") in _notices(session, "t-3")
