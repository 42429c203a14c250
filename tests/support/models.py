"""Real models built locally, without any model hub: for tests, and for `hsi demo` and `hsi bench` (tools/).

A YOLO built from its YAML has random weights: it runs exactly like a trained one (same
graph, same cost, same output shapes) but its detections are noise. Real detection content
comes from the OpenCV person detector on the sample images shipped in the ultralytics wheel.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

_SAMPLE_NAMES = ("bus.jpg", "zidane.jpg")


def ensure_ultralytics_offline(config_dir: Path) -> None:
    """Keep ultralytics off the network and its settings inside `config_dir`.

    Sets YOLO_OFFLINE and YOLO_CONFIG_DIR and provides the font ultralytics would fetch from
    GitHub (matplotlib's DejaVuSans as `Ultralytics/Arial.ttf`). Call it before importing
    ultralytics: it reads both variables at import time (done here too if it is already loaded).
    """
    config_dir = config_dir.resolve()
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
    font_dirs = {config_dir / "Ultralytics"}
    utils = sys.modules.get("ultralytics.utils")
    if utils is not None:  # already imported: its config dir is fixed, give the font there too
        font_dirs.add(Path(utils.USER_CONFIG_DIR))
    for folder in font_dirs:
        font = folder / "Arial.ttf"
        if not font.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_dejavu_font(), font)


def _dejavu_font() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib (an ultralytics dependency) is needed for its DejaVuSans font")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"


def sample_images() -> list[Path]:
    """The sample photos with people in them that ship inside the ultralytics wheel."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("ultralytics is not installed: it ships the sample images")
    assets = Path(next(iter(spec.submodule_search_locations))) / "assets"
    return [assets / name for name in _SAMPLE_NAMES]


def build_random_yolo(dest: Path, model: str = "yolo26n", seed: int = 0) -> Path:
    """Build `model` from its YAML with random (seeded) weights and save a loadable .pt at dest.

    The file is loaded back and run once on a sample image before returning, so a broken save
    fails here rather than in the code under test.
    """
    import numpy as np
    import torch
    from ultralytics import YOLO  # type: ignore[attr-defined]

    from inference_server.ml.detectors import COCO_LABELS

    torch.manual_seed(seed)
    yolo = YOLO(f"{model}.yaml", task="detect")
    yolo.model.names = dict(enumerate(COCO_LABELS))  # type: ignore[union-attr]  # YAML names "0".."79"
    dest.parent.mkdir(parents=True, exist_ok=True)
    yolo.save(str(dest))

    check = YOLO(str(dest), task="detect")
    results = list(
        check.predict(np.zeros((64, 64, 3), dtype=np.uint8), imgsz=64, verbose=False, device="cpu")
    )
    if len(results) != 1 or check.names.get(0) != "person":
        raise RuntimeError(f"{dest} does not load back as an 80-class detector")
    return dest
