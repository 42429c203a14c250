"""The add-on's options -> HSI_* settings (addon/rootfs/usr/lib/hsi/hsi_addon.py), against config.yaml.

The image itself is built and run by scripts/test-addon (tests/addon/); these check the mapping
and the Supervisor calls with the real settings model and a real HTTP server.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from aiohttp import web

from inference_server.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "addon" / "config.yaml").read_text())


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hsi_addon", ROOT / "addon/rootfs/usr/lib/hsi/hsi_addon.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hsi_addon"] = module
    spec.loader.exec_module(module)
    return module


addon = _load()


def _options(**overrides: Any) -> dict[str, Any]:
    options = dict(CONFIG["options"])
    options.update(overrides)
    return options


def test_config_yaml_translations_and_mapping_name_the_same_options() -> None:
    translations = yaml.safe_load((ROOT / "addon" / "translations" / "en.yaml").read_text())
    assert set(CONFIG["options"]) == set(CONFIG["schema"]) == set(addon.OPTIONS)
    assert set(translations["configuration"]) == set(addon.OPTIONS)
    # The choices the Supervisor offers are the ones the mapping accepts.
    assert CONFIG["schema"]["detector"] == f"list({'|'.join(addon.DETECTORS)})"
    assert CONFIG["schema"]["llm_backend"] == f"list({'|'.join(addon.LLM_BACKENDS)})"
    assert CONFIG["schema"]["log_level"] == f"list({'|'.join(addon.LOG_LEVELS)})"
    assert CONFIG["schema"]["models_profile"] == f"list({'|'.join(addon.MODELS_PROFILES)})"
    assert CONFIG["discovery"] == ["home_security_intelligence"]
    assert CONFIG["watchdog"].endswith("/api/system/health")
    assert CONFIG["host_network"] is True  # FTP passive replies name the host, not the container
    # The status page in the sidebar through the Supervisor's ingress proxy, on the API's port.
    assert CONFIG["ingress"] is True and CONFIG["ingress_port"] == addon.API_PORT and CONFIG["panel_icon"]


def test_defaults_map_onto_settings_the_server_accepts() -> None:
    env = addon.map_options(_options())
    settings = load_settings(environ=env)
    assert settings.api.host == "0.0.0.0" and settings.api.port == 8000 and settings.api.keys_required
    assert not settings.ftp.enabled  # no cameras yet: nobody could log in (the server refuses that)
    assert settings.ftp.port == 2121 and settings.ftp.passive_ports == "30000-30009"
    assert (
        str(settings.storage.data_dir) == "/data/hsi" and str(settings.storage.media_dir) == "/data/hsi/media"
    )
    assert str(settings.storage.watch_dir) == "/share/hsi/uploads"
    assert settings.database.url == "postgresql://postgres@/hsi?host=/run/postgresql"
    assert settings.redis.url == "unix:///run/redis/redis.sock?db=0"
    assert settings.detection.detector == "auto" and settings.llm.backend == "heuristic"
    assert settings.detection.weights == "/share/hsi/models/yolo26n.onnx"
    assert settings.cameras == {}
    assert settings.models.profile == "auto"  # the profile for this hardware, pulled on first start
    assert settings.api.ingress_peer == "172.30.32.2"  # the panel's reads need no key
    assert "HSI_LLM_URL" not in env and "HSI_LLM_API_KEY" not in env


def test_every_option_reaches_its_setting() -> None:
    env = addon.map_options(
        _options(
            timezone="Europe/Berlin",
            cameras=[
                {"slug": "front", "name": "Front door", "ftp_password": "pw-1"},
                {"slug": "back_yard", "ftp_password": "pw-2"},
            ],
            detector="onnx",
            detector_weights="/share/hsi/models/custom.onnx",
            llm_backend="openai",
            llm_url="http://192.168.1.20:8080/v1",
            llm_model="qwen",
            llm_api_key="sk-local",
            mqtt_discovery=True,
            batch_window_seconds=120,
            batch_idle_seconds=20,
            log_level="DEBUG",
        )
    )
    s = load_settings(environ=env)
    assert s.ftp.enabled
    assert s.timezone == "Europe/Berlin" and s.detection.detector == "onnx"
    assert s.detection.weights == "/share/hsi/models/custom.onnx"
    assert s.llm.backend == "openai" and s.llm.url == "http://192.168.1.20:8080/v1"
    assert (
        s.llm.model == "qwen" and s.llm.api_key is not None and s.llm.api_key.get_secret_value() == "sk-local"
    )
    assert s.mqtt.discovery is True
    assert s.window.max_seconds == 120 and s.window.idle_seconds == 20 and s.log_level == "DEBUG"
    front_password = s.cameras["front"].ftp_password
    assert s.cameras["front"].name == "Front door"
    assert front_password is not None and front_password.get_secret_value() == "pw-1"
    assert s.cameras["back_yard"].name == "back_yard"  # the slug when no name is given


def test_home_assistant_assessor_through_the_supervisor(monkeypatch: pytest.MonkeyPatch) -> None:
    """llm_backend home_assistant needs no URL or token in the add-on: the server asks HA's AI Task
    through the Supervisor proxy with SUPERVISOR_TOKEN (config.yaml grants homeassistant_api)."""
    from inference_server.ml.llm_home_assistant import SUPERVISOR_URL, HomeAssistantAssessor
    from inference_server.runtime.models import build_llm

    assert CONFIG["homeassistant_api"] is True
    env = addon.map_options(_options(llm_backend="home_assistant", ha_ai_task_entity="ai_task.ollama"))
    s = load_settings(environ=env)
    assert s.llm.backend == "home_assistant" and s.llm.ha_ai_task_entity == "ai_task.ollama"
    assert s.llm.ha_url is None and s.llm.ha_token is None
    monkeypatch.setenv("SUPERVISOR_TOKEN", "supervisor-token")
    assessor = build_llm(s)
    assert isinstance(assessor, HomeAssistantAssessor) and assessor.base == SUPERVISOR_URL
    # Unset entity: HA's preferred AI Task entity.
    assert "HSI_HA_AI_TASK_ENTITY" not in addon.map_options(_options(llm_backend="home_assistant"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "option 'timezone': unknown time zone 'Mars/Olympus_Mons'"),
        ({"detector": "yolo"}, "option 'detector': must be one of auto, onnx, opencv, got 'yolo'"),
        (
            {"llm_backend": "llama_cpp"},
            "option 'llm_backend': must be one of heuristic, openai, home_assistant",
        ),
        ({"ha_ai_task_entity": "sensor.x"}, "option 'ha_ai_task_entity': must be an AI Task entity id"),
        ({"llm_backend": "openai"}, "option 'llm_url': llm_backend openai needs the URL"),
        ({"llm_url": "ftp://x"}, "option 'llm_url': must start with http:// or https://"),
        ({"batch_window_seconds": 5}, "option 'batch_window_seconds': must be a whole number from 10 to 600"),
        ({"batch_idle_seconds": True}, "option 'batch_idle_seconds': must be a whole number from 5 to 300"),
        ({"batch_window_seconds": 10, "batch_idle_seconds": 30}, "option 'batch_idle_seconds': 30 is longer"),
        ({"mqtt_discovery": "yes"}, "option 'mqtt_discovery': must be true or false, got 'yes'"),
        ({"log_level": "TRACE"}, "option 'log_level': must be one of DEBUG, INFO, WARNING, ERROR"),
        (
            {"models_profile": "gpu-24gb"},
            "option 'models_profile': must be one of auto, none, cpu-small, cpu",
        ),
        ({"timezone": 3}, "option 'timezone': must be text, got 3"),
        ({"surprise": 1}, "option 'surprise': unknown option"),
        ({"cameras": {"front": {}}}, "option 'cameras': must be a list"),
        ({"cameras": ["front"]}, "option 'cameras' entry 1: must be a mapping"),
        ({"cameras": [{"slug": "../etc", "ftp_password": "p"}]}, "entry 1: slug '../etc' must be 1-64"),
        ({"cameras": [{"slug": "a", "ftp_password": ""}]}, "camera 'a': ftp_password is empty"),
        ({"cameras": [{"slug": "a", "ftp_password": "p", "ip": "1.2.3.4"}]}, "entry 1: unknown field 'ip'"),
        (
            {"cameras": [{"slug": "a", "ftp_password": "p"}, {"slug": "a", "ftp_password": "q"}]},
            "option 'cameras': slug 'a' appears twice",
        ),
    ],
)
def test_bad_options_are_refused_with_the_option_named(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(addon.OptionError) as refused:
        addon.map_options(_options(**overrides))
    assert message in str(refused.value)


def test_models_profile_names_the_cpu_profiles_of_the_manifest() -> None:
    from inference_server.ml.models.manifest import builtin_manifest

    profiles = builtin_manifest().profiles
    for choice in addon.MODELS_PROFILES:
        env = addon.map_options(_options(models_profile=choice))
        assert load_settings(environ=env).models.profile == choice
        assert choice in ("auto", "none") or choice in profiles
    # auto stays on the CPU profiles here: the add-on cannot use an NVIDIA GPU
    assert {p for p in profiles if p.startswith("cpu")} == set(addon.MODELS_PROFILES) - {"auto", "none"}
    # a hand-written options.json from before the option: nothing is pulled
    options = _options()
    del options["models_profile"]
    assert addon.map_options(options)["HSI_MODELS_PROFILE"] == "none"


def test_the_servers_own_validation_stops_the_addon_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # A value only the settings model refuses still ends in OptionError (one readable line).
    monkeypatch.setattr(addon, "API_PORT", 70000)
    with pytest.raises(
        addon.OptionError, match="setting 'api_port': Input should be less than or equal to 65535"
    ):
        addon.map_options(_options())


def test_options_file_problems_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(addon.OptionError, match="does not exist"):
        addon.load_options(tmp_path / "options.json")
    (tmp_path / "options.json").write_text("{not json")
    with pytest.raises(addon.OptionError, match="is not valid JSON"):
        addon.load_options(tmp_path / "options.json")
    (tmp_path / "options.json").write_text("[]")
    with pytest.raises(addon.OptionError, match="must hold a mapping"):
        addon.load_options(tmp_path / "options.json")


def test_check_command_prints_settings_and_masks_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(addon, "DATA", tmp_path)
    cams = [{"slug": "front", "name": "F", "ftp_password": "hunter2"}]
    (tmp_path / "options.json").write_text(json.dumps(_options(cameras=cams, llm_api_key="sk-1")))
    assert addon.main(["hsi_addon.py", "check"]) == 0
    out = capsys.readouterr().out
    assert "HSI_TIMEZONE=UTC" in out and "HSI_LLM_API_KEY=***" in out
    assert "hunter2" not in out and "sk-1" not in out
    (tmp_path / "options.json").write_text(json.dumps(_options(timezone="Nowhere/Land")))
    assert addon.main(["hsi_addon.py", "check"]) == 3
    assert "[hsi-addon] refusing to start: option 'timezone': unknown time zone" in capsys.readouterr().err


def test_mqtt_url_from_the_supervisors_service_record() -> None:
    record = {
        "host": "core-mosquitto",
        "port": 1883,
        "ssl": False,
        "username": "addons",
        "password": "p@ss:w/rd",
    }
    url = addon.mqtt_url(record)
    assert url == "mqtt://addons:p%40ss%3Aw%2Frd@core-mosquitto:1883"
    assert load_settings(environ={"HSI_MQTT_URL": url}).mqtt.url == url
    assert addon.mqtt_url({"host": "broker", "port": 8883, "ssl": True}) == "mqtts://broker:8883"
    assert addon.mqtt_url({}) is None


async def test_supervisor_calls_against_a_real_server() -> None:
    seen: list[tuple[str, str, str | None, Any]] = []

    async def discovery(request: web.Request) -> web.Response:
        seen.append(
            (request.method, request.path, request.headers.get("Authorization"), await request.json())
        )
        return web.json_response({"result": "ok", "data": {"uuid": "abc"}})

    async def mqtt(request: web.Request) -> web.Response:
        seen.append((request.method, request.path, request.headers.get("Authorization"), None))
        return web.json_response({"result": "error", "message": "no mqtt"}, status=400)

    app = web.Application()
    app.router.add_post("/discovery", discovery)
    app.router.add_get("/services/mqtt", mqtt)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    try:
        body = {
            "service": "home_security_intelligence",
            "config": {"host": "h", "port": 8000, "api_key": "k"},
        }
        answer = await asyncio.to_thread(addon.supervisor_request, "POST", "/discovery", "tok", body, base)
        assert answer == {"uuid": "abc"}
        assert seen[0] == ("POST", "/discovery", "Bearer tok", body)
        # An error answer is None (the add-on goes on without MQTT), not an exception.
        assert (
            await asyncio.to_thread(addon.supervisor_request, "GET", "/services/mqtt", "tok", None, base)
            is None
        )
    finally:
        await runner.cleanup()
    # Nobody listening: None as well.
    assert (
        await asyncio.to_thread(addon.supervisor_request, "GET", "/services/mqtt", "tok", None, base) is None
    )
