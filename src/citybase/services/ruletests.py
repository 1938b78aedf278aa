"""Rule test cases per item (OpenFisca's discipline): ``tests/<ITEM>.yaml`` beside the rules.

Each case gives a date, the inputs and what must come out: the decision, and optionally the
rules that must fail, the rules that could not be decided (``unknown``) and the rule set
version in force. ``citybase services test`` runs every file and fails on the first
mismatch it reports.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from citybase.errors import ConfigurationError
from citybase.services import rules
from citybase.services.catalogue import Catalogue, load_catalogue
from citybase.services.loading import data_dir_of, explain, line_of, read_yaml, strip_lines
from citybase.settings import Settings


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: rules.Decision
    failed: list[str] | None = None
    unknown: list[str] | None = None
    rule_version: str | None = None


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    date: dt.date
    input: dict[str, Any] = Field(default_factory=dict)
    expect: Expect


@dataclass
class CaseResult:
    file: str
    line: int | None
    item: str
    name: str
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class Report:
    results: list[CaseResult]
    seconds: float

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.ok]


class Library:
    """The catalogue and every item's rule sets, as one unit (cached per settings)."""

    def __init__(self, catalogue: Catalogue, directory: Path) -> None:
        self.catalogue = catalogue
        self.directory = directory
        self.rulebook = rules.RuleBook(directory / "rules", catalogue)


_LIBS: dict[tuple[str, int], Library] = {}


def library(settings: Settings | None = None) -> Library:
    catalogue = load_catalogue(settings)
    directory = data_dir_of(settings)
    key = (str(directory), id(catalogue))
    lib = _LIBS.get(key)
    if lib is None:
        lib = Library(catalogue, directory)
        _LIBS.clear()
        _LIBS[key] = lib
    return lib


def run_case(lib: Library, item_code: str, case: Case) -> list[str]:
    item = lib.catalogue.get(item_code)
    rule_set = lib.rulebook.require(item_code, case.date)
    sources = {n: {"kind": "test case"} for n in case.input}
    out = rules.decide(rule_set, on=case.date, values=case.input, sources=sources, item=item)
    problems: list[str] = []
    exp = case.expect
    if out.decision != exp.decision:
        problems.append(f"decision: expected {exp.decision}, got {out.decision}")
    failed = [s.rule for s in out.trace if s.result == "fail"]
    unknown = [s.rule for s in out.trace if s.result == "unknown"]
    if exp.failed is not None and sorted(failed) != sorted(exp.failed):
        problems.append(f"failed rules: expected {exp.failed}, got {failed}")
    if exp.unknown is not None and sorted(unknown) != sorted(exp.unknown):
        problems.append(f"undecided rules: expected {exp.unknown}, got {unknown}")
    if exp.rule_version is not None and out.rule_version != exp.rule_version:
        problems.append(f"rule_version: expected {exp.rule_version}, got {out.rule_version}")
    return problems


def run_tests(settings: Settings | None = None, only: str | None = None) -> Report:
    started = time.perf_counter()
    lib = library(settings)
    results: list[CaseResult] = []
    for path in sorted((lib.directory / "tests").glob("*.yaml")):
        raw = read_yaml(path)
        if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list):
            raise ConfigurationError(f"{path}: expected 'item' and a list 'cases'.")
        code = str(raw.get("item", ""))
        if only and code != only:
            continue
        for n, entry in enumerate(raw["cases"]):
            line = line_of(entry)
            try:
                case = Case.model_validate(strip_lines(entry))
            except ValidationError as exc:
                raise ConfigurationError(f"{path}:{line}: cases[{n}]: {explain(exc)}") from exc
            try:
                problems = run_case(lib, code, case)
            except Exception as exc:
                problems = [f"{type(exc).__name__}: {exc}"]
            results.append(CaseResult(path.name, line, code, case.name, not problems, problems))
    return Report(results, time.perf_counter() - started)
