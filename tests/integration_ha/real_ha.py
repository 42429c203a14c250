"""A real Home Assistant process (the test lane's version) with its frontend, driven over HTTP.

It runs `python -m homeassistant -c <config dir>` from this environment with the integration
linked into the config dir, is onboarded through its own onboarding API (the owner is an
administrator), and logs further users in through its login flow, as a browser does.

With `HSI_HA_LANE=newest` the process is the newest Home Assistant instead: Python 3.14 in the
Debian forky chroot of scripts/lib.sh (`ha_new_chroot`, the repository at /src), while the test,
the browser and the inference server stay on this machine (same network). Its config dir then
lies under the repository's .data/, which the chroot sees.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
LANE = os.environ.get("HSI_HA_LANE", "floor")
NEWEST_ROOT = ROOT / ".data" / "chroot-forky"
NEWEST_PYTHON = "/opt/ha/bin/python"


def lane_problem() -> str | None:
    """Why the chosen lane cannot run here (None when it can)."""
    if LANE == "floor":
        return None
    if LANE != "newest":
        return f"HSI_HA_LANE must be floor or newest, not {LANE!r}"
    # The venv's python is a link to /usr/bin/python3.14 of the chroot: it resolves only inside.
    if not os.path.lexists(NEWEST_ROOT / NEWEST_PYTHON.lstrip("/")):
        return "the newest-HA chroot is missing (scripts/test builds it: ha_new_env in scripts/lib.sh)"
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return "the newest-HA lane needs root and unshare (a private mount namespace)"
    return None


def lane_config_dir(fallback: Path) -> Path:
    """Where Home Assistant's config dir goes: `fallback`, or under .data/ for the chroot lane."""
    if LANE != "newest":
        return fallback
    return ROOT / ".data" / "ha-runs" / f"{os.getpid()}-{time.monotonic_ns()}"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CONFIGURATION = """
homeassistant:
  name: Test Home
  time_zone: {time_zone}
  country: US
  currency: USD
  unit_system: us_customary
  latitude: 40.7
  longitude: -74.0
  elevation: 10
  internal_url: {url}
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
config:
recorder:
  commit_interval: 5
logger:
  default: warning
  logs:
    custom_components.home_security_intelligence: info
"""


def _wait_group_gone(pgid: int | None, timeout: float = 60) -> None:
    """Until no process of the group is left (Home Assistant inside the chroot saves its storage)."""
    if pgid is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pgid, signal.SIGKILL)


class HaWebSocket:
    """Home Assistant's websocket API with one access token."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._id = 0

    async def call(self, message: dict[str, Any]) -> Any:
        """Send a command and return its result (raises on an error answer)."""
        self._id += 1
        await self._ws.send_json({**message, "id": self._id})
        while True:
            reply = await self._ws.receive_json(timeout=60)
            if reply.get("id") == self._id and reply.get("type") == "result":
                if not reply["success"]:
                    raise AssertionError(f"{message['type']}: {reply['error']}")
                return reply["result"]


class RealHomeAssistant:
    """One Home Assistant process on 127.0.0.1 with a fresh config dir."""

    def __init__(self, config_dir: Path, *, time_zone: str = "America/New_York") -> None:
        self.config_dir = config_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client_id = f"{self.url}/"
        self.time_zone = time_zone
        self._proc: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []

    @property
    def log_file(self) -> Path:
        """Where Home Assistant writes its log."""
        return self.config_dir / "home-assistant.log"

    def log_tail(self, chars: int = 4000) -> str:
        """The end of Home Assistant's log, for failure messages."""
        try:
            return self.log_file.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    async def start(self) -> None:
        """Write the configuration, link the integration and wait until the frontend answers."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION.format(time_zone=self.time_zone, url=self.url, port=self.port)
        )
        custom = self.config_dir / "custom_components"
        custom.mkdir(exist_ok=True)
        link = custom / "home_security_intelligence"
        if not link.exists():
            # Relative, so that it resolves inside the chroot (the repository at /src) too.
            target = ROOT / "custom_components" / "home_security_intelligence"
            link.symlink_to(os.path.relpath(target, custom) if LANE == "newest" else target)
        storage = self.config_dir / ".storage"
        storage.mkdir(exist_ok=True)
        # Everything but the owner step is done: the owner is created through the real API.
        (storage / "onboarding").write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics", "integration"]},
                }
            )
        )
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
        env["PYTHONPATH"] = ""  # the integration comes from the config dir, as for a user
        log = self.log_file.open("ab")
        command = [sys.executable, "-m", "homeassistant", "-c", str(self.config_dir), "--skip-pip"]
        if LANE == "newest":
            inside = "/src/" + str(self.config_dir.relative_to(ROOT))
            command = [
                "bash",
                "-c",
                'source scripts/lib.sh && ha_new_chroot "$@"',
                "ha_new_chroot",
                NEWEST_PYTHON,
                "-m",
                "homeassistant",
                "-c",
                inside,
                "--skip-pip",
            ]
        self._proc = subprocess.Popen(
            command,
            cwd=ROOT if LANE == "newest" else self.config_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: the chroot lane's wrappers stop with it
        )
        log.close()
        self._session = aiohttp.ClientSession()
        deadline = time.monotonic() + 180
        while True:
            assert self._proc.poll() is None, f"Home Assistant exited:\n{self.log_tail()}"
            try:
                async with self._session.get(f"{self.url}/manifest.json") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, f"Home Assistant did not start:\n{self.log_tail()}"
            await asyncio.sleep(0.5)

    async def stop(self) -> None:
        """Stop the process (it saves its storage) and close the HTTP session."""
        for ws in self._sockets:
            await ws.close()
        if self._session is not None:
            await self._session.close()
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                await asyncio.to_thread(self._proc.wait, 60)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                await asyncio.to_thread(self._proc.wait, 30)
        if LANE == "newest":
            await asyncio.to_thread(_wait_group_gone, self._proc.pid if self._proc else None)
            if not os.environ.get("HSI_KEEP_HA_CONFIG"):
                await asyncio.to_thread(shutil.rmtree, self.config_dir, True)

    @property
    def session(self) -> aiohttp.ClientSession:
        """The test's HTTP session to Home Assistant."""
        assert self._session is not None
        return self._session

    async def _token(self, code: str) -> dict[str, Any]:
        async with self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as response:
            assert response.status == 200, await response.text()
            return dict(await response.json())

    async def onboard_owner(self, username: str, password: str) -> dict[str, Any]:
        """Create the owner (an administrator) through onboarding; returns its tokens."""
        async with self.session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": "Owner",
                "username": username,
                "password": password,
                "language": "en",
            },
        ) as response:
            assert response.status == 200, await response.text()
            code = (await response.json())["auth_code"]
        return await self._token(code)

    async def login(self, username: str, password: str) -> dict[str, Any]:
        """Log a user in through the login flow, as the login page does; returns its tokens."""
        async with self.session.post(
            f"{self.url}/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        ) as response:
            flow = await response.json()
        async with self.session.post(
            f"{self.url}/auth/login_flow/{flow['flow_id']}",
            json={"client_id": self.client_id, "username": username, "password": password},
        ) as response:
            result = await response.json()
        assert result.get("type") == "create_entry", result
        return await self._token(result["result"])

    async def websocket(self, access_token: str) -> HaWebSocket:
        """An authenticated websocket connection (closed with the session)."""
        ws = await self.session.ws_connect(f"{self.url}/api/websocket")
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": access_token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        self._sockets.append(ws)
        return HaWebSocket(ws)

    async def rest(self, method: str, path: str, token: str, body: Any = None) -> Any:
        """A REST call with a bearer token; returns the JSON answer."""
        async with self.session.request(
            method, f"{self.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status < 400, f"{method} {path}: {response.status} {await response.text()}"
            return await response.json()

    def browser_tokens(self, tokens: dict[str, Any]) -> dict[str, Any]:
        """What the frontend keeps in localStorage["hassTokens"] after a login."""
        return {
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "token_type": "Bearer",
            "expires_in": tokens["expires_in"],
            "hassUrl": self.url,
            "clientId": self.client_id,
            "expires": int(time.time() * 1000) + int(tokens["expires_in"]) * 1000,
        }
