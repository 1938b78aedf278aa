"""The catalog's closed vocabularies: sharing and open types, update frequency, binding roles.

Codes are stable English identifiers stored in the database; the Chinese labels are the
terms government data catalogues use (政务数据共享/开放目录). Themes and licences are not
here: a city replaces them as data (see ``citybase.datahub.themes``).
"""

from __future__ import annotations

from enum import StrEnum


class SharingType(StrEnum):
    """Sharing between departments (共享属性)."""

    unconditional = "unconditional"  # 无条件共享
    conditional = "conditional"  # 有条件共享
    not_shared = "not_shared"  # 不予共享


class OpenType(StrEnum):
    """Opening to the public (开放属性)."""

    unconditional = "unconditional"  # 无条件开放
    conditional = "conditional"  # 有条件开放
    not_open = "not_open"  # 不予开放


class UpdateFrequency(StrEnum):
    """How often the owning department promises a new version (更新周期)."""

    realtime = "realtime"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    semiannual = "semiannual"
    yearly = "yearly"
    irregular = "irregular"


class BindingRole(StrEnum):
    """How a dataset column holds a data element: the one authority, or a copy of it."""

    authority = "authority"  # 权威来源
    replica = "replica"  # 副本


SHARING_LABELS: dict[SharingType, tuple[str, str]] = {
    SharingType.unconditional: ("无条件共享", "Shared unconditionally"),
    SharingType.conditional: ("有条件共享", "Shared on approval"),
    SharingType.not_shared: ("不予共享", "Not shared"),
}

OPEN_LABELS: dict[OpenType, tuple[str, str]] = {
    OpenType.unconditional: ("无条件开放", "Open to everyone"),
    OpenType.conditional: ("有条件开放", "Open on application"),
    OpenType.not_open: ("不予开放", "Not open"),
}

FREQUENCY_LABELS: dict[UpdateFrequency, tuple[str, str]] = {
    UpdateFrequency.realtime: ("实时", "Real time"),
    UpdateFrequency.daily: ("每日", "Daily"),
    UpdateFrequency.weekly: ("每周", "Weekly"),
    UpdateFrequency.monthly: ("每月", "Monthly"),
    UpdateFrequency.quarterly: ("每季度", "Quarterly"),
    UpdateFrequency.semiannual: ("每半年", "Every six months"),
    UpdateFrequency.yearly: ("每年", "Yearly"),
    UpdateFrequency.irregular: ("不定期", "Irregular"),
}

# The longest a version may age before a freshness rule fails, by promised frequency: one
# period plus a day of grace. Irregular datasets have no promise, so no limit.
FREQUENCY_MAX_AGE_DAYS: dict[UpdateFrequency, int | None] = {
    UpdateFrequency.realtime: 1,
    UpdateFrequency.daily: 2,
    UpdateFrequency.weekly: 8,
    UpdateFrequency.monthly: 32,
    UpdateFrequency.quarterly: 93,
    UpdateFrequency.semiannual: 184,
    UpdateFrequency.yearly: 367,
    UpdateFrequency.irregular: None,
}

# DCAT-AP frequency vocabulary (http://publications.europa.eu/resource/authority/frequency/),
# for the DCAT export.
FREQUENCY_DCAT: dict[UpdateFrequency, str] = {
    UpdateFrequency.realtime: "CONT",
    UpdateFrequency.daily: "DAILY",
    UpdateFrequency.weekly: "WEEKLY",
    UpdateFrequency.monthly: "MONTHLY",
    UpdateFrequency.quarterly: "QUARTERLY",
    UpdateFrequency.semiannual: "ANNUAL_2",
    UpdateFrequency.yearly: "ANNUAL",
    UpdateFrequency.irregular: "IRREG",
}
