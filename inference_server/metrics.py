"""Prometheus metrics, one registry per server (no module-level singletons)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """Every counter the pipeline keeps."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ingest_files = Counter(
            "hsi_ingest_files_total", "Uploads seen by ingest, by outcome", ["outcome"], registry=self.registry
        )
        self.ingest_rejected = Counter(
            "hsi_ingest_rejected_total", "Uploads rejected, by reason", ["reason"], registry=self.registry
        )
        self.dead_letters = Counter(
            "hsi_dead_letters_total", "Items dead-lettered, by stage", ["stage"], registry=self.registry
        )
        self.detections = Counter(
            "hsi_detections_total", "Objects detected, by label", ["label"], registry=self.registry
        )
        self.events = Counter(
            "hsi_events_total", "Events stored, by level and kind", ["level", "kind"], registry=self.registry
        )
        self.assessor_fallbacks = Counter(
            "hsi_assessor_fallbacks_total", "LLM failures answered by the heuristic", ["backend"],
            registry=self.registry,
        )
        self.service_errors = Counter(
            "hsi_service_errors_total", "Transient PostgreSQL/Redis failures, by stage", ["stage"],
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "hsi_stage_seconds", "Time spent per stage and item", ["stage"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.open_windows = Gauge("hsi_open_windows", "Open event windows", registry=self.registry)
