"""A test-only AI Task provider for the real-Home-Assistant tests of HSI's `home_assistant` backend.

Linked into a real Home Assistant's config dir by tests/integration_ha/test_ai_task_real.py
(never shipped). Its one AI Task entity answers `ai_task.generate_data` with data that fits the
task's `structure` and a score derived from the instructions, and appends what it received
(instructions, attachments: MIME type, size, JPEG or not) to `hsi_test_ai_task.json` in the
config dir, where the test reads it. It needs Home Assistant 2025.8 or later (AI Task with
attachments).
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

PLATFORMS = ["ai_task"]  # Platform.AI_TASK exists only from 2025.8 (the floor lane type-checks this)


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Set up the AI Task entity."""
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Unload the AI Task entity."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
