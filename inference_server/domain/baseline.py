"""How usual is this? A decayed statistical model of activity per camera x hour-of-week x class.

Each cell keeps the exponentially decayed mean and variance of the count of objects of one class
that one camera saw in one hour slot of the week (0 = Monday 00:00-01:00 .. 167 = Sunday
23:00-24:00), and the decayed number of samples behind them. The store calls `observe` once per
finished hour slot for every class it tracks, zeros included: a quiet hour is evidence too.

The anomaly of an observed count is the upper-tail probability P(X >= observed) under the
posterior predictive distribution of a Gamma-Poisson model: a weak Gamma prior (worth a tenth
of a sample, mean 1) updated with the decayed history gives a negative binomial that already
allows for the uncertainty of a short history; when the history itself is overdispersed
(variance above the mean, e.g. busy and quiet weeks) the negative binomial is widened to that
variance. The tail probability p maps to an anomaly score min(1, -log10(p) / 3): 0 is perfectly
usual, 0.33 is a 1-in-10 event, 0.67 a 1-in-100 and 1.0 a 1-in-1000 (or rarer) event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from inference_server.domain.context import BaselineInfo

HOURS_PER_WEEK: Final = 168
WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A score at or above this is "unusual" (a roughly 1-in-30 event or rarer).
ANOMALOUS: Final = 0.5
# A score at or below this is "very usual": the count is at or below what is typical.
VERY_USUAL: Final = 0.1
_MIN_TAIL: Final = 1e-12


@dataclass(frozen=True, slots=True)
class BaselineConfig:
    """Tunables of the model.

    half_life_days: after this long an observation weighs half as much (default 30 days).
    min_samples: decayed sample weight a cell needs before it speaks. Each hour-of-week slot gets
    one sample a week, so the default 3.0 needs about four weeks of history.
    prior_mean / prior_weight: the Gamma prior on the hourly rate, worth `prior_weight` samples.
    """

    half_life_days: float = 30.0
    min_samples: float = 3.0
    prior_mean: float = 1.0
    prior_weight: float = 0.1

    def __post_init__(self) -> None:
        if not self.half_life_days > 0:
            raise ValueError("half_life_days must be positive")
        if not self.min_samples >= 0:
            raise ValueError("min_samples must not be negative")
        if not (self.prior_mean > 0 and self.prior_weight > 0):
            raise ValueError("prior_mean and prior_weight must be positive")


DEFAULT_CONFIG: Final = BaselineConfig()


@dataclass(frozen=True, slots=True)
class BaselineCell:
    """The decayed statistics of one camera x hour-of-week x class.

    `weight` is the decayed number of samples as of `updated_at`; `mean` and `variance` are the
    weighted mean and (population) variance of the hourly counts under those decayed weights.
    `updated_at` is None until the first observation.
    """

    camera: str
    hour_of_week: int
    label: str
    mean: float = 0.0
    variance: float = 0.0
    weight: float = 0.0
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.hour_of_week < HOURS_PER_WEEK:
            raise ValueError(f"hour_of_week must be within 0..167, got {self.hour_of_week}")


def hour_of_week(at: datetime) -> int:
    """The hour slot of the week of a local time: Monday 00:00 is 0, Sunday 23:00 is 167."""
    return at.weekday() * 24 + at.hour


def decay_factor(elapsed_seconds: float, config: BaselineConfig = DEFAULT_CONFIG) -> float:
    """How much a sample `elapsed_seconds` old still weighs (1.0 now, 0.5 after a half-life)."""
    return math.pow(0.5, max(0.0, elapsed_seconds) / (config.half_life_days * 86400.0))


def weight_at(cell: BaselineCell, at: datetime, config: BaselineConfig = DEFAULT_CONFIG) -> float:
    """The cell's decayed sample weight as of `at` (never grows when `at` is in the past)."""
    if cell.updated_at is None:
        return 0.0
    return cell.weight * decay_factor((at - cell.updated_at).total_seconds(), config)


def observe(
    cell: BaselineCell, count: float, at: datetime, config: BaselineConfig = DEFAULT_CONFIG
) -> BaselineCell:
    """The cell updated with the count of one hour slot observed at `at` (zeros included).

    Older weights decay by the time elapsed since the last update, then the new sample joins
    with weight 1 (West's weighted incremental mean and variance). A late sample (`at` before
    the last update) joins with its own decayed weight instead, and the update time stays.
    """
    if not (math.isfinite(count) and count >= 0):
        raise ValueError(f"an hourly count must be a non-negative number, got {count}")
    if cell.updated_at is None:
        return replace(cell, mean=float(count), variance=0.0, weight=1.0, updated_at=at)
    elapsed = (at - cell.updated_at).total_seconds()
    if elapsed >= 0:
        old_weight = cell.weight * decay_factor(elapsed, config)
        new_weight = 1.0
        updated_at = at
    else:
        old_weight = cell.weight
        new_weight = decay_factor(-elapsed, config)
        updated_at = cell.updated_at
    total = old_weight + new_weight
    delta = count - cell.mean
    mean = cell.mean + delta * new_weight / total
    spread = cell.variance * old_weight + new_weight * delta * (count - mean)
    variance = max(0.0, spread / total)
    return replace(cell, mean=mean, variance=variance, weight=total, updated_at=updated_at)


def expected_count(cell: BaselineCell, at: datetime, config: BaselineConfig = DEFAULT_CONFIG) -> float:
    """The posterior mean count for the slot: the history's mean shrunk slightly toward the prior."""
    w = weight_at(cell, at, config)
    return (config.prior_mean * config.prior_weight + cell.mean * w) / (config.prior_weight + w)


def upper_tail(
    observed: float, cell: BaselineCell, at: datetime, config: BaselineConfig = DEFAULT_CONFIG
) -> float:
    """P(X >= observed) for next hour's count X under the cell's predictive distribution."""
    k = max(0, math.ceil(observed - 1e-9))
    if k == 0:
        return 1.0
    w = weight_at(cell, at, config)
    beta = config.prior_weight + w
    mean = expected_count(cell, at, config)
    # Bessel-corrected history variance, only meaningful with more than one sample's weight.
    history_var = cell.variance * w / (w - 1.0) if w > 1.0 else 0.0
    variance = max(history_var, mean) + mean / beta
    r = mean * mean / (variance - mean)
    p = r / (r + mean)
    return max(_MIN_TAIL, _negbin_upper_tail(k, r, p))


def _negbin_log_pmf(k: int, r: float, p: float) -> float:
    return math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1) + r * math.log(p) + k * math.log1p(-p)


def _negbin_upper_tail(k: int, r: float, p: float) -> float:
    mean = r * (1 - p) / p
    if k <= mean + 1:
        below = math.fsum(math.exp(_negbin_log_pmf(j, r, p)) for j in range(k))
        return min(1.0, max(0.0, 1.0 - below))
    # Far in the tail: sum the terms upward (they shrink geometrically), never 1 - (1 - tiny).
    term = math.exp(_negbin_log_pmf(k, r, p))
    total = 0.0
    j = k
    while term > 0.0 and j < k + 100_000:
        total += term
        if term < total * 1e-15:
            break
        term *= (j + r) / (j + 1) * (1 - p)
        j += 1
    return min(1.0, total)


def anomaly_score(tail_probability: float) -> float:
    """Map P(X >= observed) to 0..1: min(1, -log10(p) / 3); 1.0 means 1-in-1000 or rarer."""
    p = min(1.0, max(_MIN_TAIL, tail_probability))
    return min(1.0, max(0.0, -math.log10(p) / 3.0))


def anomaly(
    cell: BaselineCell, observed: float, at: datetime, config: BaselineConfig = DEFAULT_CONFIG
) -> BaselineInfo:
    """How unusual `observed` objects of the cell's class are for its camera and hour of week.

    Returns status "no_baseline" (anomaly 0) while the decayed sample weight at `at` is below
    `config.min_samples`, else status "ok" with the expected count, the anomaly score (see the
    module docstring) and a plain-English description such as
    "3 people at 03:00 on a Tuesday; usually 0.1 (about a 1-in-120 event)".
    """
    w = weight_at(cell, at, config)
    when = _slot_words(cell.hour_of_week)
    seen = _count_words(observed, cell.label)
    if w < config.min_samples:
        return BaselineInfo(
            status="no_baseline",
            label=cell.label,
            observed=float(observed),
            samples=round(w, 2),
            description=(
                f"{seen} {when}; no baseline yet ({w:.1f} of {config.min_samples:g} samples needed)"
            ),
        )
    expected = expected_count(cell, at, config)
    tail = upper_tail(observed, cell, at, config)
    score = anomaly_score(tail)
    description = f"{seen} {when}; usually {_expected_words(expected)}"
    if score >= ANOMALOUS:
        description += f" (about a 1-in-{_one_in(tail)} event)"
    return BaselineInfo(
        status="ok",
        label=cell.label,
        expected=round(expected, 3),
        observed=float(observed),
        samples=round(w, 2),
        anomaly=round(score, 3),
        description=description,
    )


def _one_in(tail: float) -> str:
    n = 1.0 / tail
    if n >= 1_000_000:
        return "1,000,000+"
    return f"{_round_nicely(n):,}"


def _round_nicely(n: float) -> int:
    if n < 20:
        return round(n)
    digits = math.floor(math.log10(n)) - 1
    return round(round(n, -digits))


def _expected_words(expected: float) -> str:
    if expected < 0.05:
        return "none"
    if expected < 10:
        return f"{expected:.1f}"
    return f"{expected:.0f}"


def _slot_words(slot: int) -> str:
    return f"at {slot % 24:02d}:00 on a {WEEKDAYS[slot // 24]}"


_IRREGULAR_PLURALS: Final = {"person": "people", "sheep": "sheep", "mouse": "mice"}


def plural(label: str, count: float) -> str:
    """The label in the number that fits the count: person/people, car/cars, bus/buses."""
    if count == 1:
        return label
    if label in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[label]
    if label.endswith(("s", "x", "ch", "sh")):
        return label + "es"
    return label + "s"


def _count_words(count: float, label: str) -> str:
    shown = f"{count:g}" if count != int(count) else str(int(count))
    return f"{shown} {plural(label, count)}"
