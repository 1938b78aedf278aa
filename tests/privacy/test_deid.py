"""De-identification operators and policies on Arrow tables: what a data steward would see."""

from __future__ import annotations

import base64
import re
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.errors import ValidationFailed
from citybase.privacy.deid import DeidPolicy, apply_policy, decrypt_column, derive_key, lineage

KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"


def run(table: pa.Table, columns: dict[str, list[dict[str, object]]], **kw: object) -> pa.Table:
    policy = DeidPolicy.parse({"columns": columns})
    return apply_policy(table, policy, key=kw.get("key", KEY), key_id=kw.get("key_id", "k1"))  # type: ignore[arg-type]


def test_mask_keeps_the_ends_of_an_identity_number() -> None:
    table = pa.table({"id_number": ["11010519491231002X", None, "123"]})
    out = run(table, {"id_number": [{"op": "mask", "keep_first": 6, "keep_last": 4}]})
    assert out.column("id_number").to_pylist() == ["110105********002X", None, "***"]


@given(st.text(min_size=0, max_size=30), st.integers(0, 5), st.integers(0, 5))
@settings(max_examples=200, deadline=None)
def test_mask_keeps_length_and_only_the_promised_characters(
    value: str, first: int, last: int
) -> None:
    out = run(
        pa.table({"v": [value]}), {"v": [{"op": "mask", "keep_first": first, "keep_last": last}]}
    )
    masked = out.column("v")[0].as_py()
    assert len(masked) == len(value)
    if len(value) > first + last:
        assert masked[:first] == value[:first]
        assert masked[len(value) - last :] == value[len(value) - last :]
        assert set(masked[first : len(value) - last]) <= {"*"}
    else:
        assert set(masked) <= {"*"}


TOKEN = re.compile(r"^k1:[0-9a-f]{16}$")


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=30))
@settings(max_examples=50, deadline=None)
def test_pseudonyms_are_stable_across_tables_and_differ_across_keys(values: list[str]) -> None:
    first = run(pa.table({"id": values}), {"id": [{"op": "pseudonymise"}]})
    reordered = list(reversed(values))
    second = run(pa.table({"who": reordered}), {"who": [{"op": "pseudonymise"}]})
    by_value = dict(zip(values, first.column("id").to_pylist(), strict=True))
    assert dict(zip(reordered, second.column("who").to_pylist(), strict=True)) == by_value
    assert all(TOKEN.match(t) for t in by_value.values())
    assert len(set(by_value.values())) == len(set(values))  # no collisions among these
    other = run(pa.table({"id": values}), {"id": [{"op": "pseudonymise"}]}, key=OTHER_KEY)
    assert not set(other.column("id").to_pylist()) & set(by_value.values())


def test_key_from_settings_is_stable_per_key_id() -> None:
    from pydantic import SecretStr

    from citybase.privacy.deid import settings_key
    from citybase.settings import Settings

    cfg = Settings(secret_key=SecretStr("x" * 40))
    assert settings_key(cfg, "k1") == settings_key(cfg, "k1") == derive_key("x" * 40, "k1")
    assert settings_key(cfg, "k2") != settings_key(cfg, "k1")
    with pytest.raises(ValidationFailed, match="CITYBASE_SECRET_KEY"):
        derive_key("", "k1")


def test_rotated_key_tokens_carry_the_new_key_id() -> None:
    table = pa.table({"id": ["320102198001010011"]})
    old = run(
        table, {"id": [{"op": "pseudonymise"}]}, key=derive_key("s" * 32, "2025a"), key_id="2025a"
    )
    new = run(
        table, {"id": [{"op": "pseudonymise"}]}, key=derive_key("s" * 32, "2026a"), key_id="2026a"
    )
    assert old.column("id")[0].as_py().startswith("2025a:")
    assert new.column("id")[0].as_py().startswith("2026a:")
    assert old.column("id")[0].as_py()[6:] != new.column("id")[0].as_py()[6:]


@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), min_size=1, max_size=20))
@settings(max_examples=50, deadline=None)
def test_encryption_round_trips(values: list[str | None]) -> None:
    out = run(pa.table({"v": pa.array(values, pa.string())}), {"v": [{"op": "encrypt"}]})
    tokens = out.column("v").to_pylist()
    assert all(t is None or t.startswith("enc:k1:") for t in tokens)
    assert decrypt_column(out.column("v"), keys={"k1": KEY}).to_pylist() == values


def test_tampered_or_foreign_ciphertext_is_refused() -> None:
    out = run(pa.table({"v": ["张三"]}), {"v": [{"op": "encrypt"}]})
    token = out.column("v")[0].as_py()
    # Flip one bit of the ciphertext itself (editing a base64 character can land in padding
    # bits that decode to the same bytes, so tamper with the decoded payload).
    prefix, _, payload = token.rpartition(":")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[len(raw) // 2] ^= 0x01
    forged = prefix + ":" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(ValidationFailed, match="fails authentication"):
        decrypt_column(pa.array([forged]), keys={"k1": KEY})
    with pytest.raises(ValidationFailed, match="fails authentication"):
        decrypt_column(pa.array([token]), keys={"k1": OTHER_KEY})
    with pytest.raises(ValidationFailed, match="key id 'k1'"):
        decrypt_column(pa.array([token]), keys={"k2": KEY})
    with pytest.raises(ValidationFailed, match="at least one key"):
        decrypt_column(pa.array([token]), keys={})
    with pytest.raises(ValidationFailed, match="not an encrypted token"):
        decrypt_column(pa.array(["张三"]), keys={"k1": KEY})


def test_generalisations_of_dates_numbers_divisions_addresses_and_points() -> None:
    table = pa.table(
        {
            "birth": pa.array([date(1983, 5, 31), date(2001, 1, 2)], pa.date32()),
            "birth_text": ["1983-05-31", "2001-01-02"],
            "age": [37, 64],
            "district": ["320102", "110105"],
            "address": ["示范市北塘区玉泉街道春江路8号", "福建省福州市永乐大道85号"],
            "lon": [118.8373, 116.4011],
        }
    )
    out = run(
        table,
        {
            "birth": [{"op": "generalise", "kind": "date", "to": "month"}],
            "birth_text": [{"op": "generalise", "kind": "date", "to": "decade"}],
            "age": [{"op": "generalise", "kind": "number", "width": 10}],
            "district": [{"op": "generalise", "kind": "division", "to": "prefecture"}],
            "address": [{"op": "generalise", "kind": "address", "to": "street"}],
            "lon": [{"op": "generalise", "kind": "coordinate", "cell": 0.01}],
        },
    )
    assert out.column("birth").to_pylist() == ["1983-05", "2001-01"]
    assert out.column("birth_text").to_pylist() == ["1980-1989", "2000-2009"]
    assert out.column("age").to_pylist() == ["[30, 40)", "[60, 70)"]
    assert out.column("district").to_pylist() == ["320100", "110100"]
    assert out.column("address").to_pylist() == ["示范市北塘区玉泉街道", "福建省福州市"]
    assert out.column("lon").to_pylist() == pytest.approx([118.835, 116.405])


def test_user_hierarchy_suppress_and_noise(tmp_path: Path) -> None:
    path = tmp_path / "education.csv"
    path.write_text("小学;义务教育;*\n初中;义务教育;*\n本科;高等教育;*\n", encoding="utf-8")
    table = pa.table({"edu": ["小学", "本科"], "hukou": ["a", "b"], "income": [5000, 8000]})
    out = run(
        table,
        {
            "edu": [
                {"op": "generalise", "kind": "hierarchy", "hierarchy_file": str(path), "level": 1}
            ],
            "hukou": [{"op": "suppress", "replacement": "***"}],
            "income": [{"op": "noise", "scale": 100, "seed": 7, "round_to": 10}],
        },
    )
    assert out.column("edu").to_pylist() == ["义务教育", "高等教育"]
    assert out.column("hukou").to_pylist() == ["***", "***"]
    noisy = out.column("income").to_pylist()
    assert out.column("income").type == pa.int64()
    assert noisy != [5000, 8000] and all(abs(a - b) < 2000 for a, b in zip(noisy, [5000, 8000]))
    missing = pa.table({"edu": ["博士"]})
    with pytest.raises(ValidationFailed, match="'博士' is not covered by hierarchy 'education'"):
        run(
            missing,
            {
                "edu": [
                    {
                        "op": "generalise",
                        "kind": "hierarchy",
                        "hierarchy_file": str(path),
                        "level": 1,
                    }
                ]
            },
        )


def test_operators_compose_in_order_and_lineage_is_recorded() -> None:
    table = pa.table({"birth": ["1983-05-31"], "name": ["欧阳娜娜"], "other": [1]})
    policy = DeidPolicy.from_yaml(
        """
columns:
  birth: [{op: generalise, kind: date, to: month}, {op: mask, keep_first: 4}]
  name: [{op: mask, keep_first: 1}]
"""
    )
    out = apply_policy(table, policy, key=KEY, key_id="k1")
    assert out.column("birth").to_pylist() == ["1983***"]
    assert out.column("name").to_pylist() == ["欧***"]
    assert out.column("other").to_pylist() == [1]
    info = lineage(out)
    assert info is not None
    assert info["key_id"] == "k1" and info["policy"] == policy.fingerprint()
    assert info["columns"] == {"birth": ["generalise", "mask"], "name": ["mask"]}
    assert lineage(table) is None


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            {"columns": {"nosuch": [{"op": "mask"}]}},
            "column 'nosuch', which the dataset does not have",
        ),
        ({"columns": {"name": [{"op": "scramble"}]}}, "unknown operator 'scramble'"),
        ({"columns": {"name": [{"keep_first": 1}]}}, "needs an 'op'"),
        ({"columns": {"name": [{"op": "mask", "keep_frist": 1}]}}, "keep_frist"),
        ({"columns": {"name": [{"op": "generalise", "kind": "date"}]}}, "needs 'to'"),
        (
            {"columns": {"name": [{"op": "generalise", "kind": "date", "to": "week"}]}},
            "month, year, decade",
        ),
        ({"columns": {"name": [{"op": "noise", "scale": 1}]}}, "needs a numeric column"),
        (
            {"columns": {"name": [{"op": "generalise", "kind": "date", "to": "year"}]}},
            "not an ISO date",
        ),
        (
            {"columns": {"code": [{"op": "generalise", "kind": "division", "to": "province"}]}},
            "'999999' is not in GB/T 2260",
        ),
        (
            {"columns": {"code": [{"op": "generalise", "kind": "number", "width": 5}]}},
            "needs numbers",
        ),
    ],
)
def test_bad_policies_are_refused_with_the_field_named(
    policy: dict[str, object], message: str
) -> None:
    table = pa.table({"name": ["张三"], "code": ["999999"]})
    with pytest.raises(ValidationFailed, match=re.escape(message)):
        apply_policy(table, DeidPolicy.parse(policy), key=KEY, key_id="k1")  # type: ignore[arg-type]


def test_bad_yaml_keys_and_key_ids_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        DeidPolicy.from_yaml("columns: [unclosed")
    with pytest.raises(ValidationFailed, match="'columns' key"):
        DeidPolicy.from_yaml("- just a list")
    table = pa.table({"name": ["张三"]})
    policy = DeidPolicy.parse({"columns": {"name": [{"op": "pseudonymise"}]}})
    with pytest.raises(ValidationFailed, match="at least 16 bytes"):
        apply_policy(table, policy, key=b"short", key_id="k1")
    with pytest.raises(ValidationFailed, match="key_id"):
        apply_policy(table, policy, key=KEY, key_id="bad id:")


def test_pseudonym_is_the_documented_hmac() -> None:
    import hashlib
    import hmac

    from citybase.privacy.operators import Keys

    out = run(
        pa.table({"id": ["320102198001010011", "张三"]}),
        {"id": [{"op": "pseudonymise", "length": 24}]},
    )
    secret = Keys.derive(KEY, "k1").pseudonym
    expected = [
        "k1:" + hmac.new(secret, v.encode(), hashlib.sha256).hexdigest()[:24]
        for v in ("320102198001010011", "张三")
    ]
    assert out.column("id").to_pylist() == expected


def reference_cut(address: str, level: str) -> str | None:
    """The rule, spelled out position by position (independent of the code under test)."""
    suffixes = {
        "city": ("市", "自治州", "盟", "地区"),
        "district": ("区", "县", "旗"),
        "street": ("街道", "镇", "乡"),
    }

    def end_after(kind: str, start: int) -> int:
        for end in range(start + 1, len(address) + 1):
            for s in suffixes[kind]:
                if end - len(s) >= start and address[end - len(s) : end] == s:
                    return end
        return -1

    city = end_after("city", 1)
    district = end_after("district", max(city, 1))
    street = end_after("street", max(district, city, 1))
    chain = {"street": [street, district, city], "district": [district, city], "city": [city]}
    return next((address[:e] for e in chain[level] if e >= 0), None)


@given(st.text(alphabet="示范市北塘区街道镇乡县旗州自治盟地路8号a", max_size=16))
@settings(max_examples=300, deadline=None)
def test_address_cut_follows_the_rule(address: str) -> None:
    from citybase.privacy.hierarchies import address_prefix

    for level in ("street", "district", "city"):
        expected = reference_cut(address, level)
        assert address_prefix(address, level) == expected
        out = run(
            pa.table({"a": [address]}),
            {"a": [{"op": "generalise", "kind": "address", "to": level}]},
        )
        assert out.column("a")[0].as_py() == expected


def test_address_cut_handles_missing_values_and_sliced_columns() -> None:
    column = pa.chunked_array(
        [["先", "示范市北塘区玉泉街道春江路8号"], [None, "无名路", "江苏省镇江市京口区正东路"]]
    )
    table = pa.table({"a": column}).slice(1)
    out = run(table, {"a": [{"op": "generalise", "kind": "address", "to": "street"}]})
    assert out.column("a").to_pylist() == ["示范市北塘区玉泉街道", None, None, "江苏省镇江市京口区"]
