"""Licence plate reading accuracy of the product's reader on rendered plates.

The same code as the enrich stage: `ml/plates.RapidPlateReader` (rapidocr-onnxruntime's bundled
PP-OCR models) and `domain/plates.assemble` with its default confidence gate. Plates with known
text are rendered with DejaVu Sans Bold (shipped in matplotlib) at several heights, blurs and
perspective warps with noise; read rate is the share of plates the gate accepted at all,
character accuracy 1 - edit distance / length (an unread plate counts as empty), plate accuracy
the share read exactly (normal form: letters and digits, upper case).

    .venv/bin/python -m tools.bench_plates [--plates 40] [--json plates.json]
"""

from __future__ import annotations

import argparse
import json
import random
import string
import time
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from inference_server.domain import plates
from inference_server.ml.plates import RapidPlateReader

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
HEIGHTS = (16, 24, 40, 64)
CONDITIONS = ((0.0, 0.0), (1.0, 0.0), (0.0, 0.08), (1.5, 0.08))  # (blur at 40 px, warp)


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


def measure(reader: RapidPlateReader, per_condition: int, seed: int = 17) -> list[dict[str, float]]:
    """One row per (height, blur, warp): the product's read (RapidPlateReader + `assemble`, with
    its confidence gate) on `per_condition` rendered plates."""
    if per_condition < 1:
        raise ValueError("per_condition must be at least 1")
    rng = random.Random(seed)
    rows = []
    for height in HEIGHTS:
        for blur, warp in CONDITIONS:
            chars = exact = read_any = total = 0
            started = time.perf_counter()
            for _ in range(per_condition):
                text = plate_text(rng)
                read = plates.assemble(reader.read(render(text, height, blur * height / 40, warp, rng)))
                got = read.text if read else ""
                read_any += read is not None
                chars += max(0, len(text) - plates.edit_distance(got, text))
                exact += got == text
                total += len(text)
            rows.append(
                {
                    "height_px": height,
                    "blur": blur,
                    "warp": warp,
                    "plates": per_condition,
                    "read_rate": round(read_any / per_condition, 3),
                    "char_accuracy": round(chars / total, 3),
                    "plate_accuracy": round(exact / per_condition, 3),
                    "ms_per_plate": round((time.perf_counter() - started) * 1000 / per_condition, 1),
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plates", type=int, default=40, help="plates per condition")
    parser.add_argument("--json", dest="json_out", help="also write the rows to this JSON file")
    args = parser.parse_args()
    rows = measure(RapidPlateReader(), args.plates)
    print("height_px blur warp  read_rate char_acc plate_acc ms/plate")
    for r in rows:
        print(
            f"{r['height_px']:9d} {r['blur']:4.1f} {r['warp']:4.2f}  {r['read_rate']:9.3f}"
            f" {r['char_accuracy']:8.3f} {r['plate_accuracy']:9.3f} {r['ms_per_plate']:8.1f}"
        )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"plates": rows}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
