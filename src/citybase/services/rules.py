"""Rules as code: each item's eligibility rules, versioned by effective date, with a trace.

A rule file ``rules/<ITEM>.yaml`` holds versions; each version has an ``effective_from``
(and optionally ``effective_until``), the inputs it reads — each with a type and where it
comes from (``applicant``, ``system`` or ``material.<key>``, i.e. the item's material the
government holds) — and rules: a condition in the expression language of ``expr.py`` that
must hold, the outcome when it does not (``reject`` or ``manual``), the article it rests on
and the message a person reads. An application is decided by the version in force on its
date. Files are refused at load with the file, line and rule when a rule does not parse,
does not type-check or names an input that is not declared.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from citybase.errors import ConfigurationError, ValidationFailed
from citybase.services import expr
from citybase.services.catalogue import Catalogue, Item, Text
from citybase.services.loading import explain, line_of, read_yaml, strip_lines

Decision = Literal["approved", "rejected", "manual_review"]


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["number", "bool", "string", "date", "list"]
    source: str = Field(alias="from")  # applicant | system | material.<key>


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: str
    otherwise: Literal["reject", "manual"] = "reject"
    article: str = Field(min_length=2)
    message: Text


class VersionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    effective_from: dt.date
    effective_until: dt.date | None = None
    inputs: dict[str, InputSpec]
    rules: list[RuleSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    tree: expr.Node
    line: int | None


@dataclass(frozen=True)
class RuleSet:
    item: str
    version: str
    effective_from: dt.date
    effective_until: dt.date | None
    inputs: dict[str, InputSpec]
    rules: tuple[Rule, ...]
    source: str

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until
        )


@dataclass
class TraceInput:
    name: str
    value: Any
    source: dict[str, Any]


@dataclass
class TraceStep:
    rule: str
    when: str
    result: Literal["pass", "fail", "unknown"]
    outcome: str  # pass / reject / manual
    article: str
    message_zh: str
    message_en: str
    inputs: list[TraceInput] = field(default_factory=list)
    missing: str | None = None


@dataclass
class Outcome:
    decision: Decision
    item: str
    rule_version: str
    decided_on: dt.date
    trace: list[TraceStep]
    legal_basis: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "item": self.item,
            "rule_version": self.rule_version,
            "decided_on": self.decided_on.isoformat(),
            "legal_basis": self.legal_basis,
            "trace": [
                {
                    "rule": s.rule,
                    "when": s.when,
                    "result": s.result,
                    "outcome": s.outcome,
                    "article": s.article,
                    "message": {"zh": s.message_zh, "en": s.message_en},
                    "missing": s.missing,
                    "inputs": [
                        {"name": i.name, "value": _json(i.value), "source": i.source}
                        for i in s.inputs
                    ],
                }
                for s in self.trace
            ],
        }


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _check_source(item: Item, name: str, spec: InputSpec) -> str | None:
    if spec.source in ("applicant", "system"):
        return None
    kind, _, key = spec.source.partition(".")
    material = next((m for m in item.materials if m.key == key), None)
    if kind != "material" or material is None:
        keys = ", ".join(m.key for m in item.materials) or "(none)"
        return (
            f"inputs.{name}.from: '{spec.source}' is not applicant, system or "
            f"material.<key> of a material of {item.code} ({keys})"
        )
    names = material.supply.inputs if material.supply else set()
    names |= set(material.certificate.fields) if material.certificate else set()
    if material.held and name not in names:
        return f"inputs.{name}: material '{key}' supplies {', '.join(sorted(names))}, not '{name}'"
    return None


def parse_rule_file(path: Path, catalogue: Catalogue) -> list[RuleSet]:
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("versions"), list):
        raise ConfigurationError(f"{path}: expected 'item' and a list 'versions'.")
    code = str(raw.get("item", ""))
    if code not in catalogue.by_code:
        raise ConfigurationError(f"{path}: item: '{code}' is not in the catalogue.")
    item = catalogue.by_code[code]
    out: list[RuleSet] = []
    for n, entry in enumerate(raw["versions"]):
        where = f"{path}:{line_of(entry) or '?'}: versions[{n}]"
        try:
            spec = VersionSpec.model_validate(strip_lines(entry))
        except ValidationError as exc:
            raise ConfigurationError(f"{where}: {explain(exc)}", field="rules") from exc
        for name, inp in spec.inputs.items():
            problem = _check_source(item, name, inp)
            if problem:
                raise ConfigurationError(f"{where} ({spec.version}): {problem}", field="rules")
        types = {k: v.type for k, v in spec.inputs.items()}
        rules: list[Rule] = []
        for raw_rule, rule in zip(entry["rules"], spec.rules, strict=True):
            line = line_of(raw_rule)
            try:
                tree = expr.parse(rule.when)
                kind = expr.check(tree, types)
            except expr.ExprError as exc:
                raise ConfigurationError(
                    f"{path}:{line}: rule '{rule.id}' ({spec.version}): {exc.message}",
                    field="rules",
                ) from exc
            if kind != "bool":
                raise ConfigurationError(
                    f"{path}:{line}: rule '{rule.id}': 'when' must be a condition, is {kind}.",
                    field="rules",
                )
            rules.append(Rule(rule, tree, line))
        out.append(
            RuleSet(
                item=code,
                version=spec.version,
                effective_from=spec.effective_from,
                effective_until=spec.effective_until,
                inputs=spec.inputs,
                rules=tuple(rules),
                source=str(path),
            )
        )
    out.sort(key=lambda r: r.effective_from)
    for a, b in itertools.pairwise(out):
        if a.effective_until is None or a.effective_until >= b.effective_from:
            raise ConfigurationError(
                f"{path}: versions {a.version} and {b.version} overlap; end {a.version} "
                f"(effective_until) before {b.effective_from.isoformat()}.",
                field="rules",
            )
    return out


class RuleBook:
    """Every item's rule sets, parsed once per catalogue and directory."""

    def __init__(self, directory: Path, catalogue: Catalogue) -> None:
        self.sets: dict[str, list[RuleSet]] = {}
        for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
            parsed = parse_rule_file(path, catalogue)
            if parsed:
                self.sets.setdefault(parsed[0].item, []).extend(parsed)

    def in_force(self, item: str, on: dt.date) -> RuleSet | None:
        for rs in self.sets.get(item, []):
            if rs.in_force(on):
                return rs
        return None

    def require(self, item: str, on: dt.date) -> RuleSet:
        rs = self.in_force(item, on)
        if rs is None:
            have = ", ".join(
                f"{r.version} ({r.effective_from}–{r.effective_until or '…'})"
                for r in self.sets.get(item, [])
            )
            raise ValidationFailed(
                f"date: no rules of {item} are in force on {on.isoformat()}"
                + (f"; versions: {have}" if have else "; the item has no rules (manual only)"),
                field="date",
            )
        return rs


def _coerce(kind: str, value: Any, name: str) -> Any:
    if value is None:
        return None
    try:
        if kind == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if kind == "number":
            if isinstance(value, bool):
                raise ValueError
            return value if isinstance(value, int | float) else float(value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind == "list":
            if not isinstance(value, list):
                raise ValueError
            return value
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            f"{name}: expected a {kind}, got {value!r}", field=f"input.{name}"
        ) from exc


def _source(name: str, rule_set: RuleSet, sources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if name in sources:
        return sources[name]
    spec = rule_set.inputs.get(name)
    if spec is not None and spec.source == "system":
        return {"kind": "system", "what": "application date"}
    return {"kind": "missing"}


def decide(
    rule_set: RuleSet,
    *,
    on: dt.date,
    values: dict[str, Any],
    sources: dict[str, dict[str, Any]],
    item: Item,
    instant: bool | None = None,
) -> Outcome:
    """Run every rule in order; a failed ``reject`` rule rejects, a failed ``manual`` rule or
    a missing input sends the application to an officer; only all rules passing approves —
    and only for an item that allows instant approval (秒批)."""
    typed = {
        name: _coerce(spec.type, values.get(name), name) for name, spec in rule_set.inputs.items()
    }
    for name, inp in rule_set.inputs.items():
        if inp.source == "system" and typed.get(name) is None:
            typed[name] = on  # the only system input: the application's date
    steps: list[TraceStep] = []
    for rule in rule_set.rules:
        spec = rule.spec
        step = TraceStep(
            spec.id, spec.when, "pass", "pass", spec.article, spec.message.zh, spec.message.en
        )
        try:
            result = expr.evaluate(rule.tree, typed)
            step.result = "pass" if result.value else "fail"
            used = result.used
        except expr.MissingInput as missing:
            step.result = "unknown"
            step.missing = missing.name
            used = expr.names_in(rule.tree)
        if step.result != "pass":
            step.outcome = spec.otherwise if step.result == "fail" else "manual"
        step.inputs = [TraceInput(n, typed.get(n), _source(n, rule_set, sources)) for n in used]
        steps.append(step)
    if any(s.outcome == "reject" for s in steps):
        decision: Decision = "rejected"
    elif any(s.outcome == "manual" for s in steps) or not (
        item.instant if instant is None else instant
    ):
        decision = "manual_review"
    else:
        decision = "approved"
    articles = list(dict.fromkeys(s.article for s in steps))
    return Outcome(
        decision=decision,
        item=item.code,
        rule_version=rule_set.version,
        decided_on=on,
        trace=steps,
        legal_basis=[*item.legal_basis, *[a for a in articles if a not in item.legal_basis]],
    )
