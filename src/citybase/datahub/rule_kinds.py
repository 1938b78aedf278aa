"""The quality-rule kinds: one registered object per kind.

Each kind carries its description (zh-CN and en, shown on the rules form and in the API),
the check of its params when a steward declares a rule (``declare``), and what the engine
makes of it (``plan``: the SQL boolean "this row fails", staged projections, bound
parameters). ``quality.run_rules`` and ``rules.validate_rules`` only look a kind up here,
so a new kind is one class with ``@register`` (and its name in ``types.RuleKind``, which
the API schema lists).
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/parquet_scan() pieces; every
# value from a rule's params is a bound $parameter.

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from citybase.datahub import checksums
from citybase.datahub.duck import fetch_one, parquet_scan, parquet_schema, quote_ident
from citybase.datahub.types import ColumnSchema, QualityRule
from citybase.errors import ValidationFailed

Refuse = Callable[..., ValidationFailed]


@dataclass
class Plan:
    """A rule as the engine runs it (see ``quality``)."""

    index: int
    rule: QualityRule
    label: str
    column: str | None = None
    stages: list[list[str]] = field(default_factory=list)  # projections before the test
    fail: str | None = None  # SQL boolean, TRUE when the row fails
    params: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    numpy_check: bool = False  # GB 11643 on a text column: checksums.gb11643_failures


@dataclass(frozen=True)
class Target:
    """The column a rule checks, as SQL: quoted name, its text, its DuckDB type."""

    q: str
    col: ColumnSchema
    duck_type: str
    key: str  # prefix of this rule's bound parameters
    con: duckdb.DuckDBPyConnection
    references: dict[tuple[str, str], Path]
    today_ymd: int

    @property
    def text(self) -> str:
        return self.q if self.col.type == "string" else f"CAST({self.q} AS VARCHAR)"


@dataclass(frozen=True)
class Declaring:
    """What declaring a rule may ask the catalog: a dataset's current column names
    (``None``: no such dataset; an empty set with ``loaded=False``: no data yet) and the
    dataset's own promised update interval in days (None: irregular)."""

    columns_of: Callable[[str], tuple[bool, set[str]] | None]
    frequency_days: int | None


class RuleKind(ABC):
    """One kind of quality rule. Subclasses set the class attributes and override what
    differs; the engine wraps ``fail`` with "value is not null" unless ``checks_nulls``."""

    name: ClassVar[str]
    description_zh: ClassVar[str]
    description_en: ClassVar[str]
    needs_column: ClassVar[bool] = True
    checks_nulls: ClassVar[bool] = False  # not_null: nulls are what it fails

    def declare(self, rule: QualityRule, label: str, where: str, ctx: Declaring) -> None:
        """Refuse params that cannot work, naming the rule and the param (declaration).
        Most kinds take no params to check, so the default accepts."""
        return None

    @abstractmethod
    def plan(self, p: Plan, t: Target, refuse: Refuse) -> None:
        """Fill in ``p`` (engine): ``fail``, ``stages``, ``params``, ``detail``."""

    @abstractmethod
    def what(self, p: Plan) -> str:
        """The end of the result message: "… of N <what>"."""

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" else self.description_zh


KINDS: dict[str, RuleKind] = {}


def register(cls: type[RuleKind]) -> type[RuleKind]:
    KINDS[cls.name] = cls()
    return cls


def kind_of(name: str) -> RuleKind:
    return KINDS[name]


def rule_kinds(locale: str = "zh-CN") -> list[tuple[str, str]]:
    """(kind, description) for every registered kind, in registration order."""
    return [(k, v.description(locale)) for k, v in KINDS.items()]


def require_cast(t: Target, value: Any, duck_type: str, refuse: Refuse, message: str) -> None:
    try:
        fetch_one(t.con, f"SELECT CAST($v AS {duck_type})", {"v": value})
    except duckdb.Error:
        raise refuse(message) from None


def _anchored(pattern: str) -> bool:
    return pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")


@register
class NotNull(RuleKind):
    name = "not_null"
    description_zh = "必填：每一行都要有值（空白文本也算缺失）。"
    description_en = "Required: every row has a value (blank text counts as missing)."
    checks_nulls = True

    def plan(self, p: Plan, t: Target, refuse: Refuse) -> None:
        blank = f" OR trim({t.q}) = ''" if t.col.type == "string" else ""
        p.fail = f"({t.q} IS NULL{blank})"

    def what(self, p: Plan) -> str:
        return f"rows have no {p.column}"


@register
class Unique(RuleKind):
    name = "unique"
    description_zh = "唯一：同一个值不得出现在两行（两行都算不合格）。"
    description_en = "Unique: no value occurs in two rows (both rows fail)."

    def plan(self, p: Plan, t: Target, refuse: Refuse) -> None:
        p.fail = None  # answered by a grouping of its own (quality._duplicates)

    def what(self, p: Plan) -> str:
        return f"rows share their {p.column} with another row{p.detail}"


@register
class Regex(RuleKind):
    name = "regex"
    description_zh = "格式：值的文本须整体匹配正则表达式 pattern。"
    description_en = "Format: the value's text matches the regular expression `pattern` whole."

    def declare(self, rule: QualityRule, label: str, where: str, ctx: Declaring) -> None:
        pattern = rule.params.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise ValidationFailed(
                f"Rule {label} needs params.pattern.", field=f"{where}.params.pattern"
            )
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationFailed(
                f"Rule {label}: params.pattern is not a valid regular expression: {exc}.",
                field=f"{where}.params.pattern",
            ) from None

    def plan(self, p: Plan, t: Target, refuse: Refuse) -> None:
        pattern = p.rule.params.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise refuse("params.pattern must be a regular expression")
        pattern = pattern.removeprefix("^").removesuffix("$") if _anchored(pattern) else pattern
        try:
            fetch_one(t.con, "SELECT regexp_full_match('', $p)", {"p": pattern})
        except duckdb.Error as exc:
            raise refuse(f"params.pattern is not a valid regular expression ({exc})") from None
        p.params[t.key] = pattern
        p.fail = f"NOT regexp_full_match({t.text}, ${t.key})"
        p.detail = f" {pattern}"

    def what(self, p: Plan) -> str:
        return f"values do not match{p.detail}"


@register
class AllowedValues(RuleKind):
    name = "allowed_values"
    description_zh = "取值范围：值须是 values 列表中的一个（按列的类型比较）。"
    description_en = "Allowed values: the value is one of `values` (compared in the column's type)."

    def declare(self, rule: QualityRule, label: str, where: str, ctx: Declaring) -> None:
        values = rule.params.get("values")
        if not isinstance(values, list) or not values:
            raise ValidationFailed(
                f"Rule {label} needs params.values: a non-empty list.",
                field=f"{where}.params.values",
            )

    def plan(self, p: Plan, t: Target, refuse: Refuse) -> None:
        values = p.rule.params.get("values")
        if not isinstance(values, list) or not values:
            raise refuse("params.values must be a non-empty list")
        require_cast(
            t,
            [None if v is None else v for v in values],
            f"{t.duck_type}[]",
            refuse,
            "params.values do not all fit the column's type",
        )
        p.params[t.key] = values
        p.fail = f"NOT list_contains(CAST(${t.key} AS {t.duck_type}[]), {t.q})"

    def what(self, p: Plan) -> str:
        return "values are not among the allowed values"


@register
class Range(RuleKind):
    name = "range"
    description_zh = "区间：值须在 min 与 max 之间（含端点；数字、日期、时间或文本）。"
    description_en = "Range: the value lies within min and max, inclusive (numbers, dates, text)."

    def declare(self, rule: QualityRule, label: str, where: str, ctx: Declaring) -> None:
        if rule.params.get("min") is None and rule.params.get("max") is None:
            raise ValidationFailed(
                f"Rule {label} needs params.min or params.max.", field=f"{where}.params"
            )

    def plan(self, p: Plan, t: Target, refuse: Refuse) -> None:
        low, high = p.rule.params.get("min"), p.rule.params.get("max")
        if low is None and high is None:
            raise refuse("params needs min, max or both")
        tests = []
        for bound, op, name in ((low, "<", "min"), (high, ">", "max")):
            if bound is None:
                continue
            require_cast(
                t,
                bound,
                t.duck_type,
                refuse,
                f"params.{name} {bound!r} does not fit the column's type",
            )
            p.params[f"{t.key}{name}"] = bound
            tests.append(f"{t.q} {op} CAST(${t.key}{name} AS {t.duck_type})")
        p.fail = "(" + " OR ".join(tests) + ")"
        p.detail = f" [{'' if low is None else low}, {'' if high is None else high}]"

    def what(self, p: Plan) -> str:
        return f"values are outside{p.detail}"


@register
class Reference(RuleKind):
    name = "reference"
    description_zh = "引用：值须出现在另一数据集 dataset 的 column 列中。"
    description_en = "Reference: the value occurs in column `column` of dataset `dataset`."

    def declare(self, rule: QualityRule, label: str, where: str, ctx: Declaring) -> None:
        ref_name, ref_col = rule.params.get("dataset"), rule.params.get("column")
        if not isinstance(ref_name, str) or not isinstance(ref_col, str):
            raise ValidationFailed(
                f"Rule {label} needs params.dataset and params.column (the referenced key).",
                field=f"{where}.params",
            )
        found = ctx.columns_of(ref_name)
        if found is None:
            raise ValidationFailed(
                f"Rule {label}: no dataset named '{ref_name}' to refer to.",
                field=f"{where}.params.dataset",
            )
        loaded, names = found
        if loaded and ref_col not in names:
            raise ValidationFailed(
                f"Rule {label}: dataset '{ref_name}' has no column '{ref_col}'.",
                field=f"{where}.params.column",
            )

    def plan(self, p: Plan, t: Target, refuse: Refuse) -> None:
        dataset, ref_column = p.rule.params.get("dataset"), p.rule.params.get("column")
        if not isinstance(dataset, str) or not isinstance(ref_column, str):
            raise refuse("params needs dataset and column")
        ref_path = t.references.get((dataset, ref_column))
        if ref_path is None:
            raise refuse(
                f"the referenced dataset {dataset!r} (column {ref_column!r}) was not "
                "provided: load that dataset first"
            )
        ref_schema = {c.name: c for c in parquet_schema(ref_path)}
        if ref_column not in ref_schema:
            raise refuse(f"column {ref_column!r} is not in the referenced dataset {dataset!r}")
        rq = quote_ident(ref_column)
        same = ref_schema[ref_column].type == t.col.type
        left = t.q if same else f"CAST({t.q} AS VARCHAR)"
        right = rq if same else f"CAST({rq} AS VARCHAR)"
        p.fail = (
            f"{left} NOT IN (SELECT {right} FROM {parquet_scan(ref_path)} WHERE {rq} IS NOT NULL)"
        )

    def what(self, p: Plan) -> str:
        return (
            f"values are not found in {p.rule.params.get('dataset')}.{p.rule.params.get('column')}"
        )


@register
class Checksum(RuleKind):
    name = "checksum"
    description_zh = (
        "校验码：按 scheme 校验（gb11643 身份证号、gb32100 统一社会信用代码、luhn 卡号）。"
    )
    description_en = (
        "Check digit by `scheme`: gb11643 (ID number), gb32100 (USCC) or luhn (card number)."
    )

    def declare(self, rule: QualityRule, label: str, where: str, ctx: Declaring) -> None:
        if rule.params.get("scheme") not in checksums.SCHEMES:
            raise ValidationFailed(
                f"Rule {label}: params.scheme must be one of {', '.join(checksums.SCHEMES)}.",
                field=f"{where}.params.scheme",
            )

    def plan(self, p: Plan, t: Target, refuse: Refuse) -> None:
        scheme = p.rule.params.get("scheme")
        if scheme not in checksums.SCHEMES:
            raise refuse(f"params.scheme must be one of {', '.join(checksums.SCHEMES)}")
        p.detail = f" {checksums.SCHEME_LABELS[scheme]}"
        if scheme == "gb11643" and t.col.type == "string":
            p.numpy_check = True
            return
        prefix = f"__c{p.index}"
        p.stages = checksums.stages(scheme, t.text, prefix)
        p.fail = f"NOT {checksums.valid(scheme, prefix, t.today_ymd)}"

    def what(self, p: Plan) -> str:
        return f"values are not valid{p.detail}"


@register
class Freshness(RuleKind):
    name = "freshness"
    description_zh = "时效：最新的日期列值（或无列时的入库时间）不得早于 max_age_days 天前。"
    description_en = (
        "Freshness: the newest date in `column` (or the load time) is at most `max_age_days` old."
    )
    needs_column = False

    def declare(self, rule: QualityRule, label: str, where: str, ctx: Declaring) -> None:
        age = rule.params.get("max_age_days")
        if age is not None and (not isinstance(age, int) or isinstance(age, bool) or age < 1):
            raise ValidationFailed(
                f"Rule {label}: params.max_age_days must be a whole number of days ≥ 1.",
                field=f"{where}.params.max_age_days",
            )
        if age is None and ctx.frequency_days is None:
            raise ValidationFailed(
                f"Rule {label}: the dataset is updated irregularly, so give params.max_age_days.",
                field=f"{where}.params.max_age_days",
            )

    def plan_dataset(self, p: Plan, schema: dict[str, ColumnSchema], refuse: Refuse) -> None:
        """Freshness is dataset-level: no row test, only its params and column checked."""
        age = p.rule.params.get("max_age_days")
        if isinstance(age, bool) or not isinstance(age, int | float) or age < 0:
            raise refuse("params.max_age_days must be a number of days >= 0")
        if p.column is not None and schema[p.column].type not in ("date", "timestamp"):
            raise refuse(
                f"column {p.column!r} is {schema[p.column].type}; freshness needs a date "
                "or timestamp column",
                "column",
            )

    def plan(self, p: Plan, t: Target, refuse: Refuse) -> None:  # pragma: no cover
        raise AssertionError("freshness is planned by plan_dataset")

    def what(self, p: Plan) -> str:  # pragma: no cover - quality._message words it
        return ""


def today_ymd(now: dt.datetime) -> int:
    return int(now.date().strftime("%Y%m%d"))
