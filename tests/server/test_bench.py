"""`hsi bench` itself: its own database per run, loud failures, its JSON and its comparisons.

Real PostgreSQL and Redis, the real pipeline, the load generator's replay detector at a 1 ms
fixed cost. No timing is asserted: only counts, structure and exit status.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import pytest

from inference_server.cli import main
from inference_server.settings import Settings, load_settings
from tests.server.conftest import PG_ADMIN_URL, REDIS_URL
from tests.support.models import sample_images
from tools import bench
from tools.bench_load import ReplayDetector, record_detections

N = 12


def _settings(data_dir: Path, **extra: str) -> Settings:
    return load_settings(
        environ={
            "HSI_DATABASE_URL": PG_ADMIN_URL,
            "HSI_REDIS_URL": REDIS_URL,
            "HSI_DATA_DIR": str(data_dir),
            "HSI_LLM_BACKEND": "heuristic",
            **extra,
        }
    )


async def _run(settings: Settings, json_out: Path, **kw: Any) -> dict[str, Any]:
    rc = await bench.run_bench(
        settings,
        images=N,
        detector="replay",
        batch=4,
        api=False,
        json_out=json_out,
        replay_ms=1.0,
        cameras=2,
        burst=3,
        **kw,
    )
    assert rc == 0
    result: dict[str, Any] = json.loads(json_out.read_text())
    return result


async def _bench_databases() -> set[str]:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'hsi_bench_%'")
    finally:
        await conn.close()
    return {r["datname"] for r in rows}


async def test_two_runs_on_the_same_services_each_count_only_their_own_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(tmp_path / "data")
    first = await _run(settings, tmp_path / "first.json")
    second = await _run(settings, tmp_path / "second.json", compare=tmp_path / "first.json")

    for r in (first, second):
        assert r["files_dropped"] == r["files_processed"] == N
        assert r["raw_detector"]["images"] == N
        assert r["stages"]["ingest"]["items"] == N
        assert r["stages"]["detect"]["items"] >= 1
        assert r["events"] >= 1
        assert r["file_to_event_ms"]["count"] == r["events"]
        assert r["file_to_published_ms"]["count"] == r["events"]
    # The replay cycles bus.jpg (two people) and zidane.jpg (none): N/2 frames with two each.
    assert first["detections"] == second["detections"] == N // 2 * 2
    assert first["run_id"] != second["run_id"]
    assert "compared with" in capsys.readouterr().out
    # Nothing left behind: no database, no keys, no upload folders.
    assert not {f"hsi_bench_{r['run_id'].removeprefix('hsi-bench-')}" for r in (first, second)} & (
        await _bench_databases()
    )
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        for r in (first, second):
            assert [k async for k in client.scan_iter(match=f"{r['run_id']}*")] == []
    finally:
        await client.aclose()
    assert list((tmp_path / "data" / "bench").iterdir()) == []


async def test_the_json_has_the_documented_shape(tmp_path: Path) -> None:
    r = await _run(_settings(tmp_path / "data"), tmp_path / "r.json")
    assert r["schema"] == bench.SCHEMA_VERSION
    assert r["mode"] == "recorded" and "fixed 1 ms/frame" in r["mode_note"]
    for key in (
        "pipeline_images_per_second",
        "pipeline_vs_raw",
        "events_per_second",
        "raw_decode_plus_detect_images_per_second",
        "overhead_ratio",
    ):
        assert isinstance(r[key], float) and r[key] > 0, key
    for key in ("images_per_second", "per_image_ms_p50", "per_image_ms_p95", "seconds"):
        assert r["raw_detector"][key] > 0, key
    assert set(r["stages"]) >= {"ingest", "detect", "assess"}
    for stage in r["stages"].values():
        assert set(stage) == {"items", "items_per_second", "p50_ms", "p95_ms"}
        assert stage["p95_ms"] >= stage["p50_ms"] >= 0
    for key in ("file_to_event_ms", "file_to_published_ms"):
        assert set(r[key]) == {"count", "p50", "p95", "max"}
        assert r[key]["max"] >= r[key]["p95"] >= r[key]["p50"]
    mem = r["memory"]
    assert mem["peak_rss_mib"] > 0 and mem["torch_loaded"] in (True, False)


async def test_a_run_that_processed_fewer_files_than_it_dropped_fails(tmp_path: Path) -> None:
    # Every upload is over the size limit: ingest rejects them all, nothing is measured.
    settings = _settings(tmp_path / "data", HSI_MAX_FILE_BYTES="1000")
    with pytest.raises(bench.BenchFailed, match=rf"processed 0 of the {N} files dropped \({N} rejected"):
        await _run(settings, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()


def test_the_command_exits_non_zero_with_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HSI_DATABASE_URL", PG_ADMIN_URL)
    monkeypatch.setenv("HSI_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("HSI_DATA_DIR", str(tmp_path / "data"))
    assert main(["bench", "--images", "0", "--detector", "replay"]) == 2
    assert "hsi bench: FAILED: nothing to measure" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text('{"not": "a bench result"}')
    assert main(["bench", "--detector", "replay", "--compare", str(tmp_path / "bad.json")]) == 2
    assert "not an hsi bench result" in capsys.readouterr().err


def test_compare_gives_now_over_before_for_every_shared_number() -> None:
    before = {
        "raw_detector": {"images_per_second": 50.0, "per_image_ms_p50": 20.0},
        "pipeline_images_per_second": 40.0,
        "events": 0,
        "memory": {"peak_rss_mib": 400.0, "torch_loaded": False},
        "stages": {"detect": {"items": 10, "p95_ms": 30.0}},
        "only_before": 1.0,
    }
    now = {
        "raw_detector": {"images_per_second": 100.0, "per_image_ms_p50": 10.0},
        "pipeline_images_per_second": 30.0,
        "events": 5,
        "memory": {"peak_rss_mib": 300.0, "torch_loaded": True},
        "stages": {"detect": {"items": 20, "p95_ms": 60.0}},
    }
    ratios = bench.compare_results(now, before)
    assert ratios["raw_detector.images_per_second"] == {"before": 50.0, "now": 100.0, "ratio": 2.0}
    assert ratios["raw_detector.per_image_ms_p50"]["ratio"] == 0.5
    assert ratios["pipeline_images_per_second"]["ratio"] == 0.75
    assert ratios["memory.peak_rss_mib"]["ratio"] == 0.75
    assert ratios["stages.detect.p95_ms"]["ratio"] == 2.0
    assert ratios["events"]["ratio"] is None  # before was 0
    assert "memory.torch_loaded" not in ratios and "only_before" not in ratios
    assert "stages.detect.items" not in ratios  # counts are not performance


def test_the_replay_detector_cycles_its_recording_in_call_order(tmp_path: Path) -> None:
    recorded = record_detections(sample_images(), tmp_path / "rec.json")
    assert [len(f) for f in recorded] == [2, 0]  # HOG: two people in bus.jpg, none in zidane.jpg
    assert record_detections(sample_images(), tmp_path / "rec.json") == recorded  # read back
    det = ReplayDetector(recorded, fixed_ms=0.0)
    frame = np.zeros((8, 8, 3), np.uint8)
    assert [len(f) for f in det.detect([frame] * 3)] == [2, 0, 2]
    assert [len(f) for f in det.detect([frame])] == [0]
    assert det.name == "replay(fixed 0 ms/frame)"
    with pytest.raises(ValueError, match="no recorded detections"):
        ReplayDetector([])


def test_the_camera_schedule_puts_bursts_a_window_apart() -> None:
    plan = bench.camera_schedule(12, cameras=2, burst=3, now=10_000.0)
    cam0 = [t for cam, t in plan if cam == "cam0"]
    assert len(cam0) == 6 and max(t for _, t in plan) < 10_000.0
    assert np.diff(cam0).tolist() == [1.0, 1.0, 118.0, 1.0, 1.0]


async def test_the_serve_memory_run_measures_a_real_hsi_serve_child(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    out = tmp_path / "serve.json"
    rc = await bench.run_bench(
        settings, images=4, detector="opencv", batch=2, api=False, json_out=out, cameras=4, serve=True
    )
    assert rc == 0
    r = json.loads(out.read_text())
    assert r["mode"] == "serve" and r["cameras"] == 4
    assert r["files_processed"] == r["files_dropped"] == 4
    assert r["memory"]["peak_rss_mib"] >= r["memory"]["rss_after_start_mib"] > 0
    assert r["memory"]["torch_loaded"] is False  # the OpenCV detector and the heuristic need no torch


async def test_the_soak_samples_memory_and_depths_and_accounts_for_every_upload(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    rc = await bench.run_bench(
        _settings(tmp_path / "data"),
        images=0,
        detector="opencv",
        batch=2,
        api=False,
        json_out=out,
        cameras=2,
        soak_minutes=0.1,
        soak_rate=2.0,
        soak_sample_seconds=1.0,
    )
    assert rc == 0
    r = json.loads(out.read_text())
    assert r["mode"] == "soak" and r["uploads"] == 12 and r["cameras"] == 2
    assert r["stored"] == 12 and r["lost"] == 0 and r["duplicated"] == 0
    assert r["events"] >= 1 and r["in_events"] >= 1
    assert sum(r["statuses"].values()) == 12 and "queued" not in r["statuses"]
    mem = r["memory"]
    assert mem["peak_rss_mib"] >= max(mem["rss_start_mib"], mem["rss_end_mib"]) > 0
    assert set(r["max_depth"]) == {"detect", "window", "enrich", "assess", "publish"}
    assert len(r["samples"]) >= 3 and r["samples"][-1]["media"] == 12
    assert [s["uploaded"] for s in r["samples"]] == sorted(s["uploaded"] for s in r["samples"])


async def test_a_soak_whose_uploads_are_all_rejected_fails_loudly(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", HSI_MAX_FILE_BYTES="1000")
    with pytest.raises(bench.BenchFailed, match="the soak processed nothing: 0 uploads stored"):
        await bench.run_bench(
            settings,
            images=0,
            detector="opencv",
            batch=2,
            api=False,
            json_out=tmp_path / "r.json",
            cameras=1,
            soak_minutes=0.05,
            soak_rate=2.0,
            soak_sample_seconds=1.0,
        )
