"""Closed vocabularies of ops that are not city data: channels and satisfaction grades."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    hotline = "hotline"  # 12345 热线
    web = "web"  # 网站/APP 市民上报
    grid = "grid"  # 网格员巡查
    open311 = "open311"  # Open311 GeoReport v2
    sensor = "sensor"  # 物联感知告警
    import_ = "import"  # 历史案卷导入


class Satisfaction(StrEnum):
    satisfied = "satisfied"  # 满意
    basically = "basically_satisfied"  # 基本满意
    dissatisfied = "dissatisfied"  # 不满意


#: The workflow states in which a case still needs work (open cases, queues, overdue).
OPEN_STATES = (
    "received",
    "registered",
    "dispatched",
    "processing",
    "extension_requested",
    "suspension_requested",
    "suspended",
    "handled",
    "verified",
)
#: States ops relies on in the city's ops_case.yaml (checked at start-up).
REQUIRED_STATES = (*OPEN_STATES, "closed", "rejected", "merged")
REQUIRED_MOVES = (
    "register", "register_and_dispatch", "reject", "merge", "dispatch", "reassign", "accept",
    "return", "handle",
    "request_extension", "approve_extension", "deny_extension", "request_suspension",
    "approve_suspension", "deny_suspension", "resume", "confirm", "send_back", "close",
    "follow_up", "reopen", "urge", "supervise",
)  # fmt: skip
