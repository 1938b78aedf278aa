"""City-event text classifier for 一网统管 dispatch: text → top categories with confidence.

    from citybase.ops.classifier import get_classifier, Candidate, train, load_history

    clf = get_classifier(settings)            # cached per process; trains on first use
    clf.classify(["楼下烧烤店油烟熏得没法开窗"])  # → [[Candidate("AIR_POLLUTION", 0.93), ...]]
    train(chain(load_history(), corrections), settings=settings)   # retrain; becomes current

Categories come from the city's ``event_categories.yaml`` (``settings.effective_taxonomy_dir``
or an explicit ``categories_path``). The model is stored in ``<data_dir>/ops-classifier/``.
Nothing heavy is imported here: jieba and scikit-learn load on first use.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from citybase.ops.classifier.candidate import Candidate
from citybase.ops.classifier.history import load_history

if TYPE_CHECKING:
    from citybase.ops.classifier.model import Classifier
    from citybase.settings import Settings

__all__ = ["Candidate", "Classifier", "get_classifier", "load_history", "model_dir", "train"]

_lock = threading.Lock()
_cache: dict[tuple[str, str], Classifier] = {}
_HISTORY_MODELS: dict[str, Classifier] = {}  # by training key: the shipped history's models
CURRENT = "current.json"


def __getattr__(name: str) -> object:
    if name == "Classifier":  # numpy-heavy: imported on first use
        from citybase.ops.classifier.model import Classifier

        return Classifier
    raise AttributeError(name)


def model_dir(settings: Settings) -> Path:
    return settings.data_dir / "ops-classifier"


def _categories_path(settings: Settings, categories_path: Path | None) -> Path:
    from citybase.ops.classifier.taxonomy import default_categories_path

    return categories_path or default_categories_path(settings)


def get_classifier(settings: Settings, *, categories_path: Path | None = None) -> Classifier:
    """The current classifier for this data directory and taxonomy, cached per process.

    The current model is the last one :func:`train` made (``current.json``) if it was trained
    over the same categories; otherwise the model of the shipped history, loaded from its
    file if one with the same training-data hash exists, else trained now and saved."""
    path = _categories_path(settings, categories_path)
    cache_key = (str(model_dir(settings).resolve()), str(path.resolve()))
    with _lock:
        cached = _cache.get(cache_key)
        if cached is not None:
            return cached
        clf = _current(settings, path) or _from_history(settings, path)
        _cache[cache_key] = clf
        return clf


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def train(
    examples: Iterable[tuple[str, str]],
    *,
    settings: Settings,
    categories_path: Path | None = None,
) -> Classifier:
    """Train on ``examples`` (e.g. the history plus dispatchers' corrections), save the model
    and make it the current one for this data directory (this process and the next)."""
    from citybase.ops.classifier.features import Tokenizer
    from citybase.ops.classifier.model import Classifier, fit, training_key
    from citybase.ops.classifier.taxonomy import load_categories

    path = _categories_path(settings, categories_path)
    categories = load_categories(path)
    data = [(t, c) for t, c in examples if t.strip()]
    key = training_key(data, categories)
    directory = model_dir(settings)
    tokenizer = Tokenizer(w for c in categories for w in c.keywords)
    target = directory / f"model-{key}.npz"
    clf = Classifier.load(target, tokenizer) if target.is_file() else None
    if clf is None:
        clf = fit(data, categories, tokenizer, key=key)
        clf.save(directory)
    _write_current(directory, key, [c.code for c in categories])
    with _lock:
        _cache[(str(directory.resolve()), str(path.resolve()))] = clf
    return clf


def _write_current(directory: Path, key: str, codes: list[str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".json.tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"model": f"model-{key}.npz", "categories": codes}, fh)
    os.replace(tmp, directory / CURRENT)


def _current(settings: Settings, path: Path) -> Classifier | None:
    from citybase.ops.classifier.features import Tokenizer
    from citybase.ops.classifier.model import Classifier
    from citybase.ops.classifier.taxonomy import load_categories

    pointer = model_dir(settings) / CURRENT
    try:
        current = json.loads(pointer.read_text(encoding="utf-8"))
        model_file = model_dir(settings) / str(current["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    categories = load_categories(path)
    if current.get("categories") != [c.code for c in categories] or not model_file.is_file():
        return None
    try:
        return Classifier.load(model_file, Tokenizer(w for c in categories for w in c.keywords))
    except (OSError, ValueError, KeyError):
        return None


def _from_history(settings: Settings, path: Path) -> Classifier:
    from citybase.ops.classifier.features import Tokenizer
    from citybase.ops.classifier.model import Classifier, fit, training_key
    from citybase.ops.classifier.taxonomy import load_categories

    categories = load_categories(path)
    codes = {c.code for c in categories}
    # The shipped history may know categories a city dropped: train on the ones it has.
    data = [(t, c) for t, c in load_history() if c in codes]
    key = training_key(data, categories)
    tokenizer = Tokenizer(w for c in categories for w in c.keywords)
    target = model_dir(settings) / f"model-{key}.npz"
    if target.is_file():
        try:
            return Classifier.load(target, tokenizer)
        except (OSError, ValueError, KeyError):
            pass  # a damaged file: train again and overwrite it
    # Another data directory of this process may have trained on the same data already
    # (tests, several cities in one process): the model is a pure function of the key.
    clf = _HISTORY_MODELS.get(key)
    if clf is None:
        clf = fit(data, categories, tokenizer, key=key)
        _HISTORY_MODELS[key] = clf
    clf.save(model_dir(settings))
    return clf
