"""E-mail channel: SMTP with STARTTLS (or implicit TLS) and auth, HTML + text, inline snapshot.

smtplib runs in a worker thread so the event loop never blocks on the mail server.
"""

from __future__ import annotations

import asyncio
import html
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Literal

from inference_server.notify.types import Delivery

log = logging.getLogger(__name__)

Security = Literal["auto", "starttls", "tls", "none"]


class EmailNotConfigured(RuntimeError):
    """No SMTP server is configured; the message names the settings to set."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """The mail server. security: "auto" (STARTTLS when offered), "starttls" (required), "tls"
    (implicit TLS, usually port 465) or "none". Credentials are only sent over TLS unless
    `allow_plain_auth` is set."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: str | None = None
    sender: str = "hsi@localhost"
    security: Security = "auto"
    timeout_seconds: float = 20.0
    ca_file: str | None = None
    verify_tls: bool = True
    allow_plain_auth: bool = False
    max_attempts: int = 2

    def tls_context(self) -> ssl.SSLContext:
        """Certificate-verifying context (with `ca_file` when given)."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An image to embed: bytes and MIME subtype (jpeg | png)."""

    data: bytes
    subtype: str = "jpeg"


def build_message(
    payload: dict[str, Any],
    *,
    sender: str,
    to: list[str],
    link: str | None,
    snapshot: Snapshot | None,
    subject_prefix: str = "[HSI]",
) -> EmailMessage:
    """The alert as a multipart e-mail: plain text, HTML with the snapshot inline (cid)."""
    event = payload.get("event") or {}
    level = str(payload.get("risk_level", event.get("risk_level", ""))).upper()
    score = payload.get("risk_score", event.get("risk_score", ""))
    camera = event.get("camera_name") or event.get("camera") or ", ".join(payload.get("cameras", []))
    summary = str(payload.get("summary") or event.get("summary") or "")
    rule = str(payload.get("rule", ""))
    subject = f"{subject_prefix} {level} {score}: {summary}".strip()
    subject = " ".join(subject.split())[:180]
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="hsi.local")
    lines = [
        f"Risk: {level} ({score}/100)",
        f"Camera: {camera}",
        f"Rule: {rule}",
        f"When: {event.get('started_at', '')}",
        "",
        summary,
    ]
    if event.get("reasoning"):
        lines += ["", str(event["reasoning"])]
    if link:
        lines += ["", f"View the event: {link}"]
    msg.set_content("\n".join(lines))
    cid = make_msgid(domain="hsi.local")
    esc = html.escape
    image = f'<p><img src="cid:{cid[1:-1]}" alt="snapshot" style="max-width:100%"></p>' if snapshot else ""
    anchor = f'<p><a href="{esc(link, quote=True)}">View the event</a></p>' if link else ""
    reasoning = f"<p>{esc(str(event['reasoning']))}</p>" if event.get("reasoning") else ""
    msg.add_alternative(
        "<!doctype html><html><body>"
        f"<h2>{esc(level)} risk ({esc(str(score))}/100) on {esc(str(camera))}</h2>"
        f"<p><b>{esc(summary)}</b></p>{reasoning}{image}"
        f"<p>Rule: {esc(rule)}<br>When: {esc(str(event.get('started_at', '')))}</p>{anchor}"
        "</body></html>",
        subtype="html",
    )
    if snapshot:
        html_part = msg.get_body(("html",))
        assert html_part is not None
        html_part.add_related(
            snapshot.data,
            maintype="image",
            subtype=snapshot.subtype,
            cid=cid,
            filename=f"snapshot.{snapshot.subtype}",
            disposition="inline",
        )
    return msg


class EmailChannel:
    """Sends alerts through one SMTP server."""

    type = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(
        self,
        payload: dict[str, Any],
        to: list[str],
        *,
        link: str | None = None,
        snapshot: Snapshot | None = None,
        subject_prefix: str = "[HSI]",
    ) -> Delivery:
        """Deliver one alert e-mail; retries once on connection errors."""
        target = ", ".join(to)
        if not self.settings.host:
            return Delivery("email", target, "failed", "no SMTP server configured (set smtp_host)", 0)
        message = build_message(
            payload,
            sender=self.settings.sender,
            to=to,
            link=link,
            snapshot=snapshot,
            subject_prefix=subject_prefix,
        )
        attempts = 0
        last = ""
        while attempts < self.settings.max_attempts:
            attempts += 1
            try:
                await asyncio.to_thread(self._send_blocking, message)
                return Delivery("email", target, "ok", "accepted by SMTP server", attempts)
            except smtplib.SMTPAuthenticationError as exc:
                return Delivery(
                    "email", target, "failed", f"authentication failed: {_smtp_text(exc)}", attempts
                )
            except smtplib.SMTPRecipientsRefused as exc:
                return Delivery(
                    "email", target, "failed", f"recipients refused: {list(exc.recipients)}", attempts
                )
            except (smtplib.SMTPNotSupportedError, ssl.SSLError, smtplib.SMTPResponseException) as exc:
                return Delivery(
                    "email", target, "failed", f"{type(exc).__name__}: {_smtp_text(exc)}", attempts
                )
            except (OSError, smtplib.SMTPException) as exc:
                last = f"{type(exc).__name__}: {exc}"
                await asyncio.sleep(1.0)
        log.warning("email failed to=%s last=%s", target, last)
        return Delivery("email", target, "failed", last, attempts)

    async def send_digest(self, digest: dict[str, Any], to: list[str]) -> Delivery:
        """Send the daily digest as a plain-text e-mail."""
        target = ", ".join(to)
        if not self.settings.host:
            return Delivery("email", target, "failed", "no SMTP server configured (set smtp_host)", 0)
        msg = EmailMessage()
        msg["Subject"] = f"[HSI] Daily digest: {digest.get('alerts', 0)} alert(s)"
        msg["From"] = self.settings.sender
        msg["To"] = target
        msg["Date"] = formatdate(localtime=True)
        lines = [f"Alerts from {digest.get('since')} to {digest.get('until')}: {digest.get('alerts', 0)}", ""]
        for severity, count in sorted((digest.get("by_severity") or {}).items()):
            lines.append(f"  {severity}: {count}")
        for camera, count in sorted((digest.get("by_camera") or {}).items()):
            lines.append(f"  camera {camera}: {count}")
        if digest.get("top"):
            lines += ["", "Highest risk:"]
            lines += [f"  {a['risk_score']:>3} {a['summary']}" for a in digest["top"]]
        if digest.get("event_digest"):
            from inference_server.store.digest import render_digest

            lines += ["", render_digest(digest["event_digest"])]
        msg.set_content("\n".join(lines))
        try:
            await asyncio.to_thread(self._send_blocking, msg)
        except (OSError, smtplib.SMTPException) as exc:
            return Delivery("email", target, "failed", f"{type(exc).__name__}: {_smtp_text(exc)}", 1)
        return Delivery("email", target, "ok", "accepted by SMTP server", 1)

    def _send_blocking(self, message: EmailMessage) -> None:
        s = self.settings
        assert s.host is not None
        context = s.tls_context()
        smtp: smtplib.SMTP
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        with smtp:
            smtp.ehlo()
            encrypted = s.security == "tls"
            if s.security in ("auto", "starttls"):
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                    encrypted = True
                elif s.security == "starttls":
                    raise smtplib.SMTPNotSupportedError(
                        "the server does not offer STARTTLS (security=starttls)"
                    )
            if s.username:
                if not encrypted and not s.allow_plain_auth:
                    raise smtplib.SMTPNotSupportedError(
                        "refusing to send the SMTP password without TLS (enable STARTTLS or allow_plain_auth)"
                    )
                smtp.login(s.username, s.password or "")
            smtp.send_message(message)


def _smtp_text(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {text}"
    return str(exc)
