"""Schemathesis over the Open311 resources: generated valid and invalid requests, with a
call-taker's key and without — never a 5xx, only documented statuses and content types."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import GenerationMode

from tests.core.test_schemathesis import METHOD_ORDER, _run
from tests.ops.conftest import OpsWorld, report


@pytest.mark.parametrize("who", ["call_taker", "nobody"])
def test_open311_under_generated_requests(
    backend: str, app: FastAPI, client: TestClient, world: OpsWorld, who: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the write path is the same code on both backends")
    report(client, world.call_taker)
    headers = world.call_taker.headers if who == "call_taker" else {}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    ops = [r.ok() for r in schema.get_all_operations()]
    ops = [o for o in ops if o.path.startswith("/open311")]
    assert len(ops) == 5
    ops.sort(key=lambda o: (METHOD_ORDER.get(o.method.upper(), 0), o.label))
    failures: list[str] = []
    statuses: Counter[str] = Counter()
    for op in ops:
        _run(op.as_strategy(GenerationMode.POSITIVE), headers, failures, statuses)
        _run(op.as_strategy(GenerationMode.NEGATIVE), headers, failures, statuses)
    assert statuses["5xx"] == 0 and failures == [], "\n".join(failures)
