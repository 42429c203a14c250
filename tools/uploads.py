"""Uploads the demo and the benchmarks write: JPEGs made unique per run."""

from __future__ import annotations


def with_marker(jpeg: bytes, marker: str) -> bytes:
    """The same JPEG with a comment segment (COM, 0xFFFE) holding `marker`.

    The picture decodes identically, but its bytes (and SHA-256) differ per marker, so every run
    of the demo or a benchmark uploads new content past ingest's duplicate check.
    """
    payload = marker.encode()
    segment = b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + segment + jpeg[2:]
