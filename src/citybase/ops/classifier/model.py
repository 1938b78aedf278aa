"""The trained model: multinomial logistic regression over TF-IDF n-grams.

Training uses scikit-learn (imported only when training). The trained weights, idf and
vocabulary are stored in one numpy ``.npz`` file (loaded with ``allow_pickle=False``: no
pickle, so a model file cannot run code), named by a hash of everything it was trained from.
Inference is numpy only.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from citybase.errors import ValidationFailed
from citybase.ops.classifier.candidate import Candidate
from citybase.ops.classifier.features import (
    FEATURE_VERSION,
    Tokenizer,
    Vectorizer,
    grams,
    sparse_dot,
)
from citybase.ops.classifier.taxonomy import Category

#: Inverse regularisation strength of the logistic regression (chosen on split-by-core fold 1
#: and our held-out set: 2 beat 5, 20 and 60 on both).
C_REGULARISATION = 2.0
#: Logits are divided by this before the softmax: fitted on split-by-core fold 3 (texts of
#: unseen cores), where it gives near-minimal log-loss and a first candidate with confidence
#: ≥ 0.8 is right about 90 % of the time (docs/ops-classifier.md).
TEMPERATURE = 0.5
MODEL_VERSION = f"{FEATURE_VERSION}|lr-C{C_REGULARISATION}|T{TEMPERATURE}"


class Classifier:
    """A trained classifier. ``classify`` is thread-safe (read-only state)."""

    def __init__(
        self,
        *,
        categories: Sequence[str],
        vectorizer: Vectorizer,
        weights: np.ndarray,
        bias: np.ndarray,
        key: str,
        info: dict[str, object],
    ) -> None:
        self.categories: list[str] = list(categories)
        self.vectorizer = vectorizer
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.key = key
        self.info = info
        self.path: Path | None = None

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), len(categories)) raw scores of the logistic regression."""
        if isinstance(texts, str):
            raise TypeError("classify() takes a sequence of texts, not one string")
        if not texts:
            return np.zeros((0, len(self.categories)), dtype=np.float32)
        return sparse_dot(self.vectorizer.transform(texts), self.weights, self.bias)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), len(categories)) softmax probabilities."""
        logits = self.logits(texts)
        logits /= TEMPERATURE
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits

    def classify(self, texts: Sequence[str], top: int = 3) -> list[list[Candidate]]:
        """For every text its ``top`` most probable categories, best first."""
        if top < 1:
            raise ValidationFailed("top must be at least 1", field="top")
        probs = self.probabilities(texts)
        k = min(top, len(self.categories))
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        cats = self.categories
        return [
            [Candidate(cats[j], round(float(row[j]), 4)) for j in idx]
            for row, idx in zip(probs, order, strict=True)
        ]

    # --- persistence ----------------------------------------------------------------------

    def save(self, directory: Path) -> Path:
        """Write ``model-<key>.npz`` atomically into ``directory``; returns its path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"model-{self.key}.npz"
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".npz.tmp")
        os.close(fd)
        try:
            with open(tmp, "wb") as fh:
                np.savez_compressed(
                    fh,
                    weights=self.weights,
                    bias=self.bias,
                    idf=self.vectorizer.idf,
                    vocabulary=np.array(self.vectorizer.vocabulary, dtype=np.str_),
                    categories=np.array(self.categories, dtype=np.str_),
                    meta=np.array(json.dumps({"key": self.key, **self.info}, ensure_ascii=False)),
                )
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.path = path
        return path

    @classmethod
    def load(cls, path: Path, tokenizer: Tokenizer) -> Classifier:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            vectorizer = Vectorizer([str(v) for v in data["vocabulary"]], data["idf"], tokenizer)
            model = cls(
                categories=[str(c) for c in data["categories"]],
                vectorizer=vectorizer,
                weights=data["weights"],
                bias=data["bias"],
                key=str(meta.pop("key")),
                info=meta,
            )
        model.path = path
        return model


def training_key(examples: Sequence[tuple[str, str]], categories: Sequence[Category]) -> str:
    """A hash of the examples, the categories (with keywords) and the model version."""
    h = hashlib.sha256(MODEL_VERSION.encode())
    for c in categories:
        h.update(f"\x1e{c.code}\x1f{'|'.join(c.keywords)}".encode())
    h.update(b"\x1d")
    for text, code in examples:
        h.update(f"{code}\x1f{text}\x1e".encode())
    return h.hexdigest()[:20]


def fit(
    examples: Sequence[tuple[str, str]],
    categories: Sequence[Category],
    tokenizer: Tokenizer,
    *,
    key: str | None = None,
) -> Classifier:
    """Train on ``examples`` ((text, category code) pairs) over ``categories``."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    codes = [c.code for c in categories]
    position = {c: i for i, c in enumerate(codes)}
    unknown = sorted({code for _, code in examples if code not in position})
    if unknown:
        raise ValidationFailed(
            f"training examples use categories not in the taxonomy: {', '.join(unknown[:10])}",
            field="category",
        )
    labels = np.array([position[code] for _, code in examples])
    present = sorted(set(labels.tolist()))
    if len(present) < 2:
        raise ValidationFailed(
            "training needs examples of at least two categories", field="examples"
        )
    started = time.perf_counter()
    docs = [grams(text, tokenizer) for text, _ in examples]
    vectorizer = Vectorizer.fit(docs, tokenizer)
    indptr, indices, values = vectorizer.transform_docs(docs)
    matrix = csr_matrix((values, indices, indptr), shape=(len(docs), len(vectorizer.vocabulary)))
    lr = LogisticRegression(C=C_REGULARISATION, max_iter=300, tol=1e-3)
    with threadpool_limits(1):  # BLAS threads only contend on a shared machine
        lr.fit(matrix, labels)
    # Categories without a single example get a weight column of zeros and a very low bias:
    # they stay in the list (the taxonomy is the list) but are never proposed first.
    weights = np.zeros((len(vectorizer.vocabulary), len(codes)), dtype=np.float32)
    bias = np.full(len(codes), -30.0, dtype=np.float32)
    classes = [int(c) for c in lr.classes_]
    coef = lr.coef_ if len(classes) > 2 else np.vstack([-lr.coef_[0], lr.coef_[0]]) / 2
    intercept = lr.intercept_ if len(classes) > 2 else np.array([-1, 1]) * lr.intercept_[0] / 2
    for row, cls_index in enumerate(classes):
        weights[:, cls_index] = coef[row]
        bias[cls_index] = intercept[row]
    per_category = {codes[i]: int((labels == i).sum()) for i in present}
    info: dict[str, object] = {
        "model_version": MODEL_VERSION,
        "examples": len(examples),
        "features": len(vectorizer.vocabulary),
        "per_category": per_category,
        "train_seconds": round(time.perf_counter() - started, 2),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return Classifier(
        categories=codes,
        vectorizer=vectorizer,
        weights=weights,
        bias=bias,
        key=key or training_key(examples, categories),
        info=info,
    )
