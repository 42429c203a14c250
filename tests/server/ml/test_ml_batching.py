"""Dynamic batching across callers: concurrent detect calls become one model call, each caller
gets exactly its own frames' results, errors reach the callers, and the budget bounds the wait.

The wrapped detector is the real ONNX Runtime YOLO (random weights) where results matter, and a
recording detector where only the call pattern is observed."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from inference_server.domain.detections import Box, Detection
from inference_server.ml.batching import DynamicBatcher
from inference_server.ml.detector_onnx import OnnxDetector
from tests.support.models import build_random_yolo, sample_images


class _Recording:
    """Tags each frame with its first pixel value, so results show which frame they belong to."""

    name = "recording"

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[int] = []
        self.gate = gate

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
        if self.gate is not None:
            self.gate.wait(10)
        self.calls.append(len(frames))
        return [[Detection(str(int(f[0, 0, 0])), 0.5, Box(0, 0, 1, 1))] for f in frames]


def _frames(values: Sequence[int]) -> list[np.ndarray]:
    return [np.full((8, 8, 3), v, dtype=np.uint8) for v in values]


def test_concurrent_callers_share_one_model_call_and_get_their_own_results() -> None:
    gate = threading.Event()
    inner = _Recording(gate)
    batcher = DynamicBatcher(inner, max_batch=32, budget_s=0.0)
    try:
        with ThreadPoolExecutor(5) as pool:
            blocker = pool.submit(batcher.detect, _frames([0]))  # holds the model thread
            time.sleep(0.2)
            futures = [
                pool.submit(batcher.detect, _frames([10 * c + i for i in range(3)])) for c in range(1, 5)
            ]
            time.sleep(0.2)  # all four are queued behind the blocker
            gate.set()
            assert [d[0].label for d in blocker.result(10)] == ["0"]
            for c, fut in enumerate(futures, start=1):
                assert [dets[0].label for dets in fut.result(10)] == [str(10 * c + i) for i in range(3)]
    finally:
        batcher.close()
    assert inner.calls == [1, 12]
    assert batcher.stats.calls == 2 and batcher.stats.frames == 13 and batcher.stats.largest == 12


def test_batches_never_exceed_max_batch_unless_one_request_is_larger() -> None:
    gate = threading.Event()
    inner = _Recording(gate)
    batcher = DynamicBatcher(inner, max_batch=4, budget_s=0.0)
    try:
        with ThreadPoolExecutor(6) as pool:
            blocker = pool.submit(batcher.detect, _frames([1]))
            time.sleep(0.2)
            futures = [pool.submit(batcher.detect, _frames([2, 3])) for _ in range(3)]
            time.sleep(0.1)
            big = pool.submit(batcher.detect, _frames(range(6)))
            time.sleep(0.2)
            gate.set()
            blocker.result(10)
            for fut in futures:
                assert len(fut.result(10)) == 2
            assert len(big.result(10)) == 6
    finally:
        batcher.close()
    assert inner.calls[0] == 1
    assert sorted(inner.calls[1:]) == [2, 4, 6]  # two requests merged, the large one alone


def test_a_lone_request_waits_for_the_budget_then_runs_alone() -> None:
    inner = _Recording()
    batcher = DynamicBatcher(inner, max_batch=32, budget_s=0.3)
    try:
        started = time.monotonic()
        result = batcher.detect(_frames([7]))
        waited = time.monotonic() - started
    finally:
        batcher.close()
    assert [d[0].label for d in result] == ["7"]
    assert inner.calls == [1]
    # The budget is a lower bound on the wait of a lone request (an upper bound would be timing).
    assert waited >= 0.3


def test_a_full_batch_does_not_wait_for_the_budget() -> None:
    inner = _Recording()
    batcher = DynamicBatcher(inner, max_batch=4, budget_s=60.0)
    try:
        result = batcher.detect(_frames([1, 2, 3, 4]))  # a 60 s budget would hang the test
    finally:
        batcher.close()
    assert len(result) == 4 and inner.calls == [4]


def test_a_failing_model_call_reaches_every_caller_of_that_batch_and_the_next_batch_runs() -> None:
    class Failing(_Recording):
        def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
            if any(int(f[0, 0, 0]) == 99 for f in frames):
                raise RuntimeError("model exploded")
            return super().detect(frames)

    batcher = DynamicBatcher(Failing(), max_batch=8, budget_s=0.0)
    try:
        with pytest.raises(RuntimeError, match="model exploded"):
            batcher.detect(_frames([99]))
        assert [d[0].label for d in batcher.detect(_frames([5]))] == ["5"]
    finally:
        batcher.close()


def test_closed_batcher_refuses_new_work() -> None:
    batcher = DynamicBatcher(_Recording(), max_batch=8, budget_s=0.0)
    batcher.close()
    with pytest.raises(RuntimeError, match="closed"):
        batcher.detect(_frames([1]))


def test_batched_real_detector_gives_the_same_boxes_as_direct_calls(tmp_path: Path) -> None:
    weights = build_random_yolo(tmp_path / "yolo26n.pt")
    onnx = OnnxDetector(weights, confidence=0.0001, cache_dir=tmp_path / "cache", device="cpu")
    photos = [np.asarray(cv2.imread(str(p))) for p in sample_images()]
    direct = [onnx.detect([p])[0] for p in photos]
    batcher = DynamicBatcher(onnx, max_batch=8, budget_s=0.05)
    try:
        with ThreadPoolExecutor(2) as pool:
            batched = [f.result(60)[0] for f in [pool.submit(batcher.detect, [p]) for p in photos]]
    finally:
        batcher.close()
    assert direct and all(direct)
    for a, b in zip(direct, batched, strict=True):
        assert [d.label for d in a] == [d.label for d in b]
        np.testing.assert_allclose([d.box.as_list() for d in a], [d.box.as_list() for d in b], atol=1e-4)
