"""Reference data of the synthetic demo city, loaded from ``demo/data/synthetic/``.

Everything that makes 示范市 look Chinese and plausible (names, streets, age pyramid,
industries, vehicle mix) is data a city can replace, not literals in code. Files are read
once and checked for the keys the generator needs, so a broken replacement fails at load
time with the file and key named.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from citybase.errors import ConfigurationError

_PACKAGE = "citybase.demo"


def _read_text(name: str) -> str:
    return (resources.files(_PACKAGE) / "data" / "synthetic" / name).read_text("utf-8")


@cache
def load_yaml(name: str) -> dict[str, Any]:
    """A data file as a mapping; raises ConfigurationError naming the file if it is not one."""
    data = yaml.safe_load(_read_text(name))
    if not isinstance(data, dict):
        raise ConfigurationError(f"demo data {name}: expected a mapping at the top level")
    return data


def require(data: dict[str, Any], key: str, source: str) -> Any:
    """``data[key]``, or a ConfigurationError saying which file lacks which key."""
    if key not in data:
        raise ConfigurationError(f"demo data {source}: missing key {key!r}", field=key)
    return data[key]


def weights(mapping: dict[Any, Any], source: str) -> tuple[list[str], npt.NDArray[np.float64]]:
    """Keys and normalised weights of a ``{label: share}`` mapping."""
    labels = [str(k) for k in mapping]
    values = np.array([float(v) for v in mapping.values()], dtype=np.float64)
    if len(values) == 0 or (values < 0).any() or values.sum() <= 0:
        raise ConfigurationError(f"demo data {source}: shares must be non-negative, not all 0")
    return labels, values / values.sum()


@dataclass(frozen=True, slots=True)
class CityConfig:
    """The demo city's identity: name, real division codes, plates, centre and size."""

    name: str
    province: str
    prefecture_prefix: str
    district_codes: tuple[str, ...]
    plate_province: str
    plate_letter: str
    plate_other_letters: str
    landline_area_code: str
    centre_lon: float
    centre_lat: float
    width_km: float
    height_km: float
    grids: int
    streets_per_district: tuple[int, int]
    reference_date: date
    local_share: float
    origin_provinces: dict[str, float]
    district_names: dict[str, tuple[str, ...]]


@cache
def load_city() -> CityConfig:
    src = "city.yaml"
    raw = load_yaml(src)
    plate = require(raw, "plate", src)
    centre = require(raw, "centre", src)
    size = require(raw, "size_km", src)
    lo, hi = (int(v) for v in require(raw, "streets_per_district", src))
    ref = require(raw, "reference_date", src)
    city = CityConfig(
        name=str(require(raw, "name", src)),
        province=str(require(raw, "province", src)),
        prefecture_prefix=str(require(raw, "prefecture_prefix", src)),
        district_codes=tuple(str(c) for c in require(raw, "district_codes", src)),
        plate_province=str(plate["province"]),
        plate_letter=str(plate["letter"]),
        plate_other_letters=str(plate["other_letters"]),
        landline_area_code=str(require(raw, "landline_area_code", src)),
        centre_lon=float(centre["lon"]),
        centre_lat=float(centre["lat"]),
        width_km=float(size["east_west"]),
        height_km=float(size["north_south"]),
        grids=int(require(raw, "grids", src)),
        streets_per_district=(lo, hi),
        reference_date=ref if isinstance(ref, date) else date.fromisoformat(str(ref)),
        local_share=float(require(raw, "local_share", src)),
        origin_provinces={
            str(k): float(v) for k, v in require(raw, "origin_provinces", src).items()
        },
        district_names={
            str(k): tuple(str(n) for n in v) for k, v in require(raw, "district_names", src).items()
        },
    )
    if not all(c.startswith(city.prefecture_prefix) for c in city.district_codes):
        raise ConfigurationError(
            f"demo data {src}: district_codes must start with {city.prefecture_prefix}",
            field="district_codes",
        )
    if not 1 <= lo <= hi:
        raise ConfigurationError(f"demo data {src}: bad streets_per_district {lo}-{hi}")
    return city


@cache
def load_surnames() -> tuple[npt.NDArray[np.str_], npt.NDArray[np.float64]]:
    """Surnames and their sampling probabilities."""
    lines = [ln for ln in _read_text("surnames.csv").splitlines() if ln and ln[0] != "#"]
    rows = list(csv.DictReader(lines))
    names, probs = weights({r["surname"]: float(r["share"]) for r in rows}, "surnames.csv")
    return np.array(names, dtype=np.str_), probs


def unique_strings(values: Any, source: str, key: str) -> list[str]:
    """A list of distinct strings in file order (duplicates in a hand-kept list are dropped)."""
    if not isinstance(values, list) or not values:
        raise ConfigurationError(f"demo data {source}: {key!r} must be a non-empty list")
    return list(dict.fromkeys(str(v) for v in values))
