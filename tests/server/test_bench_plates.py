"""The plate-reading benchmark (tools/bench_plates.py) measures the product's reader and says so."""

from __future__ import annotations

import pytest

pytest.importorskip("rapidocr_onnxruntime")

from inference_server.ml.plates import RapidPlateReader
from tools.bench_plates import CONDITIONS, HEIGHTS, measure


def test_the_plate_bench_reports_every_condition_and_refuses_to_measure_nothing() -> None:
    reader = RapidPlateReader()
    rows = measure(reader, 1)
    assert [(r["height_px"], r["blur"], r["warp"]) for r in rows] == [
        (h, b, w) for h in HEIGHTS for b, w in CONDITIONS
    ]
    for row in rows:
        assert row["plates"] == 1
        assert 0.0 <= row["plate_accuracy"] <= row["char_accuracy"] <= 1.0
        assert row["plate_accuracy"] <= row["read_rate"] <= 1.0
        assert row["ms_per_plate"] > 0
    sharp_large = next(r for r in rows if r["height_px"] == 64 and r["blur"] == 0 and r["warp"] == 0)
    assert sharp_large["plate_accuracy"] == 1.0  # a large sharp plate is read exactly
    with pytest.raises(ValueError, match="at least 1"):
        measure(reader, 0)
