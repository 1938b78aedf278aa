"""Sharing requests' statuses and the tracker's channels: stable codes stored in the database."""

from __future__ import annotations

from enum import StrEnum


class RequestStatus(StrEnum):
    """Where a sharing request (共享申请) stands."""

    pending = "pending"  # 待审核: waits for the owning department's data steward
    granted = "granted"  # 已授权: a grant exists (automatically for 无条件共享, or approved)
    rejected = "rejected"  # 已驳回: the owner said no, with reasons
    refused = "refused"  # 不予共享: the dataset is not shareable; refused at once
    withdrawn = "withdrawn"  # 已撤回: the requesting department withdrew it


STATUS_LABELS: dict[RequestStatus, tuple[str, str]] = {
    RequestStatus.pending: ("待审核", "Awaiting approval"),
    RequestStatus.granted: ("已授权", "Granted"),
    RequestStatus.rejected: ("已驳回", "Rejected"),
    RequestStatus.refused: ("不予共享", "Refused: not shareable"),
    RequestStatus.withdrawn: ("已撤回", "Withdrawn"),
}

#: The longest a grant may run: national practice reviews sharing at least every three years.
MAX_GRANT_DAYS = 3 * 366
