"""Media derived from an event's files: clips (ffmpeg)."""

from inference_server.media.clips import ClipError, ClipMaker, ClipResult, Snapshot, confine, select_snapshots

__all__ = ["ClipError", "ClipMaker", "ClipResult", "Snapshot", "confine", "select_snapshots"]
