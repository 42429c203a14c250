"""Faces (opt-in per camera): matching a face embedding against the gallery of known faces.

Pure logic; the models are `ml/faces.py` (YuNet detector + SFace recogniser, both OpenCV), the
storage `store/faces.py`, the wiring the enrich stage. An embedding is SFace's 128-d feature,
L2-normalised, compared by cosine similarity (the dot product of unit vectors). A face matches a
known person when its best similarity to any of that person's enrolled embeddings reaches
`threshold` (SFace's own cosine threshold is 0.363, published with the model); when two people
both reach it, the closer one wins, by at least `margin`, or neither does (ambiguous).

Face embeddings are biometric data: they are stored only for the cameras that opted in, for
`retention_days`, shown to nobody (the admin API lists gallery names, never vectors), and never
written to the event context, logs, MQTT, notifications or the LLM prompt, which see only
"known person (face)" or "face not in the gallery".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

DIMENSIONS: Final = 128
SFACE_COSINE_THRESHOLD: Final = 0.363


class InvalidEmbedding(ValueError):
    """A vector that is not a usable face embedding."""


@dataclass(frozen=True, slots=True)
class FaceConfig:
    """How faces are matched and kept."""

    threshold: float = SFACE_COSINE_THRESHOLD
    margin: float = 0.05
    retention_days: float = 30.0

    def __post_init__(self) -> None:
        if not -1.0 <= self.threshold <= 1.0:
            raise ValueError("threshold must be within -1..1")
        if not 0.0 <= self.margin <= 1.0:
            raise ValueError("margin must be within 0..1")
        if self.retention_days <= 0:
            raise ValueError("retention_days must be positive")


DEFAULT_FACE_CONFIG: Final = FaceConfig()


@dataclass(frozen=True, slots=True)
class FaceObservation:
    """A face found in a person crop: its box in the crop (pixels), detector score, embedding."""

    x: float
    y: float
    width: float
    height: float
    score: float
    embedding: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class KnownFace:
    """One enrolled embedding of a person in the gallery."""

    id: int
    name: str
    embedding: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class FaceMatch:
    """The gallery entry a face matched and how closely."""

    known_id: int
    name: str
    similarity: float


def normalised(vector: Sequence[float]) -> tuple[float, ...]:
    """The unit vector of `vector`; InvalidEmbedding for a zero, non-finite or empty vector."""
    if not vector:
        raise InvalidEmbedding("an embedding has at least one dimension")
    if not all(math.isfinite(v) for v in vector):
        raise InvalidEmbedding("an embedding must be finite")
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0.0:
        raise InvalidEmbedding("an embedding must not be all zeros")
    return tuple(v / norm for v in vector)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors of the same length (-1..1)."""
    if len(a) != len(b):
        raise InvalidEmbedding(f"embeddings of different lengths ({len(a)} and {len(b)})")
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


def best_face(faces: Sequence[FaceObservation]) -> FaceObservation | None:
    """The face to keep for a track: the largest, then the most confident (the clearest view)."""
    if not faces:
        return None
    return max(faces, key=lambda f: (f.width * f.height, f.score))


def match_face(
    embedding: Sequence[float], gallery: Sequence[KnownFace], config: FaceConfig = DEFAULT_FACE_CONFIG
) -> FaceMatch | None:
    """The known person this face is (see the module docstring), or None."""
    best: dict[str, FaceMatch] = {}
    for known in gallery:
        if len(known.embedding) != len(embedding):
            continue  # enrolled with another recogniser: never comparable
        similarity = cosine(embedding, known.embedding)
        current = best.get(known.name)
        if current is None or similarity > current.similarity:
            best[known.name] = FaceMatch(known.id, known.name, similarity)
    ranked = sorted(best.values(), key=lambda m: -m.similarity)
    if not ranked or ranked[0].similarity < config.threshold:
        return None
    if len(ranked) > 1 and ranked[1].similarity >= config.threshold:
        if ranked[0].similarity - ranked[1].similarity < config.margin:
            return None
    return ranked[0]
