"""The demo city's services (order 70): placeholder replaced below."""

from __future__ import annotations

from citybase.demo.context import DemoContext


def build_services(ctx: DemoContext) -> None:
    del ctx
