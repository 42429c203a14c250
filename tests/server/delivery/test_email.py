"""E-mail channel against a real aiosmtpd server: STARTTLS with a self-signed certificate, auth,
HTML + text with the snapshot inline."""

from __future__ import annotations

import email
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from inference_server.notify.email import EmailChannel, SmtpSettings, Snapshot

from .helpers import event_json

USER, PASSWORD = "hsi", "correct horse"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"


@dataclass
class Mailbox:
    messages: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "content": envelope.content,
                "tls": session.ssl is not None,
                "authenticated": session.authenticated,
            }
        )
        return "250 Message accepted"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and (auth_data.password == PASSWORD.encode())
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    """SMTP on 127.0.0.1 that requires STARTTLS and then authentication."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=_authenticator,
    )
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def plain_server() -> Iterator[tuple[Mailbox, int]]:
    """SMTP without TLS or auth."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def alert_payload() -> dict[str, Any]:
    event = event_json(risk_score=91)
    return {
        "id": 5,
        "rule": "Night intruder",
        "risk_score": 91,
        "risk_level": "critical",
        "summary": "Unknown person <b>at</b> the front door",
        "event": event,
        "cameras": ["front"],
    }


async def test_email_over_starttls_with_auth_has_inline_snapshot_and_link(
    tls_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = tls_server
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        username=USER,
        password=PASSWORD,
        sender="hsi@home.test",
        security="starttls",
        ca_file=str(certificate[0]),
    )
    link = "http://hsi.home.test:8000/api/events/abc"
    result = await EmailChannel(settings).send(
        alert_payload(), ["me@home.test"], link=link, snapshot=Snapshot(JPEG, "jpeg")
    )
    assert (result.outcome, result.attempts) == ("ok", 1), result.detail
    assert len(mailbox.messages) == 1
    received = mailbox.messages[0]
    assert received["tls"] is True
    assert received["authenticated"] is True
    assert received["to"] == ["me@home.test"]
    msg = email.message_from_bytes(received["content"], policy=default)
    assert isinstance(msg, EmailMessage)
    assert msg["Subject"].startswith("[HSI] CRITICAL 91:")
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert link in text.get_content()
    html_text = html.get_content()
    assert f'href="{link}"' in html_text
    assert "&lt;b&gt;at&lt;/b&gt;" in html_text  # the summary is escaped, not markup
    images = [p for p in msg.walk() if p.get_content_type() == "image/jpeg"]
    assert len(images) == 1
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html_text
    assert images[0].get_content() == JPEG


async def test_wrong_password_is_a_failed_delivery(
    tls_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = tls_server
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        username=USER,
        password="wrong",
        ca_file=str(certificate[0]),
    )
    result = await EmailChannel(settings).send(alert_payload(), ["me@home.test"])
    assert result.outcome == "failed"
    assert "authentication failed" in result.detail
    assert mailbox.messages == []


async def test_untrusted_certificate_is_refused(tls_server: tuple[Mailbox, int]) -> None:
    mailbox, port = tls_server
    settings = SmtpSettings(host="127.0.0.1", port=port, username=USER, password=PASSWORD)
    result = await EmailChannel(settings).send(alert_payload(), ["me@home.test"])
    assert result.outcome == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in result.detail or "certificate" in result.detail.lower()
    assert mailbox.messages == []


async def test_password_is_never_sent_without_tls(plain_server: tuple[Mailbox, int]) -> None:
    mailbox, port = plain_server
    result = await EmailChannel(
        SmtpSettings(host="127.0.0.1", port=port, username=USER, password=PASSWORD)
    ).send(alert_payload(), ["me@home.test"])
    assert result.outcome == "failed"
    assert "without TLS" in result.detail
    result = await EmailChannel(SmtpSettings(host="127.0.0.1", port=port, security="starttls")).send(
        alert_payload(), ["me@home.test"]
    )
    assert result.outcome == "failed"
    assert "STARTTLS" in result.detail
    assert mailbox.messages == []


async def test_plain_server_without_credentials_delivers(plain_server: tuple[Mailbox, int]) -> None:
    mailbox, port = plain_server
    result = await EmailChannel(SmtpSettings(host="127.0.0.1", port=port)).send(alert_payload(), ["a@b.test"])
    assert result.outcome == "ok"
    assert mailbox.messages[0]["tls"] is False
