"""No log line or error message carries a password, an API key or a token."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from inference_server.logs import RedactingFilter, install_redaction, redact, redact_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger("hsi-redaction-test")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
    install_redaction(root)
    yield logging.getLogger("hsi-redaction-test.child"), stream
    root.removeHandler(handler)


def test_every_log_line_is_redacted_whoever_writes_it(captured: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = captured
    log.info("connecting url=%s", "redis://:hunter2@cache:6379/0")
    log.info("db postgresql://hsi:s3cret@db/hsi and mqtts://user:pa55@broker:8883")
    log.warning("GET /api/ws?api_key=hsi_abcdef0123456789&since=1-0")
    log.info("headers X-API-Key: hsi_live_key token=abc123 password=pw secret=xyz")
    try:
        raise RuntimeError("cannot reach redis://:hunter2@cache:6379/0")
    except RuntimeError:
        log.exception("stage crashed")
    text = stream.getvalue()
    for secret in (
        "hunter2",
        "s3cret",
        "pa55",
        "hsi_abcdef0123456789",
        "hsi_live_key",
        "abc123",
        "=pw",
        "xyz",
    ):
        assert secret not in text, secret
    assert "redis://:***@cache:6379/0" in text
    assert "postgresql://hsi:***@db/hsi" in text
    assert "since=1-0" in text  # what is not a secret stays readable
    assert "RuntimeError" in text  # the traceback is kept, redacted


def test_install_is_idempotent() -> None:
    handler = logging.StreamHandler(io.StringIO())
    logger = logging.getLogger("hsi-redaction-idempotent")
    logger.addHandler(handler)
    install_redaction(logger)
    install_redaction(logger)
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    logger.removeHandler(handler)


def test_redact_url_keeps_what_is_not_secret() -> None:
    assert redact_url("redis://:pw@h:6379/0") == "redis://:***@h:6379/0"
    assert redact_url("postgresql://localhost/hsi") == "postgresql://localhost/hsi"
    assert redact_url("https://h/x?token=abc&page=2") == "https://h/x?token=***&page=2"
    assert redact_url("https://h/hook?sig=abc#frag", drop_query=True) == "https://h/hook"
    assert redact("nothing secret here") == "nothing secret here"


def test_the_hsi_command_redacts_an_unreachable_redis_url(tmp_path: Path, database_url: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HSI_DATA_DIR": str(tmp_path),
        "HSI_DATABASE_URL": database_url,
        "HSI_REDIS_URL": "redis://:topsecretpw@127.0.0.1:1/0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "inference_server", "apikey", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3, result.stderr
    assert "topsecretpw" not in result.stderr + result.stdout
    assert "redis://:***@127.0.0.1:1/0" in result.stderr


def test_a_forged_file_name_cannot_start_a_second_log_line(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = captured
    log.info("ingest rejected path=%s", "front/a.jpg\nlevel=ERROR logger=fake forged")
    lines = stream.getvalue().splitlines()
    assert lines == ["ingest rejected path=front/a.jpg\\nlevel=ERROR logger=fake forged"]


def test_the_secret_part_of_an_api_key_is_masked_anywhere_in_a_line() -> None:
    assert redact("created hsi_0123456789ab_S3cretPartOfTheKey") == "created hsi_0123456789ab_***"
