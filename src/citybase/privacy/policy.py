"""Classification and grading (分类分级) of detected personal information.

GB/T 43697-2024 grades data 核心 (core) > 重要 (important) > 一般 (general); general data is
subdivided into levels 1-4. Which PII type gets which general level, and which types are
sensitive personal information (GB/T 35273), is data: ``data/grading_policy.yaml`` by default,
a city's own file otherwise. Core and important are designated by stewards under national and
sector catalogues, never inferred from values, so a policy file cannot map a type to them and
``dataset_grade`` only returns them when a steward's grade is passed in (就高从严: a dataset
takes the highest grade of its columns and of any steward designation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from citybase.errors import ValidationFailed

PiiType = Literal[
    "CN_ID_CARD",
    "CN_MOBILE",
    "CN_LANDLINE",
    "EMAIL",
    "BANK_CARD",
    "CN_USCC",
    "CN_PLATE",
    "PERSON_NAME",
    "ADDRESS",
    "IP_ADDRESS",
    "GPS_COORDINATE",
    "PASSPORT",
]
PII_TYPES: tuple[PiiType, ...] = get_args(PiiType)
GradeName = Literal["core", "important", "general"]
_GRADE_RANK: dict[GradeName, int] = {"general": 0, "important": 1, "core": 2}
_GRADE_ZH: dict[GradeName, str] = {"core": "核心", "important": "重要", "general": "一般"}


@dataclass(frozen=True, slots=True, order=False)
class Grade:
    """A grade: core or important (set by stewards), or general with a level 1-4."""

    name: GradeName
    level: int | None = None

    def __post_init__(self) -> None:
        if self.name not in _GRADE_RANK:
            raise ValidationFailed(
                f"grade: must be one of core, important, general, got {self.name!r}",
                field="grade",
            )
        if self.name == "general" and self.level not in (1, 2, 3, 4):
            raise ValidationFailed(
                f"grade: general data needs a level 1-4, got {self.level!r}", field="level"
            )
        if self.name != "general" and self.level is not None:
            raise ValidationFailed(
                f"grade: {self.name} data has no level, got {self.level}", field="level"
            )

    @property
    def rank(self) -> tuple[int, int]:
        return (_GRADE_RANK[self.name], self.level or 0)

    @property
    def label(self) -> str:
        """``一般-3级``, ``重要``, ``核心``: how grades are written on catalogues."""
        zh = _GRADE_ZH[self.name]
        return f"{zh}-{self.level}级" if self.level is not None else zh

    def __str__(self) -> str:
        return f"general-{self.level}" if self.level is not None else self.name

    @classmethod
    def parse(cls, text: str) -> Grade:
        """Read ``general-3``, ``important``, ``core`` (and the Chinese labels)."""
        cleaned = text.strip().lower()
        for name, zh in _GRADE_ZH.items():
            cleaned = cleaned.replace(zh, name)
        cleaned = cleaned.replace("级", "")
        head, _, tail = cleaned.partition("-")
        if head == "general" and tail.isdigit():
            return cls("general", int(tail))
        if head in ("core", "important") and not tail:
            return cls(head)  # type: ignore[arg-type]
        raise ValidationFailed(
            f"grade: {text!r} is not a grade; write general-1 … general-4, important or core",
            field="grade",
        )


@dataclass(frozen=True, slots=True)
class TypeRule:
    pii_type: PiiType
    grade: Grade
    sensitive: bool
    label_zh: str
    label_en: str


@dataclass(frozen=True, slots=True)
class GradingPolicy:
    name: str
    no_pii: Grade
    rules: Mapping[PiiType, TypeRule]

    def grade_for(self, pii_type: PiiType | None) -> Grade:
        return self.no_pii if pii_type is None else self.rules[pii_type].grade

    def is_sensitive(self, pii_type: PiiType | None) -> bool:
        return pii_type is not None and self.rules[pii_type].sensitive

    def label(self, pii_type: PiiType, locale: str = "zh-CN") -> str:
        rule = self.rules[pii_type]
        return rule.label_zh if locale.startswith("zh") else rule.label_en


def _general(entry: Any, where: str) -> Grade:
    if not isinstance(entry, Mapping):
        raise ValidationFailed(f"{where}: expected a mapping with grade and level", field=where)
    name = entry.get("grade")
    if name in ("core", "important"):
        raise ValidationFailed(
            f"{where}: {name} data is designated by data stewards, not by a detection policy; "
            "map personal information to general levels 1-4",
            field=where,
        )
    if name != "general":
        raise ValidationFailed(f"{where}: grade must be 'general', got {name!r}", field=where)
    level = entry.get("level")
    if not isinstance(level, int) or isinstance(level, bool):
        raise ValidationFailed(f"{where}: level must be 1, 2, 3 or 4, got {level!r}", field=where)
    return Grade("general", level)


def _parse_policy(raw: Any, source: str) -> GradingPolicy:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("types"), Mapping):
        raise ValidationFailed(f"{source}: a grading policy needs a 'types' mapping", field="types")
    types = raw["types"]
    unknown = sorted(set(types) - set(PII_TYPES))
    if unknown:
        raise ValidationFailed(
            f"{source}: unknown PII type(s) {', '.join(map(str, unknown))}; "
            f"known types are {', '.join(PII_TYPES)}",
            field="types",
        )
    missing = [t for t in PII_TYPES if t not in types]
    if missing:
        raise ValidationFailed(
            f"{source}: no grade for {', '.join(missing)}; every PII type needs one",
            field="types",
        )
    rules: dict[PiiType, TypeRule] = {}
    for pii_type in PII_TYPES:
        entry = types[pii_type]
        where = f"types.{pii_type}"
        grade = _general(entry, where)
        sensitive = entry.get("sensitive", False)
        if not isinstance(sensitive, bool):
            raise ValidationFailed(f"{where}: sensitive must be true or false", field=where)
        rules[pii_type] = TypeRule(
            pii_type=pii_type,
            grade=grade,
            sensitive=sensitive,
            label_zh=str(entry.get("label_zh", pii_type)),
            label_en=str(entry.get("label_en", pii_type)),
        )
    no_pii = _general(raw.get("no_pii", {"grade": "general", "level": 1}), "no_pii")
    return GradingPolicy(name=str(raw.get("name", source)), no_pii=no_pii, rules=rules)


@cache
def _default_policy() -> GradingPolicy:
    text = (
        resources.files("citybase.privacy")
        .joinpath("data/grading_policy.yaml")
        .read_text(encoding="utf-8")
    )
    return _parse_policy(yaml.safe_load(text), "grading_policy.yaml")


def load_policy(path: Path | str | None = None) -> GradingPolicy:
    """The default policy, or a city's YAML file validated the same way."""
    if path is None:
        return _default_policy()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            f"policy: cannot read {file} ({exc.__class__.__name__}); give a UTF-8 YAML file",
            field="policy",
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(
            f"policy: {file} is not valid YAML ({exc})", field="policy"
        ) from None
    return _parse_policy(raw, file.name)


def grade_for(pii_type: PiiType | None, policy: GradingPolicy | None = None) -> Grade:
    """The grade a column or span of this type gets under the policy (default policy if None)."""
    return (policy or load_policy()).grade_for(pii_type)


def dataset_grade(column_grades: Iterable[Grade], *, steward_grade: Grade | None = None) -> Grade:
    """就高从严: the highest of the columns' grades and the steward's designation, if any.

    Detection only ever yields general levels; core or important comes only from
    ``steward_grade``. A dataset with no columns is general level 1.
    """
    grades = list(column_grades)
    if steward_grade is not None:
        grades.append(steward_grade)
    if not grades:
        return Grade("general", 1)
    return max(grades, key=lambda g: g.rank)
