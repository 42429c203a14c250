"""Small protocols the pipeline depends on; each backend is one module behind one of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from inference_server.domain.context import EventContext
from inference_server.domain.detections import Detection
from inference_server.domain.faces import FaceObservation
from inference_server.domain.plates import TextPiece
from inference_server.domain.risk import RiskAssessment
from inference_server.domain.vision import VisionAnswer


class ModelUnavailable(RuntimeError):
    """A model cannot be loaded: the message names the missing file and where to put it."""


class AssessmentFailed(RuntimeError):
    """An LLM backend gave no valid assessment (timeout, bad output, server down)."""


class Detector(Protocol):
    """Finds objects in frames. Synchronous and CPU/GPU-bound: callers run it in an executor."""

    name: str

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
        """Detect objects in BGR uint8 frames (H, W, 3); one list of detections per frame."""
        ...


class RiskAssessor(Protocol):
    """Scores one event context."""

    name: str  # "llama_cpp" | "openai" | "home_assistant" | "heuristic"

    async def assess(self, context: EventContext) -> RiskAssessment:
        """Return a validated assessment or raise AssessmentFailed."""
        ...


@runtime_checkable
class PictureRiskAssessor(RiskAssessor, Protocol):
    """A text LLM backend that can also be shown an event's key frames (HA's AI Task)."""

    max_images: int  # 0: text only

    async def assess_with_images(self, context: EventContext, images: Sequence[bytes]) -> RiskAssessment:
        """Like `assess`, with up to `max_images` of `images` shown to the model."""
        ...


class SceneAssessor(Protocol):
    """The vision step: scores an event from its context plus key frames (a vision-language model).

    Backends: an OpenAI-compatible server (ml/llm_vision.py) or a multimodal GGUF in this process
    (ml/llm_vision_llama_cpp.py). Their answers say `assessed_by: vision`; `model_id` names the model."""

    name: str  # "vision"
    model_id: str
    max_images: int
    last_seconds: float  # wall time of the last request (logged; `hsi assess` prints it)

    async def assess_images(self, context: EventContext, images: Sequence[bytes]) -> VisionAnswer:
        """A validated answer for the context and images, or AssessmentFailed saying why."""
        ...

    async def close(self) -> None:
        """Release what the backend holds (HTTP session, model)."""
        ...


class Embedder(Protocol):
    """Appearance embeddings for re-identification. Synchronous: run in an executor."""

    name: str
    dimensions: int

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """L2-normalized float32 embeddings, shape (len(crops), dimensions), of BGR crops."""
        ...


class PlateReader(Protocol):
    """Reads the text lines in a vehicle crop (licence plates). Synchronous: run in an executor."""

    name: str

    def read(self, crop: np.ndarray) -> list[TextPiece]:
        """The text lines found in a BGR uint8 crop, each with its box position and confidence."""
        ...


class FaceReader(Protocol):
    """Finds and embeds the faces in a person crop (faces). Synchronous: run in an executor."""

    name: str

    def read(self, crop: np.ndarray) -> list[FaceObservation]:
        """The faces in a BGR uint8 person crop, each with its box, score and unit embedding."""
        ...
