"""Retraining from corrections, the model file's reuse and invalidation, bad training data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from citybase.errors import ValidationFailed
from citybase.ops import classifier
from citybase.ops.classifier import model as model_module
from citybase.ops.classifier.history import load_history
from citybase.settings import Settings

NOVEL = "共享自习室的座位被人用书本长期霸占"
CORRECTIONS = [
    "自习室的座位被人用书占着不走",
    "共享自习室有人用书本霸占座位好几天",
    "自习室座位被人长期占座，用书本占着",
    "图书馆自习室霸占座位的人太多了",
    "有人在自习室用书本占座一整天不来",
]


def small_history() -> list[tuple[str, str]]:
    return list(load_history())[::6]  # every category, ~2,000 texts: trains in a few seconds


@pytest.fixture
def settings(tmp_path: Path, fresh_cache: None) -> Settings:
    return Settings(data_dir=tmp_path)


def test_corrections_change_a_prediction_and_become_current(settings: Settings) -> None:
    base = classifier.train(small_history(), settings=settings)
    before = base.classify([NOVEL])[0][0].category
    target = "GREENERY" if before != "GREENERY" else "TRAFFIC"
    extra = [(t, target) for t in CORRECTIONS]
    retrained = classifier.train(small_history() + extra, settings=settings)
    assert retrained.key != base.key
    assert retrained.classify([NOVEL])[0][0].category == target
    # the retrained model is the current one, also for the next process
    classifier.clear_cache()
    again = classifier.get_classifier(settings)
    assert again.key == retrained.key
    assert again.classify([NOVEL])[0][0].category == target


def test_model_file_is_reused_and_invalidated_by_a_data_change(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = small_history()
    first = classifier.train(history, settings=settings)
    assert first.path is not None and first.path.is_file()
    stamp = first.path.stat().st_mtime_ns

    calls: list[int] = []
    real_fit = model_module.fit

    def counting_fit(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real_fit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(model_module, "fit", counting_fit)
    classifier.clear_cache()
    same = classifier.train(history, settings=settings)  # same data: the file is loaded
    assert calls == [] and same.key == first.key and first.path.stat().st_mtime_ns == stamp
    changed = classifier.train(
        [*history, ("楼下的路灯坏了三天了", "MUNICIPAL_FACILITY")], settings=settings
    )
    assert calls == [1] and changed.key != first.key
    assert changed.path is not None and changed.path != first.path and changed.path.is_file()


def test_model_file_holds_no_pickle(settings: Settings) -> None:
    clf = classifier.train(small_history(), settings=settings)
    assert clf.path is not None
    with np.load(clf.path, allow_pickle=False) as data:  # raises if anything needed pickle
        assert set(data.files) >= {"weights", "bias", "idf", "vocabulary", "categories", "meta"}
        assert data["weights"].shape == (len(data["vocabulary"]), len(data["categories"]))


def test_damaged_current_model_falls_back_to_the_history(
    settings: Settings, tmp_path: Path
) -> None:
    # a city taxonomy with three categories: the shipped history is filtered to them
    taxonomy = tmp_path / "cats.yaml"
    taxonomy.write_text(
        yaml.safe_dump(
            {
                "categories": [
                    {"code": "NOISE", "name_zh": "噪声", "keywords": ["噪音"]},
                    {"code": "SANITATION", "name_zh": "环卫", "keywords": ["垃圾"]},
                    {"code": "TRAFFIC", "name_zh": "交通", "keywords": ["违停"]},
                ]
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    clf = classifier.get_classifier(settings, categories_path=taxonomy)
    assert clf.categories == ["NOISE", "SANITATION", "TRAFFIC"]
    got = clf.classify(["楼下垃圾桶满了没人收", "广场舞音响太吵"], top=3)
    assert [c[0].category for c in got] == ["SANITATION", "NOISE"]
    assert all(len(c) == 3 for c in got)
    # damage the model file: the next process trains again instead of failing
    assert clf.path is not None
    clf.path.write_bytes(b"not a model")
    classifier.clear_cache()
    again = classifier.get_classifier(settings, categories_path=taxonomy)
    assert again.classify(["广场舞音响太吵"])[0][0].category == "NOISE"


def test_bad_training_data_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="NOT_A_CODE"):
        classifier.train([("某个投诉", "NOT_A_CODE"), ("另一个", "NOISE")], settings=settings)
    with pytest.raises(ValidationFailed, match="two categories"):
        classifier.train([("一个", "NOISE"), ("两个", "NOISE")], settings=settings)
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: []\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="categories"):
        classifier.get_classifier(settings, categories_path=bad)


def test_classify_arguments(settings: Settings) -> None:
    clf = classifier.train(small_history(), settings=settings)
    assert clf.classify([]) == []
    with pytest.raises(ValidationFailed):
        clf.classify(["x"], top=0)
    one = clf.classify(["", "？？？"], top=2)  # empty texts still get an answer
    assert all(len(c) == 2 for c in one)
    with pytest.raises(TypeError):
        clf.classify("一个字符串而不是列表")  # type: ignore[arg-type]
