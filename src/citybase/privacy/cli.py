"""``citybase datahub scan`` and ``redact-text``: PII detection from the command line.

The data hub registers these two commands under ``citybase datahub`` (see
``datahub.cli_privacy``); ``python -m citybase.privacy.cli`` runs them without the platform.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from citybase.cli_support import console, friendly_errors
from citybase.errors import ValidationFailed

app = typer.Typer(help="PII detection: scan tables, redact free text.", no_args_is_help=True)
BATCH = 2_000


@app.command("scan")
@friendly_errors
def scan(
    path: Annotated[Path, typer.Argument(help="A .parquet or .csv file")],
    format: Annotated[str, typer.Option("--format", help="json or table")] = "table",
    sample: Annotated[int | None, typer.Option("--sample", help="Scan N random rows")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Grading policy YAML")] = None,
) -> None:
    """Decide a PII type, confidence and grade for every column of a file."""
    from rich.table import Table

    from citybase.privacy.detect_columns import scan_table
    from citybase.privacy.policy import load_policy

    if format not in ("json", "table"):
        raise ValidationFailed(f"format: must be json or table, got {format!r}", field="format")
    if policy is None:
        from citybase.cli_support import load_settings

        policy = load_settings().grading_policy
    result = scan_table(path, sample=sample, policy=load_policy(policy))
    if format == "json":
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{path.name}: {result.rows_scanned} rows, grade {result.grade.label}")
    for heading in ("column", "PII type", "confidence", "hit ratio", "grade", "sensitive"):
        table.add_column(heading)
    for col in result.columns:
        table.add_row(
            col.name,
            col.pii_type or "—",
            f"{col.confidence:.2f}",
            f"{col.hit_ratio:.1%}",
            col.grade.label,
            "是" if col.sensitive else "",
        )
    console.print(table)


def _texts(lines: list[str], first_line: int) -> list[str]:
    texts: list[str] = []
    for offset, line in enumerate(lines):
        number = first_line + offset
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                f'line {number}: not JSON ({exc.msg}); each line must be {{"text": "…"}}',
                field="text",
            ) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise ValidationFailed(
                f'line {number}: expected an object with a string "text"', field="text"
            )
        texts.append(record["text"])
    return texts


@app.command("redact-text")
@friendly_errors
def redact_text(
    format: Annotated[str, typer.Option("--format", help="jsonl (the only format)")] = "jsonl",
) -> None:
    """Read {"text": …} JSON lines on stdin, write text, spans and redacted text on stdout."""
    from citybase.privacy.detect_text import find_spans_batch, redact
    from citybase.privacy.policy import load_policy

    if format != "jsonl":
        raise ValidationFailed(f"format: only jsonl is supported, got {format!r}", field="format")
    policy = load_policy()
    pending: list[str] = []
    first = 1

    def flush() -> None:
        texts = _texts(pending, first)
        for text, spans in zip(texts, find_spans_batch(texts), strict=True):
            out = {
                "text": text,
                "spans": [s.as_dict() for s in spans],
                "redacted": redact(text, spans, policy=policy),
            }
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")

    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        if not pending:
            first = number
        pending.append(line)
        if len(pending) >= BATCH:
            flush()
            pending = []
    if pending:
        flush()


if __name__ == "__main__":
    app()
