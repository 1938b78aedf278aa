"""Synthetic residents of 示范市: households, names, ages, identity numbers, addresses.

Everything is drawn as numpy arrays (no per-row faker): 100,000 residents take about a
second. Households share an address and a point inside their grid; identity numbers are
real-format GB 11643 numbers whose area code is one of the city's districts for most
residents and a real county elsewhere in China for the rest, unique across the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from citybase.demo.generate_data import load_surnames, load_yaml, require, unique_strings, weights
from citybase.demo.generate_places import (
    GridTable,
    IntArray,
    StrArray,
    choose_labels,
    grid_table,
    pick_roads,
    points_in_grids,
    short_addresses,
    street_numbers,
)
from citybase.identifiers import (
    areas_in_prefecture,
    areas_with_status,
    generate_mobile_array,
    id_number_check_digit_array,
    lookup_area,
)

if TYPE_CHECKING:
    from citybase.demo.generate import CityGeography

STREAM_RESIDENTS = 10
DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True)
class Residents:
    """The residents table plus the columns enterprises and vehicles draw owners from."""

    table: pa.Table
    id_number: StrArray
    name: StrArray
    birth_days: IntArray
    """Birth dates as days since 1970-01-01."""
    age: IntArray
    """Whole years at the city's reference date."""


def draw_names(rng: np.random.Generator, male: npt.NDArray[np.bool_]) -> StrArray:
    """Realistic 2-3 character names: surname by frequency, given name by sex."""
    surnames, probs = load_surnames()
    return given_names(rng, male, surnames[rng.choice(len(surnames), size=len(male), p=probs)])


def given_names(
    rng: np.random.Generator, male: npt.NDArray[np.bool_], surnames: StrArray
) -> StrArray:
    """Append a one- or two-character given name to each surname (one after 欧阳-style)."""
    raw = load_yaml("given_names.yaml")
    pools = {
        k: np.array(unique_strings(raw[k], "given_names", k)) for k in ("male", "female", "neutral")
    }
    n = len(male)

    def chars() -> StrArray:
        return np.where(
            male,
            pools["male"][rng.integers(0, len(pools["male"]), n)],
            pools["female"][rng.integers(0, len(pools["female"]), n)],
        )

    # A neutral character (子, 思, 晓 …) only ever opens a two-character given name.
    first, last = chars(), chars()
    neutral = pools["neutral"][rng.integers(0, len(pools["neutral"]), n)]
    two = (rng.random(n) < float(raw["two_char_share"])) & (np.char.str_len(surnames) == 1)
    first = np.where(two & (rng.random(n) < float(raw["neutral_share"])), neutral, first)
    given = np.where(two & (first != last), np.char.add(first, last), last)
    return np.asarray(np.char.add(surnames, given))


def _ages(rng: np.random.Generator, n: int, min_age: int = 0) -> npt.NDArray[np.float64]:
    """Ages in years drawn from the census age pyramid, optionally from ``min_age`` up."""
    groups = np.array(load_yaml("population.yaml")["age_groups"], dtype=np.float64)
    starts, w = groups[:, 0], np.where(groups[:, 0] >= min_age, groups[:, 1], 0.0)
    band = rng.choice(len(starts), size=n, p=w / w.sum())
    return np.asarray(starts[band] + rng.random(n) * 5.0)


def _by_age(
    rng: np.random.Generator, bands: list[dict[str, Any]], age: IntArray, source: str
) -> StrArray:
    """A label per person from the age band they fall in (bands sorted by ``min_age``)."""
    mins = np.array([int(b["min_age"]) for b in bands])
    which = np.searchsorted(mins, age, side="right") - 1
    out = np.empty(len(age), dtype=object)
    for i, band in enumerate(bands):
        rows = np.flatnonzero(which == i)
        labels, probs = weights(band["shares"], source)
        out[rows] = choose_labels(rng, labels, probs, len(rows))
    return np.asarray(out.astype(np.str_))


def _area_codes(
    rng: np.random.Generator,
    geography: CityGeography,
    home_district: StrArray,
    born_year: IntArray,
) -> IntArray:
    """Where each identity number was issued: mostly the city, else a real county elsewhere."""
    city = geography.city
    n = len(home_district)
    codes = home_district.astype(np.int64)
    local = rng.random(n) < city.local_share
    city_codes = np.array(city.district_codes, dtype=np.int64)
    elsewhere_in_city = local & (rng.random(n) < 0.25)
    codes[elsewhere_in_city] = rng.choice(city_codes, size=int(elsewhere_in_city.sum()))
    historic = [int(a.code) for a in areas_in_prefecture(city.prefecture_prefix, ("historic",))]
    old = local & (born_year < 2000) & (rng.random(n) < 0.06)
    if historic:
        codes[old] = rng.choice(np.array(historic), size=int(old.sum()))
    origins = [
        a
        for a in areas_with_status(("current", "historic"))
        if not a.code.startswith(city.prefecture_prefix) and a.code[:2] not in ("81", "82", "83")
    ]
    named = [k for k in city.origin_provinces if k != "other"]  # file order: deterministic
    pools = {k: np.array([int(a.code) for a in origins if a.code[:2] == k]) for k in named}
    pools["other"] = np.array([int(a.code) for a in origins if a.code[:2] not in named])
    keys, probs = weights({k: city.origin_provinces[k] for k in pools}, "city.origin_provinces")
    migrants = np.flatnonzero(~local)
    origin = rng.choice(len(keys), size=len(migrants), p=probs)
    for i, key in enumerate(keys):
        rows = migrants[origin == i]
        codes[rows] = rng.choice(pools[key], size=len(rows))
    return codes


def _id_numbers(
    rng: np.random.Generator,
    area: IntArray,
    birth: npt.NDArray[np.datetime64],
    male: npt.NDArray[np.bool_],
) -> StrArray:
    """Unique 18-character numbers: sequence codes are redrawn where two people collide."""
    ymd = np.char.replace(np.datetime_as_string(birth, unit="D"), "-", "").astype(np.int64)
    head = area * 10**11 + ymd * 10**3
    seq = 2 * rng.integers(0, 500, size=len(area)) + male.astype(np.int64)
    for _ in range(100):
        _, first = np.unique(head + seq, return_index=True)
        dup = np.setdiff1d(np.arange(len(seq)), first)
        if dup.size == 0:
            break
        seq[dup] = 2 * rng.integers(0, 500, size=dup.size) + male[dup].astype(np.int64)
    first17 = (head + seq).astype("U17")
    return np.asarray(np.char.add(first17, id_number_check_digit_array(first17)))


def _unique_mobiles(rng: np.random.Generator, n: int) -> StrArray:
    mobiles = generate_mobile_array(rng, n)
    for _ in range(100):
        _, first = np.unique(mobiles, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        if dup.size == 0:
            break
        mobiles[dup] = generate_mobile_array(rng, dup.size)
    return mobiles


def build_residents(
    seed: int, geography: CityGeography, n: int, report: Callable[[str, int, int], None]
) -> Residents:
    """Draw ``n`` residents in households and return the table and owner columns."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM_RESIDENTS]))
    pop = load_yaml("population.yaml")
    city = geography.city
    grids = grid_table(geography, rng)
    report("residents", 0, n)

    size_labels, size_p = weights(require(pop, "household_sizes", "population.yaml"), "sizes")
    sizes = np.array(size_labels, dtype=np.int64)[rng.choice(len(size_labels), n, p=size_p)]
    household = np.repeat(np.arange(n), sizes)[:n]
    head = np.r_[True, household[1:] != household[:-1]]
    households = int(household[-1]) + 1 if n else 0
    home = grids.choose(rng, households)
    hh_lon, hh_lat = points_in_grids(rng, grids, home)
    roads = pick_roads(rng, grids, home)
    numbers = street_numbers(rng, households)
    rooms = np.column_stack(
        [
            rng.integers(1, 31, households),
            rng.integers(1, 5, households),
            1 + (rng.random(households) ** 1.6 * 33).astype(np.int64),
            rng.integers(1, 5, households),
        ]
    )
    hh_address = [
        f"{p}{r}{no}号{b}栋{u}单元{f}{k:02d}室"
        for p, r, no, (b, u, f, k) in zip(
            grids.prefixes[home].tolist(),
            roads.tolist(),
            numbers.tolist(),
            rooms.tolist(),
            strict=True,
        )
    ]
    report("residents", n // 4, n)

    male = rng.random(n) < float(pop["male_share"])
    age_years = np.where(head, _ages(rng, n, min_age=20), _ages(rng, n))
    ref = np.datetime64(city.reference_date, "D")
    birth = ref - np.floor(age_years * DAYS_PER_YEAR).astype("timedelta64[D]") - 1
    born = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    ref_date: date = city.reference_date
    md = np.char.replace(np.datetime_as_string(birth, unit="D"), "-", "").astype(np.int64) % 10000
    age = ref_date.year - born - (md > ref_date.month * 100 + ref_date.day)

    surnames, probs = load_surnames()
    own = surnames[rng.choice(len(surnames), size=n, p=probs)]
    heads_idx = np.flatnonzero(head)[household]
    share = rng.random(n) < float(pop["household_shared_surname"])
    names = given_names(rng, male, np.where(share | head, own[heads_idx], own))
    report("residents", n // 2, n)

    grid_idx = home[household]
    district = grids.district_codes[grid_idx]
    area = _area_codes(rng, geography, district, born)
    id_numbers = _id_numbers(rng, area, birth, male)
    mobiles = _unique_mobiles(rng, n)
    address = np.array(hh_address, dtype=np.str_)[household] if n else np.array([], np.str_)
    hukou = _hukou(rng, grids, grid_idx, address, area, city.prefecture_prefix, pop)
    marital = _by_age(rng, pop["marital_status"], age, "population.marital_status")
    underage = age < np.where(male, 22, 20)
    marital = np.where(underage, "未婚", marital)
    education = _by_age(rng, pop["education"], age, "population.education")
    report("residents", 3 * n // 4, n)

    table = pa.table(
        {
            "person_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "household_id": pa.array(household + 1),
            "name": pa.array(names.tolist(), pa.string()),
            "sex": pa.array(np.where(male, "男", "女").tolist(), pa.string()),
            "birth_date": pa.array(birth, pa.date32()),
            "id_number": pa.array(id_numbers.tolist(), pa.string()),
            "mobile": pa.array(mobiles.tolist(), pa.string(), mask=age < 12),
            "address": pa.array(address.tolist(), pa.string()),
            "district_code": pa.array(district.tolist(), pa.string()),
            "street_code": pa.array(grids.street_codes[grid_idx].tolist(), pa.string()),
            "grid_code": pa.array(grids.codes[grid_idx].tolist(), pa.string()),
            "lon": pa.array(hh_lon[household]),
            "lat": pa.array(hh_lat[household]),
            "hukou_address": pa.array(hukou, pa.string()),
            "marital_status": pa.array(marital.tolist(), pa.string()),
            "education": pa.array(education.tolist(), pa.string()),
        }
    )
    report("residents", n, n)
    days = birth.astype(np.int64)
    return Residents(table=table, id_number=id_numbers, name=names, birth_days=days, age=age)


def _hukou(
    rng: np.random.Generator,
    grids: GridTable,
    grid_idx: IntArray,
    address: StrArray,
    area: IntArray,
    prefecture: str,
    pop: dict[str, Any],
) -> list[str]:
    """户籍地址: usually where locals live, elsewhere in the city, or the county of origin."""
    n = len(grid_idx)
    local = area // 100 == int(prefecture)
    at_home = local & (rng.random(n) < float(pop["hukou_at_residence"]))
    moved_in = ~local & (rng.random(n) < float(pop["hukou_moved_in"]))
    elsewhere = short_addresses(rng, grids, grids.choose(rng, n))
    origin_roads = pick_roads(rng, grids, grids.choose(rng, n)).tolist()
    origin_numbers = street_numbers(rng, n).tolist()
    names: dict[int, str] = {}
    out: list[str] = []
    for i in range(n):
        if at_home[i]:
            out.append(str(address[i]))
        elif local[i] or moved_in[i]:
            out.append(elsewhere[i])
        else:
            code = int(area[i])
            if code not in names:
                found = lookup_area(f"{code:06d}")
                names[code] = found.full_name if found else ""
            out.append(f"{names[code]}{origin_roads[i]}{origin_numbers[i]}号")
    return out
