"""De-identifying spans of free text (spans come from PII detection)."""

from __future__ import annotations

import pytest

from citybase.errors import ValidationFailed
from citybase.privacy.deid import apply_to_text

KEY = b"0123456789abcdef0123456789abcdef"
TEXT = "张三的身份证号11010519491231002X，住示范市北塘区玉泉街道春江路8号。"


def spans() -> list[dict[str, object]]:
    id_start = TEXT.index("1101")
    addr_start = TEXT.index("示范市")
    return [
        {"start": 0, "end": 2, "type": "person_name"},
        {"start": id_start, "end": id_start + 18, "type": "id_number"},
        {"start": addr_start, "end": TEXT.index("。"), "type": "address"},
    ]


def test_each_span_type_gets_its_operators() -> None:
    out = apply_to_text(
        TEXT,
        spans(),
        {
            "person_name": [{"op": "mask", "keep_first": 1}],
            "id_number": [{"op": "pseudonymise"}],
            "address": [{"op": "generalise", "kind": "address", "to": "district"}],
        },
        key=KEY,
        key_id="k1",
    )
    assert out.startswith("张*的身份证号k1:")
    assert out.endswith("，住示范市北塘区。")
    assert "11010519491231002X" not in out


def test_default_operator_and_refusals() -> None:
    out = apply_to_text(TEXT, spans(), {"*": [{"op": "suppress", "replacement": "[已脱敏]"}]})
    assert out == "[已脱敏]的身份证号[已脱敏]，住[已脱敏]。"
    with pytest.raises(ValidationFailed, match="no operator for span type 'address'"):
        apply_to_text(
            TEXT, spans(), {"person_name": [{"op": "mask"}], "id_number": [{"op": "mask"}]}
        )
    with pytest.raises(ValidationFailed, match="spans overlap"):
        apply_to_text(
            TEXT,
            [{"start": 0, "end": 3, "type": "a"}, {"start": 2, "end": 4, "type": "a"}],
            {"*": [{"op": "mask"}]},
        )
    with pytest.raises(ValidationFailed, match="outside the text"):
        apply_to_text("短", [{"start": 0, "end": 5, "type": "a"}], {"*": [{"op": "mask"}]})
    with pytest.raises(ValidationFailed, match="needs integer start"):
        apply_to_text("短", [{"start": 0, "type": "a"}], {"*": [{"op": "mask"}]})
    with pytest.raises(ValidationFailed, match="needs a key"):
        apply_to_text(TEXT, spans(), {"*": [{"op": "pseudonymise"}]})
    with pytest.raises(ValidationFailed, match="unknown operator 'blur'"):
        apply_to_text(TEXT, spans(), {"*": [{"op": "blur"}]})
