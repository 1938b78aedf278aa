"""De-identification policies: which operators apply to which column, on tables and free text.

A policy is data (YAML or JSON through the API)::

    columns:
      id_number: [{op: pseudonymise}]
      name: [{op: mask, keep_first: 1}]
      birth_date: [{op: generalise, kind: date, to: year}]

Operators on one column run in order (generalise, then mask…). Columns the policy does not name
pass through unchanged; a policy naming a column the table lacks, or an operator that does not
exist, is refused before anything is computed. The result carries lineage in its schema
metadata (``citybase.deid``): the policy's hash, the key id and the operators per column, so a
derived dataset version can say how it was made.

Keys: the caller passes the key (bytes) and its id; ``derive_key`` makes one from the
deployment's secret so that every dataset pseudonymised under the same key id gets the same
tokens (joins still work). Rotation is a new key id: tokens carry it as a prefix.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from citybase.errors import ValidationFailed
from citybase.privacy.operators import OPERATOR_NAMES, Keys, Operator
from citybase.settings import Settings

LINEAGE_KEY = b"citybase.deid"


class DeidPolicy(BaseModel):
    """Operators per column, applied in the order listed."""

    model_config = ConfigDict(extra="forbid")
    columns: dict[str, list[Operator]]

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> DeidPolicy:
        """Validate a policy from plain data, turning pydantic errors into one clear refusal."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _refusal(exc) from exc

    @classmethod
    def from_yaml(cls, text: str) -> DeidPolicy:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValidationFailed(f"policy is not valid YAML: {exc}", field="policy") from exc
        if not isinstance(data, dict):
            raise ValidationFailed(
                "policy: expected a mapping with a 'columns' key", field="policy"
            )
        return cls.parse(data)

    @classmethod
    def load(cls, path: Path) -> DeidPolicy:
        if not path.is_file():
            raise ValidationFailed(f"policy file {str(path)!r} does not exist", field="policy")
        return cls.from_yaml(path.read_text("utf-8"))

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _refusal(exc: ValidationError) -> ValidationFailed:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    if first["type"] == "union_tag_invalid":
        got = (first.get("ctx") or {}).get("tag", "?")
        message = f"{where}: unknown operator {got!r}; use one of {', '.join(OPERATOR_NAMES)}"
    elif first["type"] == "union_tag_not_found":
        message = f"{where}: each operator needs an 'op' ({', '.join(OPERATOR_NAMES)})"
    else:
        message = f"{where}: {first['msg']}"
    return ValidationFailed(f"policy {message}", field=where or "policy")


def derive_key(secret: str, key_id: str) -> bytes:
    """A pseudonymisation/encryption key for ``key_id`` from the deployment's secret key.

    Rotating means choosing a new key id: old tokens keep their old prefix and stay
    distinguishable; data is re-pseudonymised from source under the new id.
    """
    if not secret:
        raise ValidationFailed("secret: empty; set CITYBASE_SECRET_KEY", field="secret_key")
    return hmac.digest(secret.encode(), b"citybase-deid-key/" + key_id.encode(), "sha256")


def settings_key(settings: Settings, key_id: str) -> bytes:
    """The key for ``key_id`` derived from ``CITYBASE_SECRET_KEY``: one secret, many key ids."""
    return derive_key(settings.secret_key.get_secret_value(), key_id)


#: Below this many rows columns are de-identified one after another.
PARALLEL_ROWS = 50_000


def apply_policy(table: pa.Table, policy: DeidPolicy, *, key: bytes, key_id: str) -> pa.Table:
    """A new table with every policy column de-identified; lineage in the schema metadata."""
    missing = [name for name in policy.columns if name not in table.column_names]
    if missing:
        raise ValidationFailed(
            f"policy names column {missing[0]!r}, which the dataset does not have; "
            f"its columns are: {', '.join(table.column_names)}",
            field=f"columns.{missing[0]}",
        )
    keys = Keys.derive(key, key_id)

    def one_column(name: str) -> pa.Array:
        column = table.column(name).combine_chunks()
        for operator in policy.columns[name]:
            try:
                column = operator.apply(column, keys)
            except ValidationFailed as exc:
                raise ValidationFailed(
                    f"column {name!r}: {exc.message}", field=f"columns.{name}"
                ) from exc
        return column

    # Columns are independent, and Arrow kernels and DuckDB release the GIL: run them side by
    # side so that keyed hashing in DuckDB overlaps the Python-side work on other columns.
    if table.num_rows < PARALLEL_ROWS or len(policy.columns) < 2:  # a page: threads cost more
        results = {name: one_column(name) for name in policy.columns}
    else:
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            results = dict(zip(policy.columns, pool.map(one_column, policy.columns), strict=True))
    out = table
    for name, column in results.items():
        out = out.set_column(out.column_names.index(name), name, column)
    lineage = {
        "policy": policy.fingerprint(),
        "key_id": key_id,
        "columns": {n: [o.op for o in ops] for n, ops in policy.columns.items()},
        "source_rows": table.num_rows,
    }
    metadata = dict(table.schema.metadata or {})
    metadata[LINEAGE_KEY] = json.dumps(lineage, ensure_ascii=False).encode()
    return out.replace_schema_metadata(metadata)


def lineage(table: pa.Table) -> dict[str, Any] | None:
    """The ``citybase.deid`` lineage a de-identified table carries, or None."""
    raw = (table.schema.metadata or {}).get(LINEAGE_KEY)
    return None if raw is None else dict(json.loads(raw))


def apply_to_text(
    text: str,
    spans: Sequence[Mapping[str, Any]],
    operators: Mapping[str, Sequence[Operator] | Sequence[Mapping[str, Any]]],
    *,
    key: bytes | None = None,
    key_id: str | None = None,
) -> str:
    """Free text with each span ``{start, end, type}`` replaced by its type's operators.

    ``operators`` maps a span type (e.g. ``id_number``) to operators; ``"*"`` is the default
    for other types. A type with no operator and no default is refused: leaving a detected
    identifier in place silently is the failure this function exists to prevent.
    """
    parsed = {t: _operators(t, ops) for t, ops in operators.items()}
    keys = Keys.derive(key, key_id) if key is not None and key_id is not None else None
    checked = sorted(_span(s, len(text), i) for i, s in enumerate(spans))
    for (_, end, _), (start, _, _) in itertools.pairwise(checked):
        if start < end:
            raise ValidationFailed(
                f"spans overlap at character {start}; merge or drop one of them", field="spans"
            )
    replaced: dict[int, str] = {}
    for kind in dict.fromkeys(k for _, _, k in checked):  # one vectorised call per span type
        ops = parsed.get(kind, parsed.get("*"))
        if ops is None:
            raise ValidationFailed(
                f"no operator for span type {kind!r}; add one or a '*' default", field="operators"
            )
        where = [i for i, (_, _, k) in enumerate(checked) if k == kind]
        column: pa.Array = pa.array(
            [text[checked[i][0] : checked[i][1]] for i in where], pa.string()
        )
        for op in ops:
            try:
                column = op.apply(column, keys)
            except ValidationFailed as exc:
                raise ValidationFailed(
                    f"span type {kind!r}: {exc.message}", field="operators"
                ) from exc
        for i, value in zip(where, column.to_pylist(), strict=True):
            replaced[i] = "" if value is None else str(value)
    pieces: list[str] = []
    cursor = 0
    for i, (start, end, _) in enumerate(checked):
        pieces += [text[cursor:start], replaced[i]]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _operators(kind: str, ops: Sequence[Operator] | Sequence[Mapping[str, Any]]) -> list[Operator]:
    policy = DeidPolicy.parse(
        {"columns": {kind: [o if isinstance(o, Mapping) else o.model_dump() for o in ops]}}
    )
    return policy.columns[kind]


def _span(span: Mapping[str, Any], length: int, index: int) -> tuple[int, int, str]:
    try:
        start, end, kind = int(span["start"]), int(span["end"]), str(span["type"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(
            f"spans[{index}]: needs integer start, end and a type", field="spans"
        ) from exc
    if not 0 <= start < end <= length:
        raise ValidationFailed(
            f"spans[{index}]: {start}..{end} is outside the text (0..{length}) or empty",
            field="spans",
        )
    return start, end, kind


def decrypt_column(column: pa.Array | pa.ChunkedArray, *, keys: Mapping[str, bytes]) -> pa.Array:
    """Plain text of ``encrypt`` tokens; ``keys`` maps each key id to its key (explicit, always).

    Authorising the caller and recording the audit entry is the caller's job. A token whose key
    id is not in ``keys``, or that was altered, is refused (AES-GCM authenticates it).
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not keys:
        raise ValidationFailed("keys: give at least one key id and its key", field="keys")
    ciphers = {kid: AESGCM(Keys.derive(k, kid).encryption) for kid, k in keys.items()}
    values = column.to_pylist()
    out: list[str | None] = []
    for row, token in enumerate(values):
        if token is None:
            out.append(None)
            continue
        parts = str(token).split(":", 2)
        if len(parts) != 3 or parts[0] != "enc":
            raise ValidationFailed(
                f"row {row}: not an encrypted token (enc:<key id>:…)", field="column"
            )
        kid = parts[1]
        if kid not in ciphers:
            raise ValidationFailed(
                f"row {row}: encrypted under key id {kid!r}, which was not given", field="keys"
            )
        try:
            sealed = base64.urlsafe_b64decode(parts[2])
            out.append(ciphers[kid].decrypt(sealed[:12], sealed[12:], kid.encode()).decode())
        except (InvalidTag, ValueError) as exc:
            raise ValidationFailed(
                f"row {row}: token fails authentication (altered or wrong key)", field="column"
            ) from exc
    return pa.array(out, pa.string())
