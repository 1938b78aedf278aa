"""The MQTT ingest: devices publish to ``v1.1/Datastreams(id)/Observations``; we store them.

* **Nothing lost**: a persistent MQTT 5 session (``clean_start=False``, no expiry, a stable
  client id), QoS 1
  and *manual* acknowledgements — a message is acknowledged only after the batch holding it
  committed. A consumer killed mid-batch leaves its messages unacknowledged and the broker
  delivers them again on reconnect (at least once: a crash between commit and ack can repeat
  a batch).
* **Several workers**: each subscribes to ``$share/citybase/v1.1/+/Observations`` (the group is
  ``CITYBASE_SENSING_SHARE_GROUP``); the broker
  hands each message to one of them.
* **Batches**: up to ``CITYBASE_SENSING_INGEST_BATCH`` messages or ``…_FLUSH_MS`` of waiting,
  one transaction each (rollups and alarms included).
* **A flood from one device** is cut by a token bucket per datastream
  (``…_DEVICE_RATE_PER_S``): its excess is counted and dropped, other devices flow on.
* **A broker that goes away**: paho reconnects with backoff (1 s doubling to 30 s).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybase.errors import CitybaseError
from citybase.sensing import mqtt_publish
from citybase.sensing.config import SensingSettings, sensing_settings
from citybase.sensing.models import Datastream
from citybase.sensing.sta.write import feature_for_datastream
from citybase.sensing.store import (
    MAX_FUTURE_MS,
    NewObservation,
    insert_observations,
    now_ms,
    parse_time,
)

log = logging.getLogger(__name__)
TOPIC = re.compile(r"^v1\.1/Datastreams\((\d+)\)/Observations$")


@dataclass
class Counters:
    stored: int = 0
    rejected: int = 0
    rate_limited: int = 0
    batches: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str) -> None:
        self.rejected += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


class TokenBucket:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens: dict[int, tuple[float, float]] = {}

    def allow(self, key: int, now: float) -> bool:
        tokens, last = self.tokens.get(key, (self.rate, now))
        tokens = min(self.rate, tokens + (now - last) * self.rate)
        if tokens < 1:
            self.tokens[key] = (tokens, now)
            return False
        self.tokens[key] = (tokens - 1, now)
        return True


def parse_message(
    topic: str, payload: bytes | bytearray
) -> tuple[int, dict[str, Any]] | str | None:
    """(datastream id, body), a rejection reason, or None for our own republished entity."""
    try:
        body = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "json"
    if isinstance(body, dict) and "@iot.id" in body:
        return None
    m = TOPIC.match(topic)
    if m is None:
        return "topic"
    if not isinstance(body, dict) or "result" not in body:
        return "no_result"
    return int(m.group(1)), body


class Ingest:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        client_id: str = "citybase-ingest-1",
        settings: SensingSettings | None = None,
        base_url: str = "http://localhost:8000/sta/v1.1",
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.cfg = settings or sensing_settings()
        self.factory = session_factory
        self.base_url = base_url
        self.on_batch = on_batch
        self.counters = Counters()
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.bucket = TokenBucket(self.cfg.device_rate_per_s)
        self.stop_event = threading.Event()
        self.connected = threading.Event()
        # MQTT 5: the session outlives the connection (expiry "never"), and Receive Maximum
        # lets the broker keep a whole batch in flight unacknowledged (Mosquitto's default
        # for 3.1.1 clients is 20, which would cap a consumer that acks after commit).
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        c.manual_ack_set(True)
        c.max_inflight_messages_set(max(20, self.cfg.ingest_batch * 2))
        c.max_queued_messages_set(0)
        c.reconnect_delay_set(min_delay=1, max_delay=30)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = lambda _c, _u, msg: self.inbox.put(msg)
        self.client = c

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc == 0:
            client.subscribe(f"$share/{self.cfg.share_group}/v1.1/+/Observations", qos=1)
            self.connected.set()
            log.info("sensing ingest connected to %s:%s", self.cfg.mqtt_host, self.cfg.mqtt_port)

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self.connected.clear()
        if not self.stop_event.is_set():
            log.warning("sensing ingest lost the broker (%s); reconnecting with backoff", rc)

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 0xFFFFFFFF
        props.ReceiveMaximum = min(65535, max(20, self.cfg.ingest_batch * 2))
        self.client.connect_async(
            self.cfg.mqtt_host,
            self.cfg.mqtt_port,
            keepalive=30,
            clean_start=False,
            properties=props,
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.stop_event.set()
        self.client.disconnect()
        self.client.loop_stop()

    def run(self, *, until: Callable[[], bool] | None = None) -> None:
        """Consume until ``stop()`` (or ``until()`` is true)."""
        self.start()
        try:
            while not self.stop_event.is_set() and not (until and until()):
                self.step()
        finally:
            self.stop()

    def step(self) -> int:
        """Gather one batch (waiting at most the flush time) and store it."""
        batch: list[mqtt.MQTTMessage] = []
        deadline = time.monotonic() + self.cfg.ingest_flush_ms / 1000
        while len(batch) < self.cfg.ingest_batch:
            wait = deadline - time.monotonic()
            if wait <= 0:
                break
            try:
                batch.append(self.inbox.get(timeout=wait))
            except queue.Empty:
                break
        if batch:
            self.store(batch)
        return len(batch)

    def store(self, messages: list[mqtt.MQTTMessage]) -> None:
        parsed: list[tuple[mqtt.MQTTMessage, int, dict[str, Any]]] = []
        for msg in messages:
            got = parse_message(msg.topic, msg.payload)
            if isinstance(got, tuple):
                parsed.append((msg, *got))
            elif got is not None:
                self.counters.reject(got)
        new_ids: list[int] = []
        with self.factory() as db:
            known = set(
                db.scalars(
                    select(Datastream.id).where(Datastream.id.in_({ds for _, ds, _ in parsed}))
                )
            )
            features: dict[int, int | None] = {}
            batch: list[NewObservation] = []
            now = time.monotonic()
            limit = now_ms() + MAX_FUTURE_MS
            for _msg, ds_id, body in parsed:
                obs = self._observation(db, ds_id, body, known, features, limit, now)
                if obs is not None:
                    batch.append(obs)
            try:
                new_ids = insert_observations(db, batch)
                db.commit()
            except CitybaseError as exc:  # validated above; a race (datastream deleted)
                db.rollback()
                log.warning("sensing ingest batch refused: %s", exc.message)
                self.counters.reject("batch")
                batch = []
        for msg in messages:
            self.client.ack(msg.mid, msg.qos)
        self.counters.stored += len(new_ids)
        self.counters.batches += 1
        if new_ids and self.cfg.mqtt_republish:
            mqtt_publish.observations_created(
                new_ids, self.base_url, via=self.client, session_factory=self.factory
            )
        if self.on_batch is not None:
            self.on_batch(len(new_ids))

    def _observation(
        self,
        db: Session,
        ds_id: int,
        body: dict[str, Any],
        known: set[int],
        features: dict[int, int | None],
        limit: int,
        now: float,
    ) -> NewObservation | None:
        if ds_id not in known:
            self.counters.reject("unknown_datastream")
            return None
        if not self.bucket.allow(ds_id, now):
            self.counters.rate_limited += 1
            return None
        try:
            start, end = (
                parse_time(body["phenomenonTime"], "phenomenonTime")
                if body.get("phenomenonTime")
                else (now_ms(), None)
            )
        except CitybaseError:
            self.counters.reject("time")
            return None
        if start > limit:
            self.counters.reject("clock_skew")
            return None
        if ds_id not in features:
            features[ds_id] = feature_for_datastream(db, ds_id)
        return NewObservation(
            ds_id,
            start,
            body["result"],
            end,
            None,
            body.get("resultQuality"),
            body.get("parameters"),
            features[ds_id],
        )


def start_in_thread(session_factory: sessionmaker[Session], **kwargs: Any) -> Ingest:
    """An ingest consumer in a daemon thread (``citybase demo``, tests)."""
    ingest = Ingest(session_factory, **kwargs)
    threading.Thread(target=ingest.run, name="sensing-ingest", daemon=True).start()
    return ingest
