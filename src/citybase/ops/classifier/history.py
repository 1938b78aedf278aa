"""The shipped history of closed cases, and a city's own history file.

The demo city's history is composed deterministically from two data files a city replaces:
``data/cores.yaml`` — per category, hand-written descriptions of what is wrong, in residents'
words — and ``data/frames.yaml`` — category-neutral framing: the register (hotline transcript,
app report, grid worker's note, letter), openers, places, durations, asks. ``(a|b|)`` in
either file picks one alternative (possibly empty); alternatives nest.

A city's own history is a JSON-lines file with one ``{"text": ..., "category": ...}`` per line
(closed cases with their final category), read by :func:`read_jsonl`.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from citybase.errors import ValidationFailed

DATA_DIR = Path(__file__).parent / "data"
PER_CATEGORY = 420
_ALT = re.compile(r"\(([^()]*)\)")
_SLOT = re.compile(r"\{(\w+)\}")
_PUNCT_RUN = re.compile(r"([，。！？；、,])[，。！？；、,]+")


@dataclass(frozen=True)
class HistoryCase:
    text: str
    category: str
    core: int  # index of the hand-written core inside its category (for split-by-core)
    register: str


def expand(pattern: str, rng: random.Random) -> str:
    """Resolve every ``(a|b|c)`` group, innermost first, with ``rng``."""
    while True:
        new = _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), pattern)
        if new == pattern:
            return pattern
        pattern = new


@lru_cache(maxsize=4)
def _load_yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _typo(text: str, rng: random.Random, swaps: dict[str, list[str]]) -> str:
    """One resident's typing slip: a homophone, a dropped character or a doubled one."""
    roll = rng.random()
    if roll < 0.6:
        present = [k for k in swaps if k in text]
        if present:
            k = rng.choice(present)
            return text.replace(k, rng.choice(swaps[k]), 1)
    if len(text) < 8:
        return text
    i = rng.randrange(1, len(text) - 1)
    if roll < 0.8:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def compose(
    cores: dict[str, list[str]],
    frames: dict[str, Any],
    *,
    per_category: int = PER_CATEGORY,
    seed: int = 12345,
) -> list[HistoryCase]:
    """``per_category`` texts for every category, spread evenly over its cores."""
    rng = random.Random(seed)
    registers: dict[str, list[str]] = frames["registers"]
    weights: dict[str, float] = frames.get("register_weights", {})
    reg_names = list(registers)
    reg_weights = [float(weights.get(r, 1.0)) for r in reg_names]
    slots: dict[str, list[str]] = frames["slots"]
    swaps: dict[str, list[str]] = frames.get("typos", {})
    typo_rate = float(frames.get("typo_rate", 0.15))
    out: list[HistoryCase] = []
    for code, items in cores.items():
        if not items:
            continue
        for n in range(per_category):
            core_index = n % len(items)
            register = rng.choices(reg_names, reg_weights)[0]
            template = rng.choice(registers[register])
            core = expand(items[core_index], rng)

            def fill(m: re.Match[str], core: str = core) -> str:
                name = m.group(1)
                if name == "core":
                    return core
                if name not in slots:
                    raise ValidationFailed(f"frames.yaml has no slot {name!r}", field="frames")
                return expand(rng.choice(slots[name]), rng)

            text = expand(template, rng)
            for _ in range(3):  # slots may contain slots (a place inside an opener)
                text = _SLOT.sub(fill, text)
            text = _PUNCT_RUN.sub(r"\1", text).strip("，, ")
            if rng.random() < typo_rate:
                text = _typo(text, rng, swaps)
            out.append(HistoryCase(text, code, core_index, register))
    return out


def shipped_cases(data_dir: Path = DATA_DIR) -> list[HistoryCase]:
    cores = _load_yaml(data_dir / "cores.yaml")
    frames = _load_yaml(data_dir / "frames.yaml")
    return compose(cores, frames)


def load_history(path: Path | None = None) -> Iterator[tuple[str, str]]:
    """The history of closed cases as ``(text, category)`` pairs: the shipped demo history,
    or a city's own JSON-lines file at ``path``."""
    if path is not None:
        yield from read_jsonl(path, require_category=True)
        return
    for case in shipped_cases():
        yield case.text, case.category


def read_jsonl(path: Path, *, require_category: bool) -> Iterator[tuple[str, str]]:
    """``(text, category)`` from a JSON-lines file; a clear error naming the bad line."""
    try:
        fh = path.open(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationFailed(f"file not found: {path}", field=str(path)) from None
    with fh:
        yield from parse_lines(fh, source=str(path), require_category=require_category)


def parse_lines(
    lines: Sequence[str] | Any, *, source: str, require_category: bool
) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                f"{source} line {number}: not valid JSON ({exc.msg}, column {exc.colno})",
                field=f"line {number}",
            ) from None
        text = obj.get("text") if isinstance(obj, dict) else None
        if not isinstance(text, str):
            raise ValidationFailed(
                f'{source} line {number}: expected an object with a string "text"',
                field=f"line {number}",
            )
        category = obj.get("category")
        if require_category and not (isinstance(category, str) and category):
            raise ValidationFailed(
                f'{source} line {number}: a training example needs a "category" code',
                field=f"line {number}",
            )
        yield text, category if isinstance(category, str) else ""
