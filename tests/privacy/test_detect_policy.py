"""Grading policy: default grades, a city's own file, refusals, 就高从严."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from citybase.errors import ValidationFailed
from citybase.privacy.policy import PII_TYPES, Grade, dataset_grade, grade_for, load_policy


def test_default_policy_grades_sensitive_information_highest() -> None:
    policy = load_policy()
    assert grade_for("CN_ID_CARD") == Grade("general", 4)
    assert grade_for("CN_ID_CARD").label == "一般-4级"
    assert policy.is_sensitive("CN_ID_CARD") and policy.is_sensitive("BANK_CARD")
    assert policy.is_sensitive("GPS_COORDINATE")
    assert not policy.is_sensitive("CN_MOBILE") and not policy.is_sensitive(None)
    assert grade_for(None) == Grade("general", 1)
    for pii_type in PII_TYPES:  # detection never yields core or important
        assert grade_for(pii_type).name == "general"


def test_dataset_takes_the_highest_grade_and_only_stewards_set_core() -> None:
    grades = [Grade("general", 1), Grade("general", 3), Grade("general", 2)]
    assert dataset_grade(grades) == Grade("general", 3)
    assert dataset_grade([]) == Grade("general", 1)
    assert dataset_grade(grades, steward_grade=Grade("important")) == Grade("important")
    assert dataset_grade([Grade("core")], steward_grade=Grade("important")) == Grade("core")
    assert Grade.parse("重要") == Grade("important")
    assert Grade.parse("一般-2级") == Grade("general", 2)
    with pytest.raises(ValidationFailed, match="not a grade"):
        Grade.parse("secret")
    with pytest.raises(ValidationFailed, match="level 1-4"):
        Grade("general", 5)


def _write(tmp_path: Path, types: dict[str, object]) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({"types": types}, allow_unicode=True), encoding="utf-8")
    return path


def _all_general(level: int = 2) -> dict[str, object]:
    return {t: {"grade": "general", "level": level, "sensitive": False} for t in PII_TYPES}


def test_a_city_policy_replaces_the_default(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, _all_general(2)))
    assert policy.grade_for("CN_ID_CARD") == Grade("general", 2)
    assert not policy.is_sensitive("CN_ID_CARD")


def test_a_policy_cannot_assign_core_or_important(tmp_path: Path) -> None:
    types = _all_general()
    types["CN_ID_CARD"] = {"grade": "important"}
    with pytest.raises(ValidationFailed, match="designated by data stewards") as err:
        load_policy(_write(tmp_path, types))
    assert err.value.field == "types.CN_ID_CARD"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SSN": {"grade": "general", "level": 2}}, "unknown PII type"),
        ({"EMAIL": None}, "expected a mapping"),
        ({"EMAIL": {"grade": "general", "level": 7}}, "level 1-4"),
        ({"EMAIL": {"grade": "general", "level": 2, "sensitive": "yes"}}, "true or false"),
    ],
)
def test_bad_policies_are_refused_with_the_entry_named(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    types = _all_general()
    types.update(change)
    with pytest.raises(ValidationFailed, match=message):
        load_policy(_write(tmp_path, types))


def test_missing_types_unreadable_and_invalid_files_are_refused(tmp_path: Path) -> None:
    types = _all_general()
    del types["PASSPORT"]
    with pytest.raises(ValidationFailed, match="no grade for PASSPORT"):
        load_policy(_write(tmp_path, types))
    with pytest.raises(ValidationFailed, match="cannot read"):
        load_policy(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("types: [unclosed", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        load_policy(bad)
