"""Republishing created observations over MQTT (the SensorThings "receive updates" part).

After an observation commits, its full entity (with ``@iot.id``) is published with QoS 0 to
``v1.1/Datastreams(d)/Observations``, ``v1.1/Things(t)/Observations`` (a citybase extension:
a Thing's new observations) and ``v1.1/Observations``. The ingest consumer skips messages
that carry ``@iot.id``, so a republished entity is never stored twice. When the broker is
away the API keeps serving: the client reconnects in the background and updates are
dropped meanwhile (they stay readable over HTTP).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from citybase.sensing.config import sensing_settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_client: mqtt.Client | None = None
_session_factory: Any = None


def configure(session_factory: Any) -> None:
    """Called at start-up with the app's session factory (to read what was created)."""
    global _session_factory
    _session_factory = session_factory


def client() -> mqtt.Client | None:
    global _client
    cfg = sensing_settings()
    if not cfg.mqtt_republish:
        return None
    with _lock:
        if _client is None:
            c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
            c.reconnect_delay_set(min_delay=1, max_delay=30)
            try:
                c.connect_async(cfg.mqtt_host, cfg.mqtt_port, keepalive=30)
                c.loop_start()
            except OSError as exc:  # pragma: no cover - resolver failure
                log.warning("MQTT publisher cannot start: %s", exc)
                return None
            _client = c
        return _client


def observations_created(
    ids: list[int], base_url: str, *, via: mqtt.Client | None = None, session_factory: Any = None
) -> None:
    """Publish the created observations (read back in a short session of our own), through
    ``via`` (the ingest's own connection) or the process's publisher. Never raises: the
    observations are committed whatever happens to their notification."""
    try:
        _publish(ids, base_url, via, session_factory)
    except Exception:  # a notification must not fail a committed write
        log.exception("republishing %d observations failed", len(ids))


def _publish(ids: list[int], base_url: str, via: mqtt.Client | None, session_factory: Any) -> None:
    factory = session_factory or _session_factory
    if not ids or factory is None or not sensing_settings().mqtt_republish:
        return
    c = via or client()
    if c is None or not c.is_connected():
        return
    from citybase.sensing.models import Datastream, Observation
    from citybase.sensing.sta.entities import ENTITY_SETS
    from citybase.sensing.sta.query import Reader

    es = ENTITY_SETS["Observations"]
    with factory() as db:
        reader = Reader(db, base_url)
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            rows = db.execute(
                select(Observation, Datastream.thing_id)
                .join(Datastream, Datastream.id == Observation.datastream_id)
                .where(Observation.id.in_(chunk))
            ).all()
            for obs, thing_id in rows:
                payload = json.dumps(reader.render(es, obs), ensure_ascii=False)
                for topic in (
                    f"v1.1/Datastreams({obs.datastream_id})/Observations",
                    f"v1.1/Things({thing_id})/Observations",
                    "v1.1/Observations",
                ):
                    c.publish(topic, payload, qos=0)


def shutdown() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.loop_stop()
            _client.disconnect()
            _client = None
