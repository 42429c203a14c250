"""`hsi bench --alerts`: time from a file landing in the watch folder to the MQTT alert of its
fast-path event, through the whole pipeline (ingest, detect, fast path, alert engine, MQTT)."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from typing import Any

import aiomqtt

from inference_server.settings import Settings, UrgentRule
from tools.uploads import with_marker


async def alert_latency(settings: Settings, samples: int, image: bytes) -> dict[str, Any]:
    """Drop `samples` files one by one (each on its own camera) and time each until its MQTT alert."""
    from inference_server.runtime.app import App
    from inference_server.store import alerts as alert_store

    mqtt_url = settings.mqtt.url or "mqtt://127.0.0.1:1883"
    settings = settings.replace(
        mqtt_url=mqtt_url,
        mqtt_topic_prefix=f"hsi-bench-{uuid.uuid4().hex[:6]}",
        urgent_rules=[UrgentRule(label="person", min_confidence=0.0, hours=list(range(24)))],
    )
    pipeline = App(settings, ("ingest", "detect", "window", "enrich", "assess", "publish"))
    await pipeline.start()
    services = pipeline.services
    await alert_store.create_rule(
        services.pool,
        {
            "name": "bench: any person",
            "severity": "high",
            "conditions": {"objects": ["person"]},
            "channels": [{"type": "mqtt"}],
            "cooldown_seconds": 0,
            "group_window_seconds": 0,
        },
    )
    stop = asyncio.Event()
    runner = asyncio.create_task(pipeline.run(stop))
    host, port = _host_port(mqtt_url)
    latencies: list[float] = []
    try:
        async with aiomqtt.Client(host, port, identifier=f"hsi-bench-{uuid.uuid4().hex[:6]}") as client:
            await client.subscribe(f"{settings.mqtt.topic_prefix}/alerts", qos=1)
            await asyncio.sleep(1.0)  # consumers and the MQTT publisher are up
            staging = settings.storage.data_dir / "staging-alerts"
            staging.mkdir(parents=True, exist_ok=True)
            for i in range(samples):
                camera = f"bench_alert_{i}"
                src = staging / f"{i}.jpg"
                src.write_bytes(with_marker(image, f"alert {uuid.uuid4()}"))
                dest = settings.storage.watch_dir / camera / "MDAlarm.jpg"
                dest.parent.mkdir(parents=True, exist_ok=True)
                started = time.perf_counter()
                os.replace(src, dest)
                async with asyncio.timeout(60):
                    async for message in client.messages:
                        body = json.loads(bytes(message.payload))
                        if (body.get("event") or {}).get("camera") == camera:
                            latencies.append(time.perf_counter() - started)
                            break
    finally:
        stop.set()
        await runner
        await pipeline.stop()
    ordered = sorted(latencies)
    return {
        "samples": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "ingest_settle_seconds": settings.ingest.stable_seconds,
        "detector": pipeline.detector.name if pipeline.detector else None,
    }


def _host_port(url: str) -> tuple[str, int]:
    rest = url.split("://", 1)[1].rsplit("@", 1)[-1]
    host, _, port = rest.partition(":")
    return host, int(port or 1883)
