"""Two sessions move the same instance at once: exactly one wins, the other gets 409."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from citybase.db import make_engine, make_session_factory, upgrade
from citybase.errors import Conflict
from citybase.settings import Settings
from citybase.workflow import service as workflow_service
from citybase.workflow.models import WorkflowInstance
from tests.conftest import create_postgres_database, drop_postgres_database


@pytest.fixture
def committed_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own: these sessions commit for real."""
    if backend == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
    else:
        url, name = create_postgres_database()
        eng = make_engine(url)
        upgrade(eng)
        yield eng
        eng.dispose()
        drop_postgres_database(name)


def test_exactly_one_of_two_concurrent_moves_wins(
    committed_engine: Engine, wf_settings: Settings
) -> None:
    factory: sessionmaker = make_session_factory(committed_engine)  # type: ignore[type-arg]
    with factory() as s:
        inst = workflow_service.start(
            db_session=s, workflow="test_case", subject_type="test_case", subject_id="race",
            departments={"handler": "CG", "reporter": "JD"}, actor=None, settings=wf_settings,
        )  # fmt: skip
        s.commit()
        instance_id = inst.id
    first, second = factory(), factory()
    try:
        # Both read the instance at version 1 (as two requests would), then both move it.
        a = first.get(WorkflowInstance, instance_id)
        b = second.get(WorkflowInstance, instance_id)
        assert a is not None and b is not None and a.version == b.version == 1
        first.commit()
        second.commit()
        workflow_service.transition(
            db_session=first, instance=a, action="cancel", actor=None, settings=wf_settings
        )
        first.commit()
        with pytest.raises(Conflict) as lost:
            workflow_service.transition(
                db_session=second, instance=b, action="suspend", actor=None,
                reason="并发挂起", settings=wf_settings,
            )  # fmt: skip
        second.rollback()
        assert "moved by someone else meanwhile" in lost.value.message
    finally:
        first.close()
        second.close()
    with factory() as s:
        final = s.get(WorkflowInstance, instance_id)
        assert final is not None and final.state == "cancelled" and final.version == 2
        moves = workflow_service.history(db_session=s, instance=final)
        assert [m.action for m in moves] == ["start", "cancel"]


def test_a_stale_expected_version_is_refused(
    committed_engine: Engine, wf_settings: Settings
) -> None:
    factory: sessionmaker = make_session_factory(committed_engine)  # type: ignore[type-arg]
    with factory() as s:
        inst = workflow_service.start(
            db_session=s, workflow="test_case", subject_type="test_case", subject_id="v",
            departments={"handler": "CG", "reporter": "JD"}, actor=None, settings=wf_settings,
        )  # fmt: skip
        s.commit()
        with pytest.raises(Conflict, match="changed meanwhile"):
            workflow_service.transition(
                db_session=s, instance_id=inst.id, action="cancel", actor=None,
                expected_version=7, settings=wf_settings,
            )  # fmt: skip
