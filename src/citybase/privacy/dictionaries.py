"""Dictionaries for recognising names and places: surnames, GB/T 2260 divisions, hints.

All are data files in ``privacy/data`` (a city may replace them), loaded once and cached.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from citybase.errors import ConfigurationError
from citybase.privacy.policy import PII_TYPES, PiiType


def _read(name: str) -> str:
    return resources.files("citybase.privacy").joinpath(f"data/{name}").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Surnames:
    single: frozenset[str]
    compound: frozenset[str]

    def starts(self, text: str) -> int:
        """Length of the surname ``text`` starts with (2 for 欧阳…, 1 for 王…), 0 for none."""
        if text[:2] in self.compound:
            return 2
        return 1 if text[:1] in self.single else 0


@cache
def surnames() -> Surnames:
    words = {
        w
        for line in _read("surnames.txt").splitlines()
        if not line.startswith("#")
        for w in line.split()
    }
    if not words:
        raise ConfigurationError("privacy/data/surnames.txt: no surnames found")
    return Surnames(
        single=frozenset(w for w in words if len(w) == 1),
        compound=frozenset(w for w in words if len(w) == 2),
    )


@cache
def given_name_chars() -> frozenset[str]:
    """Characters that occur in given names (``data/given_name_chars.txt``)."""
    chars = frozenset(
        c
        for line in _read("given_name_chars.txt").splitlines()
        if not line.startswith("#")
        for c in line.strip()
    )
    if not chars:
        raise ConfigurationError("privacy/data/given_name_chars.txt: no characters found")
    return chars


_Trie = dict[str, "_Trie"]


def trie_pattern(words: tuple[str, ...] | list[str]) -> str:
    """One regular expression matching any of ``words``, longest first, factored as a trie.

    ``re`` tries the branches of a flat alternation one by one at every position; with
    shared prefixes factored out (市(?:民|长)…) it decides on one character at a time.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        ends = "" in node
        branches = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return "(?:" + build(trie) + ")"


#: Suffixes of division names, longest first, so 自治州 wins over 州.
DIVISION_SUFFIXES = (
    "特别行政区", "自治区", "自治州", "自治县", "自治旗", "街道", "地区", "新区",
    "省", "市", "区", "县", "旗", "盟", "州", "镇", "乡",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Divisions:
    names: frozenset[str]
    """Full names at every level down to township (江苏省, 玄武区, 梅园新村街道…)."""
    townships: frozenset[str]
    """Township-level names only (镇, 乡, 街道)."""


@cache
def divisions() -> Divisions:
    lines = [ln for ln in _read("divisions.csv").splitlines() if ln and not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    if not rows:
        raise ConfigurationError("privacy/data/divisions.csv: no divisions found")
    names = frozenset(r["name"] for r in rows)
    townships = frozenset(r["name"] for r in rows if r["level"] == "township")
    return Divisions(names=names, townships=townships)


@cache
def column_hints() -> Mapping[PiiType, re.Pattern[str]]:
    """Per PII type, a case-insensitive pattern over column names (身份证, id_number…)."""
    raw = yaml.safe_load(_read("column_hints.yaml"))
    hints: dict[PiiType, re.Pattern[str]] = {}
    for pii_type in PII_TYPES:
        words = raw.get("hints", {}).get(pii_type)
        if not isinstance(words, list) or not words:
            raise ConfigurationError(f"privacy/data/column_hints.yaml: no hints for {pii_type}")
        hints[pii_type] = re.compile("|".join(words), re.IGNORECASE)
    return hints


@cache
def text_context() -> Mapping[str, tuple[str, ...]]:
    """Context words around person names in running text (before, after, titles)."""
    raw = yaml.safe_load(_read("name_context.yaml"))
    out: dict[str, tuple[str, ...]] = {}
    for key in ("before", "after"):
        words = raw.get(key)
        if not isinstance(words, list) or not words:
            raise ConfigurationError(f"privacy/data/name_context.yaml: '{key}' must be a list")
        out[key] = tuple(sorted({str(w) for w in words}, key=len, reverse=True))
    return out
