"""Text → sparse TF-IDF features: character 1–3-grams plus jieba word 1–2-grams.

Pure Python + numpy; jieba is imported on first use (its dictionary takes ~1 s to load), with
a private ``jieba.Tokenizer`` so other domains' use of jieba is unaffected. The category
keywords of the city's taxonomy are added to that tokenizer's dictionary, so a trade word such
as 泥头车 stays one word.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

FEATURE_VERSION = "char1-3+word1-2.binary.v4"

_SPLIT = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
_DIGITS = re.compile(r"[0-9]+")


def normalise(text: str) -> str:
    """NFKC, lower case, every run of digits → one '0' (house numbers, phone numbers, times)."""
    return _DIGITS.sub("0", unicodedata.normalize("NFKC", text).lower())


class Tokenizer:
    """jieba's dictionary segmentation (its DAG and most probable route, without the HMM),
    with a jieba dictionary of its own, loaded lazily, plus the taxonomy's keywords.

    The route is the one ``jieba.Tokenizer.cut(text, HMM=False)`` takes; it is computed here
    in one function over a segment of letters and digits (no punctuation), which is about
    twice as fast as going through jieba's generators (tests check both agree)."""

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        self._words = sorted({w for w in extra_words if w})
        self._freq: dict[str, int] | None = None
        self._memo: dict[str, float] = {}
        self._logtotal = 0.0

    def jieba(self) -> Any:
        import logging

        import jieba  # type: ignore[import-untyped]

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.initialize()
        for word in self._words:
            tok.add_word(word)
        return tok

    def _load(self) -> dict[str, int]:
        if self._freq is None:
            tok = self.jieba()
            self._logtotal = math.log(tok.total)
            self._freq = tok.FREQ
        return self._freq

    def words(self, segment: str) -> list[str]:
        """The words of ``segment`` (letters and digits only), in order."""
        freq = self._freq if self._freq is not None else self._load()
        memo = self._memo
        logtotal = self._logtotal
        n = len(segment)
        dag: list[list[int]] = []
        for k in range(n):
            ends = []
            i = k
            frag = segment[k]
            while i < n and frag in freq:
                if freq[frag]:
                    ends.append(i)
                i += 1
                frag = segment[k : i + 1]
            dag.append(ends or [k])
        score = [0.0] * (n + 1)
        end = [0] * (n + 1)
        for idx in range(n - 1, -1, -1):
            best = -math.inf
            best_x = idx
            for x in dag[idx]:
                w = segment[idx : x + 1]
                lp = memo.get(w)
                if lp is None:
                    lp = memo[w] = math.log(freq.get(w) or 1) - logtotal
                value = lp + score[x + 1]
                if value > best or (value == best and x > best_x):
                    best = value
                    best_x = x
            score[idx] = best
            end[idx] = best_x
        out: list[str] = []
        buf = ""
        x = 0
        while x < n:
            y = end[x] + 1
            w = segment[x:y]
            if y - x == 1 and w.isascii():
                buf += w
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(w)
            x = y
        if buf:
            out.append(buf)
        return out


def grams(text: str, tokenizer: Tokenizer) -> set[str]:
    """The features present in one text (binary: short texts rarely repeat an n-gram)."""
    feats: list[str] = []
    words: list[str] = []
    for seg in _SPLIT.split(normalise(text)):
        if not seg:
            continue
        feats.extend(seg)
        feats.extend([seg[i : i + 2] for i in range(len(seg) - 1)])
        feats.extend([seg[i : i + 3] for i in range(len(seg) - 2)])
        words.extend(tokenizer.words(seg))
    feats.extend(["w:" + w for w in words])
    feats.extend(["b:" + a + "|" + b for a, b in pairwise(words)])
    return set(feats)


class Vectorizer:
    """A fitted vocabulary with inverse document frequencies; binary tf, L2-normalised rows."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, tokenizer: Tokenizer) -> None:
        self.vocabulary = list(vocabulary)
        self.index = {f: i for i, f in enumerate(self.vocabulary)}
        self.idf = idf.astype(np.float32)
        self.tokenizer = tokenizer

    @classmethod
    def fit(cls, docs: Sequence[set[str]], tokenizer: Tokenizer, *, min_df: int = 2) -> Vectorizer:
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d)
        vocab = sorted(f for f, n in df.items() if n >= min_df)
        n_docs = len(docs)
        idf = np.array([math.log((1 + n_docs) / (1 + df[f])) + 1.0 for f in vocab])
        return cls(vocab, idf, tokenizer)

    def transform_docs(self, docs: Sequence[set[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays (indptr, indices, values) of the documents' feature vectors."""
        get = self.index.get
        rows = [[j for j in map(get, d) if j is not None] for d in docs]
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.fromiter((j for r in rows for j in r), dtype=np.int64, count=int(indptr[-1]))
        values = self.idf[indices]
        squares = values * values
        nonempty = lengths > 0
        norms = np.ones(len(rows), dtype=np.float32)
        if indices.size:
            norms[nonempty] = np.sqrt(np.add.reduceat(squares, indptr[:-1][nonempty]))
        scaled: np.ndarray = values / np.repeat(norms, lengths)
        return indptr, indices, scaled.astype(np.float32)

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tokenizer = self.tokenizer
        return self.transform_docs([grams(t, tokenizer) for t in texts])


def sparse_dot(
    csr: tuple[np.ndarray, np.ndarray, np.ndarray], weights: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """Rows of the CSR matrix times ``weights`` (features × classes) plus ``bias``."""
    from scipy.sparse import csr_matrix

    indptr, indices, values = csr
    matrix = csr_matrix((values, indices, indptr), shape=(len(indptr) - 1, weights.shape[0]))
    out: np.ndarray = np.asarray(matrix @ weights, dtype=np.float32)
    out += bias.astype(np.float32)
    return out
