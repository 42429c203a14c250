"""The vision step in process: a real (tiny, random) multimodal GGUF under llama-cpp-python.

The text model is tests/support/tiny_gguf.py's with a chat template that takes content parts;
the projector is a tiny LLaVA-style one written with `gguf` (`write_tiny_mmproj_gguf`), loaded
by the libmtmd that llama-cpp-python 0.3.36 ships. Its answers are noise, so the tests check the
pipeline: the key frames really reach the model (each costs the projector's tokens), the answer
is grammar-constrained and validated, the chain records who answered, and a broken projector is
a clear error and a fallback, never a crash of this process.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from inference_server.domain.context import EventContext
from inference_server.domain.vision import VISION_ATTRIBUTES, parse_vision_answer
from inference_server.metrics import Metrics
from inference_server.ml.grammar import vision_gbnf
from inference_server.ml.llm_vision import encode_image
from inference_server.ml.llm_vision_llama_cpp import (
    LlamaCppVisionAssessor,
    check_vision_files,
    probe_vision_load,
)
from inference_server.ml.protocols import AssessmentFailed, ModelUnavailable
from inference_server.pipeline.assess import FallbackAssessor
from inference_server.runtime.models import build_vision
from inference_server.settings import ConfigError, Settings
from tests.support.tiny_gguf import (
    MMPROJ_TOKENS_PER_IMAGE,
    MULTIMODAL_CHAT_TEMPLATE,
    write_tiny_llama_gguf,
    write_tiny_mmproj_gguf,
)

N_CTX = 8192  # the vision prompt is ~3,500 tokens in the tiny model's character-level vocabulary

CONTEXT = EventContext(
    camera="driveway",
    camera_name="Driveway",
    started_at="2026-11-26T02:14:00+01:00",
    ended_at="2026-11-26T02:15:30+01:00",
    local_time="02:14",
    weekday="Thursday",
    is_night=True,
    objects={"person": 1},
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("vlm")
    model = write_tiny_llama_gguf(
        folder / "tiny-vlm.gguf", context_length=N_CTX, chat_template=MULTIMODAL_CHAT_TEMPLATE
    )
    return model, write_tiny_mmproj_gguf(folder / "mmproj-tiny-vlm.gguf")


@pytest.fixture(scope="module")
def bus_jpeg() -> bytes:
    # Imported as in the server, where the detector has loaded it (it patches PIL.Image.open).
    import ultralytics

    return (Path(ultralytics.__file__).parent / "assets" / "bus.jpg").read_bytes()


@pytest.fixture
async def vision(files: tuple[Path, Path]) -> AsyncIterator[LlamaCppVisionAssessor]:
    model, mmproj = files
    assessor = LlamaCppVisionAssessor(
        model, mmproj, n_ctx=N_CTX, n_threads=1, n_gpu_layers=0, seed=3, timeout_s=60, max_pixels=320 * 240
    )
    yield assessor
    await assessor.close()


def test_the_tiny_projector_is_small_and_passes_the_probe(files: tuple[Path, Path]) -> None:
    model, mmproj = files
    assert mmproj.stat().st_size < 200_000
    assert check_vision_files(model, mmproj) == (model, mmproj)
    probe_vision_load(model, mmproj, use_gpu=False)  # raises ModelUnavailable when it does not load


async def test_key_frames_reach_the_model_and_the_answer_is_validated(
    vision: LlamaCppVisionAssessor, bus_jpeg: bytes
) -> None:
    answers = []
    prompt_tokens = []
    for frames in ([bus_jpeg], [bus_jpeg, bus_jpeg], [bus_jpeg, bus_jpeg, bus_jpeg]):
        try:
            answers.append(await vision.assess_images(CONTEXT, frames))
        except AssessmentFailed as exc:  # a random model may run into max_tokens: still a clear reason
            assert "in-process vision model tiny-vlm" in str(exc)
        prompt_tokens.append(vision.last_prompt_tokens)
    # Each image adds the projector's tokens to the prompt (the text around them does not change).
    assert prompt_tokens[1] - prompt_tokens[0] == MMPROJ_TOKENS_PER_IMAGE
    assert prompt_tokens[2] - prompt_tokens[1] == MMPROJ_TOKENS_PER_IMAGE
    assert answers, "the grammar-constrained tiny model never completed an answer"
    for answer in answers:
        assert answer.assessment.assessed_by == "vision"
        assert 0 <= answer.assessment.risk_score <= 100
        assert set(answer.attributes) <= set(VISION_ATTRIBUTES) and not answer.dropped
        assert answer.description and "\n" not in answer.description


async def test_sampled_answers_under_the_vision_grammar_all_parse(
    files: tuple[Path, Path], bus_jpeg: bytes
) -> None:
    model, mmproj = files
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Answer."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Rate this."},
                {"type": "image_url", "image_url": {"url": encode_image(bus_jpeg, 320 * 240)}},
            ],
        },
    ]
    texts = []
    for seed in range(4):
        vision = LlamaCppVisionAssessor(
            model, mmproj, n_ctx=N_CTX, n_threads=1, n_gpu_layers=0, temperature=1.0, seed=seed, probe=False
        )
        try:
            # The generation the assessor runs, with a budget no random answer runs out of.
            texts.append(await vision._llm.complete_text(messages, grammar=vision_gbnf(), max_tokens=2000))
        finally:
            await vision.close()
    for text in texts:
        parse_vision_answer(text, "vision")  # raises InvalidAssessment when it does not parse
    assert len(set(texts)) > 1  # really sampled


async def test_the_chain_records_who_answered(vision: LlamaCppVisionAssessor, bus_jpeg: bytes) -> None:
    metrics = Metrics()
    chain = FallbackAssessor(None, metrics, 60, vision, 60)
    context, result = await chain.assess_scene(CONTEXT, [bus_jpeg])
    if result.assessed_by == "vision":
        assert result.model == "tiny-vlm" and context.description
    else:  # the random model's answer was cut off: the heuristic answered and that is counted
        assert result.assessed_by == "heuristic"
        assert _fallbacks(metrics) == 1
    # An answer cut off by the token budget is garbage: the heuristic answers, the fallback counted.
    vision._max_tokens = 8
    metrics = Metrics()
    context, result = await FallbackAssessor(None, metrics, 60, vision, 60).assess_scene(CONTEXT, [bus_jpeg])
    assert result.assessed_by == "heuristic" and context.description == ""
    assert _fallbacks(metrics) == 1
    # Only undecodable frames: nothing to show, a clear reason, no model call.
    with pytest.raises(AssessmentFailed, match="no usable key frame"):
        await vision.assess_images(CONTEXT, [b"\xff\xd8 not a jpeg"])


def test_a_file_that_is_not_gguf_is_refused_before_loading(files: tuple[Path, Path], tmp_path: Path) -> None:
    model, mmproj = files
    text = tmp_path / "mmproj.gguf"
    text.write_text("<html>404 Not Found</html>")
    with pytest.raises(ModelUnavailable, match="is not a GGUF file"):
        check_vision_files(model, text)
    with pytest.raises(ModelUnavailable, match="swapped"):
        check_vision_files(mmproj, model)
    with pytest.raises(ModelUnavailable, match="not a multimodal projector"):
        check_vision_files(model, model)
    with pytest.raises(ModelUnavailable, match="does not exist"):
        check_vision_files(model, tmp_path / "missing.gguf")


def test_a_projector_that_aborts_llama_cpp_is_a_clear_error(files: tuple[Path, Path], tmp_path: Path) -> None:
    model, _ = files
    # Position embeddings one column wider than the encoder: libmtmd's graph check aborts (SIGABRT).
    broken = write_tiny_mmproj_gguf(tmp_path / "mmproj-broken.gguf", position_embd_width=33)
    with pytest.raises(ModelUnavailable, match="does not load") as caught:
        probe_vision_load(model, broken, use_gpu=False)
    assert "mmproj-broken.gguf" in str(caught.value)
    # A projector for another text model (output width 48, not 64): libmtmd's own error is quoted.
    other = write_tiny_mmproj_gguf(tmp_path / "mmproj-other.gguf", text_embd=48)
    with pytest.raises(ModelUnavailable, match="mismatch between text model"):
        probe_vision_load(model, other, use_gpu=False)
    # A truncated download.
    cut = tmp_path / "mmproj-cut.gguf"
    cut.write_bytes(files[1].read_bytes()[:5000])
    with pytest.raises(ModelUnavailable):
        LlamaCppVisionAssessor(model, cut, n_gpu_layers=0)


def test_a_broken_projector_leaves_the_vision_step_off_and_the_server_up(
    files: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model, _ = files
    broken = write_tiny_mmproj_gguf(tmp_path / "mmproj-broken.gguf", position_embd_width=33)
    settings = Settings.from_flat(vlm_model_path=str(model), vlm_mmproj_path=str(broken))
    with caplog.at_level(logging.WARNING):
        assert build_vision(settings) is None
    assert "model_fallback stage=vision" in caplog.text and "mmproj-broken.gguf" in caplog.text


def test_vision_settings_choose_the_backend(files: tuple[Path, Path]) -> None:
    model, mmproj = files
    with pytest.raises(ConfigError, match="vlm_mmproj_path"):
        build_vision(Settings.from_flat(vlm_model_path=str(model)))
    with pytest.raises(ConfigError, match="vlm_model_path"):
        build_vision(Settings.from_flat(vlm_mmproj_path=str(mmproj)))
    remote = build_vision(
        Settings.from_flat(
            vlm_url="http://127.0.0.1:9", vlm_model_path=str(model), vlm_mmproj_path=str(mmproj)
        )
    )
    assert type(remote).__name__ == "VisionAssessor"  # vlm_url wins
    assert build_vision(Settings.from_flat()) is None


def _fallbacks(metrics: Metrics) -> float:
    return metrics.registry.get_sample_value("hsi_assessor_fallbacks_total", {"backend": "vision"}) or 0.0


def test_hsi_assess_image_with_the_vision_model_in_process(
    files: tuple[Path, Path],
    bus_jpeg: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from inference_server.cli import main

    model, mmproj = files
    bus = tmp_path / "bus.jpg"
    bus.write_bytes(bus_jpeg)
    for key in list(os.environ):
        if key.startswith("HSI_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HSI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HSI_DETECTOR", "opencv")
    monkeypatch.setenv("HSI_LLM_BACKEND", "heuristic")
    monkeypatch.setenv("HSI_VLM_MODEL_PATH", str(model))
    monkeypatch.setenv("HSI_VLM_MMPROJ_PATH", str(mmproj))
    assert main(["assess", "--image", str(bus), "--camera", "front_door"]) == 0
    out = json.loads((printed := capsys.readouterr().out)[printed.index("{") :])
    assert out["assessed_by"] in ("vision", "heuristic")  # heuristic: the random answer was cut off
    if out["assessed_by"] == "vision":
        assert out["model"] == "tiny-vlm" and out["description"]
    assert out["vision_seconds"] > 0
    # A projector that aborts llama.cpp: announced, the heuristic answers, `hsi assess` still works.
    broken = write_tiny_mmproj_gguf(tmp_path / "mmproj-broken.gguf", position_embd_width=33)
    monkeypatch.setenv("HSI_VLM_MMPROJ_PATH", str(broken))
    assert main(["assess", "--image", str(bus)]) == 0
    out = json.loads((printed := capsys.readouterr().out)[printed.index("{") :])
    assert out["assessed_by"] == "heuristic" and "vision_seconds" not in out


async def test_an_assess_worker_loads_the_vision_model_and_releases_it_at_stop(
    files: tuple[Path, Path], tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    from inference_server.runtime.app import App
    from tests.server.pipeline.helpers import make_settings

    model, mmproj = files
    settings = make_settings(
        tmp_path, database_url, redis_prefix, vlm_model_path=str(model), vlm_mmproj_path=str(mmproj)
    )
    app = App(settings, ("assess",))
    await app.start()
    try:
        assert app.assess is not None
        vision = app.assess.assessor.vision
        assert isinstance(vision, LlamaCppVisionAssessor) and vision.model_id == "tiny-vlm"
        assert app.assess.assessor.max_images == settings.llm.vlm_max_images
    finally:
        await app.stop()
    assert vision._llm._executor._shutdown  # closed with the app
