"""The test AI Task entity: a deterministic, input-dependent structured answer, and a record."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from homeassistant.components.ai_task import (
    AITaskEntity,
    AITaskEntityFeature,
    GenDataTask,
    GenDataTaskResult,
)
from homeassistant.components.conversation import ChatLog
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from PIL import Image

from .const import DOMAIN, RECORD_FILE

JPEG_MAGIC = b"\xff\xd8\xff"


def score_of(instructions: str) -> int:
    """The score this entity answers: SHA-256 of the instructions mod 101 (the test recomputes it)."""
    return int(hashlib.sha256(instructions.encode()).hexdigest(), 16) % 101


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the one AI Task entity."""
    async_add_entities([TestAiTaskEntity(entry), TestAiTaskEntity(entry, attachments=False)])


def _describe(path: Path) -> dict[str, Any]:
    """What the test needs to know of an attachment's file (read in the executor)."""
    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        kind = image.format
    return {
        "size": len(data),
        "jpeg": data.startswith(JPEG_MAGIC) and kind == "JPEG",
        "pixels": [width, height],
    }


def _append(record: Path, entry: dict[str, Any]) -> None:
    tasks = json.loads(record.read_text()) if record.exists() else []
    tasks.append(entry)
    record.write_text(json.dumps(tasks, indent=2))


def _value(selector: Any, score: int, key: str, summary: str, reasoning: str) -> Any:
    """An answer for one key of the structure, by its selector's kind."""
    kind = type(selector).__name__
    if kind == "NumberSelector":
        low = float(selector.config.get("min", 0))
        high = float(selector.config.get("max", 100))
        return low + (high - low) * score / 100
    if kind == "TextSelector":
        return {"summary": summary, "reasoning": reasoning}.get(key, f"test {key}")
    if kind == "BooleanSelector":
        return score >= 50
    raise HomeAssistantError(f"the test AI Task cannot answer a {kind} field ({key})")


class TestAiTaskEntity(AITaskEntity):
    """Answers generate_data tasks without a model."""

    _attr_has_entity_name = True

    def __init__(self, entry: ConfigEntry, *, attachments: bool = True) -> None:
        """ai_task.hsi_test_ai_task takes attachments, ai_task.hsi_test_ai_task_text_only does not."""
        suffix = "" if attachments else "_text_only"
        self._attr_unique_id = f"{entry.entry_id}{suffix}"
        self.entity_id = f"ai_task.{DOMAIN}{suffix}"
        self._attr_supported_features = AITaskEntityFeature.GENERATE_DATA
        # Attachments exist from 2025.8; the entity takes them wherever Home Assistant has them.
        if attachments and hasattr(AITaskEntityFeature, "SUPPORT_ATTACHMENTS"):
            self._attr_supported_features |= AITaskEntityFeature.SUPPORT_ATTACHMENTS

    async def _async_generate_data(self, task: GenDataTask, chat_log: ChatLog) -> GenDataTaskResult:
        """The structured answer, after recording what arrived."""
        attachments = []
        for attachment in task.attachments or []:
            seen = await self.hass.async_add_executor_job(_describe, attachment.path)
            attachments.append(
                {"media_content_id": attachment.media_content_id, "mime_type": attachment.mime_type, **seen}
            )
        score = score_of(task.instructions)
        summary = f"Test AI Task saw {len(attachments)} picture(s) and scored {score}"
        reasoning = f"score {score} = SHA-256 of the {len(task.instructions)}-character instructions mod 101"
        data: Any = summary
        if task.structure is not None:
            answer = {
                str(getattr(key, "schema", key)): _value(
                    selector, score, str(getattr(key, "schema", key)), summary, reasoning
                )
                for key, selector in task.structure.schema.items()
            }
            try:
                data = task.structure(answer)  # what a real provider's answer must pass, too
            except Exception as exc:  # voluptuous or probatio (2026.x) Invalid, by HA version
                raise HomeAssistantError(f"the test answer does not fit the structure: {exc}") from exc
        await self.hass.async_add_executor_job(
            _append,
            Path(self.hass.config.path(RECORD_FILE)),
            {
                "entity_id": self.entity_id,
                "task_name": task.name,
                "instructions": task.instructions,
                "structure": sorted(
                    str(getattr(k, "schema", k)) for k in (task.structure.schema if task.structure else {})
                ),
                "attachments": attachments,
                "answer": data,
            },
        )
        return GenDataTaskResult(conversation_id=chat_log.conversation_id, data=data)
