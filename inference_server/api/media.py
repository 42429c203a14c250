"""Stored media, streamed with Range support and confined to the media folder.

A path is served only when every component is an ordinary name (no `..`, no hidden entries such
as `.thumbs`), it is not under `quarantine/`, and its real path (symlinks resolved) is still a
regular file inside the media folder with an allowed type.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from inference_server.api.errors import not_found
from inference_server.api.routing import Call, Reply, Router

router = Router()

CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".mp4": "video/mp4"}
QUARANTINE = "quarantine"
MAX_PATH = 1024


def resolve_media_path(media_dir: Path, relative: str) -> Path | None:
    """The real file for a media-relative path, or None when it is outside, hidden, quarantined,
    missing, not a regular file or not a served type. Blocking (filesystem): call in a thread."""
    if not relative or len(relative) > MAX_PATH or "\x00" in relative or "\\" in relative:
        return None
    parts = relative.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts) or parts[0] == QUARANTINE:
        return None
    if Path(relative).suffix.lower() not in CONTENT_TYPES:
        return None
    try:
        root = media_dir.resolve(strict=True)
        real = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root) or real == root:
        return None
    inside = real.relative_to(root).parts
    if inside[0] == QUARANTINE or any(p.startswith(".") for p in inside):
        return None
    if real.suffix.lower() not in CONTENT_TYPES or not real.is_file():
        return None
    return real


@router.route(
    "GET",
    "/api/media/{path}",
    summary="A stored image or clip (Range requests supported)",
    tag="media",
    route_class="media",
    path_params={"path": "path"},
    responses={
        200: Reply("The file", media_types=tuple(sorted(set(CONTENT_TYPES.values())))),
        206: Reply("Part of the file (Range)", media_types=tuple(sorted(set(CONTENT_TYPES.values())))),
        416: Reply("Range not satisfiable"),
    },
)
async def get_media(call: Call) -> web.StreamResponse:
    relative = call.params["path"]
    path = await asyncio.to_thread(resolve_media_path, call.ctx.media_dir, relative)
    if path is None:
        raise not_found("no such media file")
    return web.FileResponse(
        path,
        headers={
            "Content-Type": CONTENT_TYPES[path.suffix.lower()],
            "Cache-Control": "private, max-age=86400",
            "Content-Disposition": "inline",
        },
    )
