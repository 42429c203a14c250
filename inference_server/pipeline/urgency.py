"""Which detections take the fast path (a preliminary event published at once)."""

from __future__ import annotations

from datetime import datetime

from inference_server.domain.detections import Detection
from inference_server.settings import UrgentRule


def is_urgent(
    detections: list[Detection], camera: str, local_time: datetime, rules: list[UrgentRule]
) -> bool:
    """True when any detection matches any urgent rule (class, confidence, camera, local hour)."""
    for rule in rules:
        if rule.cameras and camera not in rule.cameras:
            continue
        if rule.hours and local_time.hour not in rule.hours:
            continue
        if any(d.label == rule.label and d.confidence >= rule.min_confidence for d in detections):
            return True
    return False
