"""The vision step: an OpenAI-compatible server with image input looks at an event's key frames.

Any server speaking the chat-completions protocol with `image_url` content parts serves: the
llama.cpp server started with a multimodal projector (`--mmproj`), vLLM, Ollama, NIM, OpenAI.
Frames travel as `data:image/jpeg;base64,...` URLs, each scaled down to at most `max_pixels`
pixels and re-encoded (so an upload's metadata never leaves the machine); at most `max_images`
go per event. The answer is constrained with a JSON schema where the server takes one and always
validated (domain/vision.py). Any failure raises AssessmentFailed: the caller then asks the
text-only LLM, then the heuristic, and the event records which one answered.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import time
from collections.abc import Sequence
from typing import Any, Final

import aiohttp
from PIL import Image, UnidentifiedImageError

from inference_server.domain.assessment import InvalidAssessment
from inference_server.domain.context import EventContext
from inference_server.domain.vision import (
    VISION_SCHEMA,
    VisionAnswer,
    build_vision_messages,
    parse_vision_answer,
)
from inference_server.ml.llm_openai import _answer_text, _http_error, _refuses_constraint
from inference_server.ml.protocols import AssessmentFailed

log = logging.getLogger(__name__)

MAX_INPUT_BYTES: Final = 25 * 1024 * 1024  # an upload larger than this is not a camera frame
MAX_INPUT_PIXELS: Final = 60_000_000  # refuse decompression bombs before decoding
JPEG_QUALITY: Final = 85


class ImageRejected(ValueError):
    """An image that cannot be sent (undecodable, empty, far too large); the message says why."""


def encode_image(data: bytes, max_pixels: int) -> str:
    """A JPEG data URL of `data` scaled to at most `max_pixels` pixels; raises ImageRejected."""
    return "data:image/jpeg;base64," + base64.b64encode(scaled_jpeg(data, max_pixels)).decode("ascii")


def scaled_jpeg(data: bytes, max_pixels: int) -> bytes:
    """`data` re-encoded as JPEG (no metadata kept) at most `max_pixels` pixels; raises ImageRejected."""
    if not data:
        raise ImageRejected("the image is empty")
    if len(data) > MAX_INPUT_BYTES:
        raise ImageRejected(f"the image is {len(data)} bytes, above the {MAX_INPUT_BYTES} byte limit")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_INPUT_PIXELS:
                raise ImageRejected(f"the image is {width}x{height} pixels, above {MAX_INPUT_PIXELS}")
            image = probe.convert("RGB")
    # ImportError: once ultralytics is imported (the detector, same process), its patched
    # Image.open answers unidentifiable data by importing pi-heif, which is not installed.
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError, ImportError) as exc:
        if isinstance(exc, ImageRejected):
            raise
        raise ImageRejected(f"the image cannot be decoded: {exc}") from exc
    if width * height > max_pixels:
        scale = (max_pixels / (width * height)) ** 0.5
        image = image.resize(
            (max(1, int(width * scale)), max(1, int(height * scale))), Image.Resampling.LANCZOS
        )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def frame_urls(images: Sequence[bytes], max_images: int, max_pixels: int) -> list[str]:
    """The first `max_images` key frames as JPEG data URLs (scaled to `max_pixels`); frames that
    cannot be decoded are skipped (logged), none left is AssessmentFailed."""
    urls: list[str] = []
    for n, data in enumerate(images[:max_images]):
        try:
            urls.append(encode_image(data, max_pixels))
        except ImageRejected as exc:
            log.warning("vision image=%d skipped: %s", n, exc)
    if not urls:
        raise AssessmentFailed("no usable key frame to show the vision model")
    return urls


class VisionAssessor:
    """Scores an event from its context plus key frames through POST {base_url}/v1/chat/completions."""

    name = "vision"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_images: int = 4,
        max_pixels: int = 640 * 640,
        max_tokens: int = 500,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        if base.endswith("/v1"):
            base = base[: -len("/v1")]
        self.url = f"{base}/v1/chat/completions"
        self.model_id = model
        self._api_key = api_key
        self._timeout_s = timeout_s
        self.max_images = max_images
        self.max_pixels = max_pixels
        self._max_tokens = max_tokens
        self._session = session
        self._owns_session = session is None
        self._use_schema = True
        self.last_seconds = 0.0  # wall time of the last request (logged; `hsi assess` prints it)

    async def assess_images(self, context: EventContext, images: Sequence[bytes]) -> VisionAnswer:
        """A validated answer for the context and images, or AssessmentFailed saying why.

        Images that cannot be decoded are skipped (logged); none left is a failure."""
        urls = frame_urls(images, self.max_images, self.max_pixels)
        messages = build_vision_messages(context, urls)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                text = await self._complete(messages)
        except TimeoutError:
            raise AssessmentFailed(f"{self.url} gave no answer within {self._timeout_s:g} s") from None
        except aiohttp.ClientConnectionError as exc:
            raise AssessmentFailed(
                f"cannot reach the vision model server at {self.url} ({exc.__class__.__name__}): "
                "is it running and is HSI_VLM_URL right?"
            ) from exc
        except aiohttp.ClientError as exc:
            raise AssessmentFailed(f"request to {self.url} failed: {exc.__class__.__name__}: {exc}") from exc
        finally:
            self.last_seconds = time.perf_counter() - started
        try:
            answer = parse_vision_answer(text, self.name)
        except InvalidAssessment as exc:
            raise AssessmentFailed(f"the answer of {self.url} is invalid: {exc}") from exc
        if answer.dropped:
            log.info("vision dropped unknown attributes: %s", ",".join(answer.dropped))
        log.info("vision assessed images=%d seconds=%.3f", len(urls), self.last_seconds)
        return answer

    async def _complete(self, messages: list[dict[str, Any]]) -> str:
        session = self._ensure_session()
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        while True:
            payload: dict[str, Any] = {
                "model": self.model_id,
                "messages": messages,
                "temperature": 0.1,
                "max_tokens": self._max_tokens,
                "stream": False,
            }
            if self._use_schema:
                payload["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "vision_assessment", "strict": True, "schema": VISION_SCHEMA},
                }
            async with session.post(self.url, json=payload, headers=headers) as response:
                body = (await response.read()).decode("utf-8", errors="replace")
                if self._use_schema and _refuses_constraint(response.status, body):
                    log.info(
                        "vision server refused the JSON schema (HTTP %d); asking without", response.status
                    )
                    self._use_schema = False
                    continue
                if response.status >= 400:
                    raise AssessmentFailed(_http_error(self.url, response.status, body))
                return _answer_text(self.url, body)

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        """Close the HTTP session if this assessor created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
