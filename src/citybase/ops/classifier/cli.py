"""``citybase ops classify`` / ``citybase ops train`` / ``citybase ops evaluate``.

Cheap to import (``citybase --help`` imports every cli.py): jieba, numpy and scikit-learn are
imported inside the commands.
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from citybase.cli_support import console, friendly_errors, load_settings

if TYPE_CHECKING:
    from citybase.ops.classifier.candidate import Candidate

BATCH = 2000


class Format(StrEnum):
    jsonl = "jsonl"
    table = "table"


CategoriesOption = Annotated[
    Path | None,
    typer.Option(
        "--categories",
        dir_okay=False,
        help="The city's event_categories.yaml (default: the taxonomy directory's).",
    ),
]


def classify_command(
    texts: Annotated[
        list[str] | None,
        typer.Argument(help="Texts to classify (default: JSON lines from --input or stdin)."),
    ] = None,
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input", "-i", dir_okay=False, help='JSON-lines file, one {"text": ...} a line.'
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    top: Annotated[int, typer.Option(min=1, max=50, help="Candidates per text.")] = 3,
    categories: CategoriesOption = None,
) -> None:
    """Classify complaint texts: the top categories with confidence, one result per input.

    Input lines are JSON objects with a "text" (an "id" is copied to the output). Output
    (--format jsonl) is one JSON line per input, in order: {"category", "candidates":
    [{"category", "confidence"}, ...]}."""
    from citybase.ops.classifier import get_classifier
    from citybase.ops.classifier.history import parse_lines

    rows: list[tuple[str, object]] = []
    if texts:
        rows = [(t, None) for t in texts]
    else:
        if input_file is not None:
            try:
                raw = input_file.read_text(encoding="utf-8-sig")
            except FileNotFoundError:
                from citybase.errors import ValidationFailed

                raise ValidationFailed(f"file not found: {input_file}", field="--input") from None
            source = str(input_file)
        else:
            raw = typer.get_text_stream("stdin", encoding="utf-8").read()
            source = "stdin"
        lines = raw.splitlines()
        ids = _ids(lines)
        rows = [
            (text, ids.get(n))
            for n, (text, _) in enumerate(parse_lines(lines, source=source, require_category=False))
        ]
    clf = get_classifier(load_settings(), categories_path=categories)
    if fmt is Format.table:
        _table(clf.classify([t for t, _ in rows], top=top), [t for t, _ in rows])
        return
    out = typer.get_text_stream("stdout", encoding="utf-8")
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        results = clf.classify([t for t, _ in chunk], top=top)
        lines_out = []
        for (_, ident), cands in zip(chunk, results, strict=True):
            obj: dict[str, object] = {} if ident is None else {"id": ident}
            obj["category"] = cands[0].category
            obj["candidates"] = [
                {"category": c.category, "confidence": c.confidence} for c in cands
            ]
            lines_out.append(json.dumps(obj, ensure_ascii=False))
        out.write("\n".join(lines_out) + "\n")
    out.flush()


def _ids(lines: list[str]) -> dict[int, object]:
    """The "id" of each non-blank input line that has one, by its position among them."""
    ids: dict[int, object] = {}
    position = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            break  # parse_lines reports it with its line number
        if isinstance(obj, dict) and "id" in obj:
            ids[position] = obj["id"]
        position += 1
    return ids


def _table(results: list[list[Candidate]], texts: list[str]) -> None:
    from rich.table import Table

    table = Table("text", "category", "confidence", "runners-up")
    for text, best in zip(texts, results, strict=True):
        table.add_row(
            text if len(text) <= 40 else text[:39] + "…",
            best[0].category,
            f"{best[0].confidence:.2f}",
            ", ".join(f"{c.category} {c.confidence:.2f}" for c in best[1:]),
        )
    console.print(table)


def train_command(
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            dir_okay=False,
            help='The city\'s closed cases, JSON lines {"text", "category"} '
            "(default: the shipped demo history).",
        ),
    ] = None,
    extra: Annotated[
        list[Path] | None,
        typer.Option(
            "--extra",
            dir_okay=False,
            help="More labelled examples (e.g. dispatchers' corrections), JSON lines; repeatable.",
        ),
    ] = None,
    categories: CategoriesOption = None,
) -> None:
    """Train the classifier on a history of closed cases (+ corrections); it becomes current."""
    from itertools import chain

    from citybase.ops.classifier import load_history, train
    from citybase.ops.classifier.history import read_jsonl

    sources = [load_history(history)]
    sources += [read_jsonl(p, require_category=True) for p in extra or []]
    started = time.perf_counter()
    clf = train(chain(*sources), settings=load_settings(), categories_path=categories)
    console.print(
        f"trained on {clf.info.get('examples')} examples, {clf.info.get('features')} features, "
        f"{len(clf.categories)} categories in {time.perf_counter() - started:.1f} s → {clf.path}"
    )


def evaluate_command(
    path: Annotated[
        Path,
        typer.Argument(metavar="FILE", dir_okay=False, help='JSON lines {"text", "category"}.'),
    ],
    categories: CategoriesOption = None,
) -> None:
    """Top-1 and top-3 accuracy of the current classifier on a labelled file, per category."""
    from citybase.ops.classifier import get_classifier
    from citybase.ops.classifier.evaluate import score
    from citybase.ops.classifier.history import read_jsonl

    rows = list(read_jsonl(path, require_category=True))
    clf = get_classifier(load_settings(), categories_path=categories)
    report = score(clf, [t for t, _ in rows], [c for _, c in rows])
    console.print(report.render(str(path)), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``classify``, ``train`` and ``evaluate`` to the ``citybase ops`` Typer app."""
    app.command("classify")(friendly_errors(classify_command))
    app.command("train")(friendly_errors(train_command))
    app.command("evaluate")(friendly_errors(evaluate_command))
