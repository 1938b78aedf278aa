"""Moving instances: guards, reasons, history, audit, events and deadlines — on both backends."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.errors import Conflict, PermissionDenied, ValidationFailed
from citybase.events.models import OutboxEvent
from citybase.identity.enums import Role
from citybase.settings import Settings
from citybase.workflow import service as workflow_service
from citybase.workflow.models import WorkflowInstance
from citybase.worktime import DeadlineStatus
from tests.factories import make_user

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def local(when: dt.datetime | None) -> str:
    assert when is not None
    return when.astimezone(SH).strftime("%Y-%m-%d %H:%M")


def _start(session: Session, settings: Settings, subject: str, when: str) -> WorkflowInstance:
    return workflow_service.start(
        db_session=session,
        workflow="test_case",
        subject_type="test_case",
        subject_id=subject,
        departments={"handler": "CG", "reporter": "JD"},
        actor=None,
        settings=settings,
        at=at(when),
    )


def test_a_case_moves_with_guards_history_audit_and_events(
    session: Session, wf_settings: Settings
) -> None:
    officer = make_user(session, Role.officer, "CG")
    other = make_user(session, Role.officer, "GA")
    reporter = make_user(session, Role.analyst, "JD")
    inst = _start(session, wf_settings, "c-1", "2024-09-30 10:00")
    assert inst.state == "open"
    # 8 working hours from Monday 10:00 before National Day: 6.5 h that day, 1.5 h on 8 Oct.
    assert local(inst.deadline_due_at) == "2024-10-08 10:30"

    with pytest.raises(PermissionDenied) as denied:
        workflow_service.transition(
            db_session=session, instance=inst, action="close", actor=other,
            reason="办结", data={"result": "ok"}, settings=wf_settings,
        )  # fmt: skip
    message = denied.value.message
    assert "handler department (CG)" in message and "you are in GA" in message
    assert "allowed for you now: none for you" in message

    with pytest.raises(Conflict) as wrong_state:
        workflow_service.transition(
            db_session=session, instance=inst, action="resume", actor=officer,
            settings=wf_settings,
        )  # fmt: skip
    assert "'resume' is not a move from 'open'" in wrong_state.value.message
    assert "suspend (→ suspended)" in wrong_state.value.message
    assert "close (→ closed)" in wrong_state.value.message
    assert "cancel" not in wrong_state.value.message  # cancel is for the reporter only

    with pytest.raises(ValidationFailed) as no_result:
        workflow_service.transition(
            db_session=session, instance=inst, action="close", actor=officer,
            reason="已处理完毕", settings=wf_settings,
        )  # fmt: skip
    assert no_result.value.field == "result"

    names = [m.name for m in workflow_service.allowed_actions(
        db_session=session, instance=inst, actor=reporter, settings=wf_settings,
    )]  # fmt: skip
    assert names == ["cancel"]

    workflow_service.transition(
        db_session=session, instance=inst, action="close", actor=officer,
        reason="已处理完毕", data={"result": "repaired"}, settings=wf_settings,
        at=at("2024-10-08 09:30"),
    )  # fmt: skip
    assert inst.state == "closed" and inst.deadline_due_at is None
    moves = workflow_service.history(db_session=session, instance=inst)
    assert [(m.action, m.from_state, m.to_state) for m in moves] == [
        ("start", None, "open"),
        ("close", "open", "closed"),
    ]
    assert moves[1].actor_name == officer.username and moves[1].reason == "已处理完毕"
    audit = list(
        session.scalars(
            select(AuditRecord.action).where(
                AuditRecord.object_type == "test_case", AuditRecord.object_id == "c-1"
            )
        )
    )
    assert audit == ["workflow.start", "workflow.close"]
    events = list(
        session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.event_type == "workflow.Transitioned")
            .order_by(OutboxEvent.id)
        )
    )
    payloads = [
        json.loads(e.payload) for e in events if json.loads(e.payload)["subject_id"] == "c-1"
    ]
    assert [(p["from_state"], p["to_state"]) for p in payloads] == [
        (None, "open"),
        ("open", "closed"),
    ]
    assert json.loads(events[-1].audience_departments) == ["CG", "JD"]


def test_suspend_pauses_and_extension_adds_time(session: Session, wf_settings: Settings) -> None:
    officer = make_user(session, Role.officer, "CG")
    dispatcher = make_user(session, Role.dispatcher, "ZX")
    inst = _start(session, wf_settings, "c-2", "2024-06-11 09:00")  # Tuesday
    assert local(inst.deadline_due_at) == "2024-06-12 09:30"
    workflow_service.transition(
        db_session=session, instance=inst, action="suspend", actor=officer,
        reason="等待当事人补充材料", settings=wf_settings, at=at("2024-06-11 10:00"),
    )  # fmt: skip
    paused = workflow_service.deadline_state(
        instance=inst, settings=wf_settings, now=at("2024-06-20 10:00")
    )
    assert paused is not None and paused.status is DeadlineStatus.paused
    assert paused.used == dt.timedelta(hours=1)
    workflow_service.transition(
        db_session=session, instance=inst, action="resume", actor=officer,
        settings=wf_settings, at=at("2024-06-13 10:00"),
    )  # fmt: skip
    # one hour used; seven left from Thursday 10:00 → Friday 09:30.
    assert local(inst.deadline_due_at) == "2024-06-14 09:30"
    workflow_service.transition(
        db_session=session, instance=inst, action="extend", actor=dispatcher,
        reason="案情复杂", settings=wf_settings, at=at("2024-06-13 11:00"),
    )  # fmt: skip
    assert local(inst.deadline_due_at) == "2024-06-14 15:00"  # +4 h: 2.5 before lunch, 1.5 after
    state = workflow_service.deadline_state(
        instance=inst, settings=wf_settings, now=at("2024-06-14 13:00")
    )
    assert state is not None and state.status is DeadlineStatus.warning
    late = workflow_service.deadline_state(
        instance=inst, settings=wf_settings, now=at("2024-06-14 15:30")
    )
    assert late is not None and late.status is DeadlineStatus.overdue


def test_a_transition_by_subject_and_an_unknown_action(
    session: Session, wf_settings: Settings
) -> None:
    _start(session, wf_settings, "c-3", "2024-06-11 09:00")
    with pytest.raises(Conflict, match="'archive' is not a move from 'open'"):
        workflow_service.transition(
            db_session=session, subject=("test_case", "test_case", "c-3"), action="archive",
            actor=None, settings=wf_settings,
        )  # fmt: skip
    inst = workflow_service.transition(
        db_session=session, subject=("test_case", "test_case", "c-3"), action="cancel",
        actor=None, settings=wf_settings,
    )  # fmt: skip
    assert inst.state == "cancelled"
    with pytest.raises(Conflict, match="allowed now: none"):
        workflow_service.transition(
            db_session=session, instance_id=inst.id, action="cancel", actor=None,
            settings=wf_settings,
        )  # fmt: skip


def test_a_limit_the_calendar_cannot_count_does_not_stop_the_work(
    session: Session, wf_settings: Settings
) -> None:
    from citybase.worktime.calendar import NATIONAL_YEARS

    last = NATIONAL_YEARS.stop - 1
    # 8 working hours from the last evening the data covers run into an uncovered year.
    inst = _start(session, wf_settings, "c-4", f"{last}-12-31 17:00")
    assert inst.state == "open" and inst.deadline_due_at is None
    first = workflow_service.history(db_session=session, instance=inst)[0]
    error = json.loads(first.data)["deadline_error"]
    assert f"{last + 1}-01-01" in error and f"–{last} only" in error
    audit = session.scalar(
        select(AuditRecord).where(
            AuditRecord.object_type == "test_case", AuditRecord.object_id == "c-4"
        )
    )
    assert audit is not None and "deadline_error" in json.loads(audit.detail)
