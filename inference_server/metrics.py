"""Prometheus metrics, one registry per server (no module-level singletons)."""

from __future__ import annotations

from collections import deque

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """Every counter the pipeline keeps."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ingest_files = Counter(
            "hsi_ingest_files_total",
            "Uploads seen by ingest, by outcome",
            ["outcome"],
            registry=self.registry,
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
            "hsi_assessor_fallbacks_total",
            "LLM failures answered by the heuristic",
            ["backend"],
            registry=self.registry,
        )
        self.service_errors = Counter(
            "hsi_service_errors_total",
            "Transient PostgreSQL/Redis failures, by stage",
            ["stage"],
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "hsi_stage_seconds",
            "Time spent per stage and item",
            ["stage"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.open_windows = Gauge("hsi_open_windows", "Open event windows", registry=self.registry)
        self.stage_restarts = Counter(
            "hsi_stage_restarts_total",
            "Stage tasks restarted after a crash, by stage",
            ["stage"],
            registry=self.registry,
        )
        self._samples: dict[str, deque[float]] = {}

    def observe_latency(self, stage: str, seconds: float) -> None:
        """Record one item's time in a stage (histogram + recent samples for percentiles)."""
        self.stage_seconds.labels(stage).observe(seconds)
        self._samples.setdefault(stage, deque(maxlen=10_000)).append(seconds)

    def latency_percentiles(self) -> dict[str, dict[str, float]]:
        """p50/p95 in milliseconds of the recent samples of each stage."""
        out: dict[str, dict[str, float]] = {}
        for stage, samples in self._samples.items():
            ordered = sorted(samples)
            if not ordered:
                continue

            def pct(q: float, ordered: list[float] = ordered) -> float:
                return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0, 2)

            out[stage] = {"p50": pct(0.50), "p95": pct(0.95), "count": float(len(ordered))}
        return out
