"""What every channel returns: one delivery's outcome, recorded in alert_deliveries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of delivering one alert on one channel.

    outcome: "ok" (accepted by the far end), "failed" (tried and gave up) or "blocked" (refused by
    policy, e.g. the webhook SSRF check: never contacted). attempts: tries made (0 when blocked
    before any connection).
    """

    channel: str
    target: str
    outcome: str
    detail: str = ""
    attempts: int = 1
