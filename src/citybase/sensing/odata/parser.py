"""A parser for the SensorThings query language ($filter, $orderby, $select, $expand).

A hand-written tokenizer and a precedence-climbing parser. Every error names the query option
and the character position (1-based) where the text stops making sense, with a caret line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from citybase.errors import ValidationFailed


@dataclass(frozen=True)
class Lit:
    value: object  # float | int | str | bool | None | datetime
    kind: str  # "number", "string", "bool", "null", "datetime", "geography"


@dataclass(frozen=True)
class Path:
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Bin:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Unary:
    op: str  # "not" | "neg"
    operand: Node


Node = Lit | Path | Call | Bin | Unary


class QueryError(ValidationFailed):
    code = "invalid_query"


def _error(option: str, text: str, pos: int, what: str) -> QueryError:
    caret = " " * pos + "^"
    return QueryError(f"{option}: {what} at position {pos + 1}.\n  {text}\n  {caret}", field=option)


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_@$][A-Za-z0-9_.@$]*(/[A-Za-z_@$][A-Za-z0-9_.@$]*)*")
KEYWORD_OPS = {
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "and",
    "or",
    "not",
    "add",
    "sub",
    "mul",
    "div",
    "mod",
}
PRECEDENCE = {
    "or": 1,
    "and": 2,
    "eq": 3,
    "ne": 3,
    "gt": 4,
    "ge": 4,
    "lt": 4,
    "le": 4,
    "add": 5,
    "sub": 5,
    "mul": 6,
    "div": 6,
    "mod": 6,
}


@dataclass
class Token:
    kind: str  # "lit", "ident", "op", "(", ")", ",", "end"
    pos: int
    text: str
    value: object = None
    lit_kind: str = ""


def parse_datetime(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def tokenize(text: str, option: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "(),":
            tokens.append(Token(c, i, c))
            i += 1
            continue
        if c == "'":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise _error(option, text, i, "unterminated string (a ' is missing)")
                if text[j] == "'":
                    if j + 1 < n and text[j + 1] == "'":
                        buf.append("'")
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            tokens.append(Token("lit", i, text[i : j + 1], "".join(buf), "string"))
            i = j + 1
            continue
        m = _DATETIME.match(text, i)
        if m and m.group(1):
            try:
                tokens.append(Token("lit", i, m.group(0), parse_datetime(m.group(0)), "datetime"))
            except ValueError:
                raise _error(option, text, i, "invalid date/time") from None
            i = m.end()
            continue
        m = _NUMBER.match(text, i)
        if m and (c != "-" or not tokens or tokens[-1].kind in ("op", "(", ",")):
            raw = m.group(0)
            num: float | int = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
            tokens.append(Token("lit", i, raw, num, "number"))
            i = m.end()
            continue
        m = _IDENT.match(text, i)
        if m:
            word = m.group(0)
            end = m.end()
            if word in ("geography", "geometry") and end < n and text[end] == "'":
                close = text.find("'", end + 1)
                if close < 0:
                    raise _error(option, text, end, "unterminated geography literal")
                wkt = text[end + 1 : close]
                tokens.append(Token("lit", i, text[i : close + 1], wkt, "geography"))
                i = close + 1
                continue
            low = word.lower()
            if low in KEYWORD_OPS:
                tokens.append(Token("op", i, word, low))
            elif low in ("true", "false"):
                tokens.append(Token("lit", i, word, low == "true", "bool"))
            elif low == "null":
                tokens.append(Token("lit", i, word, None, "null"))
            else:
                tokens.append(Token("ident", i, word, word))
            i = end
            continue
        raise _error(option, text, i, f"unexpected character {c!r}")
    tokens.append(Token("end", n, ""))
    return tokens


@dataclass
class _Parser:
    text: str
    option: str
    tokens: list[Token] = field(default_factory=list)
    i: int = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, tok: Token, what: str) -> QueryError:
        return _error(self.option, self.text, tok.pos, what)

    def expression(self, min_prec: int = 1) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok.kind != "op" or tok.value == "not":
                return left
            prec = PRECEDENCE[str(tok.value)]
            if prec < min_prec:
                return left
            self.take()
            right = self.expression(prec + 1)
            left = Bin(str(tok.value), left, right)

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.value == "not":
            self.take()
            return Unary("not", self.unary())
        if tok.kind == "op" and tok.value == "sub":
            self.take()
            return Unary("neg", self.unary())
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "lit":
            return Lit(tok.value, tok.lit_kind)
        if tok.kind == "(":
            inner = self.expression()
            close = self.take()
            if close.kind != ")":
                raise self.fail(close, "expected ')'")
            return inner
        if tok.kind == "ident":
            name = str(tok.value)
            if self.peek().kind == "(":
                self.take()
                args: list[Node] = []
                if self.peek().kind != ")":
                    args.append(self.expression())
                    while self.peek().kind == ",":
                        self.take()
                        args.append(self.expression())
                close = self.take()
                if close.kind != ")":
                    raise self.fail(close, "expected ',' or ')' in the arguments of " + name)
                return Call(name.lower(), tuple(args))
            return Path(tuple(name.split("/")))
        if tok.kind == "end":
            raise self.fail(tok, "the expression ends too early")
        raise self.fail(tok, f"unexpected {tok.text!r}")


def parse_filter(text: str, option: str = "$filter") -> Node:
    p = _Parser(text, option, tokenize(text, option))
    node = p.expression()
    tok = p.peek()
    if tok.kind != "end":
        raise p.fail(tok, f"unexpected {tok.text!r} (an operator such as 'and' or 'eq'?)")
    return node


def parse_orderby(text: str) -> list[tuple[Node, bool]]:
    """``$orderby=a desc, b`` → [(expr, descending)]."""
    out: list[tuple[Node, bool]] = []
    for part, offset in _split_top(text, ","):
        words = part.rstrip()
        desc = False
        low = words.lower()
        if low.endswith(" desc"):
            desc, words = True, words[:-5]
        elif low.endswith(" asc"):
            words = words[:-4]
        if not words.strip():
            raise _error("$orderby", text, offset, "a property is missing")
        p = _Parser(text, "$orderby", tokenize(words, "$orderby"))
        for tok in p.tokens:
            tok.pos += offset
        p.text = text
        expr = p.expression()
        if p.peek().kind != "end":
            raise p.fail(p.peek(), "expected ',' or 'asc'/'desc'")
        out.append((expr, desc))
    return out


def _split_top(text: str, sep: str) -> list[tuple[str, int]]:
    """Split on ``sep`` outside parentheses and quotes, keeping each part's offset."""
    parts: list[tuple[str, int]] = []
    depth, start, quoted = 0, 0, False
    for i, c in enumerate(text):
        if c == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append((text[start:i], start))
            start = i + 1
    parts.append((text[start:], start))
    return [(p, o + len(p) - len(p.lstrip())) for p, o in parts if p.strip()]


@dataclass
class Expand:
    """One ``$expand`` item: a navigation property and its own nested query options."""

    name: str
    options: dict[str, str]


def parse_expand(text: str) -> list[Expand]:
    """``Datastreams($top=1;$expand=Observations),Locations`` and ``A/B`` paths."""
    items: list[Expand] = []
    for part, offset in _split_top(text, ","):
        part = part.strip()
        if "(" in part:
            head, _, rest = part.partition("(")
            if not rest.endswith(")"):
                raise _error("$expand", text, offset + len(part), "expected ')'")
            options = _parse_options(rest[:-1], text, offset + len(head) + 1)
        else:
            head, options = part, {}
        head = head.strip()
        if not re.fullmatch(r"[A-Za-z]+(/[A-Za-z]+)*", head):
            raise _error("$expand", text, offset, f"{head!r} is not a navigation property")
        first, _, deeper = head.partition("/")
        if deeper:
            options = {"$expand": deeper if not options else f"{deeper}({_join(options)})"}
        items.append(Expand(first, options))
    return items


def _join(options: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in options.items())


def _parse_options(text: str, whole: str, offset: int) -> dict[str, str]:
    options: dict[str, str] = {}
    for part, at in _split_top(text, ";"):
        key, eq, value = part.partition("=")
        if not eq or not key.strip().startswith("$"):
            raise _error("$expand", whole, offset + at, "expected '$option=value'")
        options[key.strip()] = value.strip()
    return options


def parse_select(text: str) -> list[str]:
    names = [p.strip() for p, _ in _split_top(text, ",")]
    for name, offset in zip(names, [o for _, o in _split_top(text, ",")], strict=True):
        if not re.fullmatch(r"[A-Za-z@][A-Za-z0-9_.@/]*", name):
            raise _error("$select", text, offset, f"{name!r} is not a property name")
    return names
