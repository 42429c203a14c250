"""MQTT publisher: the publish stream (consumer group `mqtt`) onto the broker.

Topics (prefix `hsi` by default):
- `hsi/status`: "online" (retained) on connect; the broker publishes the retained LWT "offline"
  when the connection dies, and a clean stop publishes "offline" itself.
- `hsi/events`: every event created/updated (Event JSON, QoS 1, not retained).
- `hsi/<camera>/event`: the camera's latest event (retained), `hsi/<camera>/risk`: its score
  (retained). Only the camera's newest event (by start) goes there: reviewing or annotating an
  older event updates `hsi/events` only, so the retained state never goes back in time.
- `hsi/alerts`: alerts whose rule has an "mqtt" channel (QoS 1, not retained).
With discovery on, every camera gets a device config (see discovery.py), re-published when
`<discovery_prefix>/status` says "online"; a "camera.deleted" message removes it. While the Home
Assistant integration is set up (it connected to /api/ws within 7 days) discovery is withdrawn
(empty retained configs), so Home Assistant shows each camera once, as the integration's device.

Stream entries are acknowledged only after the broker accepted them (QoS 1 PUBACK): while the broker
is down the handler waits, the entries stay pending, and nothing is lost. Reconnects back off
exponentially (1 s doubling to 30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomqtt
import asyncpg

from inference_server.bus.worker import StreamWorker
from inference_server.contract import messages
from inference_server.metrics import Metrics
from inference_server.mqtt.discovery import camera_topics, config_payload, config_topic, legacy_config_topic
from inference_server.notify.mqtt_channel import ALERT_QOS, alert_topic, mqtt_payload, wants_mqtt
from inference_server.settings import Settings
from inference_server.store import queries
from inference_server.store.streams import StreamEntry, Streams

log = logging.getLogger(__name__)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
GROUP = "mqtt"


@dataclass(frozen=True, slots=True)
class MqttOptions:
    """Connection and topic settings (from the `mqtt` section and the API's public URL)."""

    url: str = "mqtt://localhost:1883"
    topic_prefix: str = "hsi"
    discovery: bool = False
    discovery_prefix: str = "homeassistant"
    public_url: str = "http://127.0.0.1:8000"
    client_id: str | None = None
    keepalive: int = 30
    reconnect_min_seconds: float = 1.0
    reconnect_max_seconds: float = 30.0
    publish_timeout_seconds: float = 10.0
    instance_id: str = ""  # read from the database on connect when a pool is given
    suppression_check_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MqttOptions:
        """Build from the server's settings; ValueError when mqtt_url is not set."""
        mqtt = settings.mqtt
        if not mqtt.url:
            raise ValueError("setting 'mqtt_url' is required for the MQTT publisher")
        return cls(
            url=mqtt.url,
            topic_prefix=mqtt.topic_prefix,
            discovery=mqtt.discovery,
            discovery_prefix=mqtt.discovery_prefix,
            public_url=settings.api.base_url.rstrip("/"),
        )

    @property
    def status_topic(self) -> str:
        """The availability topic (LWT)."""
        return f"{self.topic_prefix}/status"

    def client(self) -> aiomqtt.Client:
        """A client for the broker URL (mqtt:// or mqtts://, user:password@ optional) with the LWT."""
        parts = urlsplit(self.url)
        tls = ssl.create_default_context() if parts.scheme == "mqtts" else None
        return aiomqtt.Client(
            parts.hostname or "localhost",
            parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            identifier=self.client_id or f"hsi-{socket.gethostname()}-{uuid.uuid4().hex[:8]}",
            will=aiomqtt.Will(self.status_topic, "offline", qos=1, retain=True),
            keepalive=self.keepalive,
            tls_context=tls,
            timeout=self.publish_timeout_seconds,
        )


class MqttPublisher:
    """Keeps one broker connection and publishes what the publish stream carries.

    Run `await publisher.run(stop)` as one task of the process; it returns when `stop` is set.
    """

    def __init__(
        self,
        *,
        options: MqttOptions,
        streams: Streams,
        pool: asyncpg.Pool | None,
        metrics: Metrics,
        consumer: str,
        batch_size: int = 50,
        block_ms: int = 500,
        reclaim_idle_s: float = 60.0,
        client_factory: Callable[[], aiomqtt.Client] | None = None,
    ) -> None:
        self.options = options
        self.streams = streams
        self.pool = pool
        self.metrics = metrics
        self.consumer = consumer
        self.client_factory = client_factory or options.client
        self.worker = StreamWorker(
            streams=streams,
            stage="publish",
            group=GROUP,
            consumer=consumer,
            handler=self.handle,
            on_exhausted=self._exhausted,
            metrics=metrics,
            batch_size=batch_size,
            block_ms=block_ms,
            reclaim_idle_s=reclaim_idle_s,
            max_attempts=1_000_000,  # the broker being down is never the message's fault
        )
        self.connected = asyncio.Event()
        self.connections = 0
        self._client: aiomqtt.Client | None = None
        self._stop = asyncio.Event()
        self._discovered: set[str] = set()
        self._names: dict[str, str] = {}
        self.instance_id = options.instance_id
        self.suppressed = False  # discovery withdrawn: the Home Assistant integration is set up
        self._suppression_checked = 0.0
        self._latest: dict[str, tuple[str, datetime]] = {}  # without a pool: camera -> newest event

    async def broker_connected(self) -> bool:
        """The `mqtt` check of `/api/system/ready`: True while connected to the broker."""
        return self.connected.is_set()

    async def run(self, stop: asyncio.Event) -> None:
        """Connect (with backoff) and consume the stream until `stop` is set."""
        self._stop = stop
        connection = asyncio.create_task(self._connection_loop(stop), name="mqtt-connection")
        try:
            await self.worker.run(stop)
        finally:
            await connection

    # -- connection ----------------------------------------------------------------------------

    async def _connection_loop(self, stop: asyncio.Event) -> None:
        delay = self.options.reconnect_min_seconds
        while not stop.is_set():
            try:
                async with self.client_factory() as client:
                    await self._on_connect(client)
                    delay = self.options.reconnect_min_seconds
                    listener = asyncio.create_task(self._listen(client))
                    stopper = asyncio.create_task(stop.wait())
                    done, _ = await asyncio.wait({listener, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    stopper.cancel()
                    if listener in done:
                        listener.result()  # raises the MqttError that ended the connection
                    listener.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await listener
                    self.connected.clear()
                    self._client = None
                    with contextlib.suppress(aiomqtt.MqttError, asyncio.TimeoutError):
                        await client.publish(
                            self.options.status_topic, "offline", qos=1, retain=True, timeout=5
                        )
                    log.info("mqtt disconnected cleanly")
                    return
            except aiomqtt.MqttError as exc:
                log.warning("mqtt connection lost or refused: %s (retry in %.0fs)", exc, delay)
            except Exception:
                log.exception("mqtt connection loop failed (retry in %.0fs)", delay)
            finally:
                self.connected.clear()
                self._client = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, self.options.reconnect_max_seconds)

    async def _on_connect(self, client: aiomqtt.Client) -> None:
        await client.publish(self.options.status_topic, "online", qos=1, retain=True)
        self.connections += 1
        self._discovered.clear()
        if self.pool is not None and not self.instance_id:
            self.instance_id = await queries.instance_id(self.pool)
        if self.options.discovery:
            await client.subscribe(f"{self.options.discovery_prefix}/status", qos=1)
            self._suppression_checked = 0.0
            await self._check_suppression(client, force_withdraw=True)
            if not self.suppressed:
                await self._publish_all_discovery(client)
        self._client = client
        self.connected.set()
        # The root handlers' RedactingFilter masks the password of the URL.
        log.info("mqtt connected url=%s discovery=%s", self.options.url, self.options.discovery)

    async def _listen(self, client: aiomqtt.Client) -> None:
        ha_status = f"{self.options.discovery_prefix}/status"
        async for message in client.messages:
            payload = message.payload
            text = (
                bytes(payload).decode(errors="replace")
                if isinstance(payload, bytes | bytearray)
                else str(payload)
            )
            if message.topic.matches(ha_status) and text.strip() == "online":
                await self._check_suppression(client)
                if self.suppressed:
                    continue
                log.info("mqtt Home Assistant came online: re-publishing discovery")
                self._discovered.clear()
                await self._publish_all_discovery(client)

    async def _cameras(self) -> dict[str, str]:
        cameras: dict[str, str] = dict(self._names)
        if self.pool is not None:
            cameras.update(await queries.camera_names(self.pool))
        return cameras

    async def _publish_all_discovery(self, client: aiomqtt.Client) -> None:
        for camera, name in (await self._cameras()).items():
            await self._publish_discovery(client, camera, name)

    async def _check_suppression(self, client: aiomqtt.Client, *, force_withdraw: bool = False) -> None:
        """Withdraw discovery once the integration is set up (checked at most once a minute)."""
        if self.pool is None or not self.options.discovery:
            return
        now = asyncio.get_running_loop().time()
        if (
            self._suppression_checked
            and now - self._suppression_checked < self.options.suppression_check_seconds
        ):
            return
        self._suppression_checked = now
        active = await queries.integration_active(self.pool)
        if active and (force_withdraw or not self.suppressed):
            log.info("mqtt discovery withdrawn: the Home Assistant integration is set up for this server")
            for camera in await self._cameras():
                await self._withdraw_discovery(client, camera)
        elif not active and self.suppressed:
            log.info("mqtt discovery resumed: no Home Assistant integration connected for 7 days")
            self.suppressed = False
            await self._publish_all_discovery(client)
        self.suppressed = active

    async def _withdraw_discovery(self, client: aiomqtt.Client, camera: str) -> None:
        if not _SLUG.match(camera):
            return
        prefix = self.options.discovery_prefix
        await client.publish(config_topic(prefix, camera, self.instance_id), b"", qos=1, retain=True)
        self._discovered.discard(camera)

    async def _publish_discovery(self, client: aiomqtt.Client, camera: str, name: str) -> None:
        if not _SLUG.match(camera):
            return
        payload = config_payload(
            camera,
            name,
            topic_prefix=self.options.topic_prefix,
            public_url=self.options.public_url,
            instance_id=self.instance_id,
        )
        prefix = self.options.discovery_prefix
        if self.instance_id:
            # The device of an older server version (id without the instance id) goes away.
            await client.publish(legacy_config_topic(prefix, camera), b"", qos=1, retain=True)
        await client.publish(config_topic(prefix, camera, self.instance_id), payload, qos=1, retain=True)
        self._discovered.add(camera)
        self._names[camera] = name

    # -- stream handler ------------------------------------------------------------------------

    async def handle(self, entries: list[StreamEntry]) -> list[str]:
        """Publish each entry once the broker is connected; returns the ids it accepted.

        Waits (entries stay pending) while the broker is down; returns early when stopping.
        """
        done: list[str] = []
        for entry in entries:
            message = messages.decode(entry.fields)
            if message is None:
                log.warning("mqtt bad message id=%s", entry.id)
                done.append(entry.id)
                continue
            while True:
                client = await self._wait_client()
                if client is None:
                    return done
                try:
                    await self._publish_message(client, message)
                    break
                except aiomqtt.MqttError as exc:
                    log.warning("mqtt publish failed, waiting for the broker: %s", exc)
                    self.connected.clear()
                    await asyncio.sleep(0.2)
            done.append(entry.id)
        return done

    async def _wait_client(self) -> aiomqtt.Client | None:
        while not self._stop.is_set():
            if self.connected.is_set() and self._client is not None:
                return self._client
            waiter = asyncio.create_task(self.connected.wait())
            stopper = asyncio.create_task(self._stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED, timeout=1.0)
            waiter.cancel()
            stopper.cancel()
        return None

    async def _publish_message(self, client: aiomqtt.Client, message: messages.PublishMessage) -> None:
        kind, data = message.type, message.data
        prefix = self.options.topic_prefix
        if message.is_event:
            camera = str(data.get("camera", ""))
            body = json.dumps(data, default=str, separators=(",", ":"))
            if self.options.discovery:
                await self._check_suppression(client)
            if (
                self.options.discovery
                and not self.suppressed
                and _SLUG.match(camera)
                and camera not in self._discovered
            ):
                await self._publish_discovery(client, camera, str(data.get("camera_name") or camera))
            await client.publish(f"{prefix}/events", body, qos=1)
            if _SLUG.match(camera) and await self._is_latest(camera, data):
                topics = camera_topics(prefix, camera)
                await client.publish(topics["event"], body, qos=1, retain=True)
                await client.publish(topics["risk"], str(int(data.get("risk_score", 0))), qos=1, retain=True)
        elif kind == messages.MessageType.ALERT and wants_mqtt(data):
            body = json.dumps(mqtt_payload(data), default=str, separators=(",", ":"))
            await client.publish(alert_topic(prefix), body, qos=ALERT_QOS)
        elif kind == messages.MessageType.CAMERA_DELETED:
            await self._remove_camera(client, str(data.get("id") or data.get("camera") or ""))

    async def _is_latest(self, camera: str, event: dict[str, Any]) -> bool:
        """Whether `event` is the camera's newest event (by start), so it may become the retained
        state; a reviewed or annotated older event may not."""
        try:
            started = datetime.fromisoformat(str(event.get("started_at")))
        except ValueError:
            return False
        event_id = str(event.get("id", ""))
        latest: tuple[str, datetime] | None
        if self.pool is not None:
            latest = await queries.latest_event_of_camera(self.pool, camera)
        else:
            latest = self._latest.get(camera)
        if latest is not None and latest[0] != event_id and started < latest[1]:
            return False
        if self.pool is None:
            self._latest[camera] = (event_id, started)
        return True

    async def remove_camera(self, camera: str) -> None:
        """Remove a deleted camera's device from HA and clear its retained state (if connected)."""
        client = self._client
        if client is not None:
            await self._remove_camera(client, camera)

    async def _remove_camera(self, client: aiomqtt.Client, camera: str) -> None:
        if not _SLUG.match(camera):
            return
        await client.publish(
            config_topic(self.options.discovery_prefix, camera, self.instance_id), b"", qos=1, retain=True
        )
        for topic in camera_topics(self.options.topic_prefix, camera).values():
            await client.publish(topic, b"", qos=1, retain=True)
        self._discovered.discard(camera)
        self._names.pop(camera, None)
        self._latest.pop(camera, None)
        log.info("mqtt camera removed camera=%s", camera)

    async def _exhausted(self, entry: StreamEntry, reason: str) -> None:
        log.error("mqtt dropped entry id=%s: %s", entry.id, reason)
