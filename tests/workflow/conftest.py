"""A test workflow a city might write: a case with a suspend state and an extension."""

from __future__ import annotations

from pathlib import Path

import pytest

from citybase.settings import Settings
from citybase.workflow.registry import reload

CASE_YAML = """
workflow: test_case
title: {zh: 测试案件, en: Test case}
initial: open
departments: [handler, reporter]
states:
  open:
    label: {zh: 办理中, en: Open}
    time_limit: {amount: 8, unit: working_hours}
  suspended:
    label: {zh: 挂起, en: Suspended}
    pauses: true
  closed: {label: {zh: 已办结, en: Closed}, final: true}
  cancelled: {final: true}
transitions:
  - name: suspend
    from: [open]
    to: suspended
    roles: [officer, dispatcher]
    department: handler
    requires: [reason]
  - name: resume
    from: [suspended]
    to: open
    roles: [officer, dispatcher]
    department: handler
  - name: extend
    from: [open]
    to: open
    roles: [dispatcher]
    requires: [reason]
    extends: {amount: 4, unit: working_hours}
  - name: close
    from: [open]
    to: closed
    roles: [officer]
    department: handler
    requires: [reason, result]
  - name: cancel
    from: [open, suspended]
    to: cancelled
    department: reporter
"""


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    d = tmp_path / "workflows"
    d.mkdir()
    (d / "test_case.yaml").write_text(CASE_YAML, encoding="utf-8")
    reload()
    return d


@pytest.fixture
def wf_settings(settings: Settings, workflow_dir: Path) -> Settings:
    return settings.model_copy(update={"workflow_dir": workflow_dir})
