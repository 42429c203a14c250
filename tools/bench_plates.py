"""Licence plate reading accuracy of rapidocr-onnxruntime's bundled PP-OCR models on rendered plates.

Not yet wired into the pipeline (see docs/behaviour.md): this measures whether the packaged models
are good enough. Plates with known text are rendered with DejaVu Sans Bold (shipped in matplotlib)
at several heights, blurs and perspective warps with noise; character accuracy is 1 - edit
distance / length, plate accuracy is the share read exactly (letters and digits only, upper-cased).

    .venv/bin/python -m tools.bench_plates [--plates 40]
"""

from __future__ import annotations

import argparse
import random
import string
import time
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"


def plate_text(rng: random.Random) -> str:
    letters = string.ascii_uppercase
    return (
        "".join(rng.choices(letters, k=2))
        + "".join(rng.choices(string.digits, k=3))
        + "".join(rng.choices(letters, k=2))
    )


def render(text: str, height: int, blur: float, warp: float, rng: random.Random) -> np.ndarray:
    font = ImageFont.truetype(str(FONT), 80)
    box = [int(v) for v in font.getbbox(text)]
    w, h = box[2] - box[0] + 40, box[3] - box[1] + 30
    plate = Image.new("RGB", (w, h), (245, 245, 240))
    draw = ImageDraw.Draw(plate)
    draw.rectangle((2, 2, w - 3, h - 3), outline=(20, 20, 20), width=4)
    draw.text((20 - box[0], 15 - box[1]), text, font=font, fill=(15, 15, 15))
    scale = height / h
    plate = plate.resize((max(1, int(w * scale)), height), Image.Resampling.LANCZOS)
    if blur:
        plate = plate.filter(ImageFilter.GaussianBlur(blur))
    arr = np.array(plate)[:, :, ::-1]
    pw, ph = arr.shape[1], arr.shape[0]
    canvas = np.full((ph * 3, pw + ph * 2, 3), 90, np.uint8)  # a car-coloured surround
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
    d = warp * ph
    ox, oy = ph, ph
    dst = np.array(
        [[ox, oy + d], [ox + pw, oy - d], [ox + pw, oy + ph + d], [ox, oy + ph - d]], dtype=np.float32
    )
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(arr, m, (canvas.shape[1], canvas.shape[0]), borderValue=(90, 90, 90))
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 6, warped.shape)
    out: np.ndarray = np.clip(warped.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return out


def normalise(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plates", type=int, default=40, help="plates per condition")
    args = parser.parse_args()
    from rapidocr_onnxruntime import RapidOCR

    ocr = RapidOCR()
    rng = random.Random(17)
    print("height_px blur warp  char_acc plate_acc ms/plate")
    for height in (16, 24, 40, 64):
        for blur, warp in ((0.0, 0.0), (1.0, 0.0), (0.0, 0.08), (1.5, 0.08)):
            chars = exact = 0
            total = 0
            started = time.perf_counter()
            for _ in range(args.plates):
                text = plate_text(rng)
                result, _ = ocr(render(text, height, blur * height / 40, warp, rng))
                read = normalise("".join(r[1] for r in result or []))
                chars += max(0, len(text) - edit_distance(read, text))
                exact += read == text
                total += len(text)
            ms = (time.perf_counter() - started) * 1000 / args.plates
            print(
                f"{height:9d} {blur:4.1f} {warp:4.2f}  {chars / total:8.3f} {exact / args.plates:9.3f} {ms:8.1f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
