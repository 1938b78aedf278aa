"""Quality rules against hand-counted expectations, and the SQL check-character rules
against the pure-Python validators in ``citybase.identifiers``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citybase.datahub.quality import run_rules
from citybase.datahub.types import QualityRule
from citybase.errors import ValidationFailed
from citybase.identifiers.idcard import generate_id_number, is_valid_id_number
from citybase.identifiers.luhn import luhn_check_digit, luhn_valid
from citybase.identifiers.uscc import generate_uscc, is_valid_uscc

RNG = np.random.default_rng(2021)
ID_OK = generate_id_number(RNG, "110105", dt.date(1949, 12, 31))  # valid 18-digit number
ID_BAD = ID_OK[:17] + ("0" if ID_OK[17] != "0" else "1")  # wrong check character
ID_OLD = "110105491231002"  # valid pre-1999 15-digit number
USCC_N = generate_uscc(RNG, "320102", "N2")  # village collective: starts with a letter
USCC_91 = generate_uscc(RNG, "110105", "91")

ROWS: list[dict[str, Any]] = [
    {
        "id": ID_OK,
        "phone": "13812345678",
        "sex": "男",
        "age": 30,
        "born": dt.date(1994, 1, 1),
        "org": USCC_91,
        "card": "4111 1111 1111 1111",
        "district": "朝阳区",
        "seen": dt.datetime(2024, 5, 30, 12),
    },
    {
        "id": ID_BAD,
        "phone": "12345",
        "sex": "女",
        "age": -1,
        "born": dt.date(1850, 1, 1),
        "org": USCC_N,
        "card": "4111111111111112",
        "district": "海淀区",
        "seen": None,
    },
    {
        "id": ID_OLD,
        "phone": None,
        "sex": "未知",
        "age": 200,
        "born": None,
        "org": USCC_91[:17] + ("0" if USCC_91[17] != "0" else "1"),
        "card": None,
        "district": "不存在区",
        "seen": dt.datetime(2024, 5, 1),
    },
    {
        "id": ID_OK,
        "phone": "  ",
        "sex": None,
        "age": 45,
        "born": dt.date(1979, 6, 1),
        "org": None,
        "card": "79927398713",
        "district": "朝阳区",
        "seen": None,
    },
    {
        "id": None,
        "phone": "19912345678",
        "sex": "男",
        "age": None,
        "born": dt.date(2001, 2, 3),
        "org": "not-a-code",
        "card": "abc",
        "district": None,
        "seen": None,
    },
]


@pytest.fixture
def roster(work: Path) -> Path:
    path = work / "out" / "roster.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    return path


@pytest.fixture
def districts(work: Path) -> Path:
    path = work / "out" / "districts.parquet"
    pq.write_table(pa.table({"name": ["朝阳区", "海淀区", "东城区", None]}), path)
    return path


def one(path: Path, rule: QualityRule, **kw: Any) -> Any:
    report = run_rules(path, [rule], **kw)
    (result,) = report.results
    assert report.score == result.score
    return result


def test_not_null_counts_null_and_blank(roster: Path) -> None:
    r = one(roster, QualityRule(kind="not_null", column="phone"))
    assert (r.checked, r.failed) == (5, 2)  # None and "  "
    assert r.score == 0.6
    assert [s["row"] for s in r.samples] == [3, 4]
    assert r.message == "2 of 5 rows have no phone"


def test_unique_reports_every_row_sharing_a_value(roster: Path) -> None:
    r = one(roster, QualityRule(kind="unique", column="id"))
    assert (r.checked, r.failed) == (4, 2)  # nulls are not checked
    assert r.samples == [{"row": 1, "id": ID_OK}, {"row": 4, "id": ID_OK}]
    assert "1 values are duplicated" in r.message


def test_regex_is_a_full_match(roster: Path) -> None:
    r = one(roster, QualityRule(kind="regex", column="phone", params={"pattern": r"1[3-9]\d{9}"}))
    assert (r.checked, r.failed) == (4, 2)  # "12345" and "  "
    anchored = one(
        roster, QualityRule(kind="regex", column="phone", params={"pattern": r"^1[3-9]\d{9}$"})
    )
    assert anchored.failed == 2
    assert (
        one(roster, QualityRule(kind="regex", column="age", params={"pattern": r"\d+"})).failed == 1
    )  # "-1"


def test_allowed_values_in_the_column_type(roster: Path) -> None:
    r = one(
        roster, QualityRule(kind="allowed_values", column="sex", params={"values": ["男", "女"]})
    )
    assert (r.checked, r.failed) == (4, 1)
    assert r.samples == [{"row": 3, "sex": "未知"}]
    ages = one(
        roster, QualityRule(kind="allowed_values", column="age", params={"values": [30, "45"]})
    )
    assert (ages.checked, ages.failed) == (4, 2)


def test_range_on_numbers_and_dates(roster: Path) -> None:
    r = one(roster, QualityRule(kind="range", column="age", params={"min": 0, "max": 150}))
    assert (r.checked, r.failed) == (4, 2)
    assert [s["row"] for s in r.samples] == [2, 3]
    born = one(
        roster,
        QualityRule(kind="range", column="born", params={"min": "1900-01-01", "max": "2024-12-31"}),
    )
    assert (born.checked, born.failed) == (4, 1)
    only_max = one(roster, QualityRule(kind="range", column="age", params={"max": 40}))
    assert only_max.failed == 2


def test_reference_to_another_dataset(roster: Path, districts: Path) -> None:
    rule = QualityRule(
        kind="reference", column="district", params={"dataset": "districts", "column": "name"}
    )
    r = one(roster, rule, references={("districts", "name"): districts})
    assert (r.checked, r.failed) == (4, 1)
    assert r.samples == [{"row": 3, "district": "不存在区"}]
    assert r.message == "1 of 4 values are not found in districts.name"


def test_checksum_schemes(roster: Path) -> None:
    ids = one(roster, QualityRule(kind="checksum", column="id", params={"scheme": "gb11643"}))
    assert (ids.checked, ids.failed) == (4, 1) and ids.samples == [{"row": 2, "id": ID_BAD}]
    orgs = one(roster, QualityRule(kind="checksum", column="org", params={"scheme": "gb32100"}))
    assert (orgs.checked, orgs.failed) == (4, 2)  # the N-code passes
    assert [s["row"] for s in orgs.samples] == [3, 5]
    cards = one(roster, QualityRule(kind="checksum", column="card", params={"scheme": "luhn"}))
    assert (cards.checked, cards.failed) == (4, 2)  # spaces are ignored
    assert [s["row"] for s in cards.samples] == [2, 5]


def test_freshness_on_a_column_and_on_the_load_time(work: Path) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    path = work / "out" / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "seen": [now - dt.timedelta(days=9), now - dt.timedelta(days=2), None],
                "day": [dt.date.today() - dt.timedelta(days=40)] * 3,
            }
        ),
        path,
    )
    fresh = one(path, QualityRule(kind="freshness", column="seen", params={"max_age_days": 3}))
    assert (fresh.checked, fresh.failed, fresh.score) == (1, 0, 1.0)
    assert fresh.message.startswith("fresh: newest seen") and "2.0 days ago" in fresh.message
    stale = one(path, QualityRule(kind="freshness", column="day", params={"max_age_days": 30}))
    assert (stale.failed, stale.score) == (1, 0.0)
    assert "40.0 days ago (allowed 30 days)" in stale.message
    recent = one(
        path,
        QualityRule(kind="freshness", params={"max_age_days": 1}),
        loaded_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3),
    )
    assert recent.failed == 0
    old = one(
        path,
        QualityRule(kind="freshness", params={"max_age_days": 1}),
        loaded_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3),
    )
    assert old.failed == 1
    unknown = one(path, QualityRule(kind="freshness", params={"max_age_days": 1}))
    assert unknown.failed == 1 and "load time is unknown" in unknown.message


def test_report_score_is_the_mean_and_blocking_failures(roster: Path) -> None:
    report = run_rules(
        roster,
        [
            QualityRule(kind="not_null", column="phone", blocking=True),  # 0.6
            QualityRule(kind="allowed_values", column="sex", params={"values": ["男", "女"]}),
        ],
    )
    assert report.score == pytest.approx((0.6 + 0.75) / 2)
    assert [r.rule.column for r in report.blocking_failures] == ["phone"]
    assert run_rules(roster, []).score == 1.0


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (
            QualityRule(name="phone ok", kind="regex", column="mobile", params={"pattern": "x"}),
            ["'phone ok'", "'mobile'", "not in the dataset"],
        ),
        (
            QualityRule(kind="regex", column="phone", params={"pattern": "(("}),
            ["not a valid regular expression"],
        ),
        (QualityRule(kind="regex", column="phone"), ["params.pattern"]),
        (QualityRule(kind="range", column="age", params={}), ["min, max"]),
        (QualityRule(kind="range", column="born", params={"min": "yesterday"}), ["does not fit"]),
        (
            QualityRule(kind="allowed_values", column="age", params={"values": ["x"]}),
            ["do not all fit"],
        ),
        (QualityRule(kind="checksum", column="id", params={"scheme": "md5"}), ["gb11643"]),
        (
            QualityRule(
                kind="reference",
                column="district",
                params={"dataset": "districts", "column": "name"},
            ),
            ["was not provided"],
        ),
        (
            QualityRule(kind="freshness", column="sex", params={"max_age_days": 3}),
            ["date or timestamp"],
        ),
        (QualityRule(kind="unique"), ["needs a column"]),
    ],
)
def test_bad_rules_are_refused_naming_the_rule(
    roster: Path, rule: QualityRule, words: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        run_rules(roster, [QualityRule(kind="not_null", column="id"), rule])
    assert all(w in caught.value.message for w in words), caught.value.message
    assert caught.value.field is not None and caught.value.field.startswith("rules[1]")


def test_rules_on_a_large_file_use_one_scan(work: Path) -> None:
    n = 200_000
    path = work / "out" / "big.parquet"
    ids = [
        generate_id_number(RNG, "320102", dt.date(1990, 1, 1) + dt.timedelta(days=i % 9000))
        for i in range(2000)
    ] * (n // 2000)
    pq.write_table(pa.table({"id": ids}), path)
    report = run_rules(
        path,
        [
            QualityRule(kind="checksum", column="id", params={"scheme": "gb11643"}),
            QualityRule(kind="unique", column="id"),
        ],
    )
    checksum, unique = report.results
    assert (checksum.checked, checksum.failed) == (n, 0)
    assert (unique.checked, unique.failed) == (n, n)
    assert len(unique.samples) == 5


# --- SQL check characters agree with the Python validators --------------------------------

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@st.composite
def id_like(draw: st.DrawFn) -> str:
    base = generate_id_number(
        np.random.default_rng(draw(st.integers(0, 2**32))),
        draw(st.sampled_from(["110105", "320102", "440305", "650102", "110101"])),
        draw(st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31))),
    )
    kind = draw(
        st.sampled_from(
            [
                "valid",
                "digit",
                "check",
                "date",
                "area",
                "legacy",
                "lower",
                "fullwidth",
                "spaced",
                "random",
                "short",
            ]
        )
    )
    if kind == "digit":
        i = draw(st.integers(0, 16))
        return base[:i] + str((int(base[i]) + draw(st.integers(1, 9))) % 10) + base[i + 1 :]
    if kind == "check":
        return base[:17] + draw(st.sampled_from("0123456789Xx"))
    if kind == "date":
        return base[:10] + draw(st.sampled_from(["0230", "1301", "0000", "0431"])) + base[14:]
    if kind == "area":
        return draw(st.sampled_from(["000000", "999999", "110199"])) + base[6:]
    if kind == "legacy":
        return base[:6] + base[8:17]
    if kind == "lower":
        return base.lower()
    if kind == "fullwidth":
        return base.translate(FULL_WIDTH)
    if kind == "spaced":
        return base[:6] + " " + base[6:14] + "\u3000" + base[14:]
    if kind == "random":
        return draw(st.text("0123456789Xx -", min_size=14, max_size=19))
    if kind == "short":
        return base[: draw(st.integers(0, 17))]
    return base


@st.composite
def uscc_like(draw: st.DrawFn) -> str:
    rng = np.random.default_rng(draw(st.integers(0, 2**32)))
    base = generate_uscc(
        rng,
        draw(st.sampled_from(["110105", "320102"])),
        draw(st.sampled_from(["91", "92", "N2", "Y1", "A1", "12", "51"])),
    )
    kind = draw(st.sampled_from(["valid", "char", "hyphen", "lower", "letter", "random"]))
    if kind == "char":
        i = draw(st.integers(0, 17))
        return (
            base[:i] + draw(st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV")) + base[i + 1 :]
        )
    if kind == "hyphen":
        return base[:8] + "-" + base[8:]
    if kind == "lower":
        return base.lower()
    if kind == "letter":
        return draw(st.sampled_from("BCDEFZ")) + base[1:]
    if kind == "random":
        return draw(st.text("0123456789ABCDNY", min_size=17, max_size=19))
    return base


@st.composite
def card_like(draw: st.DrawFn) -> str:
    payload = draw(st.text("0123456789", min_size=1, max_size=18))
    number = payload + luhn_check_digit(payload)
    kind = draw(st.sampled_from(["valid", "grouped", "digit", "random"]))
    if kind == "grouped":
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4)).replace(" ", "-", 1)
    if kind == "digit":
        i = draw(st.integers(0, len(number) - 1))
        return number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
    if kind == "random":
        return draw(st.text("0123456789 -a", min_size=0, max_size=8))
    return number


def sql_verdicts(tmp: Path, values: list[str], scheme: str) -> list[bool]:
    path = tmp / f"{scheme}.parquet"
    pq.write_table(pa.table({"v": pa.array(values, pa.string())}), path)
    (result,) = run_rules(
        path,
        [QualityRule(kind="checksum", column="v", params={"scheme": scheme})],
        sample_size=len(values),
    ).results
    failing = {s["row"] for s in result.samples}
    assert result.failed == len(failing)
    return [i + 1 not in failing for i in range(len(values))]


CROSS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@CROSS
@given(values=st.lists(id_like(), min_size=1, max_size=40))
def test_gb11643_sql_matches_python(work: Path, values: list[str]) -> None:
    assert sql_verdicts(work, values, "gb11643") == [is_valid_id_number(v) for v in values]


@CROSS
@given(values=st.lists(uscc_like(), min_size=1, max_size=40))
def test_gb32100_sql_matches_python(work: Path, values: list[str]) -> None:
    assert sql_verdicts(work, values, "gb32100") == [is_valid_uscc(v) for v in values]


@CROSS
@given(values=st.lists(card_like(), min_size=1, max_size=40))
def test_luhn_sql_matches_python(work: Path, values: list[str]) -> None:
    assert sql_verdicts(work, values, "luhn") == [luhn_valid(v) for v in values]
