"""Catalog full-text search: jieba tokens, BM25 ranking, facets.

Each dataset's searchable text (title, name, keywords, description, department, theme,
column and element names) is cut with ``jieba.lcut_for_search`` when the dataset changes
and stored as weighted tokens in ``datahub_search_token`` — the same rows on SQLite and
PostgreSQL. Every process keeps an inverted index of those rows in memory; a random stamp
in ``datahub_catalog_state``, replaced on every change, tells it when to reload, and only
datasets whose own stamp changed are reloaded. Query words are ANDed (a word matches through
any of its sub-tokens); if no dataset has them all, the ranking falls back to any word.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.orm import Session

from citybase.datahub.models import CatalogState, Dataset, SearchToken
from citybase.identity.models import Department

FACETS = ("department", "theme", "sharing_type", "open_type", "format")
FIELD_WEIGHTS = {
    "title": 3.0,
    "name": 2.0,
    "keywords": 2.0,
    "elements": 1.5,
    "description": 1.0,
    "department": 1.0,
    "theme": 1.0,
    "columns": 0.5,
}
STOPWORDS = frozenset(
    {"的", "了", "和", "与", "及", "或", "等", "是", "在", "对", "为", "之", "其", "以", "由"}
    | {"按", "各", "个", "中", "有", "the", "of", "and", "a", "an", "in", "for", "to", "on", "by"}
)
BM25_K1 = 1.2
BM25_B = 0.75
MAX_TOKEN = 64

log = logging.getLogger("citybase.datahub.search")


@cache
def _jieba() -> ModuleType:
    """Load jieba and its dictionary once per process (about a second)."""
    import jieba  # type: ignore[import-untyped]

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba  # type: ignore[no-any-return]


def _meaningful(token: str) -> bool:
    if not token or token in STOPWORDS or len(token) > MAX_TOKEN:
        return False
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def tokenize(text: str) -> list[str]:
    """Search-mode tokens of ``text``: lower-cased, punctuation and stopwords dropped."""
    if not text:
        return []
    return [
        t for t in (w.strip() for w in _jieba().lcut_for_search(text.lower())) if _meaningful(t)
    ]


def query_words(q: str) -> list[str]:
    """The words a user typed (jieba's accurate mode), each later matched by its sub-tokens."""
    words = [w.strip() for w in _jieba().lcut(q.lower())]
    return [w for w in words if _meaningful(w)]


def document_weights(fields: Mapping[str, Iterable[str] | str]) -> dict[str, float]:
    """Token → field-weighted frequency for one dataset's searchable fields."""
    weights: dict[str, float] = {}
    for name, value in fields.items():
        factor = FIELD_WEIGHTS[name]
        texts = [value] if isinstance(value, str) else list(value)
        for text in texts:
            if name == "name":
                text = text.replace("-", " ").replace("_", " ")
            for tok in tokenize(text):
                weights[tok] = weights.get(tok, 0.0) + factor
    return weights


def write_tokens(
    db_session: Session, dataset: Dataset, fields: Mapping[str, Iterable[str] | str]
) -> None:
    """Replace the dataset's tokens and stamps (call inside the change's transaction)."""
    weights = document_weights(fields)
    db_session.execute(delete(SearchToken).where(SearchToken.dataset_id == dataset.id))
    if weights:
        db_session.execute(
            insert(SearchToken),
            [{"dataset_id": dataset.id, "token": t, "weight": w} for t, w in weights.items()],
        )
    touch(db_session, dataset)


def touch(db_session: Session, dataset: Dataset | None = None) -> None:
    """Mark the catalog (and the dataset, if given) changed for every process's index."""
    stamp = uuid.uuid4().hex
    if dataset is not None:
        dataset.search_stamp = stamp
        db_session.flush()
    db_session.execute(update(CatalogState).where(CatalogState.id == 1).values(stamp=stamp))


# --- the in-process index ----------------------------------------------------------------


@dataclass
class _Doc:
    facets: dict[str, str]
    length: float
    updated: float
    title: str


@dataclass
class _Index:
    stamp: str = ""
    docs: dict[int, _Doc] = field(default_factory=dict)
    doc_stamps: dict[int, str] = field(default_factory=dict)
    doc_terms: dict[int, tuple[str, ...]] = field(default_factory=dict)
    postings: dict[str, dict[int, float]] = field(default_factory=dict)
    total_length: float = 0.0

    def drop(self, doc_id: int) -> None:
        for term in self.doc_terms.pop(doc_id, {}):
            plist = self.postings.get(term)
            if plist is not None:
                plist.pop(doc_id, None)
                if not plist:
                    del self.postings[term]
        doc = self.docs.pop(doc_id, None)
        if doc is not None:
            self.total_length -= doc.length
        self.doc_stamps.pop(doc_id, None)


_INDEXES: dict[str, _Index] = {}
_LOCK = threading.Lock()


def _cache_key(db_session: Session) -> str:
    bind = db_session.get_bind()
    return bind.engine.url.render_as_string(hide_password=True)


def _refresh(db_session: Session, idx: _Index, stamp: str) -> None:
    """Bring ``idx`` up to date: drop deleted datasets, reload those whose stamp changed."""
    stamps = {i: s for i, s in db_session.execute(select(Dataset.id, Dataset.search_stamp))}
    for gone in [d for d in idx.docs if d not in stamps]:
        idx.drop(gone)
    ids = [i for i, st in stamps.items() if idx.doc_stamps.get(i) != st]
    everything = len(ids) == len(stamps)
    facet_cols = (
        Dataset.id,
        Dataset.search_stamp,
        Department.code,
        Dataset.theme,
        Dataset.sharing_type,
        case((Dataset.held_back.is_(True), "not_open"), else_=Dataset.open_type),
        Dataset.source_format,
        Dataset.updated_at,
        Dataset.title,
    )
    facet_stmt = select(*facet_cols).join(Department, Department.id == Dataset.department_id)
    token_stmt = select(
        SearchToken.dataset_id, SearchToken.token, SearchToken.weight
    ).execution_options(yield_per=10_000)
    changed: list[Any] = []
    terms: dict[int, dict[str, float]] = {i: {} for i in ids}
    if everything:
        changed = list(db_session.execute(facet_stmt))
        for did, tok, w in db_session.execute(token_stmt):
            if did in terms:
                terms[did][sys.intern(tok)] = w
    else:
        for begin in range(0, len(ids), 500):
            chunk = ids[begin : begin + 500]
            changed += list(db_session.execute(facet_stmt.where(Dataset.id.in_(chunk))))
            for did, tok, w in db_session.execute(
                token_stmt.where(SearchToken.dataset_id.in_(chunk))
            ):
                terms[did][sys.intern(tok)] = w
    for did, dstamp, dept, theme, sharing, open_type, fmt, updated, title in changed:
        idx.drop(did)
        doc_terms = terms.get(did, {})
        length = sum(doc_terms.values())
        idx.docs[did] = _Doc(
            facets={
                "department": dept,
                "theme": theme,
                "sharing_type": sharing,
                "open_type": open_type,
                "format": (fmt or "").lower(),
            },
            length=length,
            updated=updated.timestamp() if isinstance(updated, dt.datetime) else 0.0,
            title=title,
        )
        idx.doc_stamps[did] = dstamp
        idx.doc_terms[did] = tuple(doc_terms)
        idx.total_length += length
        for tok, w in doc_terms.items():
            idx.postings.setdefault(tok, {})[did] = w
    idx.stamp = stamp


@dataclass
class SearchOutcome:
    ids: list[tuple[int, float]]  # (dataset id, score), the requested page
    total: int
    facets: dict[str, dict[str, int]]
    took_ms: float


def _term_ids(idx: _Index, word: str) -> set[str]:
    """The indexed terms a query word stands for: itself, its sub-tokens, or containing terms."""
    terms = {t for t in {word, *tokenize(word)} if t in idx.postings}
    if not terms:
        terms = {t for t in idx.postings if word in t}
        if len(terms) > 50:
            terms = set(sorted(terms, key=lambda t: -len(idx.postings[t]))[:50])
    return terms


def search(
    db_session: Session,
    *,
    q: str = "",
    filters: Mapping[str, str | None] | None = None,
    allowed_open_types: frozenset[str] | None = None,
    sort: str = "relevance",
    offset: int = 0,
    limit: int = 20,
) -> SearchOutcome:
    """Rank the datasets matching ``q`` and ``filters`` (facet → value); count facets.

    ``allowed_open_types`` limits the search to datasets a public viewer may see. Facet
    counts for one facet ignore that facet's own filter, so the other values stay visible.
    """
    started = time.perf_counter()
    active = {k: v for k, v in (filters or {}).items() if v}
    stamp = db_session.scalar(select(CatalogState.stamp).where(CatalogState.id == 1)) or ""
    key = _cache_key(db_session)
    with _LOCK:
        idx = _INDEXES.setdefault(key, _Index())
        if idx.stamp != stamp or not stamp:
            _refresh(db_session, idx, stamp)
        scores = _score(idx, q)
        candidates: Iterable[int] = scores.keys() if scores is not None else idx.docs.keys()
        facets: dict[str, dict[str, int]] = {f: {} for f in FACETS}
        matched: list[int] = []
        for did in candidates:
            doc = idx.docs[did]
            if allowed_open_types is not None and doc.facets["open_type"] not in allowed_open_types:
                continue
            failing = [f for f, v in active.items() if doc.facets.get(f) != v]
            if not failing:
                matched.append(did)
                for f in FACETS:
                    value = doc.facets[f]
                    if value:
                        facets[f][value] = facets[f].get(value, 0) + 1
            elif len(failing) == 1:
                f = failing[0]
                value = doc.facets[f]
                if value:
                    facets[f][value] = facets[f].get(value, 0) + 1
        if sort == "title":
            matched.sort(key=lambda d: idx.docs[d].title)
        elif sort == "updated" or scores is None:
            matched.sort(key=lambda d: -idx.docs[d].updated)
        else:
            matched.sort(key=lambda d: (-scores[d], -idx.docs[d].updated))  # type: ignore[index]
        page = [
            (d, round(scores[d], 4) if scores else 0.0) for d in matched[offset : offset + limit]
        ]
    took = (time.perf_counter() - started) * 1000
    return SearchOutcome(ids=page, total=len(matched), facets=facets, took_ms=round(took, 2))


def _score(idx: _Index, q: str) -> dict[int, float] | None:
    """BM25 scores of matching documents; None when there is no query (match everything)."""
    words = query_words(q) if q and q.strip() else []
    if not words:
        return None if not (q and q.strip()) else {}
    groups = [g for g in (_term_ids(idx, w) for w in words) if g]
    if not groups:
        return {}
    n_docs = max(len(idx.docs), 1)
    avg_len = idx.total_length / n_docs if idx.total_length > 0 else 1.0
    group_hits: list[set[int]] = []
    scores: dict[int, float] = {}
    for group in groups:
        hits: set[int] = set()
        for term in group:
            plist = idx.postings[term]
            idf = math.log(1 + (n_docs - len(plist) + 0.5) / (len(plist) + 0.5))
            for did, tf in plist.items():
                norm = tf + BM25_K1 * (1 - BM25_B + BM25_B * idx.docs[did].length / avg_len)
                scores[did] = scores.get(did, 0.0) + idf * tf * (BM25_K1 + 1) / norm
                hits.add(did)
        group_hits.append(hits)
    everywhere = set.intersection(*group_hits)
    if everywhere:
        return {d: scores[d] for d in everywhere}
    return scores


def reset_cache() -> None:
    """Forget every in-process index (tests and benchmarks measuring a cold start)."""
    with _LOCK:
        _INDEXES.clear()
