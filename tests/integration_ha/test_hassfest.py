"""Static checks in the spirit of hassfest and the HACS validator."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from homeassistant.util.yaml import load_yaml_dict

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "home_security_intelligence"
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text())
STRINGS = json.loads((INTEGRATION / "translations" / "en.json").read_text())
ICONS = json.loads((INTEGRATION / "icons.json").read_text())
SERVICES = load_yaml_dict(str(INTEGRATION / "services.yaml"))
SOURCES = {path.name: path.read_text() for path in INTEGRATION.glob("*.py")}

QUALITY_RULES = {
    "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow-test-coverage",
    "config-flow", "dependency-transparency", "docs-actions", "docs-high-level-description",
    "docs-installation-instructions", "docs-removal-instructions", "entity-event-setup",
    "entity-unique-id", "has-entity-name", "runtime-data", "test-before-configure",
    "test-before-setup", "unique-config-entry", "action-exceptions", "config-entry-unloading",
    "docs-configuration-parameters", "docs-installation-parameters", "entity-unavailable",
    "integration-owner", "log-when-unavailable", "parallel-updates", "reauthentication-flow",
    "test-coverage", "devices", "diagnostics", "discovery-update-info", "discovery",
    "docs-data-update", "docs-examples", "docs-known-limitations", "docs-supported-devices",
    "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
    "entity-category", "entity-device-class", "entity-disabled-by-default", "entity-translations",
    "exception-translations", "icon-translations", "reconfiguration-flow", "repair-issues",
    "stale-devices", "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def _string_args(keyword: str) -> set[str]:
    """Every literal `keyword="..."` in the integration's code."""
    found: set[str] = set()
    for source in SOURCES.values():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.keyword) and node.arg == keyword and isinstance(node.value, ast.Constant):
                assert isinstance(node.value.value, str), node.value.value
                found.add(node.value.value)
    return found


def test_manifest_is_valid_for_a_custom_integration() -> None:
    assert list(MANIFEST)[:2] == ["domain", "name"]
    assert list(MANIFEST)[2:] == sorted(list(MANIFEST)[2:]), "hassfest wants the other keys sorted"
    assert MANIFEST["domain"] == INTEGRATION.name
    assert MANIFEST["config_flow"] is True
    assert MANIFEST["integration_type"] == "hub"
    assert MANIFEST["iot_class"] == "local_push"
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])
    assert MANIFEST["requirements"] == []
    for key in ("documentation", "issue_tracker"):
        assert MANIFEST[key].startswith("https://")
    allowed = {
        "domain", "name", "after_dependencies", "codeowners", "config_flow", "dependencies",
        "documentation", "integration_type", "iot_class", "issue_tracker", "loggers",
        "requirements", "version", "quality_scale", "single_config_entry",
    }  # fmt: skip
    assert set(MANIFEST) <= allowed
    # Every imported component is a declared (after_)dependency, as hassfest checks.
    imported = set(re.findall(r"homeassistant\.components\.(\w+)", "\n".join(SOURCES.values())))
    platforms = {"binary_sensor", "event", "image", "sensor", "switch"}
    declared = set(MANIFEST.get("dependencies", [])) | set(MANIFEST.get("after_dependencies", []))
    assert imported - platforms - {"diagnostics"} <= declared


def test_hacs_json() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["name"]
    assert hacs["homeassistant"] == "2025.4.0"
    assert hacs["render_readme"] is True
    assert set(hacs) <= {
        "name",
        "homeassistant",
        "render_readme",
        "content_in_root",
        "zip_release",
        "hacs",
        "country",
    }


def test_every_service_is_registered_translated_and_has_an_icon() -> None:
    registered = set(re.findall(r'^SERVICE_\w+ = "(\w+)"', SOURCES["services.py"], re.M))
    assert registered == set(SERVICES)
    for service, spec in SERVICES.items():
        translated = STRINGS["services"][service]
        assert translated["name"] and translated["description"]
        assert set(translated.get("fields", {})) == set(spec.get("fields", {})), service
        for field in translated.get("fields", {}).values():
            assert field["name"] and field["description"]
        assert ICONS["services"][service]["service"].startswith("mdi:")
        for field in (spec.get("fields") or {}).values():
            for selector in (field.get("selector") or {}).values():
                if isinstance(selector, dict) and "translation_key" in selector:
                    options = STRINGS["selector"][selector["translation_key"]]["options"]
                    assert set(options) == set(selector["options"])


def test_every_translation_key_in_code_is_in_en_json() -> None:
    entity_keys = {key for keys in STRINGS["entity"].values() for key in keys}
    for key in _string_args("translation_key"):
        assert key in STRINGS["exceptions"] or key in STRINGS["issues"] or key in entity_keys, key
    for key in re.findall(r'ISSUE_\w+: Final = "(\w+)"', SOURCES["const.py"]):
        assert key in STRINGS["issues"]
    for issue in STRINGS["issues"].values():
        assert issue["title"] and issue["description"]


def _constants(node: ast.expr) -> list[str]:
    """The string constants an expression can be: "a", or "a" if ... else "b"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def test_every_raised_error_fills_exactly_the_placeholders_of_its_message() -> None:
    # An error raised without a placeholder its message names, or with an empty one, reads
    # "No loaded ... server ." to the user.
    checked = 0
    for path, source in SOURCES.items():
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            if "translation_domain" not in keywords or "translation_key" not in keywords:
                continue
            given: set[str] = set()
            placeholders = keywords.get("translation_placeholders")
            if isinstance(placeholders, ast.Dict):
                for name, value in zip(placeholders.keys, placeholders.values, strict=True):
                    assert isinstance(name, ast.Constant), f"{path}:{node.lineno}"
                    given.add(str(name.value))
                    assert not (isinstance(value, ast.Constant) and value.value == ""), (
                        f"{path}:{node.lineno}: empty placeholder {name.value!r}"
                    )
            elif placeholders is not None:
                continue  # built at run time
            for key in _constants(keywords["translation_key"]):
                if key not in STRINGS["exceptions"]:
                    continue
                wanted = set(re.findall(r"{(\w+)}", STRINGS["exceptions"][key]["message"]))
                assert given == wanted, f"{path}:{node.lineno}: {key} needs {wanted}, gets {given}"
                checked += 1
    assert checked >= 15


def test_every_entity_translation_key_is_named_and_has_an_icon() -> None:
    code_keys = _entity_keys()
    translated = {(platform, key) for platform, keys in STRINGS["entity"].items() for key in keys}
    assert code_keys == translated
    for platform, key in code_keys:
        assert STRINGS["entity"][platform][key]["name"]
        assert ICONS["entity"][platform][key]["default"].startswith("mdi:")


def _entity_keys() -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for platform in ("binary_sensor", "event", "image", "sensor", "switch"):
        source = SOURCES[f"{platform}.py"]
        keys |= {(platform, k) for k in re.findall(r'translation_key="(\w+)"', source)}
        keys |= {(platform, k) for k in re.findall(r'\(coordinator, "(\w+)"', source)}
        keys |= {(platform, k) for k in re.findall(r'HsiEntity.__init__\(self, coordinator, "(\w+)"', source)}
        keys |= {(platform, k) for k in re.findall(r'super\(\).__init__\(coordinator, "(\w+)"\)', source)}
    return keys


def test_config_flow_strings_cover_every_step_error_and_abort() -> None:
    flow = SOURCES["config_flow.py"]
    for step in re.findall(r'step_id="(\w+)"', flow):
        section = STRINGS["options" if step == "init" else "config"]["step"][step]
        assert section.get("title") or section.get("description")
    for reason in re.findall(r'reason="(\w+)"', flow):
        assert reason in STRINGS["config"]["abort"]
    for error in re.findall(r'"base": "(\w+)"', flow):
        assert error in STRINGS["config"]["error"]
        assert error in STRINGS["config"]["abort"]  # discovery aborts with the same reasons
    assert {"already_configured", "reauth_successful", "reconfigure_successful"} <= set(
        STRINGS["config"]["abort"]
    )


@pytest.mark.parametrize("path", sorted(p.name for p in INTEGRATION.glob("*.py")))
def test_no_removed_or_deprecated_api(path: str) -> None:
    source = SOURCES[path]
    for banned in ("register_static_path(", "hass.data[DOMAIN]", "hass.data.setdefault(DOMAIN", "object_id"):
        assert banned not in source, f"{path} uses {banned}"


def test_quality_scale_states_every_rule() -> None:
    # `todo` is allowed: the file says what is not done yet rather than claiming everything.
    scale = load_yaml_dict(str(INTEGRATION / "quality_scale.yaml"))["rules"]
    assert set(scale) == QUALITY_RULES
    for rule, value in scale.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "exempt", "todo"}, rule
        if status in {"exempt", "todo"}:
            assert value["comment"], rule
    assert MANIFEST["codeowners"] and all(owner.startswith("@") for owner in MANIFEST["codeowners"])
