from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Platform roles. Department-scoped roles act only on their own department's records."""

    platform_admin = "platform_admin"  # 平台管理员: everything, every department
    dept_admin = "dept_admin"  # 部门管理员: users and settings of one department
    officer = "officer"  # 业务人员: handles the department's cases and applications
    dispatcher = "dispatcher"  # 派遣员: city operations centre dispatching
    data_steward = "data_steward"  # 数据管理员: the department's datasets
    analyst = "analyst"  # 分析/规划人员: read-only analysis, assessment
    applicant = "applicant"  # 市民/企业申请人: citizens and businesses
    call_taker = "call_taker"  # 12345话务员: takes hotline calls, registers city events
    grid_worker = "grid_worker"  # 网格员: patrols a grid, reports and verifies city events


DEPARTMENT_ROLES = frozenset(
    {
        Role.dept_admin,
        Role.officer,
        Role.dispatcher,
        Role.data_steward,
        Role.analyst,
        Role.call_taker,
        Role.grid_worker,
    }
)

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.platform_admin: ("平台管理员", "Platform administrator"),
    Role.dept_admin: ("部门管理员", "Department administrator"),
    Role.officer: ("业务人员", "Officer"),
    Role.dispatcher: ("派遣员", "Dispatcher"),
    Role.data_steward: ("数据管理员", "Data steward"),
    Role.analyst: ("分析人员", "Analyst"),
    Role.applicant: ("申请人", "Applicant (citizen or business)"),
    Role.call_taker: ("12345话务员", "12345 hotline call-taker"),
    Role.grid_worker: ("网格员", "Grid worker"),
}
