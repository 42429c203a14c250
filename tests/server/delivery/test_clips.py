"""Event clips with the real ffmpeg, checked with ffprobe."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest

from inference_server.media.clips import ClipError, ClipMaker, Snapshot, select_snapshots

OUTSIDE_ABS = "/tmp/outside.mp4"

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (apt ffmpeg)")


def probe(path: Path) -> dict[str, object]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    data: dict[str, object] = json.loads(out.stdout)
    return data


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    (root / "front").mkdir(parents=True)
    for i, (w, h) in enumerate([(640, 480), (800, 450), (640, 480)]):
        image = np.full((h, w, 3), 40 * i, dtype=np.uint8)
        cv2.rectangle(image, (50 + 20 * i, 60), (200 + 20 * i, 300), (0, 0, 255), -1)
        cv2.imwrite(str(root / "front" / f"snap{i}.jpg"), image)
    return root


@pytest.fixture
def video(media: Path) -> Path:
    path = media / "front" / "source.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=10",
            "-t",
            "6",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


async def test_mp4_from_snapshots_is_h264_with_a_duration(media: Path) -> None:
    maker = ClipMaker(media, width=640, height=360)
    images = sorted((media / "front").glob("snap*.jpg"))
    result = await maker.from_images(images, "clips/event1.mp4", seconds_per_image=0.5)
    assert result.path == (media / "clips" / "event1.mp4").resolve()
    info = probe(result.path)
    stream = info["streams"][0]  # type: ignore[index]
    assert stream["codec_name"] == "h264"
    assert stream["pix_fmt"] == "yuv420p"
    assert (stream["width"], stream["height"]) == (640, 360)
    assert 1.0 <= float(info["format"]["duration"]) <= 2.0  # type: ignore[index]
    # faststart: the moov atom comes before the media data
    head = result.path.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


async def test_gif_from_snapshots(media: Path) -> None:
    result = await ClipMaker(media).from_images(
        ["front/snap0.jpg", "front/snap1.jpg"], "clips/e.gif", fmt="gif"
    )
    assert result.path.read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    assert probe(result.path)["streams"][0]["codec_name"] == "gif"  # type: ignore[index]


async def test_clip_from_video_with_pre_and_post_roll(media: Path, video: Path) -> None:
    result = await ClipMaker(media).from_video(
        video, "clips/v.mp4", start_seconds=2.0, end_seconds=3.0, pre_roll=1.0, post_roll=1.5
    )
    info = probe(result.path)
    assert info["streams"][0]["codec_name"] == "h264"  # type: ignore[index]
    assert 3.0 <= float(info["format"]["duration"]) <= 3.8  # type: ignore[index]
    with pytest.raises(ClipError, match="post_roll"):
        await ClipMaker(media).from_video(video, "clips/x.mp4", start_seconds=0, end_seconds=1, post_roll=301)


def test_snapshots_are_selected_by_pre_and_post_roll() -> None:
    t0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    shots = [Snapshot(Path(f"{i}.jpg"), t0 + timedelta(seconds=10 * i)) for i in range(-3, 6)]
    chosen = select_snapshots(shots, t0, t0 + timedelta(seconds=20), pre_roll=15, post_roll=10)
    assert [s.path.name for s in chosen] == ["-1.jpg", "0.jpg", "1.jpg", "2.jpg", "3.jpg"]


@pytest.mark.parametrize("bad", ["../outside.mp4", OUTSIDE_ABS, "clips/../../outside.mp4"])
async def test_paths_outside_the_media_folder_are_refused(media: Path, bad: str) -> None:
    maker = ClipMaker(media)
    with pytest.raises(ClipError, match="outside the media folder"):
        await maker.from_images(["front/snap0.jpg"], bad)
    with pytest.raises(ClipError, match="outside the media folder"):
        await maker.from_images([bad.replace(".mp4", ".jpg")], "clips/ok.mp4")


async def test_symlink_escaping_the_media_folder_is_refused(media: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.jpg"
    secret.write_bytes((media / "front" / "snap0.jpg").read_bytes())
    (media / "front" / "link.jpg").symlink_to(secret)
    with pytest.raises(ClipError, match="outside the media folder"):
        await ClipMaker(media).from_images(["front/link.jpg"], "clips/l.mp4")


async def test_a_job_over_its_time_limit_is_killed(media: Path) -> None:
    maker = ClipMaker(media, width=1920, height=1080)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(ClipError, match="time limit"):
        await maker.from_images(
            ["front/snap0.jpg", "front/snap1.jpg"],
            "clips/long.mp4",
            seconds_per_image=300,
            timeout_seconds=0.5,
        )
    leftovers = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert [p for p in leftovers if "ffmpeg" in p.name()] == []
    assert not any((media / "clips").glob("*long*"))


async def test_ffmpeg_failure_is_a_clear_error(media: Path) -> None:
    (media / "front" / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(ClipError, match="ffmpeg failed"):
        await ClipMaker(media).from_images(["front/broken.jpg"], "clips/b.mp4")
