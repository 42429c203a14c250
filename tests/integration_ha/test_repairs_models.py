"""Repair issues: the server reports stages running a fallback model (GET /api/system/info `fallbacks`)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.const import DOMAIN

from .hsi_server import FakeHsiServer

# What `hsi serve` reports on a fresh offline install (shape of inference_server's StageChoice).
DETECTOR_FALLBACK: dict[str, Any] = {
    "stage": "detector",
    "backend": "opencv",
    "model_id": "opencv-hog",
    "path": None,
    "reason": "no YOLO26 weights in /data/models: the OpenCV person detector finds persons only",
    "fallback": True,
    "wanted": "yolo26n",
    "fix": "hsi models pull yolo26n",
    "extra": {},
}
LLM_FALLBACK = {
    **DETECTOR_FALLBACK,
    "stage": "llm",
    "backend": "heuristic",
    "model_id": "heuristic",
    "reason": "no GGUF model in /data/models and no HSI_LLM_URL",
    "wanted": "nemotron-mini-4b",
    "fix": "hsi models pull nemotron-mini-4b",
}


async def test_model_fallbacks_raise_one_issue_per_stage_and_clear_when_fixed(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    hsi_server.info["fallbacks"] = [DETECTOR_FALLBACK, LLM_FALLBACK]
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()

    detector = issue_registry.async_get_issue(DOMAIN, f"model_fallback_detector_{mock_entry.entry_id}")
    assert detector is not None
    assert detector.severity is ir.IssueSeverity.WARNING and not detector.is_fixable
    assert detector.translation_key == "model_fallback_detector"
    assert detector.translation_placeholders is not None
    assert detector.translation_placeholders["fix"] == "hsi models pull yolo26n"
    assert detector.translation_placeholders["using"] == "opencv"
    assert detector.translation_placeholders["wanted"] == "yolo26n"
    llm = issue_registry.async_get_issue(DOMAIN, f"model_fallback_llm_{mock_entry.entry_id}")
    assert llm is not None and llm.translation_placeholders is not None
    assert llm.translation_placeholders["fix"] == "hsi models pull nemotron-mini-4b"
    assert issue_registry.async_get_issue(DOMAIN, f"model_fallback_embedder_{mock_entry.entry_id}") is None

    # The user pulled the detector and restarted the server: that issue goes, the other stays.
    hsi_server.info["fallbacks"] = [LLM_FALLBACK]
    await mock_entry.runtime_data.coordinator.async_refresh()
    assert issue_registry.async_get_issue(DOMAIN, f"model_fallback_detector_{mock_entry.entry_id}") is None
    assert issue_registry.async_get_issue(DOMAIN, f"model_fallback_llm_{mock_entry.entry_id}") is not None

    await hass.config_entries.async_unload(mock_entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, f"model_fallback_llm_{mock_entry.entry_id}") is None


async def test_server_without_fallbacks_field_raises_no_model_issue(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    hsi_server.info.pop("fallbacks", None)  # servers before this change
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    for stage in ("detector", "llm", "embedder"):
        assert issue_registry.async_get_issue(DOMAIN, f"model_fallback_{stage}_{mock_entry.entry_id}") is None
