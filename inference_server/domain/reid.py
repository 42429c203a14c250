"""Re-identification by appearance: cosine similarity of embeddings, in plain Python.

This is the exact search: the reference that the pgvector path of the store must agree with,
and the fallback when the database has no pgvector. Embeddings are small (a few hundred floats)
and candidates few (entities of the last day), so plain Python is fast enough.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from inference_server.domain.context import ReidSighting

DEFAULT_THRESHOLD: Final = 0.85


class ReidCandidate(NamedTuple):
    """A known entity to compare against: its id, embedding and where it was last seen."""

    entity_id: str
    vector: Sequence[float]
    label: str = ""
    camera: str = ""
    minutes_ago: float = 0.0


# A candidate may also be given as a plain (entity_id, vector) pair.
CandidateLike = ReidCandidate | tuple[str, Sequence[float]]


def as_candidate(candidate: CandidateLike) -> ReidCandidate:
    """The candidate as a ReidCandidate (a plain (entity_id, vector) pair gets empty details)."""
    if isinstance(candidate, ReidCandidate):
        return candidate
    entity_id, vector = candidate
    return ReidCandidate(entity_id, vector)


@dataclass(frozen=True, slots=True)
class ReidMatch:
    """The candidate that matched and how similar it is (cosine, -1..1)."""

    candidate: ReidCandidate
    similarity: float

    @property
    def entity_id(self) -> str:
        """The matched entity's id."""
        return self.candidate.entity_id

    def sighting(self) -> ReidSighting:
        """The match as an EventContext sighting."""
        return ReidSighting(
            entity_id=self.candidate.entity_id,
            label=self.candidate.label,
            camera=self.candidate.camera,
            minutes_ago=self.candidate.minutes_ago,
            similarity=round(self.similarity, 4),
        )


def norm(vector: Sequence[float]) -> float:
    """The Euclidean length of a vector; ValueError on NaN or infinite entries."""
    for value in vector:
        if not math.isfinite(value):
            raise ValueError("embedding holds a NaN or infinite value")
    return math.hypot(*vector)


def normalize(vector: Sequence[float]) -> list[float]:
    """The vector scaled to unit length (a zero vector stays zero)."""
    length = norm(vector)
    if length == 0.0:
        return [0.0 for _ in vector]
    return [value / length for value in vector]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two equally long, non-empty vectors, within -1..1.

    A zero vector is similar to nothing: the result is 0.0. Raises ValueError on different
    lengths, empty vectors, or NaN/infinite entries.
    """
    if len(a) != len(b):
        raise ValueError(f"embeddings differ in length: {len(a)} and {len(b)}")
    if not a:
        raise ValueError("embeddings are empty")
    na, nb = norm(a), norm(b)
    if na == 0.0 or nb == 0.0:
        return 0.0
    # Scale before multiplying so that tiny or huge vectors neither underflow nor overflow.
    dot = math.fsum((x / na) * (y / nb) for x, y in zip(a, b, strict=True))
    return max(-1.0, min(1.0, dot))


def matches(
    embedding: Sequence[float],
    candidates: Iterable[CandidateLike],
    threshold: float = DEFAULT_THRESHOLD,
    label: str | None = None,
) -> list[ReidMatch]:
    """All candidates with cosine similarity >= threshold, most similar first.

    With `label`, only candidates of that label (or with no label recorded) are considered, so a
    person is never matched to a car. Equal similarities keep the candidates' order.
    """
    found: list[ReidMatch] = []
    for candidate in map(as_candidate, candidates):
        if label is not None and candidate.label and candidate.label != label:
            continue
        similarity = cosine(embedding, candidate.vector)
        if similarity >= threshold:
            found.append(ReidMatch(candidate=candidate, similarity=similarity))
    found.sort(key=lambda m: -m.similarity)
    return found


def best_match(
    embedding: Sequence[float],
    candidates: Iterable[CandidateLike],
    threshold: float = DEFAULT_THRESHOLD,
    label: str | None = None,
) -> ReidMatch | None:
    """The most similar candidate at or above the threshold, or None (a new entity).

    The first candidate wins a tie. See `matches` for `label`.
    """
    found = matches(embedding, candidates, threshold, label)
    return found[0] if found else None


def sightings(
    embedding: Sequence[float],
    candidates: Iterable[CandidateLike],
    threshold: float = DEFAULT_THRESHOLD,
    label: str | None = None,
    exclude_camera: str | None = None,
) -> list[ReidSighting]:
    """The matches as EventContext sightings: the best one per (entity, camera), most similar first.

    `exclude_camera` leaves out sightings on the event's own camera.
    """
    seen: set[tuple[str, str]] = set()
    result: list[ReidSighting] = []
    for match in matches(embedding, candidates, threshold, label):
        key = (match.candidate.entity_id, match.candidate.camera)
        if key in seen or (exclude_camera is not None and match.candidate.camera == exclude_camera):
            continue
        seen.add(key)
        result.append(match.sighting())
    return result
