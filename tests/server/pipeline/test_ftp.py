"""A camera uploads with a real FTP client into the built-in server and gets an event."""

from __future__ import annotations

import asyncio
import ftplib
import hashlib
import io
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from inference_server.pipeline.ftp import CameraFtpServer
from inference_server.settings import CameraConfig
from tests.server.pipeline.helpers import make_settings, person_jpeg, running, wait_for


def upload(port: int, user: str, password: str, name: str, data: bytes) -> None:
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=10)
        ftp.login(user, password)
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))


async def test_ftp_upload_becomes_an_event(tmp_path: Path, database_url: str, redis_prefix: str) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        redis_prefix,
        cameras={"porch": CameraConfig(name="Porch", ftp_password=SecretStr("s3cret"))},
    )
    server = CameraFtpServer(settings.storage.watch_dir, {"porch": "s3cret"}, "127.0.0.1", 0)
    server.start()
    try:
        async with running(settings) as (services, _):
            await asyncio.to_thread(
                upload, server.port, "porch", "s3cret", "MDAlarm_20261126.jpg", person_jpeg(900)
            )

            async def event() -> bool:
                return bool(await services.pool.fetchval("SELECT count(*) FROM events WHERE final") == 1)

            await wait_for(event, what="the FTP upload's event")
            row = await services.pool.fetchrow("SELECT camera_id, original_name FROM media_files")
            assert row is not None
            assert (row["camera_id"], row["original_name"]) == ("porch", "MDAlarm_20261126.jpg")
            assert await services.pool.fetchval("SELECT name FROM cameras") == "Porch"
    finally:
        server.stop()


def test_ftp_user_is_confined_and_authenticated(tmp_path: Path) -> None:
    watch = tmp_path / "uploads"
    server = CameraFtpServer(watch, {"porch": "pw1", "garage": "pw2"}, "127.0.0.1", 0)
    server.start()
    try:
        with pytest.raises(ftplib.error_perm):
            upload(server.port, "porch", "wrong", "x.jpg", b"\xff\xd8\xff")
        with ftplib.FTP() as ftp:
            ftp.connect("127.0.0.1", server.port, timeout=10)
            ftp.login("porch", "pw1")
            ftp.cwd("..")  # cannot climb out of the camera's folder
            assert ftp.pwd() == "/"
            with pytest.raises(ftplib.error_perm):
                ftp.storbinary("STOR ../garage/evil.jpg", io.BytesIO(b"\xff\xd8\xffx"))
            with pytest.raises(ftplib.error_perm):
                ftp.delete("anything.jpg")  # upload-only: no deleting evidence
            ftp.storbinary("STOR ok.jpg", io.BytesIO(b"\xff\xd8\xffok"))
        assert (watch / "porch" / "ok.jpg").exists()
        assert not (watch / "garage" / "evil.jpg").exists()
    finally:
        server.stop()


def test_ftp_upload_over_the_size_cap_is_cut_off_and_kept_for_quarantine(tmp_path: Path) -> None:
    cap = len(person_jpeg(2)) + 1024  # a camera snapshot fits
    server = CameraFtpServer(tmp_path, {"porch": "s3cret"}, "127.0.0.1", 0, max_file_bytes=cap)
    server.start()
    try:
        with pytest.raises(ftplib.Error):
            upload(server.port, "porch", "s3cret", "big.jpg", person_jpeg(1) + b"\0" * (4 * cap))
        kept = tmp_path / "porch" / "big.jpg.hsi-too-large"
        assert kept.stat().st_size == cap  # what fits is kept, for the quarantine's dead letter
        assert not (tmp_path / "porch" / "big.jpg").exists()  # never handed to ingest as a file
        upload(server.port, "porch", "s3cret", "small.jpg", person_jpeg(2))  # under the cap: fine
        assert (tmp_path / "porch" / "small.jpg").read_bytes() == person_jpeg(2)
    finally:
        server.stop()


async def test_ftp_upload_that_pauses_longer_than_stable_seconds_is_stored_complete(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        redis_prefix,
        cameras={"porch": CameraConfig(name="Porch", ftp_password=SecretStr("s3cret"))},
    )
    data = person_jpeg(3)
    half = len(data) // 2
    pause = 5 * settings.ingest.stable_seconds  # the file does not grow for 5x ingest_stable_seconds
    server = CameraFtpServer(settings.storage.watch_dir, {"porch": "s3cret"}, "127.0.0.1", 0)
    server.start()

    def paused_upload() -> None:
        with ftplib.FTP() as ftp:
            ftp.connect("127.0.0.1", server.port, timeout=10)
            ftp.login("porch", "s3cret")
            ftp.voidcmd("TYPE I")
            with ftp.transfercmd("STOR paused.jpg") as conn:
                conn.sendall(data[:half])
                time.sleep(pause)
                conn.sendall(data[half:])
            ftp.voidresp()

    try:
        async with running(settings) as (services, _):
            await asyncio.to_thread(paused_upload)

            async def stored() -> bool:
                return bool(await services.pool.fetchval("SELECT count(*) FROM media_files") >= 1)

            await wait_for(stored, what="the paused upload's media row")
            rows = await services.pool.fetch("SELECT sha256, size_bytes, original_name FROM media_files")
            assert [(r["sha256"], r["size_bytes"], r["original_name"]) for r in rows] == [
                (hashlib.sha256(data).hexdigest(), len(data), "paused.jpg")
            ]
    finally:
        server.stop()
