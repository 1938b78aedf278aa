"""De-identification operators (GB/T 37964 families), each vectorised over an Arrow column.

An operator is a pydantic model (so a policy can be written in YAML or sent over the API) with
an ``apply(column, keys)`` that returns a new Arrow array. Operators that need per-value work
(keyed hashing, encryption, hierarchies) do it once per distinct value and scatter the result
back with ``take``, so their cost follows the number of distinct values, not rows.

Token formats (documented in docs/privacy-deid.md):

- pseudonym: ``<key_id>:<hex>`` — hex is HMAC-SHA256(pseudonym key, value) truncated to
  ``length`` characters; the key id tells tokens made under an old key from new ones.
- ciphertext: ``enc:<key_id>:<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, model_validator

from citybase.errors import ValidationFailed
from citybase.identifiers.areacodes import area_codes_known_array
from citybase.privacy.hierarchies import (
    CITY_SUFFIXES,
    DISTRICT_SUFFIXES,
    STREET_SUFFIXES,
    CsvHierarchy,
    interval_label,
)

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


@dataclass(frozen=True)
class Keys:
    """Sub-keys derived from the caller's key: one for pseudonyms, one for encryption."""

    key_id: str
    pseudonym: bytes
    encryption: bytes

    @classmethod
    def derive(cls, key: bytes, key_id: str) -> Keys:
        if len(key) < 16:
            raise ValidationFailed("key: must be at least 16 bytes of secret material", field="key")
        if not KEY_ID.match(key_id):
            raise ValidationFailed(
                f"key_id: 1-16 letters, digits, '-' or '_', got {key_id!r}", field="key_id"
            )
        return cls(
            key_id=key_id,
            pseudonym=hmac.digest(key, b"citybase-deid/pseudonym/" + key_id.encode(), "sha256"),
            encryption=hmac.digest(key, b"citybase-deid/encrypt/" + key_id.encode(), "sha256"),
        )


def _strings(column: pa.Array, op: str) -> pa.Array:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    if pa.types.is_integer(column.type) or pa.types.is_date(column.type):
        return pc.cast(column, pa.string())
    raise ValidationFailed(f"{op}: needs a text column, got {column.type}", field="op")


def _per_distinct(column: pa.Array, fn: Callable[[list[str]], list[str | None]]) -> pa.Array:
    """Apply ``fn`` to each distinct non-null value once, scatter back (nulls stay null)."""
    encoded = pc.dictionary_encode(column)
    dictionary = encoded.dictionary.to_pylist()
    mapped = pa.array(fn(dictionary), pa.string())
    return mapped.take(encoded.indices)


class Mask(BaseModel):
    """Replace the middle of a value with ``char``, keeping its first/last characters.

    ``110105199001010021`` with keep_first 6, keep_last 4 → ``110105********0021``. A value
    too short to keep both ends and still hide something is masked entirely (length kept).
    """

    model_config = ConfigDict(extra="forbid")
    op: Literal["mask"]
    keep_first: int = Field(0, ge=0)
    keep_last: int = Field(0, ge=0)
    char: str = Field("*", min_length=1, max_length=1)

    def apply(self, column: pa.Array, keys: Keys | None) -> pa.Array:
        text = _strings(column, "mask")
        length = pc.utf8_length(text)
        shown = self.keep_first + self.keep_last
        hide = pc.greater(length, shown) if shown else pc.greater(length, -1)
        middle = pc.binary_repeat(self.char, pc.max_element_wise(pc.subtract(length, shown), 0))
        head = pc.utf8_slice_codeunits(text, 0, self.keep_first)
        tail = (
            pc.utf8_slice_codeunits(text, -self.keep_last)
            if self.keep_last
            else pa.nulls(len(text), pa.string()).fill_null("")
        )
        joined = pc.binary_join_element_wise(head, middle, tail, "")
        return pc.if_else(hide, joined, pc.binary_repeat(self.char, length))


class Pseudonymise(BaseModel):
    """Keyed HMAC-SHA256 token: the same value gives the same token under the same key."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["pseudonymise"]
    length: int = Field(16, ge=8, le=64)

    def apply(self, column: pa.Array, keys: Keys | None) -> pa.Array:
        keys = _need(keys, "pseudonymise")
        if len(column) <= SMALL_COLUMN and len(keys.pseudonym) <= 64:
            return _hmac_small(_strings(column, "pseudonymise"), keys, self.length)
        block = keys.pseudonym.ljust(64, b"\0")  # HMAC (RFC 2104) spelled out in SQL
        inner = bytes(b ^ 0x36 for b in block)
        outer = bytes(b ^ 0x5C for b in block)
        sql = (
            "SELECT ? || left(sha256(?::BLOB || unhex(sha256(?::BLOB || encode(v)))), ?) AS v"
            " FROM t"
        )
        params = [keys.key_id + ":", outer, inner, self.length]
        return _duck(_strings(column, "pseudonymise"), sql, params)


#: Up to this many values (a page of rows, a read's subjects) Python's hmac beats a trip
#: through DuckDB (~1 ms of set-up per call); the two give the same tokens (tested).
SMALL_COLUMN = 4096


def _hmac_small(column: pa.Array, keys: Keys, length: int) -> pa.Array:
    prefix = keys.key_id + ":"
    key = keys.pseudonym
    out = [
        None
        if v is None
        else prefix + hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:length]
        for v in column.to_pylist()
    ]
    return pa.array(out, pa.string())


def _duck(column: pa.Array, sql: str, params: list[object] | None = None) -> pa.Array:
    """Run one vectorised DuckDB expression over the distinct values of a column (table ``t``,
    column ``v``) and scatter the results back: registers repeat names and addresses a lot."""
    encoded = pc.dictionary_encode(column)
    return _duck_rows(encoded.dictionary, sql, params).take(encoded.indices)


def _duck_rows(column: pa.Array, sql: str, params: list[object] | None = None) -> pa.Array:
    with _duck_database().cursor() as con:  # a cursor is a fresh connection to one database
        con.register("t", pa.table({"v": column}))
        table = con.sql(sql, params=params or None).to_arrow_table()
    return table.column(0).combine_chunks()


@cache
def _duck_database() -> Any:
    """One in-memory DuckDB per process; opening a database costs ~10 ms, a cursor ~0."""
    import duckdb

    return duckdb.connect()


class Suppress(BaseModel):
    """Remove the value: null, or a fixed ``replacement`` such as ``"***"``."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["suppress"]
    replacement: str | None = None

    def apply(self, column: pa.Array, keys: Keys | None) -> pa.Array:
        if self.replacement is None:
            return pa.nulls(len(column), column.type)
        return pa.array([self.replacement] * len(column), pa.string())


class Encrypt(BaseModel):
    """Reversible AES-256-GCM; decryption needs the key (``deid.decrypt_column``)."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["encrypt"]

    def apply(self, column: pa.Array, keys: Keys | None) -> pa.Array:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        keys = _need(keys, "encrypt")
        aead = AESGCM(keys.encryption)
        prefix = f"enc:{keys.key_id}:"
        aad = keys.key_id.encode()
        values = _strings(column, "encrypt").to_pylist()
        out: list[str | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            nonce = os.urandom(12)
            sealed = nonce + aead.encrypt(nonce, value.encode(), aad)
            out.append(prefix + base64.urlsafe_b64encode(sealed).decode())
        return pa.array(out, pa.string())


class AddNoise(BaseModel):
    """Add zero-mean Laplace or Gaussian noise of ``scale`` to a numeric column."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["noise"]
    scale: float = Field(gt=0)
    distribution: Literal["laplace", "gaussian"] = "laplace"
    seed: int | None = None
    round_to: float | None = Field(None, gt=0)

    def apply(self, column: pa.Array, keys: Keys | None) -> pa.Array:
        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
            raise ValidationFailed(f"noise: needs a numeric column, got {column.type}", field="op")
        rng = np.random.default_rng(self.seed)
        values = column.to_numpy(zero_copy_only=False).astype(np.float64)
        if self.distribution == "laplace":
            values = values + rng.laplace(0.0, self.scale, len(values))
        else:
            values = values + rng.normal(0.0, self.scale, len(values))
        if self.round_to is not None:
            values = np.round(values / self.round_to) * self.round_to
        mask = column.is_null().to_numpy(zero_copy_only=False)
        if pa.types.is_integer(column.type):
            return pa.array(np.round(values).astype(np.int64), mask=mask)
        return pa.array(values, mask=mask)


GeneraliseKind = Literal["date", "number", "division", "address", "coordinate", "hierarchy"]
_DATE_FORMATS = {"month": "%Y-%m", "year": "%Y"}


class Generalise(BaseModel):
    """Coarsen a value: date → month/year/decade, number → band, division code → prefecture or
    province, address → street/district/city, coordinate → grid cell, or any CSV hierarchy."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["generalise"]
    kind: GeneraliseKind
    to: str | None = None
    width: float | None = Field(None, gt=0)
    cell: float | None = Field(None, gt=0, description="grid cell size in degrees")
    hierarchy_file: str | None = None
    level: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _parameters(self) -> Generalise:
        need: dict[str, tuple[str, object, tuple[str, ...] | None]] = {
            "date": ("to", self.to, ("month", "year", "decade")),
            "division": ("to", self.to, ("prefecture", "province")),
            "address": ("to", self.to, ("street", "district", "city")),
            "number": ("width", self.width, None),
            "coordinate": ("cell", self.cell, None),
            "hierarchy": ("hierarchy_file", self.hierarchy_file, None),
        }
        name, value, allowed = need[self.kind]
        if value is None:
            raise ValueError(f"generalise kind {self.kind} needs {name!r}")
        if allowed is not None and value not in allowed:
            raise ValueError(
                f"generalise kind {self.kind}: 'to' must be one of {', '.join(allowed)}"
            )
        if self.kind == "hierarchy" and self.level is None:
            raise ValueError("generalise kind hierarchy needs 'level' (1 or more)")
        return self

    def apply(self, column: pa.Array, keys: Keys | None) -> pa.Array:
        return _GENERALISERS[self.kind](self, column)


def _gen_date(op: Generalise, column: pa.Array) -> pa.Array:
    if pa.types.is_string(column.type):
        try:
            column = pc.cast(column, pa.date32())
        except pa.ArrowInvalid as exc:
            raise ValidationFailed(
                f"generalise date: a value is not an ISO date (YYYY-MM-DD): {exc}", field="op"
            ) from exc
    if not pa.types.is_date(column.type) and not pa.types.is_timestamp(column.type):
        raise ValidationFailed(
            f"generalise date: needs a date column, got {column.type}", field="op"
        )
    encoded = pc.dictionary_encode(column)  # a register has far fewer dates than rows
    days = encoded.dictionary
    if op.to == "year":
        labels = pc.cast(pc.year(days), pa.string())
    elif op.to == "month":
        labels = pc.strftime(days, format="%Y-%m")
    else:
        low = pc.multiply(pc.divide(pc.year(days), 10), 10)  # integer division: the decade
        labels = pc.binary_join_element_wise(
            pc.cast(low, pa.string()), pc.cast(pc.add(low, 9), pa.string()), "-"
        )
    return labels.take(encoded.indices)


def _gen_number(op: Generalise, column: pa.Array) -> pa.Array:
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        raise ValidationFailed(f"generalise number: needs numbers, got {column.type}", field="op")
    width = float(op.width or 1)
    low = np.floor(column.to_numpy(zero_copy_only=False).astype(np.float64) / width)
    valid = ~np.isnan(low)
    bands, inverse = np.unique(low[valid], return_inverse=True)
    labels = pa.array([interval_label(b * width, width) for b in bands], pa.string())
    out = np.full(len(low), len(bands), dtype=np.int64)
    out[valid] = inverse
    return labels.take(pa.array(out, mask=~valid))


def _gen_division(op: Generalise, column: pa.Array) -> pa.Array:
    text = _strings(column, "generalise division")
    distinct = pc.unique(text).drop_null()
    ok = pc.and_(pc.equal(pc.utf8_length(distinct), 6), pc.utf8_is_digit(distinct))
    if not pc.all(ok).as_py():
        bad = distinct.filter(pc.invert(ok))[0].as_py()
        raise ValidationFailed(
            f"generalise division: {bad!r} is not a six-digit GB/T 2260 code", field="op"
        )
    codes = distinct.cast(pa.int64()).to_numpy()
    known = area_codes_known_array(codes) | (codes % 100 == 0)
    if not known.all():
        bad = distinct[int(np.flatnonzero(~known)[0])].as_py()
        raise ValidationFailed(
            f"generalise division: code {bad!r} is not in GB/T 2260; fix or suppress it", field="op"
        )
    keep = 4 if op.to == "prefecture" else 2
    return pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, keep), "0" * (6 - keep), "")


def _gen_address(op: Generalise, column: pa.Array) -> pa.Array:
    """Cut after the street, else the district, else the city; null when none is written.

    The rule of ``hierarchies.address_prefix``, vectorised over the distinct addresses: Arrow
    finds each suffix's byte offset, numpy cuts every address at its own byte position.
    """
    encoded = pc.dictionary_encode(_strings(column, "generalise address").cast(pa.string()))
    text = encoded.dictionary
    first = _first_char_bytes(text)
    # Only the levels the cut needs: a city-level cut never looks for districts or streets.
    levels = [_first_end(text, CITY_SUFFIXES, first)]
    if op.to in ("district", "street"):
        levels.append(_first_end(text, DISTRICT_SUFFIXES, np.maximum(levels[0], first)))
    if op.to == "street":
        after = np.maximum(np.maximum(levels[1], levels[0]), first)
        levels.append(_first_end(text, STREET_SUFFIXES, after))
    end = np.full(len(text), -1, dtype=np.int64)
    for level_end in reversed(levels):  # the finest level written wins
        end = np.where(end < 0, level_end, end)
    cut = pc.if_else(pa.array(end >= 0), _prefixes(text, end), pa.scalar(None, pa.string()))
    return cut.take(encoded.indices)


def _first_char_bytes(text: pa.Array) -> np.ndarray:
    """Byte length of each row's first character, from its UTF-8 lead byte (0 if empty)."""
    n = len(text)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + n + 1]
    buffer = text.buffers()[2]
    data = np.frombuffer(buffer, dtype=np.uint8) if buffer is not None else np.zeros(0, np.uint8)
    starts, ends = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    empty = ends <= starts
    lead = data[np.minimum(starts, max(len(data) - 1, 0))] if len(data) else np.zeros(n, np.uint8)
    width = np.select(
        [lead < 0x80, lead >= 0xF0, lead >= 0xE0, lead >= 0xC0], [1, 4, 3, 2], default=1
    )
    return np.where(empty, 0, width).astype(np.int64)


def _first_end(text: pa.Array, suffixes: tuple[str, ...], start: np.ndarray) -> np.ndarray:
    """Per row, the byte end of the earliest suffix found at or after byte ``start``; -1 if none.

    Arrow finds the first occurrence; the rare row whose first occurrence lies before
    ``start`` (镇 in 镇江市 when looking for a town) is searched again from ``start``.
    """
    best = np.full(len(text), np.iinfo(np.int64).max, dtype=np.int64)
    for suffix in suffixes:
        raw = suffix.encode()
        at = pc.find_substring(text, suffix).to_numpy(zero_copy_only=False).astype(np.int64)
        for row in np.flatnonzero((at >= 0) & (at < start)):
            at[row] = str(text[int(row)].as_py()).encode().find(raw, int(start[row]))
        best = np.where(at >= 0, np.minimum(best, at + len(raw)), best)
    return np.where(best < np.iinfo(np.int64).max, best, -1)


def _prefixes(text: pa.Array, stop: np.ndarray) -> pa.Array:
    """Row i's first stop[i] bytes (a character boundary) as one numpy gather."""
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + n + 1]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8) if n else np.zeros(0, np.uint8)
    lengths = np.maximum(stop, 0).astype(np.int32)
    new_offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=new_offsets[1:])
    source = np.arange(int(new_offsets[-1]), dtype=np.int32) - np.repeat(
        new_offsets[:-1] - offsets[:-1], lengths
    )
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(new_offsets), pa.py_buffer(np.ascontiguousarray(data[source]))
    )


def _gen_coordinate(op: Generalise, column: pa.Array) -> pa.Array:
    if not pa.types.is_floating(column.type):
        raise ValidationFailed(
            f"generalise coordinate: needs degrees, got {column.type}", field="op"
        )
    cell = float(op.cell or 1)
    values = column.to_numpy(zero_copy_only=False)
    centre = (np.floor(values / cell) + 0.5) * cell
    return pa.array(np.round(centre, 9), mask=column.is_null().to_numpy(zero_copy_only=False))


def _gen_hierarchy(op: Generalise, column: pa.Array) -> pa.Array:
    hierarchy = CsvHierarchy.from_csv(str(op.hierarchy_file))
    level = hierarchy.level_index(int(op.level or 1))
    return _per_distinct(
        _strings(column, "generalise hierarchy"),
        lambda vs: [hierarchy.labels(v)[level] for v in vs],
    )


_GENERALISERS: dict[str, Callable[[Generalise, pa.Array], pa.Array]] = {
    "date": _gen_date,
    "number": _gen_number,
    "division": _gen_division,
    "address": _gen_address,
    "coordinate": _gen_coordinate,
    "hierarchy": _gen_hierarchy,
}


def _need(keys: Keys | None, op: str) -> Keys:
    if keys is None:
        raise ValidationFailed(f"{op}: needs a key and key_id", field="key")
    return keys


Operator = Annotated[
    Mask | Pseudonymise | Suppress | Encrypt | AddNoise | Generalise, Field(discriminator="op")
]
OPERATOR_NAMES = ("mask", "pseudonymise", "generalise", "suppress", "encrypt", "noise")
