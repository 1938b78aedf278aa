"""Schemathesis over the ops endpoints only (the whole-spec run is tests/core/test_schemathesis):
generated valid and invalid requests as a dispatcher and as an officer — never a 5xx, only
documented statuses and content types."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import GenerationMode

from tests.core.test_schemathesis import METHOD_ORDER, _run
from tests.ops.conftest import OpsWorld, report


@pytest.mark.parametrize("who", ["dispatcher", "cgj"])
def test_ops_api_under_generated_requests(
    backend: str, app: FastAPI, client: TestClient, world: OpsWorld, who: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the write path is the same code on both backends")
    case_id = report(client, world.call_taker)["case"]["id"]
    headers = getattr(world, who).headers
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    ops = [r.ok() for r in schema.get_all_operations()]
    ops = [o for o in ops if o.path.startswith("/api/ops")]
    ops.sort(key=lambda o: (METHOD_ORDER.get(o.method.upper(), 0), o.label))
    failures: list[str] = []
    statuses: Counter[str] = Counter()
    for op in ops:
        pinned = {p.name: case_id for p in op.iter_parameters() if p.name == "case_id"}
        _run(op.as_strategy(GenerationMode.POSITIVE, path_parameters=pinned), headers, failures,
             statuses)  # fmt: skip
        _run(op.as_strategy(GenerationMode.NEGATIVE), headers, failures, statuses)
    assert statuses["5xx"] == 0 and failures == [], "\n".join(failures)
