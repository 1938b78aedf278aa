"""Synthetic motor vehicles of 示范市.

Plates follow GA 36 and match the vehicle: 8 characters for new energy (D pure electric, F
other; the large-vehicle layout for buses and lorries), 挂 for trailers, 学 for driving-school
cars; most carry the city's own office (苏A), the rest other offices. Owners are adult
residents or, for most commercial vehicles, active enterprises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from citybase.demo.generate_data import CityConfig, load_yaml, weights
from citybase.demo.generate_orgs import Enterprises, recent_days, to_days
from citybase.demo.generate_people import Residents
from citybase.demo.generate_places import StrArray, choose_labels
from citybase.identifiers.plate import OFFICE_LETTERS, PROVINCE_ABBREVIATIONS

if TYPE_CHECKING:
    from citybase.demo.generate import CityGeography

STREAM_VEHICLES = 30
PASSENGER_TYPES = frozenset({"小型普通客车", "小型轿车", "微型轿车", "教练车"})
_LETTERS = np.array(list(OFFICE_LETTERS))
_LETTER_COUNT_P = np.array([0.45, 0.4, 0.15])


def _pick(rng: np.random.Generator, pool: npt.NDArray[Any], n: int) -> npt.NDArray[Any]:
    return np.asarray(pool[rng.integers(0, len(pool), n)])


def _serials(rng: np.random.Generator, n: int, length: int, max_letters: int) -> StrArray:
    """Serials as issued: digits with up to ``max_letters`` letters (never I or O)."""
    chars = rng.integers(0, 10, size=(n, length)).astype(np.str_)
    p = _LETTER_COUNT_P[: max_letters + 1]
    letters = rng.choice(max_letters + 1, size=n, p=p / p.sum())
    for slot in range(max_letters):
        rows = np.flatnonzero(letters > slot)
        chars[rows, rng.integers(0, length, size=rows.size)] = _pick(rng, _LETTERS, rows.size)
    out = chars[:, 0]
    for col in range(1, length):
        out = np.char.add(out, chars[:, col])
    return np.asarray(out)


def _plates(
    rng: np.random.Generator, city: CityConfig, style: StrArray, nev_letter: StrArray
) -> StrArray:
    """One plate per vehicle: office by locality, layout by style and energy."""
    n = len(style)
    if n == 0:  # numpy's string ops reject empty arrays of this dtype
        return np.array([], dtype=np.str_)
    cfg = load_yaml("vehicles.yaml")
    local = rng.random(n) < float(cfg["local_plate_share"])
    same_province = ~local & (rng.random(n) < float(cfg["same_province_share"]))
    province = np.where(
        local | same_province,
        city.plate_province,
        _pick(rng, np.array(list(PROVINCE_ABBREVIATIONS)), n),
    )
    office = np.where(
        local,
        city.plate_letter,
        np.where(
            same_province,
            _pick(rng, np.array(list(city.plate_other_letters)), n),
            _pick(rng, _LETTERS, n),
        ),
    )
    head = np.char.add(province, office)
    five_digits = np.char.zfill(rng.integers(0, 100_000, size=n).astype(np.str_), 5)
    second = np.where(rng.random(n) < 0.3, _pick(rng, _LETTERS, n), five_digits.astype("<U1"))
    last_four = np.array([d[1:] for d in five_digits.tolist()], dtype="<U4")
    small_nev = np.char.add(np.char.add(nev_letter, second), last_four)
    large_nev = np.char.add(five_digits, nev_letter)
    serial4 = _serials(rng, n, 4, 1)
    tail = np.select(
        [
            (nev_letter != "") & (style == "large"),
            nev_letter != "",
            style == "trailer",
            style == "coach",
        ],
        [large_nev, small_nev, np.char.add(serial4, "挂"), np.char.add(serial4, "学")],
        default=_serials(rng, n, 5, 2),
    )
    return np.asarray(np.char.add(head, tail), dtype="<U8")  # wide enough for any plate


def _unique_plates(
    rng: np.random.Generator, city: CityConfig, style: StrArray, nev_letter: StrArray
) -> StrArray:
    plates = _plates(rng, city, style, nev_letter)
    for _ in range(100):
        _, first = np.unique(plates, return_index=True)
        dup = np.setdiff1d(np.arange(len(plates)), first)
        if dup.size == 0:
            break
        plates[dup] = _plates(rng, city, style[dup], nev_letter[dup])
    return plates


def build_vehicles(
    seed: int,
    geography: CityGeography,
    people: Residents,
    orgs: Enterprises,
    n: int,
    report: Callable[[str, int, int], None],
) -> pa.Table:
    """Draw ``n`` vehicles with plates, energy, brand, owner and registration date."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM_VEHICLES]))
    cfg = load_yaml("vehicles.yaml")
    city = geography.city
    report("vehicles", 0, n)
    types: dict[str, Any] = cfg["types"]
    type_labels, type_p = weights({k: v["share"] for k, v in types.items()}, "vehicles.types")
    vtype = choose_labels(rng, type_labels, type_p, n)
    style = np.array([str(types[t]["plate"]) for t in vtype.tolist()], dtype=np.str_)
    energy = np.empty(n, dtype=object)
    for label in type_labels:
        rows = np.flatnonzero(vtype == label)
        names, probs = weights(types[label]["energy"], f"vehicles.types.{label}.energy")
        energy[rows] = choose_labels(rng, names, probs, rows.size)
    energy = energy.astype(np.str_)
    nev_map: dict[str, str] = {str(k): str(v) for k, v in cfg["new_energy"].items()}
    nev_letter = np.array([nev_map.get(e, "") for e in energy.tolist()], dtype=np.str_)
    plates = _unique_plates(rng, city, style, nev_letter)
    report("vehicles", n // 3, n)

    brand = np.empty(n, dtype=object)
    passenger = np.isin(vtype, list(PASSENGER_TYPES))
    nev = nev_letter != ""
    for category, in_category in (("passenger", passenger), ("commercial", ~passenger)):
        table = cfg["brands"][category]
        for column, selected in ((0, ~nev), (1, nev)):
            rows = np.flatnonzero(in_category & selected)
            names, probs = weights({b: w[column] for b, w in table.items()}, "vehicles.brands")
            brand[rows] = choose_labels(rng, names, probs, rows.size)

    commercial_owner = np.where(style == "small", float(cfg["owned_by_enterprise"]), 0.95)
    active = np.flatnonzero(orgs.active)
    by_org = (rng.random(n) < commercial_owner) & (active.size > 0)
    adults = np.flatnonzero(people.age >= 18)
    person = _pick(rng, adults, n)
    org = _pick(rng, active, n) if active.size else np.zeros(n, dtype=np.int64)
    ref = to_days(city.reference_date)
    earliest = np.where(nev, _iso_days("2014-01-01"), _iso_days("2000-01-01"))
    owner_from = np.where(
        by_org, orgs.established_days[org], people.birth_days[person] + int(18 * 365.25) + 1
    )
    registered = recent_days(rng, np.minimum(np.maximum(owner_from, earliest), ref), ref, 0.7)
    report("vehicles", 2 * n // 3, n)

    result = pa.table(
        {
            "plate": pa.array(plates.tolist(), pa.string()),
            "vehicle_type": pa.array(vtype.tolist(), pa.string()),
            "energy_type": pa.array(energy.tolist(), pa.string()),
            "owner_id_number": pa.array(
                people.id_number[person].tolist(), pa.string(), mask=by_org
            ),
            "owner_uscc": pa.array(
                orgs.uscc[org].tolist() if active.size else [""] * n, pa.string(), mask=~by_org
            ),
            "brand": pa.array(brand.astype(np.str_).tolist(), pa.string()),
            "registered_date": pa.array(registered.astype("datetime64[D]"), pa.date32()),
        }
    )
    report("vehicles", n, n)
    return result


def _iso_days(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))
