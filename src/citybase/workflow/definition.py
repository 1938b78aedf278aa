"""A workflow as data: states, transitions, guards and time limits read from YAML.

A city replaces a shipped workflow by putting a file of the same name in the directory
named by the ``workflow_dir`` setting. Files are validated at start-up; every error names
the file, the entry and what to write instead (docs/workflow.md has the format).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from citybase.errors import ConfigurationError
from citybase.identity.enums import Role
from citybase.worktime.clock import Unit

ROLES = frozenset(r.value for r in Role)
ANY = "any"


@dataclass(frozen=True)
class TimeLimit:
    amount: float
    unit: Unit


@dataclass(frozen=True)
class State:
    name: str
    label_zh: str
    label_en: str
    final: bool = False
    pauses: bool = False  # 挂起: the running time limit stops while here
    time_limit: TimeLimit | None = None


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    label_zh: str
    label_en: str
    roles: frozenset[str] | None = None  # None: any role
    department: str = ANY  # a department relation on the instance, or "any"
    system_only: bool = False  # taken by the platform itself (actor None), never by a person
    requires: tuple[str, ...] = ()  # "reason" or keys of ``data``
    extends: TimeLimit | None = None  # 延期: adds time to the running limit


@dataclass(frozen=True)
class Workflow:
    name: str
    title_zh: str
    title_en: str
    initial: str
    departments: tuple[str, ...]
    states: dict[str, State]
    transitions: dict[str, Transition]
    source: str = field(default="", compare=False)

    def moves_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> ConfigurationError:
        return ConfigurationError(f"{self.path}: {where}: {what}", field="workflow_dir")

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected a mapping (key: value lines).")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "expected a non-empty text.")
        return value.strip()

    def labels(self, value: Any, where: str, default: str) -> tuple[str, str]:
        if value is None:
            return default, default
        if isinstance(value, str):
            return value, value
        doc = self.mapping(value, where)
        zh = str(doc.get("zh") or doc.get("en") or default)
        return zh, str(doc.get("en") or zh)

    def limit(self, value: Any, where: str) -> TimeLimit:
        doc = self.mapping(value, where)
        amount = doc.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
            raise self.fail(f"{where}.amount", f"'{amount}' must be a number above 0.")
        units = ", ".join(u.value for u in Unit)
        try:
            unit = Unit(str(doc.get("unit")))
        except ValueError:
            raise self.fail(
                f"{where}.unit", f"'{doc.get('unit')}' is not one of {units}."
            ) from None
        if unit in (Unit.working_days, Unit.calendar_days) and amount != int(amount):
            raise self.fail(f"{where}.amount", f"{unit.value} are whole days; not {amount}.")
        return TimeLimit(float(amount), unit)


def _state(r: _Reader, name: str, value: Any) -> State:
    where = f"states.{name}"
    doc = r.mapping(value or {}, where)
    unknown = set(doc) - {"label", "final", "pauses", "time_limit"}
    if unknown:
        raise r.fail(
            where, f"unknown key(s) {sorted(unknown)}; use label, final, pauses, time_limit."
        )
    zh, en = r.labels(doc.get("label"), f"{where}.label", name)
    limit = doc.get("time_limit")
    return State(
        name=name,
        label_zh=zh,
        label_en=en,
        final=bool(doc.get("final", False)),
        pauses=bool(doc.get("pauses", False)),
        time_limit=r.limit(limit, f"{where}.time_limit") if limit is not None else None,
    )


TRANSITION_KEYS = {
    "name", "from", "to", "label", "roles", "department", "system", "requires", "extends",
}  # fmt: skip


def _transition(
    r: _Reader, i: int, value: Any, states: dict[str, State], departments: tuple[str, ...]
) -> Transition:
    where = f"transitions[{i}]"
    doc = r.mapping(value, where)
    unknown = set(doc) - TRANSITION_KEYS
    if unknown:
        raise r.fail(
            where, f"unknown key(s) {sorted(unknown)}; use {', '.join(sorted(TRANSITION_KEYS))}."
        )
    name = r.text(doc.get("name"), f"{where}.name")
    where = f"transitions[{i}] ({name})"
    raw_from = doc.get("from")
    sources = (raw_from,) if isinstance(raw_from, str) else tuple(raw_from or ())
    if not sources:
        raise r.fail(f"{where}.from", "name the state(s) this move starts from.")
    known = ", ".join(states)
    for s in sources:
        if s not in states:
            raise r.fail(f"{where}.from", f"unknown state '{s}'; states: {known}.")
    target = doc.get("to")
    if target not in states:
        raise r.fail(f"{where}.to", f"unknown state '{target}'; states: {known}.")
    roles = None
    if doc.get("roles") is not None:
        roles = frozenset(str(x) for x in doc["roles"])
        for role in sorted(roles - ROLES):
            raise r.fail(
                f"{where}.roles", f"'{role}' is not a role; roles: {', '.join(sorted(ROLES))}."
            )
    department = str(doc.get("department", ANY))
    if department != ANY and department not in departments:
        choices = ", ".join([ANY, *departments])
        raise r.fail(
            f"{where}.department", f"'{department}' is not declared; use one of {choices}."
        )
    requires = tuple(str(x) for x in doc.get("requires") or ())
    extends = doc.get("extends")
    zh, en = r.labels(doc.get("label"), f"{where}.label", name)
    return Transition(
        name=name,
        sources=sources,
        target=str(target),
        label_zh=zh,
        label_en=en,
        roles=roles,
        department=department,
        system_only=bool(doc.get("system", False)),
        requires=requires,
        extends=r.limit(extends, f"{where}.extends") if extends is not None else None,
    )


def parse_workflow(doc: Any, path: Path) -> Workflow:
    r = _Reader(path)
    doc = r.mapping(doc, "top level")
    name = r.text(doc.get("workflow"), "workflow")
    if name != path.stem:
        raise r.fail("workflow", f"'{name}' must match the file name '{path.stem}.yaml'.")
    title_zh, title_en = r.labels(doc.get("title"), "title", name)
    departments = tuple(str(d) for d in doc.get("departments") or ())
    if ANY in departments:
        raise r.fail("departments", f"'{ANY}' is reserved; name the relations, e.g. owner.")
    states = {
        str(k): _state(r, str(k), v) for k, v in r.mapping(doc.get("states"), "states").items()
    }
    initial = doc.get("initial")
    if initial is None:
        raise r.fail(
            "initial", f"missing: name the state new instances start in ({', '.join(states)})."
        )
    if initial not in states:
        raise r.fail("initial", f"unknown state '{initial}'; states: {', '.join(states)}.")
    raw = doc.get("transitions")
    if not isinstance(raw, list) or not raw:
        raise r.fail("transitions", "expected a list of transitions.")
    transitions: dict[str, Transition] = {}
    for i, item in enumerate(raw):
        t = _transition(r, i, item, states, departments)
        if t.name in transitions:
            raise r.fail(
                f"transitions[{i}].name", f"'{t.name}' is used twice; names must be unique."
            )
        transitions[t.name] = t
    for t in transitions.values():
        for s in t.sources:
            if states[s].final:
                raise r.fail(f"transitions ({t.name})", f"starts from final state '{s}'.")
    reached, todo = {initial}, [initial]
    while todo:
        here = todo.pop()
        for t in transitions.values():
            if here in t.sources and t.target not in reached:
                reached.add(t.target)
                todo.append(t.target)
    unreachable = [s for s in states if s not in reached]
    if unreachable:
        raise r.fail(
            "states",
            f"unreachable from '{initial}': {', '.join(unreachable)}; add a transition into "
            "them or remove them.",
        )
    return Workflow(
        name, title_zh, title_en, str(initial), departments, states, transitions, str(path)
    )


def load_workflow(path: Path) -> Workflow:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigurationError(
            f"{path}: YAML: {str(exc).splitlines()[0]}", field="workflow_dir"
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"{path}: cannot be read: {exc.strerror}", field="workflow_dir"
        ) from None
    return parse_workflow(doc, path)
