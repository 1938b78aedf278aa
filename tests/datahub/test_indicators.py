"""The data hub's live indicators, as the BTE assessment reads them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.plugins import get_plugin_manager
from tests.datahub.conftest import Actor, create


def _live(session: Session) -> dict[str, float]:
    found = get_plugin_manager().hook.citybase_live_indicators(session=session)
    return {i.indicator_id: i.value for group in found for i in group}


def test_empty_catalog_reports_nothing(session: Session) -> None:
    live = _live(session)
    assert "data_shareable_share" not in live and "open_datasets_share" not in live


def test_shares_follow_the_catalog(client: TestClient, session: Session, steward: Actor) -> None:
    create(
        client,
        steward,
        "ind-a",
        sharing_type="unconditional",
        open_type="unconditional",
        licence="city-open",
    )
    create(client, steward, "ind-b", sharing_type="conditional", open_type="not_open")
    create(client, steward, "ind-c", sharing_type="not_shared", open_type="not_open")
    create(
        client,
        steward,
        "ind-d",
        sharing_type="not_shared",
        open_type="conditional",
        open_condition="经申请审核后开放",
        licence="city-open",
    )
    live = _live(session)
    assert live["data_shareable_share"] == pytest.approx(50.0)
    assert live["open_datasets_share"] == pytest.approx(50.0)
    assert live["data_graded_share"] == pytest.approx(0.0)  # nothing loaded, nothing graded
    from tests.datahub.conftest import upload

    rows = "站点,数量\n" + "".join(f"站点{i},{i}\n" for i in range(10))
    assert upload(client, steward, "ind-b", rows.encode()).status_code == 201
    assert _live(session)["data_graded_share"] == pytest.approx(25.0)
