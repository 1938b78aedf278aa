"""GB 32100 unified social credit codes (统一社会信用代码) of legal persons and organisations.

Layout: registration authority (1) + organisation category (1) + registering division
code (6 digits) + organisation code (9, itself GB 11714: 8 characters + a mod-11 check) +
check character (1). Characters come from a 31-letter alphabet without I, O, Z, S, V.

Why our own validator: python-stdnum's ``stdnum.cn.uscc`` requires the first 8 characters
to be digits, so it rejects every code issued by authorities N (农业, village collectives),
Y (其他) and A (军队) although their check characters are right. Codes here are checked
against GB 32100 itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt
import yaml

from citybase.errors import ValidationFailed
from citybase.identifiers._text import fold, is_ascii_digits, require_text, shown

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: GB 11714 organisation code weights for its 8 body characters.
ORG_CODE_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}


@dataclass(frozen=True, slots=True)
class Authority:
    code: str
    name: str
    categories: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class UsccInfo:
    """What a valid code says about the organisation."""

    code: str
    authority: Authority
    category: str
    category_name: str | None
    """None when the category is not in our table (accepted; see uscc_kinds.yaml)."""
    region_code: str
    organisation_code: str
    organisation_code_valid: bool
    """Whether positions 9-17 pass GB 11714's own check (codes issued since 2015 do)."""


@cache
def authorities() -> Mapping[str, Authority]:
    """Registration authorities and their organisation categories, from uscc_kinds.yaml."""
    path = resources.files("citybase.identifiers") / "data" / "uscc_kinds.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))["authorities"]
    return {
        str(code): Authority(
            code=str(code),
            name=str(entry["name"]),
            categories={str(k): str(v) for k, v in entry["categories"].items()},
        )
        for code, entry in raw.items()
    }


def normalise_uscc(value: str) -> str:
    """Fold full-width characters, drop spaces and hyphens, upper-case. Idempotent."""
    return fold(value, remove="-", upper=True)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character: 31 - (weighted sum mod 31), mod 31."""
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValidationFailed(
            f"uscc: the check character is computed from 17 code characters, got {shown(first17)}",
            field="uscc",
        )
    total = sum(_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_char(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body (0-9 or X)."""
    total = 0
    for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True):
        total += (ord(c) - 48 if c.isdigit() else ord(c) - 55) * w
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def validate_uscc(value: str, *, field: str = "uscc") -> UsccInfo:
    """Check a code and return its parts; ValidationFailed names the first problem."""
    text = require_text(value, field)
    code = normalise_uscc(text)
    if len(code) != 18:
        raise ValidationFailed(f"{field}: must have 18 characters, got {len(code)}", field=field)
    bad = [c for c in code if c not in _VALUE]
    if bad:
        raise ValidationFailed(
            f"{field}: {bad[0]!r} is not allowed (digits and upper-case letters except "
            "I, O, Z, S, V)",
            field=field,
        )
    authority = authorities().get(code[0])
    if authority is None:
        raise ValidationFailed(
            f"{field}: {code[0]!r} is not a registration authority code "
            f"(one of {''.join(authorities())})",
            field=field,
        )
    if not is_ascii_digits(code[2:8]):
        raise ValidationFailed(
            f"{field}: positions 3-8 must be a 6-digit division code, got {code[2:8]!r}",
            field=field,
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValidationFailed(
            f"{field}: check character should be {expected!r}, got {code[17]!r}", field=field
        )
    org = code[8:17]
    return UsccInfo(
        code=code,
        authority=authority,
        category=code[1],
        category_name=authority.categories.get(code[1]),
        region_code=code[2:8],
        organisation_code=org,
        organisation_code_valid=organisation_code_check_char(org[:8]) == org[8],
    )


def is_valid_uscc(value: object) -> bool:
    """True when ``validate_uscc`` would accept the value."""
    try:
        validate_uscc(value)  # type: ignore[arg-type]
    except ValidationFailed:
        return False
    return True


def generate_uscc(rng: np.random.Generator, area_code: str, kind: str = "91") -> str:
    """A valid code for ``kind`` = authority + category (e.g. "91" 企业, "N2" 村集体).

    The organisation code carries a correct GB 11714 check, like codes issued since 2015;
    enterprises get the "MA…" bodies that registries have assigned since then.
    """
    if len(kind) != 2 or kind[0] not in authorities():
        raise ValidationFailed(
            f"kind: must be authority + category such as '91', got {kind!r}", field="kind"
        )
    if kind[1] not in authorities()[kind[0]].categories:
        raise ValidationFailed(
            f"kind: category {kind[1]!r} is not defined for authority {kind[0]!r}", field="kind"
        )
    if len(area_code) != 6 or not is_ascii_digits(area_code):
        raise ValidationFailed(f"area_code: must be 6 digits, got {area_code!r}", field="area_code")
    while True:
        if kind[0] == "9":
            tail = rng.integers(0, len(USCC_ALPHABET), size=6)
            body = "MA" + "".join(USCC_ALPHABET[i] for i in tail)
        else:
            body = "".join(str(d) for d in rng.integers(0, 10, size=8))
        check = organisation_code_check_char(body)
        if check in _VALUE:
            break
    first17 = kind + area_code + body + check
    return first17 + uscc_check_char(first17)


# --- vectorised helpers ------------------------------------------------------------------

_LOOKUP = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    _LOOKUP[ord(_c)] = _i
_ALPHABET_CODEPOINTS = np.array([ord(c) for c in USCC_ALPHABET], dtype=np.uint32)


@cache
def _authority_mask() -> npt.NDArray[np.bool_]:
    mask = np.zeros(128, dtype=np.bool_)
    for code in authorities():
        mask[ord(code)] = True
    return mask


def is_valid_uscc_array(values: npt.ArrayLike | Sequence[str]) -> npt.NDArray[np.bool_]:
    """Element-wise ``is_valid_uscc`` for already-normalised (upper-case, no spaces) text."""
    arr = np.asarray(values, dtype=np.str_).reshape(-1)
    n = arr.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    fixed = arr.astype("<U18")
    cp = fixed.view(np.uint32).reshape(n, 18)
    values_ = _LOOKUP[np.minimum(cp, 127)]
    ok = (np.char.str_len(arr) == 18) & (cp < 128).all(axis=1) & (values_ >= 0).all(axis=1)
    ok &= _authority_mask()[np.minimum(cp[:, 0], 127)]
    ok &= ((cp[:, 2:8] >= 48) & (cp[:, 2:8] <= 57)).all(axis=1)
    total = values_[:, :17] @ np.array(USCC_WEIGHTS, dtype=np.int64)
    ok &= cp[:, 17] == _ALPHABET_CODEPOINTS[(31 - total % 31) % 31]
    return np.asarray(ok)
