"""Every workflow the platform knows: the shipped files, replaced by the city's."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from citybase.errors import ConfigurationError, NotFound
from citybase.plugins import get_plugin_manager
from citybase.settings import Settings
from citybase.workflow.definition import Workflow, load_workflow


def shipped_files() -> dict[str, Path]:
    """``citybase_workflows`` files of every plug-in, by workflow name."""

    out: dict[str, Path] = {}
    for paths in get_plugin_manager().hook.citybase_workflows():
        for path in paths:
            if path.stem in out and out[path.stem] != path:
                raise ConfigurationError(
                    f"Two plug-ins ship workflow '{path.stem}': {out[path.stem]} and {path}.",
                    field="workflow_dir",
                )
            out[path.stem] = path
    return out


@lru_cache(maxsize=4)
def _load(workflow_dir: Path | None) -> dict[str, Workflow]:
    files = shipped_files()
    if workflow_dir is not None:
        if not workflow_dir.is_dir():
            raise ConfigurationError(
                f"workflow_dir: {workflow_dir} is not a directory; point it at the folder of "
                "the city's <workflow>.yaml files or unset it.",
                field="workflow_dir",
            )
        for path in sorted(workflow_dir.glob("*.yaml")):
            files[path.stem] = path
    return {name: load_workflow(path) for name, path in sorted(files.items())}


def workflows(settings: Settings) -> dict[str, Workflow]:
    """Every workflow, validated (raises ConfigurationError naming the file and entry)."""
    return _load(settings.workflow_dir)


def get_workflow(name: str, settings: Settings) -> Workflow:
    found = workflows(settings).get(name)
    if found is None:
        raise NotFound(
            f"workflow: no workflow named '{name}'; known: {', '.join(workflows(settings))}.",
            field="workflow",
        )
    return found


def reload() -> None:
    """Forget loaded definitions (tests, and a city editing its files)."""
    _load.cache_clear()
