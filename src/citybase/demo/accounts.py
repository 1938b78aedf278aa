"""Demo accounts: one or more per role, in departments taken from the taxonomy file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from citybase.identity.enums import Role

DEMO_PASSWORD = "citybase-demo"  # noqa: S105 - printed to the user; demo refuses production mode


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    department: str | None


def _load() -> list[DemoAccount]:
    raw = yaml.safe_load((Path(__file__).parent / "data" / "accounts.yaml").read_text("utf-8"))
    out = []
    for item in raw["accounts"]:
        Role(item["role"])  # validate
        out.append(
            DemoAccount(
                username=item["username"],
                display_name=item["display_name"],
                role=item["role"],
                department=item.get("department"),
            )
        )
    return out


def demo_accounts() -> list[DemoAccount]:
    return _load()
