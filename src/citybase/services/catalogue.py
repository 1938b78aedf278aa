"""The service catalogue (政务服务事项目录): items a city offers, loaded from data it replaces.

``catalogue.yaml`` (shipped in ``services/data/``; a city puts its own under
``CITYBASE_TAXONOMY_DIR/services/``) lists every item: code, names, department (a code of
the city's ``departments.yaml``), type, legal basis, conditions, materials — each either
supplied from a data hub dataset (免于提交: which dataset, which key column, which fields)
or uploaded — promised and statutory limits in working days, fees and online depth. The file
is validated when first read; a refusal names the file, line, item and field.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

import jieba  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from citybase.errors import ConfigurationError, NotFound
from citybase.services.loading import data_dir_of, explain, line_of, read_yaml, strip_lines
from citybase.settings import Settings

ItemType = Literal[
    "administrative_permit",  # 行政许可
    "administrative_confirmation",  # 行政确认
    "administrative_payment",  # 行政给付
    "public_service",  # 公共服务
    "registration",  # 登记
]
OnlineDepth = Literal["full_online", "one_trip", "counter"]  # 全程网办 / 跑一次 / 窗口办理
TYPE_LABELS = {
    "administrative_permit": ("行政许可", "Administrative permit"),
    "administrative_confirmation": ("行政确认", "Administrative confirmation"),
    "administrative_payment": ("行政给付", "Administrative payment"),
    "public_service": ("公共服务", "Public service"),
    "registration": ("登记", "Registration"),
}
DEPTH_LABELS = {
    "full_online": ("全程网办（零跑动）", "Fully online (zero trips)"),
    "one_trip": ("最多跑一次", "At most one trip"),
    "counter": ("窗口办理", "At the counter"),
}
APPLICANT_KEYS = ("id_number", "uscc")  # what an evidence look-up may be keyed on


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Supply(BaseModel):
    """Where the government already holds a material: a dataset row keyed on the applicant."""

    model_config = ConfigDict(extra="forbid")
    dataset: str = Field(min_length=1)
    key_column: str = Field(min_length=1)
    key: Literal["id_number", "uscc"] = "id_number"
    fields: dict[str, str] = Field(default_factory=dict)  # input name -> column
    count: str | None = None  # input name receiving the number of matching rows
    element: str | None = None  # the data element (一数一源) the material rests on

    @model_validator(mode="after")
    def _something(self) -> Supply:
        if not self.fields and self.count is None:
            raise ValueError("name the fields to read, or 'count' for how many rows match")
        return self

    @property
    def inputs(self) -> set[str]:
        return set(self.fields) | ({self.count} if self.count else set())


class CertificateSupply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: str  # the item whose certificate serves as this material
    fields: dict[str, str] = Field(default_factory=dict)  # input name -> certificate claim


class Material(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    supply: Supply | None = None
    certificate: CertificateSupply | None = None
    required: bool = True

    @property
    def held(self) -> bool:
        """The government holds it: the applicant need not submit it (免于提交)."""
        return self.supply is not None or self.certificate is not None


class CertificateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text
    valid_years: int = Field(1, ge=1, le=50)
    claims: list[str] = Field(default_factory=list)  # input names written into the certificate


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]{2,30}$")
    name: Text
    department: str
    type: ItemType
    legal_basis: list[str] = Field(min_length=1)
    conditions: list[str] = Field(default_factory=list)
    materials: list[Material] = Field(default_factory=list)
    promised_days: int = Field(ge=0, le=365)
    statutory_days: int = Field(ge=0, le=365)
    fee: str = "不收费"
    online_depth: OnlineDepth
    applicant: Literal["person", "enterprise"] = "person"
    instant: bool = False  # 秒批: decided by rules at once when they all pass
    visits: int = Field(0, ge=0, le=10)  # trips to an office the item needs
    form_fields: list[str] = Field(default_factory=list)  # what the applicant types
    keywords: list[str] = Field(default_factory=list)
    certificate: CertificateSpec | None = None

    @model_validator(mode="after")
    def _limits(self) -> Item:
        if self.promised_days > self.statutory_days:
            raise ValueError(
                f"promised_days ({self.promised_days}) exceeds statutory_days "
                f"({self.statutory_days}); a promise is at most the legal limit"
            )
        keys = [m.key for m in self.materials]
        dupes = {k for k in keys if keys.count(k) > 1}
        if dupes:
            raise ValueError(f"materials: duplicate key(s) {', '.join(sorted(dupes))}")
        return self

    @property
    def name_zh(self) -> str:
        return self.name.zh

    @property
    def held_share(self) -> float:
        """免提交率: the share of required materials the applicant is not asked for."""
        required = [m for m in self.materials if m.required]
        if not required:
            return 1.0
        return sum(1 for m in required if m.held) / len(required)


class Catalogue(BaseModel):
    items: list[Item]
    source: str = ""

    @functools.cached_property
    def by_code(self) -> dict[str, Item]:
        return {i.code: i for i in self.items}

    def get(self, code: str) -> Item:
        item = self.by_code.get(code)
        if item is None:
            raise NotFound(
                f"item: no service item '{code}' in the catalogue. Find one with "
                "GET /api/services/items?q=…",
                field="item",
            )
        return item


def _departments(settings: Settings | None) -> set[str]:
    from citybase.settings import get_settings

    path = (settings or get_settings()).effective_taxonomy_dir / "departments.yaml"
    raw = strip_lines(read_yaml(path)) or {}
    return {str(d["code"]) for d in raw.get("departments", []) if isinstance(d, dict)}


def parse_catalogue(path: Path, departments: set[str]) -> Catalogue:
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise ConfigurationError(f"{path}: expected a mapping with a list 'items'.")
    items: list[Item] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw["items"]):
        code = entry.get("code", "?") if isinstance(entry, dict) else "?"
        where = f"{path}:{line_of(entry) or '?'}: items[{n}] ({code})"
        try:
            item = Item.model_validate(strip_lines(entry))
        except ValidationError as exc:
            raise ConfigurationError(f"{where}: {explain(exc)}", field="catalogue") from exc
        if item.department not in departments:
            raise ConfigurationError(
                f"{where}: department: '{item.department}' is not in departments.yaml "
                f"({', '.join(sorted(departments))}).",
                field="catalogue",
            )
        if item.code in seen:
            raise ConfigurationError(f"{where}: code: duplicate item code.", field="catalogue")
        seen.add(item.code)
        items.append(item)
    for item in items:
        for m in item.materials:
            if m.certificate is not None and m.certificate.item not in seen:
                raise ConfigurationError(
                    f"{path}: items ({item.code}): materials.{m.key}.certificate.item: "
                    f"'{m.certificate.item}' is not an item of the catalogue.",
                    field="catalogue",
                )
    return Catalogue(items=items, source=str(path))


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime: float, departments: frozenset[str]) -> Catalogue:
    return parse_catalogue(Path(path), set(departments))


def load_catalogue(settings: Settings | None = None) -> Catalogue:
    path = data_dir_of(settings) / "catalogue.yaml"
    deps = frozenset(_departments(settings))
    return _cached(str(path), path.stat().st_mtime, deps)


# --- search ---------------------------------------------------------------------------------


def _terms(text: str) -> set[str]:
    return {t.strip().lower() for t in jieba.cut_for_search(text) if t.strip()}


def search(catalogue: Catalogue, query: str, limit: int = 20) -> list[tuple[Item, float]]:
    """Items matching a citizen's words in Chinese (jieba segmentation), best first.

    A term scores 3 in the item's name, 2 in its keywords, 1 in its conditions, materials
    or department; a query without any hit returns nothing rather than everything.
    """
    words = _terms(query)
    if not words:
        return []
    scored: list[tuple[Item, float]] = []
    for item in catalogue.items:
        fields: list[tuple[str, float]] = [
            (item.name.zh + " " + item.name.en, 3.0),
            (" ".join(item.keywords), 2.0),
            (" ".join(item.conditions + [m.name.zh for m in item.materials]), 1.0),
        ]
        score = 0.0
        for text, weight in fields:
            terms = _terms(text)
            lowered = text.lower()
            for w in words:
                if w in terms or (len(w) > 1 and w in lowered):
                    score += weight
        if query.strip() and query.strip().upper() == item.code:
            score += 10
        if score:
            scored.append((item, score))
    scored.sort(key=lambda p: (-p[1], p[0].code))
    return scored[:limit]


def item_summary(item: Item) -> dict[str, Any]:
    return {
        "code": item.code,
        "name_zh": item.name.zh,
        "name_en": item.name.en,
        "department": item.department,
        "type": item.type,
        "online_depth": item.online_depth,
        "instant": item.instant,
        "promised_days": item.promised_days,
        "held_share": round(item.held_share, 4),
    }
