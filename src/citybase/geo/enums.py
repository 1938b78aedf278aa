from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """The three levels of the city's grid management (网格化管理), coarse to fine."""

    district = "district"  # 区
    street = "street"  # 街道 (sub-district office area)
    grid = "grid"  # 网格

    @property
    def depth(self) -> int:
        return LEVELS.index(self)

    @property
    def parent_level(self) -> Level | None:
        """The level a feature of this level must name in ``parent_code`` (None: top level)."""
        return None if self is Level.district else LEVELS[self.depth - 1]


LEVELS: tuple[Level, ...] = (Level.district, Level.street, Level.grid)

LEVEL_LABELS: dict[Level, tuple[str, str]] = {
    Level.district: ("区", "District"),
    Level.street: ("街道", "Street"),
    Level.grid: ("网格", "Grid"),
}
