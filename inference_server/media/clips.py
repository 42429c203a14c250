"""Event clips with ffmpeg: MP4 (H.264, yuv420p, faststart) or GIF (palette) from an event's
snapshots or from a source video with pre/post roll.

ffmpeg runs as an asyncio subprocess with its arguments as a list (never a shell), inputs and
outputs confined to the media folder, and a time limit per job: on timeout the process is killed
and the partial output removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

ClipFormat = Literal["mp4", "gif"]
MAX_ROLL_SECONDS = 300.0
DEFAULT_TIMEOUT_SECONDS = 120.0


class ClipError(RuntimeError):
    """A clip could not be made; the message says why (bad path, ffmpeg missing/failed, timeout)."""


@dataclass(frozen=True, slots=True)
class ClipResult:
    """The file written and how long ffmpeg took."""

    path: Path
    format: ClipFormat
    seconds: float


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One image of an event and when it was captured."""

    path: Path
    captured_at: datetime


def confine(media_dir: Path, path: Path | str) -> Path:
    """The path resolved inside the media folder; ClipError when it escapes (.., symlinks, absolute)."""
    root = Path(media_dir).resolve()
    candidate = Path(path)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not resolved.is_relative_to(root):
        raise ClipError(f"path {path} is outside the media folder {root}")
    return resolved


def select_snapshots(
    snapshots: Sequence[Snapshot], started_at: datetime, ended_at: datetime, pre_roll: float, post_roll: float
) -> list[Snapshot]:
    """The snapshots captured from `pre_roll` seconds before the event to `post_roll` after, in order."""
    pre, post = _roll(pre_roll, "pre_roll"), _roll(post_roll, "post_roll")
    lo = started_at.timestamp() - pre
    hi = ended_at.timestamp() + post
    return sorted(
        (s for s in snapshots if lo <= s.captured_at.timestamp() <= hi), key=lambda s: s.captured_at
    )


class ClipMaker:
    """Makes clips inside one media folder."""

    def __init__(
        self,
        media_dir: Path,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        ffmpeg: str = "ffmpeg",
        width: int = 1280,
        height: int = 720,
    ) -> None:
        self.media_dir = Path(media_dir).resolve()
        self.timeout_seconds = timeout_seconds
        self.ffmpeg = ffmpeg
        self.width = width - width % 2
        self.height = height - height % 2

    async def from_images(
        self,
        images: Sequence[Path | str],
        output: Path | str,
        *,
        fmt: ClipFormat = "mp4",
        seconds_per_image: float = 0.5,
        timeout_seconds: float | None = None,
    ) -> ClipResult:
        """A clip showing each image for `seconds_per_image` (images may differ in size)."""
        if not images:
            raise ClipError("no images to make a clip from")
        if not 0.04 <= seconds_per_image <= MAX_ROLL_SECONDS:
            raise ClipError("seconds_per_image must be within 0.04..300")
        inputs = [self._input(p) for p in images]
        out = self._output(output, fmt)
        with tempfile.TemporaryDirectory(prefix="hsi-clip-") as tmp:
            listing = Path(tmp) / "inputs.txt"
            lines = ["ffconcat version 1.0"]
            for path in [*inputs, inputs[-1]]:  # the last file is repeated so its duration counts
                lines.append(f"file {_concat_quote(str(path))}")
                lines.append(f"duration {seconds_per_image:.3f}")
            listing.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
            args = [
                "-f",
                "concat",
                "-safe",
                "0",
                "-protocol_whitelist",
                "file",
                "-i",
                str(listing),
            ]
            return await self._encode(args, out, fmt, timeout_seconds, fit=True)

    async def from_video(
        self,
        source: Path | str,
        output: Path | str,
        *,
        start_seconds: float,
        end_seconds: float,
        pre_roll: float = 0.0,
        post_roll: float = 0.0,
        fmt: ClipFormat = "mp4",
        timeout_seconds: float | None = None,
    ) -> ClipResult:
        """The part of a video from `start - pre_roll` to `end + post_roll` (seconds into the video)."""
        pre, post = _roll(pre_roll, "pre_roll"), _roll(post_roll, "post_roll")
        if start_seconds < 0 or end_seconds < start_seconds:
            raise ClipError("need 0 <= start_seconds <= end_seconds")
        src = self._input(source)
        begin = max(0.0, start_seconds - pre)
        duration = (end_seconds + post) - begin
        if duration <= 0:
            raise ClipError("the clip would be empty")
        args = ["-ss", f"{begin:.3f}", "-t", f"{duration:.3f}", "-protocol_whitelist", "file", "-i", str(src)]
        return await self._encode(
            args, out=self._output(output, fmt), fmt=fmt, timeout_seconds=timeout_seconds, fit=False
        )

    # -- internals -----------------------------------------------------------------------------

    def _input(self, path: Path | str) -> Path:
        resolved = confine(self.media_dir, path)
        if not resolved.is_file():
            raise ClipError(f"input {path} does not exist")
        return resolved

    def _output(self, path: Path | str, fmt: ClipFormat) -> Path:
        if fmt not in ("mp4", "gif"):
            raise ClipError(f"unknown clip format {fmt!r}: use mp4 or gif")
        resolved = confine(self.media_dir, path)
        if resolved.suffix.lower() != f".{fmt}":
            raise ClipError(f"output {path} must end in .{fmt}")
        resolved.parent.mkdir(parents=True, exist_ok=True)
        return resolved

    async def _encode(
        self, input_args: list[str], out: Path, fmt: ClipFormat, timeout_seconds: float | None, *, fit: bool
    ) -> ClipResult:
        binary = shutil.which(self.ffmpeg)
        if binary is None:
            raise ClipError(f"{self.ffmpeg} not found: install ffmpeg (Debian package 'ffmpeg')")
        w, h = self.width, self.height
        scale = (
            f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1"
            if fit
            else f"scale='min({w},iw)':-2"
        )
        tmp_out = out.with_name(f".{out.stem}.{os.getpid()}.part{out.suffix}")
        if fmt == "mp4":
            codec = [
                "-vf",
                f"{scale},format=yuv420p",
                "-r",
                "10",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "26",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                "-an",
                "-f",
                "mp4",
            ]
        else:
            gw = min(w, 640)
            codec = [
                "-vf",
                f"fps=5,scale={gw}:-2:flags=lanczos,split[a][b];[a]palettegen=stats_mode=diff[p];"
                "[b][p]paletteuse=dither=bayer",
                "-an",
                "-loop",
                "0",
                "-f",
                "gif",
            ]
        args = [
            binary,
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            *input_args,
            *codec,
            str(tmp_out),
        ]
        limit = self.timeout_seconds if timeout_seconds is None else timeout_seconds
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, stderr = await asyncio.wait_for(proc.communicate(), timeout=limit)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            tmp_out.unlink(missing_ok=True)
            raise ClipError(f"ffmpeg exceeded the time limit of {limit:g}s and was killed") from None
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            tmp_out.unlink(missing_ok=True)
            raise
        if proc.returncode != 0:
            tmp_out.unlink(missing_ok=True)
            tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise ClipError(f"ffmpeg failed (exit {proc.returncode}): {' | '.join(tail) or 'no message'}")
        if not tmp_out.exists() or tmp_out.stat().st_size == 0:
            tmp_out.unlink(missing_ok=True)
            raise ClipError("ffmpeg wrote no output")
        os.replace(tmp_out, out)
        seconds = time.perf_counter() - started
        log.info("clip written path=%s format=%s seconds=%.2f", out, fmt, seconds)
        return ClipResult(out, fmt, seconds)


def _roll(value: float, name: str) -> float:
    if not 0.0 <= float(value) <= MAX_ROLL_SECONDS:
        raise ClipError(f"{name} must be within 0..{MAX_ROLL_SECONDS:g} seconds, got {value}")
    return float(value)


def _concat_quote(path: str) -> str:
    # ffconcat quoting: single quotes, a literal quote written as '\''
    return "'" + path.replace("'", "'\\''") + "'"
