"""Detections with boxes normalized to the 0-1 frame coordinates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box in normalized coordinates (0,0 top-left, 1,1 bottom-right)."""

    x1: float
    y1: float
    x2: float
    y2: float

    def __post_init__(self) -> None:
        for v in (self.x1, self.y1, self.x2, self.y2):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"box coordinates must be within 0..1: {self}")
        if self.x2 < self.x1 or self.y2 < self.y1:
            raise ValueError(f"box corners are inverted: {self}")

    @classmethod
    def from_pixels(cls, x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> Box:
        """Build a normalized box from pixel corners, clipping to the frame."""

        def clip(v: float) -> float:
            return min(1.0, max(0.0, v))

        return cls(clip(x1 / width), clip(y1 / height), clip(x2 / width), clip(y2 / height))

    @property
    def bottom_centre(self) -> tuple[float, float]:
        """The point where an object touches the ground: what zones are tested against."""
        return ((self.x1 + self.x2) / 2.0, self.y2)

    @property
    def centre(self) -> tuple[float, float]:
        """The box centre."""
        return ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)

    @property
    def area(self) -> float:
        """Area as a fraction of the frame."""
        return (self.x2 - self.x1) * (self.y2 - self.y1)

    def iou(self, other: Box) -> float:
        """Intersection over union with another box."""
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def as_list(self) -> list[float]:
        """The box as [x1, y1, x2, y2], the JSON form."""
        return [self.x1, self.y1, self.x2, self.y2]


@dataclass(frozen=True, slots=True)
class Detection:
    """One object found in one frame."""

    label: str
    confidence: float
    box: Box

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {self.confidence}")


# COCO classes grouped into the categories people care about at home.
OBJECT_CATEGORY: dict[str, str] = {
    "person": "person",
    "bicycle": "vehicle",
    "car": "vehicle",
    "motorcycle": "vehicle",
    "bus": "vehicle",
    "truck": "vehicle",
    "boat": "vehicle",
    "cat": "animal",
    "dog": "animal",
    "bird": "animal",
    "horse": "animal",
    "sheep": "animal",
    "cow": "animal",
    "bear": "animal",
    "backpack": "package",
    "handbag": "package",
    "suitcase": "package",
}


def category_of(label: str) -> str:
    """The event category (person, vehicle, animal, package, other) of a detector label."""
    return OBJECT_CATEGORY.get(label, "other")
