"""The workflow as a plug-in: its tables and its event type."""

from __future__ import annotations

from typing import Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import hookimpl

domain = DomainPlugin(
    name="workflow", models="citybase.workflow.models", cli="citybase.workflow.cli:app"
)


@hookimpl
def citybase_event_types() -> list[type[Any]]:
    from citybase.workflow.events import DeadlineOverdue, DeadlineWarning, Transitioned

    return [Transitioned, DeadlineWarning, DeadlineOverdue]


@hookimpl
def citybase_check_settings(settings: Any) -> None:
    """Refuse to start with an invalid workflow file."""
    from citybase.workflow.registry import workflows

    workflows(settings)


@hookimpl
def citybase_load_jobs() -> None:
    from citybase.workflow import timers  # noqa: F401 - registers workflow.check_deadlines


@hookimpl
def citybase_periodic_jobs() -> list[Any]:
    from citybase.workflow.timers import PERIODIC

    return list(PERIODIC)


@hookimpl
def citybase_translations(locale: str) -> dict[str, str]:
    """Names of the workflows' moves for the audit log (``audit.action.workflow.<move>``),
    from the labels in the shipped workflow files (a move named alike in two workflows
    shows both labels when they differ)."""
    from citybase.errors import ConfigurationError
    from citybase.workflow.definition import load_workflow
    from citybase.workflow.registry import shipped_files

    labels: dict[str, list[str]] = {}
    try:
        flows = [load_workflow(path) for path in shipped_files().values()]
    except ConfigurationError:
        return {}  # start-up's settings check reports the broken file
    for wf in flows:
        for move in wf.transitions.values():
            text = move.label_en if locale == "en" else move.label_zh
            found = labels.setdefault(f"audit.action.workflow.{move.name}", [])
            if text and text not in found:
                found.append(text)
    return {key: " / ".join(texts) for key, texts in labels.items() if texts}
