"""Offline face models for tests: small ONNX networks with the published models' interfaces.

- `build_sface_onnx`: a tiny convolutional network 1x3x112x112 -> 1x128 (SFace's input and
  output), seeded random weights, exported with torch.onnx: `cv2.FaceRecognizerSF` loads it and
  the real alignCrop + feature code path runs. Its embeddings are not trained, but they are a
  deterministic function of the face crop, so the same picture gives the same embedding and two
  different pictures differ.
- `build_yunet_onnx`: YuNet's 12 outputs (`cls_8..32`, `obj_8..32`, `bbox_8..32`, `kps_8..32`,
  each [1, anchors, C]) over a fixed input size, so `cv2.FaceDetectorYN` accepts it and decodes
  its anchors. Its weights are set, not trained: it reports one confident face per stride-32 cell
  whose mean brightness is above `bright` (a white square drawn on a frame is "a face"), which lets
  a test put a face at a known place and check the detector's coordinates end to end.

The real detector in tests is OpenCV's trained Haar cascade (`cv2.data.haarcascades`), which
finds the faces in ultralytics' bundled `zidane.jpg`.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

YUNET_STRIDES = (8, 16, 32)


def build_sface_onnx(dest: Path, seed: int = 0) -> Path:
    """Write an SFace-compatible ONNX (1x3x112x112 -> 1x128) at `dest`."""
    import torch

    class TinySFace(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 16, 5, stride=2, padding=2)
            self.conv2 = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1)
            self.fc = torch.nn.Linear(32 * 4 * 4, 128)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = torch.relu(self.conv1(x - 127.5))
            y = torch.relu(self.conv2(y))
            y = torch.nn.functional.adaptive_avg_pool2d(y, 4).reshape(1, 32 * 4 * 4)
            out: torch.Tensor = self.fc(y)
            return out

    torch.manual_seed(seed)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _export(
        TinySFace().eval(),
        (torch.zeros(1, 3, 112, 112),),
        str(dest),
        input_names=["data"],
        output_names=["fc1"],
    )
    return dest


def build_yunet_onnx(dest: Path, size: tuple[int, int] = (320, 320), bright: float = 200.0) -> Path:
    """Write a YuNet-shaped ONNX for inputs of `size` (width, height) at `dest` (see the module doc)."""
    import torch

    width, height = size

    class BrightSquares(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
            gray = x.mean(dim=1, keepdim=True)  # 1x1xHxW, 0..255
            cls, obj, bbox, kps = [], [], [], []
            for stride in YUNET_STRIDES:
                n = (height // stride) * (width // stride)
                mean = torch.nn.functional.avg_pool2d(gray, 32, stride=stride, padding=0, ceil_mode=False)
                # 32x32 windows starting at each anchor; pad so that every anchor has one.
                rows, cols = height // stride, width // stride
                mean = torch.nn.functional.pad(mean, (0, cols - mean.shape[3], 0, rows - mean.shape[2]))
                hit = torch.sigmoid((mean - bright) * 4.0) if stride == 32 else mean * 0.0
                flat = hit.reshape(1, n, 1)
                cls.append(flat)
                obj.append(flat)
                # The window's centre is (c + 0.5, r + 0.5) * 32 for stride 32; a 32x32 box.
                offsets = torch.full((1, n, 2), 0.5) + flat * 0.0
                sizes = torch.full((1, n, 2), math.log(32.0 / stride)) + flat * 0.0
                bbox.append(torch.cat([offsets, sizes], dim=2))
                kps.append(torch.full((1, n, 10), 0.5) + flat * 0.0)
            return (*cls, *obj, *bbox, *kps)

    names = [f"{kind}_{s}" for kind in ("cls", "obj", "bbox", "kps") for s in YUNET_STRIDES]
    dest.parent.mkdir(parents=True, exist_ok=True)
    _export(
        BrightSquares().eval(),
        (torch.zeros(1, 3, height, width),),
        str(dest),
        input_names=["input"],
        output_names=names,
    )
    return dest


def _export(module: object, args: tuple[object, ...], path: str, **names: object) -> None:
    """torch.onnx.export with the TorchScript exporter (fixed shapes, which OpenCV's dnn module
    needs; no onnxscript), without its deprecation warnings."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, path, opset_version=11, dynamo=False, **names)  # type: ignore[arg-type]
