"""API keys (PostgreSQL): shown once at creation, stored as salted scrypt hashes.

A key reads `hsi_<id>_<secret>`: the 12-hex id finds the row, the secret is checked against the
row's salted hash with a constant-time comparison. Key changes are written to the audit log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from typing import Any, Literal

import asyncpg

from inference_server.store import audit

Scope = Literal["read", "admin"]
SCOPES: tuple[str, ...] = ("read", "admin")
KEY_PREFIX = "hsi"
_KEY_RE = re.compile(r"^hsi_([0-9a-f]{12})_([A-Za-z0-9_-]{32,128})$")
_NAME_RE = re.compile(r"^[\w .@:-]{1,64}$")
# scrypt: ~16 MiB and a few tens of milliseconds per check; the API caches successful checks briefly.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}


class InvalidKeyRequest(ValueError):
    """A key name or scope that cannot be used; the message says what to fix."""


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)


def _public(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "scope": row["scope"],
        "created_at": row["created_at"],
        "last_used_at": row["last_used_at"],
        "revoked_at": row["revoked_at"],
    }


def parse_key(plaintext: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    match = _KEY_RE.match(plaintext)
    return (match.group(1), match.group(2)) if match else None


async def create_key(
    pool: asyncpg.Pool, name: str, scope: str, *, actor: str = "cli"
) -> tuple[dict[str, Any], str]:
    """Create a key; returns its public record and the plaintext (shown once, never stored)."""
    if scope not in SCOPES:
        raise InvalidKeyRequest(f"scope must be 'read' or 'admin', got {scope!r}")
    if not _NAME_RE.match(name or ""):
        raise InvalidKeyRequest("name must be 1-64 letters, digits, spaces or . _ @ : -")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    digest = await asyncio.to_thread(_hash, secret, salt)
    async with pool.acquire() as conn, conn.transaction():
        try:
            row = await conn.fetchrow(
                "INSERT INTO api_keys (id, name, scope, salt, hash) VALUES ($1, $2, $3, $4, $5) RETURNING *",
                key_id,
                name,
                scope,
                salt,
                digest,
            )
        except asyncpg.UniqueViolationError as exc:
            raise InvalidKeyRequest(
                f"an active key named {name!r} exists: revoke it or pick another name"
            ) from exc
        await audit.record(
            conn,
            actor=actor,
            action="apikey.create",
            target=f"{key_id} ({name})",
            outcome="ok",
            detail={"scope": scope},
        )
    assert row is not None
    return _public(row), f"{KEY_PREFIX}_{key_id}_{secret}"


async def list_keys(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every key (revoked ones included), newest first, without hashes."""
    rows = await pool.fetch("SELECT * FROM api_keys ORDER BY created_at DESC, id")
    return [_public(r) for r in rows]


async def revoke_key(pool: asyncpg.Pool, key_id_or_name: str, *, actor: str = "cli") -> bool:
    """Revoke the active key with this id or name; False when there is none."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL AND (id = $1 OR name = $1)"
            " RETURNING id, name",
            key_id_or_name,
        )
        await audit.record(
            conn,
            actor=actor,
            action="apikey.revoke",
            target=key_id_or_name,
            outcome="ok" if rows else "not_found",
        )
    return bool(rows)


async def verify_key(pool: asyncpg.Pool, plaintext: str) -> dict[str, Any] | None:
    """The active key's public record when the plaintext is a valid key, else None."""
    parsed = parse_key(plaintext)
    if parsed is None:
        return None
    key_id, secret = parsed
    row = await pool.fetchrow("SELECT * FROM api_keys WHERE id = $1 AND revoked_at IS NULL", key_id)
    if row is None:
        # Same work as a real check, so timing does not reveal which ids exist.
        await asyncio.to_thread(_hash, secret, b"\0" * 16)
        return None
    digest = await asyncio.to_thread(_hash, secret, bytes(row["salt"]))
    if not hmac.compare_digest(digest, bytes(row["hash"])):
        return None
    return _public(row)


async def touch_key(pool: asyncpg.Pool, key_id: str) -> None:
    """Record that a key was used (callers throttle this)."""
    await pool.execute("UPDATE api_keys SET last_used_at = now() WHERE id = $1", key_id)


async def key_is_active(pool: asyncpg.Pool, key_id: str) -> bool:
    """Whether the key exists and is not revoked (cheap; no hashing)."""
    return bool(await pool.fetchval("SELECT 1 FROM api_keys WHERE id = $1 AND revoked_at IS NULL", key_id))
