"""Solr filter queries (``fq``) as CKAN clients write them, read and matched in Python.

The catalog is small enough (thousands of datasets, not millions) to filter in memory, so
instead of a Solr server citybase reads the subset of the syntax that CKAN tools send and
evaluates it against each dataset's facts (organization, tags, formats, dates …).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from citybase.opendata.ckan_params import SearchQueryInvalid

FieldKind = Literal["text", "date"]


@dataclass(frozen=True)
class FqTerm:
    """One ``field:value`` clause. ``values`` are alternatives; ``("*",)`` means any value."""

    field: str
    values: tuple[str, ...] = ()
    low: dt.datetime | None = None
    high: dt.datetime | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    is_range: bool = False
    negate: bool = False

    def matches(self, facts: Mapping[str, Any]) -> bool:
        hit = self._hit(facts.get(self.field))
        return not hit if self.negate else hit

    def _hit(self, fact: Any) -> bool:
        if self.is_range:
            if not isinstance(fact, dt.datetime):
                return False
            if self.low is not None and (
                fact < self.low or (fact == self.low and not self.low_inclusive)
            ):
                return False
            return not (
                self.high is not None
                and (fact > self.high or (fact == self.high and not self.high_inclusive))
            )
        have: set[str]
        if fact is None:
            have = set()
        elif isinstance(fact, str):
            have = {fact.casefold()}
        elif isinstance(fact, dt.datetime):
            have = {fact.isoformat().casefold()}
        else:
            have = {str(v).casefold() for v in fact}
        if "*" in self.values:
            return bool(have)
        return any(v.casefold() in have for v in self.values)


@dataclass(frozen=True)
class FqQuery:
    """A conjunction of disjunctions: every group must have at least one matching term."""

    groups: tuple[tuple[FqTerm, ...], ...] = ()

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return all(any(term.matches(facts) for term in group) for group in self.groups)

    @property
    def empty(self) -> bool:
        return not self.groups


_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_BARE_STOP = set(' \t\r\n()[]{}"')


class _Reader:
    def __init__(self, text: str, param: str) -> None:
        self.text = text
        self.pos = 0
        self.param = param

    def fail(self, what: str) -> SearchQueryInvalid:
        snippet = self.text[max(0, self.pos - 10) : self.pos + 10]
        return SearchQueryInvalid(
            f"Cannot read {self.param} at character {self.pos + 1} (near {snippet!r}): {what}. "
            'Write clauses like organization:traffic tags:"公交" -res_format:PDF.',
            field=self.param,
        )

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def keyword(self, word: str) -> bool:
        """Consume ``word`` (e.g. OR) if it stands alone here."""
        self.skip_space()
        end = self.pos + len(word)
        if self.text[self.pos : end] == word and (
            end >= len(self.text) or self.text[end] in " \t\r\n("
        ):
            self.pos = end
            return True
        return False

    def quoted(self) -> str:
        assert self.peek() == '"'
        self.pos += 1
        buf: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                buf.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if ch == '"':
                self.pos += 1
                return "".join(buf)
            buf.append(ch)
            self.pos += 1
        raise self.fail("a quoted value is not closed")

    def bare(self) -> str:
        buf: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                buf.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if ch in _BARE_STOP:
                break
            buf.append(ch)
            self.pos += 1
        if not buf:
            raise self.fail("a value is missing")
        return "".join(buf)

    def value(self) -> str:
        return self.quoted() if self.peek() == '"' else self.bare()


def _parse_instant(text: str, reader: _Reader) -> dt.datetime | None:
    if text == "*":
        return None
    if text.upper() == "NOW":
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(
            text.replace("Z", "+00:00") if text.endswith("Z") else text
        )
    except ValueError:
        raise reader.fail(
            f"{text!r} is not a date or time (use 2024-01-31T00:00:00Z, * or NOW)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _parse_term(reader: _Reader, fields: Mapping[str, FieldKind]) -> FqTerm:
    reader.skip_space()
    negate = False
    if reader.peek() in ("+", "-", "!"):
        negate = reader.peek() != "+"
        reader.pos += 1
    if reader.keyword("NOT"):
        negate = True
        reader.skip_space()
    match = _FIELD_RE.match(reader.text, reader.pos)
    if not match or reader.text[match.end() : match.end() + 1] != ":":
        raise reader.fail("expected field:value")
    name = match.group(0)
    if name not in fields:
        known = ", ".join(sorted(fields))
        raise SearchQueryInvalid(
            f"Unknown field '{name}' in {reader.param}. Fields you can filter on: {known}.",
            field=reader.param,
        )
    reader.pos = match.end() + 1
    ch = reader.peek()
    if ch in ("[", "{"):
        if fields[name] != "date":
            raise reader.fail(f"'{name}' is not a date field; ranges work on dates only")
        reader.pos += 1
        reader.skip_space()
        low_text = reader.value()
        if not reader.keyword("TO"):
            raise reader.fail(
                "a range needs 'TO' between its ends, like [2024-01-01T00:00:00Z TO *]"
            )
        reader.skip_space()
        high_text = reader.value()
        reader.skip_space()
        close = reader.peek()
        if close not in ("]", "}"):
            raise reader.fail("a range must end with ] or }")
        reader.pos += 1
        return FqTerm(
            field=name,
            low=_parse_instant(low_text, reader),
            high=_parse_instant(high_text, reader),
            low_inclusive=ch == "[",
            high_inclusive=close == "]",
            is_range=True,
            negate=negate,
        )
    if ch == "(":
        reader.pos += 1
        values = [reader.value()] if not reader.at_end() and reader.peek() != ")" else []
        while not reader.at_end() and reader.peek() != ")":
            reader.keyword("OR")
            reader.skip_space()
            values.append(reader.value())
        if reader.peek() != ")" or not values:
            raise reader.fail("a list of values must look like (a OR b) and end with )")
        reader.pos += 1
        return FqTerm(field=name, values=tuple(values), negate=negate)
    return FqTerm(field=name, values=(reader.value(),), negate=negate)


def parse_fq(text: str | None, *, fields: Mapping[str, FieldKind], param: str = "fq") -> FqQuery:
    """Read the subset of Solr filter syntax CKAN clients use.

    Clauses ``field:value``, ``field:"quoted value"``, ``field:(a OR b)``, ``field:*`` and
    date ranges ``field:[2024-01-01T00:00:00Z TO *]``; ``-``/``NOT`` negates, ``+`` is
    accepted. Clauses are ANDed; ``OR`` joins neighbours into one alternative; a
    parenthesised group of clauses joined by OR is one alternative too.
    """
    if text is None or not text.strip():
        return FqQuery()
    reader = _Reader(text, param)
    groups: list[tuple[FqTerm, ...]] = []
    join_next = False
    while not reader.at_end():
        if reader.keyword("AND"):
            continue
        if reader.keyword("OR"):
            if not groups or join_next:
                raise reader.fail("OR needs a clause on each side")
            join_next = True
            continue
        if reader.peek() == "(":
            reader.pos += 1
            inner = [_parse_term(reader, fields)]
            while not reader.at_end() and reader.peek() != ")":
                if not reader.keyword("OR"):
                    raise reader.fail("inside parentheses, join clauses with OR")
                inner.append(_parse_term(reader, fields))
            if reader.peek() != ")":
                raise reader.fail("a parenthesis is not closed")
            reader.pos += 1
            terms = tuple(inner)
        else:
            terms = (_parse_term(reader, fields),)
        if join_next:
            groups[-1] = groups[-1] + terms
            join_next = False
        else:
            groups.append(terms)
    if join_next:
        raise reader.fail("OR needs a clause on each side")
    return FqQuery(groups=tuple(groups))


def looks_like_field_query(text: str, fields: Collection[str]) -> bool:
    """Whether a ``q`` is written as field clauses (``tags:交通``) rather than free text."""
    match = re.match(r"\s*[+\-!]?([A-Za-z_][A-Za-z0-9_.]*):", text)
    return bool(match and match.group(1) in fields)
