"""The add-on's start and stop: Supervisor options -> HSI_* settings, bundled PostgreSQL and Redis.

    hsi_addon.py run     # validate /data/options.json, start PostgreSQL and Redis, announce, exec hsi
    hsi_addon.py check   # only validate and print the HSI_* settings (secrets masked)
    hsi_addon.py stop    # stop PostgreSQL and Redis (the service's finish script)

Every option is checked twice: here (the add-on's own rules: camera list, LLM URL, time zone) and
then by the server's own settings model (inference_server/settings/), so a value the server would
refuse stops the add-on at once with one readable line naming the option, before anything starts.
PostgreSQL and Redis listen on Unix sockets only, with their data in the add-on's private /data
(part of its backups); uploads arrive in /share/hsi/uploads/<camera>/ by FTP or a Samba share.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DATA = Path(os.environ.get("HSI_ADDON_DATA", "/data"))
SHARE = Path(os.environ.get("HSI_ADDON_SHARE", "/share"))
HSI_BIN = "/opt/hsi/venv/bin/hsi"
PG_SOCKET_DIR = "/run/postgresql"
REDIS_SOCKET = "/run/redis/redis.sock"
SUPERVISOR = "http://supervisor"
API_PORT = 8000
FTP_PORT = 2121
FTP_PASSIVE = "30000-30009"
INGRESS_PEER = "172.30.32.2"  # the Supervisor's ingress proxy (the panel's status page)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DETECTORS = ("auto", "onnx", "opencv")
LLM_BACKENDS = ("heuristic", "openai", "home_assistant")
ENTITY_RE = re.compile(r"^ai_task\.[a-z0-9_]+$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The manifest's CPU profiles (HA OS add-ons cannot use NVIDIA GPUs); auto: by hardware.
MODELS_PROFILES = ("auto", "none", "cpu-small", "cpu")
# option -> (HSI_ name, kind); the Supervisor validates types against config.yaml's schema, these
# checks hold for a hand-written options.json too.
OPTIONS: dict[str, str] = {
    "timezone": "str",
    "cameras": "list",
    "detector": "str",
    "detector_weights": "str?",
    "models_profile": "str",
    "llm_backend": "str",
    "llm_url": "str?",
    "llm_model": "str",
    "llm_api_key": "str?",
    "ha_ai_task_entity": "str?",
    "mqtt_discovery": "bool",
    "batch_window_seconds": "int",
    "batch_idle_seconds": "int",
    "log_level": "str",
}


class OptionError(ValueError):
    """An add-on option that cannot be used; str() is the line the add-on logs."""


def _log(message: str) -> None:
    print(f"[hsi-addon] {message}", file=sys.stderr, flush=True)


def _text(options: Mapping[str, Any], name: str) -> str:
    value = options.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise OptionError(f"option '{name}': must be text, got {value!r}")
    return value.strip()


def _int(options: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = options.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OptionError(f"option '{name}': must be a whole number from {low} to {high}, got {value!r}")
    return value


def _choice(options: Mapping[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = _text(options, name)
    if value not in choices:
        raise OptionError(f"option '{name}': must be one of {', '.join(choices)}, got {value!r}")
    return value


def _cameras(raw: Any) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise OptionError("option 'cameras': must be a list of {slug, name, ftp_password}")
    cameras: dict[str, dict[str, str]] = {}
    for i, cam in enumerate(raw, 1):
        if not isinstance(cam, dict):
            raise OptionError(f"option 'cameras' entry {i}: must be a mapping with slug, name, ftp_password")
        unknown = sorted(set(cam) - {"slug", "name", "ftp_password"})
        if unknown:
            raise OptionError(f"option 'cameras' entry {i}: unknown field {unknown[0]!r}")
        slug = cam.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            raise OptionError(
                f"option 'cameras' entry {i}: slug {slug!r} must be 1-64 lower-case letters, digits, "
                "'-' or '_' (it names the upload folder and the FTP user)"
            )
        if slug in cameras:
            raise OptionError(f"option 'cameras': slug {slug!r} appears twice")
        password = cam.get("ftp_password")
        if not isinstance(password, str) or not password:
            raise OptionError(f"option 'cameras' camera {slug!r}: ftp_password is empty")
        name = cam.get("name")
        if name is not None and not isinstance(name, str):
            raise OptionError(f"option 'cameras' camera {slug!r}: name must be text")
        cameras[slug] = {"name": name or slug, "ftp_password": password}
    return cameras


def map_options(options: Mapping[str, Any]) -> dict[str, str]:
    """The HSI_* environment for these add-on options, or OptionError naming the first bad one."""
    if not isinstance(options, Mapping):
        raise OptionError("options.json must hold a mapping of options")
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise OptionError(f"option '{unknown[0]}': unknown option (known: {', '.join(OPTIONS)})")
    env = {
        "HSI_DATA_DIR": str(DATA / "hsi"),
        "HSI_MEDIA_DIR": str(DATA / "hsi" / "media"),
        "HSI_WATCH_DIR": str(SHARE / "hsi" / "uploads"),
        "HSI_API_HOST": "0.0.0.0",
        "HSI_API_PORT": str(API_PORT),
        "HSI_API_INGRESS_PEER": INGRESS_PEER,
        "HSI_FTP_PORT": str(FTP_PORT),
        "HSI_FTP_PASSIVE_PORTS": FTP_PASSIVE,
        "HSI_DATABASE_URL": f"postgresql://postgres@/hsi?host={PG_SOCKET_DIR}",
        "HSI_REDIS_URL": f"unix://{REDIS_SOCKET}?db=0",
        "YOLO_OFFLINE": "1",
        "YOLO_CONFIG_DIR": str(DATA / "hsi" / "ultralytics"),
    }
    timezone = _text(options, "timezone") or "UTC"
    env["HSI_TIMEZONE"] = timezone
    cameras = _cameras(options.get("cameras"))
    env["HSI_CAMERAS"] = json.dumps(cameras, sort_keys=True)
    # FTP needs a camera to log in as; without one, uploads still arrive through the share.
    env["HSI_FTP_ENABLED"] = "true" if cameras else "false"
    env["HSI_DETECTOR"] = _choice(options, "detector", DETECTORS)
    # Pulled on first start while serving on fallbacks; only what the add-on can run (ONNX).
    env["HSI_MODELS_PROFILE"] = (
        _choice(options, "models_profile", MODELS_PROFILES) if "models_profile" in options else "none"
    )
    if weights := _text(options, "detector_weights"):
        env["HSI_DETECTOR_WEIGHTS"] = weights
    backend = _choice(options, "llm_backend", LLM_BACKENDS)
    env["HSI_LLM_BACKEND"] = backend
    url = _text(options, "llm_url")
    if backend == "openai" and not url:
        raise OptionError("option 'llm_url': llm_backend openai needs the URL of an OpenAI-compatible server")
    if url:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise OptionError(f"option 'llm_url': must start with http:// or https://, got {url!r}")
        env["HSI_LLM_URL"] = url
    env["HSI_LLM_MODEL"] = _text(options, "llm_model") or "nemotron"
    if key := _text(options, "llm_api_key"):
        env["HSI_LLM_API_KEY"] = key
    # home_assistant: HA's REST API through the Supervisor proxy, authenticated by SUPERVISOR_TOKEN
    # (homeassistant_api: true); no URL or token to set. Unset entity: HA's preferred AI Task.
    if entity := _text(options, "ha_ai_task_entity"):
        if not ENTITY_RE.match(entity):
            raise OptionError(
                f"option 'ha_ai_task_entity': must be an AI Task entity id like ai_task.ollama, got {entity!r}"
            )
        env["HSI_HA_AI_TASK_ENTITY"] = entity
    discovery = options.get("mqtt_discovery", False)
    if not isinstance(discovery, bool):
        raise OptionError(f"option 'mqtt_discovery': must be true or false, got {discovery!r}")
    env["HSI_MQTT_DISCOVERY"] = "true" if discovery else "false"
    window = _int(options, "batch_window_seconds", 10, 600)
    idle = _int(options, "batch_idle_seconds", 5, 300)
    if idle > window:
        raise OptionError(
            f"option 'batch_idle_seconds': {idle} is longer than batch_window_seconds ({window})"
        )
    env["HSI_BATCH_WINDOW_SECONDS"] = str(window)
    env["HSI_BATCH_IDLE_SECONDS"] = str(idle)
    env["HSI_LOG_LEVEL"] = _choice(options, "log_level", LOG_LEVELS)
    _server_check(env)
    return env


def _server_check(env: dict[str, str]) -> None:
    """The server's own validation of the mapped settings (one definition: inference_server/settings/)."""
    from inference_server.runtime.services import home_timezone
    from inference_server.settings import ConfigError, load_settings

    try:
        settings = load_settings(environ=env)
        home_timezone(settings.timezone)
    except ConfigError as exc:
        message = str(exc)
        for option in OPTIONS:  # name the add-on option rather than the server setting
            message = message.replace(f"setting '{option}'", f"option '{option}'")
        raise OptionError(message) from exc


def load_options(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise OptionError(
            f"{path} does not exist (the Supervisor writes it from the Configuration tab)"
        ) from exc
    except json.JSONDecodeError as exc:
        raise OptionError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(loaded, dict):
        raise OptionError(f"{path} must hold a mapping of options")
    return loaded


def supervisor_request(
    method: str, path: str, token: str, body: Mapping[str, Any] | None = None, base: str = SUPERVISOR
) -> dict[str, Any] | None:
    """One Supervisor API call: its `data` on success, None when it answers with an error."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(  # noqa: S310 - the fixed http://supervisor address
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            answer = json.loads(resp.read() or b"{}")
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
        _log(f"supervisor {method} {path} failed: {exc}")
        return None
    result = answer.get("data") if isinstance(answer, dict) else None
    return result if isinstance(result, dict) else {}


def mqtt_url(service: Mapping[str, Any]) -> str | None:
    """mqtt(s)://user:password@host:port from the Supervisor's MQTT service record."""
    host = service.get("host")
    if not host:
        return None
    scheme = "mqtts" if service.get("ssl") else "mqtt"
    user = urllib.parse.quote(str(service.get("username") or ""), safe="")
    password = urllib.parse.quote(str(service.get("password") or ""), safe="")
    auth = f"{user}:{password}@" if user else ""
    return f"{scheme}://{auth}{host}:{int(service.get('port') or 1883)}"


def _run(cmd: list[str], *, user: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    full = ["runuser", "-u", user, "--", *cmd] if user else cmd
    return subprocess.run(full, check=check, text=True, capture_output=True)


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed in this image")
    return found[-1]


def start_postgres() -> None:
    pgdata = DATA / "postgresql"
    pgdata.mkdir(parents=True, exist_ok=True)
    Path(PG_SOCKET_DIR).mkdir(parents=True, exist_ok=True)
    for path in (pgdata, Path(PG_SOCKET_DIR)):
        _run(["chown", "-R", "postgres:postgres", str(path)])
    pgdata.chmod(0o700)
    if not (pgdata / "PG_VERSION").is_file():
        _log(f"postgres: first start, initdb in {pgdata}")
        _run(
            [_pg_bin("initdb"), "-D", str(pgdata), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
            user="postgres",
        )
    started = time.monotonic()
    _run(
        [
            _pg_bin("pg_ctl"), "-D", str(pgdata), "-l", str(pgdata / "server.log"), "-w", "-t", "60",
            "-o", f"-c listen_addresses='' -k {PG_SOCKET_DIR}", "start",
        ],
        user="postgres",
    )  # fmt: skip
    exists = _run(
        [
            "psql",
            "-h",
            PG_SOCKET_DIR,
            "-U",
            "postgres",
            "-tAc",
            "SELECT 1 FROM pg_database WHERE datname='hsi'",
        ],
        user="postgres",
    ).stdout.strip()
    if exists != "1":
        _run(["createdb", "-h", PG_SOCKET_DIR, "-U", "postgres", "hsi"], user="postgres")
    _log(f"postgres: ready in {time.monotonic() - started:.1f}s (socket {PG_SOCKET_DIR}, data {pgdata})")


def start_redis() -> None:
    data = DATA / "redis"
    data.mkdir(parents=True, exist_ok=True)
    Path(REDIS_SOCKET).parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            "redis-server", "--port", "0", "--unixsocket", REDIS_SOCKET, "--unixsocketperm", "700",
            "--dir", str(data), "--appendonly", "yes", "--daemonize", "yes",
            "--logfile", str(data / "redis.log"), "--pidfile", "/run/redis/redis.pid",
        ]
    )  # fmt: skip
    for _ in range(100):
        if _run(["redis-cli", "-s", REDIS_SOCKET, "ping"], check=False).stdout.strip() == "PONG":
            _log(f"redis: ready (socket {REDIS_SOCKET}, data {data})")
            return
        time.sleep(0.1)
    raise RuntimeError(f"redis did not answer on {REDIS_SOCKET}; see {data / 'redis.log'}")


def stop_services() -> None:
    stopped = []
    if Path(REDIS_SOCKET).exists():
        _run(["redis-cli", "-s", REDIS_SOCKET, "shutdown"], check=False)
        stopped.append("redis")
    pgdata = DATA / "postgresql"
    if (pgdata / "postmaster.pid").is_file():
        _run([_pg_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"], user="postgres", check=False)
        stopped.append("postgres")
    if stopped:
        _log(f"{' and '.join(stopped)} stopped")


async def _create_key(env: dict[str, str]) -> str:
    from inference_server.runtime.services import open_services
    from inference_server.settings import load_settings
    from inference_server.store import api_keys

    services = await open_services(load_settings(environ=env))
    try:
        _, plaintext = await api_keys.create_key(services.pool, "home-assistant", "admin", actor="addon")
    finally:
        await services.close()
    return plaintext


def api_key(env: dict[str, str]) -> str:
    """The add-on's key for Home Assistant: created on first start, kept in /data (mode 0600)."""
    path = DATA / "hsi" / "addon_api_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    key = asyncio.run(_create_key(env))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    _log(f"created the API key 'home-assistant' (admin) for the integration, kept in {path}")
    return key


def run() -> int:
    try:
        env = map_options(load_options(DATA / "options.json"))
    except OptionError as exc:
        _log(f"refusing to start: {exc}")
        return 3
    token = os.environ.get("SUPERVISOR_TOKEN", "")
    if token:
        service = supervisor_request("GET", "/services/mqtt", token)
        if service and (url := mqtt_url(service)):
            env["HSI_MQTT_URL"] = url
            _log(f"mqtt: using the Supervisor's broker at {service.get('host')}:{service.get('port')}")
    for folder in (DATA / "hsi" / "media", SHARE / "hsi" / "uploads", SHARE / "hsi" / "models"):
        folder.mkdir(parents=True, exist_ok=True)
    for slug in json.loads(env["HSI_CAMERAS"]):
        (SHARE / "hsi" / "uploads" / slug).mkdir(exist_ok=True)
    if env["HSI_FTP_ENABLED"] == "false":
        _log(
            "ftp: off, no cameras configured (add them under Configuration); files copied to "
            f"{SHARE / 'hsi' / 'uploads'}/<camera>/ are still processed"
        )
    start_postgres()
    start_redis()
    key = api_key(env)
    if token:
        # Host network (config.yaml), like Home Assistant Core itself: loopback reaches the API.
        config = {"host": "127.0.0.1", "port": API_PORT, "api_key": key}
        if supervisor_request(
            "POST", "/discovery", token, {"service": "home_security_intelligence", "config": config}
        ):
            _log(f"discovery: announced {config['host']}:{API_PORT} to Home Assistant")
    else:
        _log("discovery: no SUPERVISOR_TOKEN (not run by the Supervisor), not announced")
    _log("starting hsi serve")
    os.execve(HSI_BIN, [HSI_BIN, "serve"], {**os.environ, **env})  # noqa: S606 - becomes the server
    return 0  # not reached


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "run"
    if command == "run":
        return run()
    if command == "stop":
        stop_services()
        return 0
    if command == "check":
        try:
            env = map_options(load_options(DATA / "options.json"))
        except OptionError as exc:
            _log(f"refusing to start: {exc}")
            return 3
        for name, value in sorted(env.items()):
            print(f"{name}={'***' if 'KEY' in name or name == 'HSI_CAMERAS' else value}")
        return 0
    _log(f"unknown command {command!r}: run, check or stop")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
