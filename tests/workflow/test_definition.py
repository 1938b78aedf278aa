"""Workflow files are validated at start-up with errors that name the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from citybase.app import create_app
from citybase.errors import ConfigurationError
from citybase.settings import Settings
from citybase.workflow.definition import load_workflow, parse_workflow
from citybase.workflow.registry import reload, workflows
from citybase.worktime import Unit
from tests.workflow.conftest import CASE_YAML


def test_the_shipped_sharing_workflow_loads() -> None:
    reload()
    wf = workflows(Settings())["sharing_request"]
    assert wf.initial == "pending"
    assert wf.states["pending"].time_limit is not None
    assert wf.states["pending"].time_limit.unit is Unit.working_days
    assert {t.name for t in wf.moves_from("pending")} == {
        "approve", "reject", "extend", "withdraw", "grant_at_once", "refuse",
    }  # fmt: skip
    assert wf.transitions["approve"].department == "owner"
    assert wf.transitions["withdraw"].department == "requester"
    assert wf.transitions["refuse"].system_only


def _broken(tmp_path: Path, change: str) -> str:
    doc = yaml.safe_load(CASE_YAML)
    exec(change, {"doc": doc})  # test-controlled edits of the document
    path = tmp_path / "test_case.yaml"
    with pytest.raises(ConfigurationError) as err:
        parse_workflow(doc, path)
    assert str(path) in err.value.message
    return err.value.message


BROKEN = [
    ("doc['transitions'][0]['to'] = 'nowhere'", "(suspend).to: unknown state 'nowhere'"),
    ("doc['transitions'][1]['from'] = ['lost']", "(resume).from: unknown state 'lost'"),
    ("doc['states']['archived'] = {'final': True}", "unreachable from 'open': archived"),
    ("doc['transitions'][1]['name'] = 'suspend'", "[1].name: 'suspend' is used twice"),
    ("doc['transitions'][0]['roles'] = ['steward']", "(suspend).roles: 'steward' is not a role"),
    ("del doc['initial']", "initial: missing"),
    ("doc['initial'] = 'draft'", "initial: unknown state 'draft'"),
    ("doc['transitions'][0]['department'] = 'owner'", "use one of any, handler, reporter"),
    ("doc['states']['open']['time_limit']['unit'] = 'weeks'", "time_limit.unit: 'weeks'"),
    ("doc['states']['open']['time_limit']['amount'] = 0", "states.open.time_limit.amount"),
    ("doc['workflow'] = 'other'", "must match the file name"),
    (
        "doc['transitions'].append({'name': 'reopen', 'from': ['closed'], 'to': 'open'})",
        "starts from final state 'closed'",
    ),
    ("doc['transitions'][0]['colour'] = 'red'", "unknown key(s) ['colour']"),
]


@pytest.mark.parametrize(("change", "expected"), BROKEN)
def test_bad_definitions_are_refused(tmp_path: Path, change: str, expected: str) -> None:
    assert expected in _broken(tmp_path, change)


def test_a_city_replaces_the_shipped_workflow(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[2] / "src/citybase/sharing/data/workflows/sharing_request.yaml"
    text = shipped.read_text(encoding="utf-8").replace(
        "time_limit: {amount: 5, unit: working_days}", "time_limit: {amount: 3, unit: working_days}"
    )
    (tmp_path / "sharing_request.yaml").write_text(text, encoding="utf-8")
    reload()
    wf = workflows(Settings(workflow_dir=tmp_path))["sharing_request"]
    limit = wf.states["pending"].time_limit
    assert limit is not None and limit.amount == 3
    assert wf.source == str(tmp_path / "sharing_request.yaml")
    reload()


def test_start_up_refuses_a_bad_city_workflow(tmp_path: Path) -> None:
    (tmp_path / "test_case.yaml").write_text(
        CASE_YAML.replace("to: closed", "to: done"), encoding="utf-8"
    )
    reload()
    with pytest.raises(
        ConfigurationError, match=r"transitions\[3\] \(close\)\.to: unknown state 'done'"
    ):
        create_app(Settings(workflow_dir=tmp_path, data_dir=tmp_path))
    reload()


def test_start_up_refuses_a_sharing_workflow_without_its_states(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[2] / "src/citybase/sharing/data/workflows/sharing_request.yaml"
    doc = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    del doc["states"]["refused"]
    doc["transitions"] = [t for t in doc["transitions"] if t["to"] != "refused"]
    (tmp_path / "sharing_request.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    reload()
    with pytest.raises(ConfigurationError, match="missing: refused, refuse"):
        create_app(Settings(workflow_dir=tmp_path, data_dir=tmp_path))
    reload()


def test_start_up_refuses_bad_working_hours(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="overlaps"):
        create_app(Settings(worktime_hours="09:00-12:00,11:00-13:00", data_dir=tmp_path))


def test_unreadable_yaml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "test_case.yaml"
    path.write_text("states: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"test_case\.yaml: YAML"):
        load_workflow(path)


def test_start_up_refuses_a_sharing_move_that_leads_elsewhere(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[2] / "src/citybase/sharing/data/workflows/sharing_request.yaml"
    doc = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    next(t for t in doc["transitions"] if t["name"] == "approve")["to"] = "rejected"
    (tmp_path / "sharing_request.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    reload()
    with pytest.raises(ConfigurationError, match="'approve' to lead from pending to granted"):
        create_app(Settings(workflow_dir=tmp_path, data_dir=tmp_path))
    reload()
