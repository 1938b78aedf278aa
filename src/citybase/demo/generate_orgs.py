"""Synthetic enterprises and other organisations of 示范市.

Each gets a valid GB 32100 code of the kind its name says (企业 91, 个体工商户 92, 村集体 N2
…; "MA…" organisation codes for those set up since the 2015 reform), a distinct adult
resident as legal representative, an industry, and an address and point in a grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from citybase.demo.generate_data import load_yaml, unique_strings, weights
from citybase.demo.generate_people import Residents
from citybase.demo.generate_places import (
    IntArray,
    StrArray,
    choose_labels,
    grid_table,
    points_in_grids,
    short_addresses,
)
from citybase.identifiers import organisation_code_check_char, uscc_check_char
from citybase.identifiers.uscc import USCC_ALPHABET

if TYPE_CHECKING:
    from citybase.demo.generate import CityGeography

STREAM_ENTERPRISES = 20
USCC_SINCE = np.datetime64("2015-10-01")  # codes with "MA…" bodies were issued from then


@dataclass(frozen=True)
class Enterprises:
    table: pa.Table
    uscc: StrArray
    established_days: IntArray
    active: npt.NDArray[np.bool_]
    kind: StrArray


def to_days(d: date) -> int:
    """A date as days since 1970-01-01."""
    return int(np.datetime64(d, "D").astype(np.int64))


def recent_days(rng: np.random.Generator, low: IntArray, high: int, skew: float) -> IntArray:
    """Days between ``low`` and ``high``, more of them recent (``skew`` < 1)."""
    return np.asarray(high - ((high - low) * rng.random(len(low)) ** (1 / skew)).astype(np.int64))


class _Namer:
    """Draws an organisation's name and industry from the templates of its kind."""

    WORD_LISTS = (
        "shop",
        "public_service",
        "private_service",
        "produce",
        "field",
        "society",
        "village",
        "estate",
    )

    def __init__(self, rng: np.random.Generator, raw: dict[str, Any], city_name: str) -> None:
        self.rng, self.raw, self.city_name = rng, raw, city_name
        self.kinds: dict[str, Any] = {str(k): v for k, v in raw["kinds"].items()}
        self.industries = {str(i["code"]): i for i in raw["industries"]}
        self.ind_codes, self.ind_p = weights(
            {k: v["share"] for k, v in self.industries.items()}, "enterprises.industries"
        )
        self.trades = unique_strings(raw["trade_chars"], "enterprises", "trade_chars")
        self.forms, self.form_p = weights(raw["forms"], "enterprises.forms")

    def _one(self, options: list[str]) -> str:
        return options[int(self.rng.integers(0, len(options)))]

    def draw(self, kind: str, district: str, community: str) -> tuple[str, str]:
        rng = self.rng
        template = self._one(self.kinds[kind]["templates"])
        text = template if isinstance(template, str) else str(template["name"])
        industry = None if isinstance(template, str) else str(template["industry"])
        values = {
            "city": self.city_name,
            "district": district,
            "community": community,
            "n": str(int(rng.integers(1, 60))),
            "trade": self._one(self.trades) + self._one(self.trades),
            "form": self.forms[int(rng.choice(len(self.forms), p=self.form_p))],
        }
        for key in self.WORD_LISTS:
            if "{" + key + "}" in text:
                options = self.raw[key]
                values[key] = word = str(self._one(list(options)))
                if isinstance(options, dict):
                    industry = str(options[word])
        if industry is None:
            industry = self.ind_codes[int(rng.choice(len(self.ind_codes), p=self.ind_p))]
        values["word"] = str(self._one(self.industries[industry]["words"]))
        return text.format(**values), industry

    def draw_unique(
        self, kind: str, district: str, community: str, seen: set[str]
    ) -> tuple[str, str]:
        """Registered names are unique: redraw on a clash, number the rare leftover."""
        for _ in range(50):
            name, industry = self.draw(kind, district, community)
            if name not in seen:
                break
        k = 2
        base = name
        while name in seen:
            name, k = f"{base}（{k}）", k + 1
        seen.add(name)
        return name, industry


def _uscc(rng: np.random.Generator, kind: str, region: str, new_style: bool) -> str:
    while True:
        if new_style and kind[0] == "9":
            body = "MA" + "".join(rng.choice(list(USCC_ALPHABET), size=6))
        else:
            body = "".join(str(d) for d in rng.integers(0, 10, size=8))
        check = organisation_code_check_char(body)
        if check in USCC_ALPHABET:
            first17 = f"{kind}{region}{body}{check}"
            return first17 + uscc_check_char(first17)


def build_enterprises(
    seed: int,
    geography: CityGeography,
    people: Residents,
    n: int,
    report: Callable[[str, int, int], None],
) -> Enterprises:
    """Draw ``n`` organisations; legal representatives are distinct adult residents."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM_ENTERPRISES]))
    raw = load_yaml("enterprises.yaml")
    city = geography.city
    report("enterprises", 0, n)
    grids = grid_table(geography, rng)
    kind_labels, kind_p = weights({str(k): v["share"] for k, v in raw["kinds"].items()}, "kinds")
    kind = choose_labels(rng, kind_labels, kind_p, n)
    grid_idx = grids.choose(rng, n)
    lon, lat = points_in_grids(rng, grids, grid_idx)
    namer = _Namer(rng, raw, city.name)
    names: list[str] = []
    industry: list[str] = []
    seen: set[str] = set()
    for k, g in zip(kind.tolist(), grid_idx.tolist(), strict=True):
        community = geography.names[str(grids.codes[g])].split("社区")[0]
        district = geography.names[str(grids.district_codes[g])]
        name, ind = namer.draw_unique(k, district, community, seen)
        names.append(name)
        industry.append(ind)
    industries = namer.industries
    kinds_cfg = namer.kinds
    report("enterprises", n // 3, n)

    ref = to_days(city.reference_date)
    established = recent_days(rng, np.full(n, to_days(date(1993, 1, 1))), ref, 0.6)
    regional = rng.random(n) < 0.1
    region = np.where(regional, city.prefecture_prefix + "00", grids.district_codes[grid_idx])
    new_style = established >= USCC_SINCE.astype("datetime64[D]").astype(np.int64)
    codes: list[str] = []
    taken: set[str] = set()
    for k, r, new in zip(kind.tolist(), region.tolist(), new_style.tolist(), strict=True):
        code = _uscc(rng, k, r, new)
        while code in taken:
            code = _uscc(rng, k, r, new)
        taken.add(code)
        codes.append(code)
    report("enterprises", 2 * n // 3, n)

    adults = np.flatnonzero(people.age >= 18)
    reps = rng.choice(adults, size=n, replace=n > len(adults))
    median = np.array([float(kinds_cfg[k]["capital_wan"][0]) for k in kind.tolist()])
    sigma = np.array([float(kinds_cfg[k]["capital_wan"][1]) for k in kind.tolist()])
    capital = np.round(median * np.exp(rng.normal(0.0, 1.0, n) * sigma), 2)
    statuses, status_p = weights(raw["statuses"], "enterprises.statuses")
    status = choose_labels(rng, statuses, status_p, n)
    kind_names = {k: str(v["label"]) for k, v in kinds_cfg.items()}
    address = short_addresses(rng, grids, grid_idx)
    table = pa.table(
        {
            "uscc": pa.array(codes, pa.string()),
            "name": pa.array(names, pa.string()),
            "entity_type": pa.array([kind_names[k] for k in kind.tolist()], pa.string()),
            "legal_representative": pa.array(people.name[reps].tolist(), pa.string()),
            "legal_rep_id_number": pa.array(people.id_number[reps].tolist(), pa.string()),
            "industry_code": pa.array(industry, pa.string()),
            "industry": pa.array([f"{c} {industries[c]['name']}" for c in industry], pa.string()),
            "registered_capital_wan": pa.array(capital, pa.float64()),
            "established_date": pa.array(established.astype("datetime64[D]"), pa.date32()),
            "address": pa.array(address, pa.string()),
            "district_code": pa.array(grids.district_codes[grid_idx].tolist(), pa.string()),
            "street_code": pa.array(grids.street_codes[grid_idx].tolist(), pa.string()),
            "grid_code": pa.array(grids.codes[grid_idx].tolist(), pa.string()),
            "lon": pa.array(lon),
            "lat": pa.array(lat),
            "status": pa.array(status.tolist(), pa.string()),
        }
    )
    report("enterprises", n, n)
    return Enterprises(
        table=table,
        uscc=np.array(codes, dtype=np.str_),
        established_days=established,
        active=status == "存续",
        kind=kind,
    )
