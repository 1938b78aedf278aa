"""What every CKAN action receives, and the registry ``help_show`` and the router read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from citybase.identity.models import User
from citybase.settings import Settings


@dataclass
class ActionContext:
    db_session: Session
    user: User | None
    settings: Settings
    base_url: str


Action = Callable[[ActionContext, dict[str, Any]], Any]
ACTIONS: dict[str, Action] = {}


def action(fn: Action) -> Action:
    """Register ``fn`` as the CKAN action of the same name."""
    ACTIONS[fn.__name__] = fn
    return fn
