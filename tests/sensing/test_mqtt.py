"""MQTT through the machine's real Mosquitto: ingest, restart without loss, rate limit,
republish to subscribers. Skipped (with the reason) when no broker listens and not in CI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import func, select

from citybase.sensing.config import SensingSettings
from citybase.sensing.ingest import Ingest
from citybase.sensing.models import Observation
from tests.sensing.conftest import make_datastream

HOST, PORT = "127.0.0.1", 1883
IN_CI = os.environ.get("CI", "").lower() == "true"


def _broker_up() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


if not _broker_up():
    if IN_CI:
        raise RuntimeError(
            "CI=true but no MQTT broker listens on 127.0.0.1:1883 (.ci/run starts Mosquitto)"
        )
    pytest.skip(
        "no MQTT broker on 127.0.0.1:1883 (start mosquitto to run these)", allow_module_level=True
    )


def _decode(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def publisher() -> mqtt.Client:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    c.connect(HOST, PORT)
    c.loop_start()
    return c


def publish_all(c: mqtt.Client, ds_id: int, values: range) -> None:
    infos = [
        c.publish(
            f"v1.1/Datastreams({ds_id})/Observations", json.dumps({"result": float(v)}), qos=1
        )
        for v in values
    ]
    for info in infos:
        info.wait_for_publish(timeout=10)


def stored(factory: Any, ds_id: int) -> list[float]:
    with factory() as db:
        return sorted(
            db.scalars(select(Observation.result_number).where(Observation.datastream_id == ds_id))
        )


def wait_for(predicate: Any, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def forget_session(client_id: str) -> None:
    """Drop the broker's persistent session of ``client_id`` (clean connect)."""
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    c.connect(HOST, PORT)
    c.disconnect()


def test_ingest_batches_rate_limit_and_republish(committed_db: Any) -> None:
    _url, factory = committed_db
    ds_id = make_datastream(factory)
    flood_id = make_datastream(factory, "故障设备")
    group = f"t{uuid.uuid4().hex[:8]}"
    cfg = SensingSettings(share_group=group, ingest_batch=50, device_rate_per_s=20)
    client_id = f"test-ingest-{group}"
    ingest = Ingest(factory, client_id=client_id, settings=cfg)
    thread = threading.Thread(target=ingest.run, daemon=True)
    thread.start()
    got: list[dict[str, Any]] = []
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-sub-{group}")
    sub.on_message = lambda _c, _u, msg: got.append(_decode(msg.payload))
    sub.connect(HOST, PORT)
    sub.subscribe(f"v1.1/Datastreams({ds_id})/Observations", qos=0)
    sub.loop_start()
    try:
        assert ingest.connected.wait(10)
        time.sleep(0.3)
        pub = publisher()
        publish_all(pub, ds_id, range(15))
        publish_all(pub, flood_id, range(200))  # one device floods
        pub.publish(f"v1.1/Datastreams({ds_id})/Observations", b"{not json", qos=1)
        pub.publish("v1.1/Datastreams(999999)/Observations", b'{"result": 1}', qos=1)
        assert wait_for(lambda: len(stored(factory, ds_id)) == 15)
        assert stored(factory, ds_id) == [float(v) for v in range(15)]
        assert wait_for(lambda: ingest.counters.rejected >= 2)
        assert ingest.counters.reasons.get("json") == 1
        assert ingest.counters.reasons.get("unknown_datastream") == 1
        assert "topic" not in ingest.counters.reasons  # republished entities are skipped
        assert wait_for(
            lambda: len(stored(factory, flood_id)) + ingest.counters.rate_limited == 200
        )
        flood = stored(factory, flood_id)
        assert 20 <= len(flood) < 200 and ingest.counters.rate_limited == 200 - len(flood)
        # subscribers see the created entities (with @iot.id), and the ingest does not
        # store its own republished messages again
        assert wait_for(lambda: len([g for g in got if "@iot.id" in g]) == 15)
        time.sleep(0.5)
        assert len(stored(factory, ds_id)) == 15
        pub.loop_stop()
    finally:
        sub.loop_stop()
        ingest.stop_event.set()
        thread.join(5)
        forget_session(client_id)


def test_nothing_lost_when_the_consumer_is_killed(committed_db: Any, tmp_path: Path) -> None:
    url, factory = committed_db
    ds_id = make_datastream(factory)
    group = f"t{uuid.uuid4().hex[:8]}"
    worker = 100000 + int(uuid.uuid4().int % 100000)
    env = {
        **os.environ,
        "CITYBASE_DATABASE_URL": url,
        "CITYBASE_DATA_DIR": str(tmp_path),
        "CITYBASE_SENSING_SHARE_GROUP": group,
        "CITYBASE_SENSING_DEVICE_RATE_PER_S": "100000",
        "CITYBASE_SENSING_MQTT_REPUBLISH": "false",
    }
    cmd = [
        sys.executable,
        "-c",
        "from citybase.cli import main; main()",
        "sensing",
        "ingest",
        "--worker",
        str(worker),
    ]

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return proc

    proc = start()
    pub = publisher()
    try:
        # the first run makes the persistent session: wait until it stores a probe
        assert wait_for(
            lambda: (
                (publish_all(pub, ds_id, range(0, 1)) or True) and len(stored(factory, ds_id)) >= 1
            ),
            timeout=30,
        )
        publish_all(pub, ds_id, range(1, 300))
        proc.send_signal(signal.SIGKILL)  # mid-stream: some batches were not committed
        proc.wait(10)
        before = len(set(stored(factory, ds_id)))
        publish_all(pub, ds_id, range(300, 600))  # while no consumer runs: the broker queues
        proc = start()
        assert wait_for(
            lambda: set(stored(factory, ds_id)) >= {float(v) for v in range(600)}, timeout=40
        ), f"stored {len(set(stored(factory, ds_id)))} of 600"
        assert before < 600
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        pub.loop_stop()
        forget_session(f"citybase-ingest-{worker}")


def test_count_helper_sees_commits(committed_db: Any) -> None:
    _url, factory = committed_db
    with factory() as db:
        assert db.scalar(select(func.count()).select_from(Observation)) == 0
