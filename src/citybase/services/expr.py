"""A small typed expression language for eligibility rules (规则即代码).

Why not ``eval`` or a general language: a rule file is data a city edits, and a rule must
never reach the interpreter, the file system or the network. Why not CEL: ``cel-python``
pulls a Lark grammar and a large runtime for what rules here need — comparisons, arithmetic,
``and``/``or``/``not``, membership and a handful of date functions — and its error messages
do not name our rule's line. So this module is a hand-written tokenizer and recursive-descent
parser producing a tree, a type checker run at load (every name must be a declared input
with a type; every operator and function is checked against its operand types), and an
evaluator that records which inputs it read.

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | cmp
    cmp     := add (("=="|"!="|"<"|"<="|">"|">="|"in"|"not" "in") add)?
    add     := mul (("+"|"-") mul)*
    mul     := unary (("*"|"/") unary)*
    unary   := "-" unary | primary
    primary := NUMBER | STRING | "true" | "false" | NAME | NAME "(" [expr ("," expr)*] ")"
             | "(" expr ")" | "[" [expr ("," expr)*] "]"

Types: ``number``, ``bool``, ``string``, ``date``, ``list``. Functions: ``date("2026-01-01")``,
``years_between(a, b)`` (whole years, for ages), ``days_between(a, b)``, ``len(x)``,
``starts_with(s, prefix)``, ``present(name)`` (whether an input has a value).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from citybase.errors import ValidationFailed

TYPES = ("number", "bool", "string", "date", "list")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "true", "false"}


class ExprError(ValidationFailed):
    """A rule expression that does not parse or type-check; ``position`` is 0-based."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message, field="expr", code="rule_error")
        self.position = position


class MissingInput(Exception):
    """An input the rule needs has no value: the rule cannot be decided."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, op, name, keyword, end
    text: str
    pos: int


def tokenize(source: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        m = _TOKEN.match(source, pos)
        if m is None or m.end() == pos:
            where = len(source[pos:]) - len(source[pos:].lstrip()) + pos
            raise ExprError(f"unexpected character {source[where]!r} at column {where + 1}", where)
        kind = m.lastgroup or "op"
        text = m.group(kind)
        start = m.start(kind)
        if kind == "name" and text in KEYWORDS:
            kind = "keyword"
        out.append(Token(kind, text, start))
        pos = m.end()
    out.append(Token("end", "", len(source)))
    return out


@dataclass(frozen=True)
class Node:
    kind: str  # lit, name, call, unary, binary, list
    value: Any = None
    args: tuple[Node, ...] = ()
    pos: int = 0


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, text: str) -> Token | None:
        tok = self.peek()
        if tok.kind in ("op", "keyword") and tok.text == text:
            self.i += 1
            return tok
        return None

    def expect(self, text: str) -> Token:
        tok = self.accept(text)
        if tok is None:
            got = self.peek()
            shown = repr(got.text) if got.kind != "end" else "the end"
            raise ExprError(f"expected {text!r} at column {got.pos + 1}, found {shown}", got.pos)
        return tok

    def parse(self) -> Node:
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise ExprError(f"unexpected {tok.text!r} at column {tok.pos + 1}", tok.pos)
        return node

    def or_(self) -> Node:
        node = self.and_()
        while tok := self.accept("or"):
            node = Node("binary", "or", (node, self.and_()), tok.pos)
        return node

    def and_(self) -> Node:
        node = self.not_()
        while tok := self.accept("and"):
            node = Node("binary", "and", (node, self.not_()), tok.pos)
        return node

    def not_(self) -> Node:
        if tok := self.accept("not"):
            return Node("unary", "not", (self.not_(),), tok.pos)
        return self.cmp()

    def cmp(self) -> Node:
        node = self.add()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return Node("binary", tok.text, (node, self.add()), tok.pos)
        if self.accept("in"):
            return Node("binary", "in", (node, self.add()), tok.pos)
        if tok.kind == "keyword" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.i += 2
            return Node("unary", "not", (Node("binary", "in", (node, self.add()), tok.pos),))
        return node

    def add(self) -> Node:
        node = self.mul()
        while (tok := self.peek()).kind == "op" and tok.text in ("+", "-"):
            self.take()
            node = Node("binary", tok.text, (node, self.mul()), tok.pos)
        return node

    def mul(self) -> Node:
        node = self.unary()
        while (tok := self.peek()).kind == "op" and tok.text in ("*", "/"):
            self.take()
            node = Node("binary", tok.text, (node, self.unary()), tok.pos)
        return node

    def unary(self) -> Node:
        if tok := self.accept("-"):
            return Node("unary", "-", (self.unary(),), tok.pos)
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "number":
            return Node("lit", float(tok.text) if "." in tok.text else int(tok.text), pos=tok.pos)
        if tok.kind == "string":
            body = tok.text[1:-1]
            return Node("lit", re.sub(r"\\(.)", r"\1", body), pos=tok.pos)
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            return Node("lit", tok.text == "true", pos=tok.pos)
        if tok.kind == "name":
            if self.accept("("):
                args: list[Node] = []
                if not self.accept(")"):
                    args.append(self.or_())
                    while self.accept(","):
                        args.append(self.or_())
                    self.expect(")")
                return Node("call", tok.text, tuple(args), tok.pos)
            return Node("name", tok.text, pos=tok.pos)
        if tok.kind == "op" and tok.text == "(":
            node = self.or_()
            self.expect(")")
            return node
        if tok.kind == "op" and tok.text == "[":
            items: list[Node] = []
            if not self.accept("]"):
                items.append(self.or_())
                while self.accept(","):
                    items.append(self.or_())
                self.expect("]")
            return Node("list", None, tuple(items), tok.pos)
        shown = repr(tok.text) if tok.kind != "end" else "the end of the expression"
        raise ExprError(f"expected a value at column {tok.pos + 1}, found {shown}", tok.pos)


def parse(source: str) -> Node:
    if not source or not source.strip():
        raise ExprError("the expression is empty")
    return _Parser(source).parse()


# --- types --------------------------------------------------------------------------------


def _lit_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string"


_FUNCS: dict[str, tuple[tuple[str, ...], str]] = {
    "date": (("string",), "date"),
    "years_between": (("date", "date"), "number"),
    "days_between": (("date", "date"), "number"),
    "len": (("any",), "number"),
    "starts_with": (("string", "string"), "bool"),
    "present": (("name",), "bool"),
}


def check(node: Node, inputs: Mapping[str, str]) -> str:
    """The type of ``node`` given the declared input types; raises ExprError naming the
    unknown input or the mismatched operand."""
    if node.kind == "lit":
        return _lit_type(node.value)
    if node.kind == "name":
        if node.value not in inputs:
            known = ", ".join(sorted(inputs)) or "(none)"
            raise ExprError(
                f"unknown input '{node.value}' at column {node.pos + 1}; declared: {known}",
                node.pos,
            )
        return inputs[node.value]
    if node.kind == "list":
        for item in node.args:
            if check(item, inputs) not in ("string", "number"):
                raise ExprError("a list holds strings or numbers only", item.pos)
        return "list"
    if node.kind == "call":
        return _check_call(node, inputs)
    if node.kind == "unary":
        inner = check(node.args[0], inputs)
        want = "bool" if node.value == "not" else "number"
        if inner != want:
            raise ExprError(f"'{node.value}' needs a {want}, got {inner}", node.pos)
        return want
    left, right = (check(a, inputs) for a in node.args)
    op = node.value
    if op in ("and", "or"):
        if left != "bool" or right != "bool":
            raise ExprError(f"'{op}' joins two conditions, got {left} and {right}", node.pos)
        return "bool"
    if op == "in":
        if right not in ("list", "string"):
            raise ExprError(f"'in' needs a list or string on its right, got {right}", node.pos)
        return "bool"
    if op in ("==", "!="):
        if left != right:
            raise ExprError(f"'{op}' compares {left} with {right}", node.pos)
        return "bool"
    if op in ("<", "<=", ">", ">="):
        if left != right or left not in ("number", "date", "string"):
            raise ExprError(f"'{op}' compares {left} with {right}", node.pos)
        return "bool"
    if left != "number" or right != "number":
        raise ExprError(f"'{op}' needs numbers, got {left} and {right}", node.pos)
    return "number"


def _check_call(node: Node, inputs: Mapping[str, str]) -> str:
    spec = _FUNCS.get(node.value)
    if spec is None:
        raise ExprError(
            f"unknown function '{node.value}' at column {node.pos + 1}; "
            f"functions: {', '.join(sorted(_FUNCS))}",
            node.pos,
        )
    params, result = spec
    if len(node.args) != len(params):
        raise ExprError(f"{node.value}() takes {len(params)} argument(s)", node.pos)
    for want, arg in zip(params, node.args, strict=True):
        if want == "name":
            if arg.kind != "name":
                raise ExprError(f"{node.value}() takes an input name", arg.pos)
            check(arg, inputs)
            continue
        got = check(arg, inputs)
        if want == "any":
            if got not in ("list", "string"):
                raise ExprError(f"{node.value}() takes a list or string, got {got}", arg.pos)
        elif got != want:
            raise ExprError(f"{node.value}() takes a {want}, got {got}", arg.pos)
    if node.value == "date":
        arg = node.args[0]
        if arg.kind != "lit":
            raise ExprError("date() takes a literal 'YYYY-MM-DD'", arg.pos)
        try:
            dt.date.fromisoformat(str(arg.value))
        except ValueError as exc:
            raise ExprError(f"date(): {arg.value!r} is not YYYY-MM-DD", arg.pos) from exc
    return result


def names_in(node: Node) -> list[str]:
    """Input names the expression mentions, in order of first appearance."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if n.kind == "name" and n.value not in out:
            out.append(n.value)
        for a in n.args:
            walk(a)

    walk(node)
    return out


# --- evaluation ---------------------------------------------------------------------------


@dataclass
class Evaluation:
    value: Any
    used: list[str] = field(default_factory=list)


def _years(a: dt.date, b: dt.date) -> int:
    years = b.year - a.year - ((b.month, b.day) < (a.month, a.day))
    return years


_CALLS: dict[str, Callable[..., Any]] = {
    "date": lambda s: dt.date.fromisoformat(s),
    "years_between": _years,
    "days_between": lambda a, b: (b - a).days,
    "len": len,
    "starts_with": lambda s, p: s.startswith(p),
}


def evaluate(node: Node, values: Mapping[str, Any]) -> Evaluation:
    """Evaluate a checked tree; raises MissingInput when a needed input has no value.

    ``and``/``or`` short-circuit, so ``present(x) and x > 1`` is safe; ``used`` lists the
    inputs actually read.
    """
    used: list[str] = []

    def ev(n: Node) -> Any:
        if n.kind == "lit":
            return n.value
        if n.kind == "name":
            if n.value not in used:
                used.append(n.value)
            value = values.get(n.value)
            if value is None:
                raise MissingInput(n.value)
            return value
        if n.kind == "list":
            return [ev(a) for a in n.args]
        if n.kind == "call":
            if n.value == "present":
                name = n.args[0].value
                if name not in used:
                    used.append(name)
                return values.get(name) is not None
            return _CALLS[n.value](*(ev(a) for a in n.args))
        if n.kind == "unary":
            inner = ev(n.args[0])
            return (not inner) if n.value == "not" else -inner
        op = n.value
        if op == "and":
            return bool(ev(n.args[0])) and bool(ev(n.args[1]))
        if op == "or":
            return bool(ev(n.args[0])) or bool(ev(n.args[1]))
        left, right = ev(n.args[0]), ev(n.args[1])
        return _binary(op, left, right, n.pos)

    value = ev(node)
    return Evaluation(value, used)


def _binary(op: str, left: Any, right: Any, pos: int) -> Any:
    if op == "in":
        return left in right
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        raise ExprError(f"division by zero at column {pos + 1}", pos)
    return left / right
