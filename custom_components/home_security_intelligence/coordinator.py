"""Polls cameras, stats and alert rules; receives events by WebSocket push."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from . import const, contract
from .api import HsiAuthError, HsiClient, HsiConnectionError
from .const import (
    ALERT_EVENT,
    BUS_EVENT,
    CONF_CAMERAS,
    CONF_EVENT_HISTORY,
    CONF_MIN_RISK,
    DEFAULT_EVENT_HISTORY,
    DEFAULT_MIN_RISK,
    DOMAIN,
    LOGGER,
    SCAN_INTERVAL,
)
from .data import HsiConfigEntry, HsiData
from .errors import translate_setup_errors
from .issues import async_check_server_issues
from .views import async_signed_snapshot_path

# Called with the event and why it fires: "created", or "escalated" (a refined event whose risk
# level rose, e.g. a fast-path event from 21 to 60).
EventListener = Callable[[dict[str, Any], str], None]

RISK_LEVELS = contract.RISK_LEVELS


def level_rank(event: dict[str, Any] | None) -> int:
    """Order of an event's risk level (-1 when unknown)."""
    level = (event or {}).get("risk_level")
    return RISK_LEVELS.index(level) if level in RISK_LEVELS else -1


def event_time(event: dict[str, Any] | None, key: str = "started_at") -> datetime | None:
    """Parse one of an event's ISO 8601 timestamps."""
    if not event or not isinstance(event.get(key), str):
        return None
    return dt_util.parse_datetime(event[key])


def _newer(candidate: dict[str, Any], current: dict[str, Any] | None) -> bool:
    """Whether `candidate` should replace `current` as a camera's latest event."""
    if current is None or candidate.get("id") == current.get("id"):
        return True
    new, old = event_time(candidate), event_time(current)
    return new is not None and (old is None or new >= old)


class HsiCoordinator(DataUpdateCoordinator[HsiData]):
    """State of one inference server."""

    config_entry: HsiConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: HsiConfigEntry, client: HsiClient, info: dict[str, Any]
    ) -> None:
        """Start from the /api/system/info answer that setup already fetched."""
        super().__init__(hass, LOGGER, config_entry=entry, name=DOMAIN, update_interval=SCAN_INTERVAL)
        self.client = client
        self.info = info
        self.instance_id: str = str(info["instance_id"])
        self.cursor: str | None = None
        self.push_connected = False
        self.server_device_id: str | None = None  # set by async_setup_entry
        self.recent_events: deque[dict[str, Any]] = deque(maxlen=self.event_history)
        self._event_listeners: list[EventListener] = []

    # --- options ----------------------------------------------------------------------------
    @property
    def min_risk(self) -> int:
        """Threshold of the high-risk binary sensor."""
        return int(self.config_entry.options.get(CONF_MIN_RISK, DEFAULT_MIN_RISK))

    @property
    def event_history(self) -> int:
        """How many recent events are kept and returned by default."""
        return int(self.config_entry.options.get(CONF_EVENT_HISTORY, DEFAULT_EVENT_HISTORY))

    def included_cameras(self) -> list[str]:
        """Cameras that get entities: the options' selection, or all when none is selected."""
        selected = self.config_entry.options.get(CONF_CAMERAS) or []
        cameras = self.data.cameras if self.data else {}
        return [camera for camera in cameras if not selected or camera in selected]

    # --- polling ----------------------------------------------------------------------------
    async def _async_setup(self) -> None:
        """Seed the recent events once."""
        with translate_setup_errors(UpdateFailed, "update_failed"):
            page = await self.client.get_events(limit=self.event_history)
        self.recent_events.extend(page.get("events", []))

    async def _async_update_data(self) -> HsiData:
        with translate_setup_errors(UpdateFailed, "update_failed"):
            info, stats, cameras, rules = await asyncio.gather(
                self.client.get_info(),
                self.client.get_stats(),
                self.client.get_cameras(),
                self.client.get_alert_rules(),
            )
        self.info = info
        async_check_server_issues(self.hass, self.config_entry, info)
        previous = self.data.cameras if self.data else {}
        merged: dict[str, dict[str, Any]] = {}
        for camera in cameras:
            camera_id = str(camera["id"])
            pushed = previous.get(camera_id, {}).get("last_event")
            polled = camera.get("last_event")
            # A pushed event newer than what the poll saw wins until the next poll catches up.
            if pushed and (polled is None or not _newer(polled, pushed)):
                camera = {**camera, "last_event": pushed}
            merged[camera_id] = camera
        return HsiData(
            info=info,
            stats=stats,
            cameras=merged,
            rules={str(rule["id"]): rule for rule in rules},
        )

    # --- push -------------------------------------------------------------------------------
    @callback
    def async_add_event_listener(self, listener: EventListener) -> CALLBACK_TYPE:
        """Call `listener` with every newly created event and every escalation of one."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    @callback
    def _async_mark_lost(self, err: Exception) -> None:
        # Logs once on the transition, and entities follow last_update_success.
        self.async_set_update_error(err)

    async def async_run_push(self) -> None:
        """Keep the /api/ws stream open for the entry's lifetime, resuming after the last cursor."""
        backoff = const.WS_BACKOFF_INITIAL
        while True:
            try:
                ws = await self.client.ws_connect(self.cursor, const.WS_HEARTBEAT)
            except HsiAuthError as err:
                self._async_mark_lost(err)
                self.config_entry.async_start_reauth(self.hass)
                return
            except HsiConnectionError as err:
                self._async_mark_lost(err)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, const.WS_BACKOFF_MAX)
                continue
            backoff = const.WS_BACKOFF_INITIAL
            self.push_connected = True
            try:
                if not self.last_update_success:
                    # Logs the single "recovered" line and brings cameras/stats/rules up to date.
                    await self.async_refresh()
                async for message in ws:
                    if message.type is aiohttp.WSMsgType.TEXT:
                        self._async_handle_text(message.data)
            finally:
                self.push_connected = False
                await ws.close()
            self._async_mark_lost(HsiConnectionError("push connection closed by the server"))
            await asyncio.sleep(backoff)

    @callback
    def _async_handle_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            LOGGER.debug("Ignoring a push message that is not JSON: %.200s", text)
            return
        if not isinstance(message, dict):
            return
        self.async_handle_message(message)

    @callback
    def async_handle_message(self, message: dict[str, Any]) -> None:
        """Apply one push message to the data and announce it on the bus."""
        if message.get("cursor"):
            self.cursor = str(message["cursor"])
        kind = message.get("type")
        data = message.get("data")
        if kind not in ("event.created", "event.updated", "alert") or not isinstance(data, dict):
            return
        event = data if kind != "alert" else data.get("event")
        extra: dict[str, Any] = {"type": kind, "config_entry_id": self.config_entry.entry_id}
        if isinstance(event, dict) and event.get("id") and event.get("camera"):
            self.async_apply_event(event, created=kind == "event.created")
            if kind != "alert":
                # The snapshot through Home Assistant: no server API key needed (see views.py).
                extra["snapshot_path"] = async_signed_snapshot_path(
                    self.hass, self.config_entry.entry_id, str(event["id"])
                )
        self.hass.bus.async_fire(BUS_EVENT, {**data, **extra})
        if kind == "alert" and isinstance(data.get("ha"), dict):
            self._async_deliver_ha_alert(data["ha"], event if isinstance(event, dict) else {})

    @callback
    def _async_deliver_ha_alert(self, section: dict[str, Any], event: dict[str, Any]) -> None:
        """The server's `ha` alert channel: fire home_security_intelligence_alert and, when the
        rule names one, call the notify service with the title, message and image."""
        entry_id = self.config_entry.entry_id
        data = {k: v for k, v in section.items() if k != "event_type"}
        if event.get("id"):
            # The server's snapshot URL needs its API key; the signed path does not.
            data["image"] = async_signed_snapshot_path(self.hass, entry_id, str(event["id"]))
        self.hass.bus.async_fire(ALERT_EVENT, {**data, "config_entry_id": entry_id})
        service = str(section.get("notify_service") or "").strip()
        if not service:
            return
        service = service.removeprefix("notify.")
        if not self.hass.services.has_service("notify", service):
            LOGGER.warning(
                "Alert %s: there is no notify.%s action; only the event was fired",
                section.get("tag"),
                service,
            )
            return
        payload: dict[str, Any] = {"tag": section.get("tag"), "group": section.get("group")}
        if data.get("image"):
            payload["image"] = data["image"]
        if section.get("url"):
            payload["url"] = section["url"]
        self.config_entry.async_create_background_task(
            self.hass,
            self._async_notify(
                service, str(section.get("title") or ""), str(section.get("message") or ""), payload
            ),
            f"{DOMAIN} notify {service}",
        )

    async def _async_notify(self, service: str, title: str, message: str, data: dict[str, Any]) -> None:
        try:
            await self.hass.services.async_call(
                "notify", service, {"title": title, "message": message, "data": data}, blocking=True
            )
        except Exception as err:  # a notify platform can raise anything; the alert must not crash push
            LOGGER.warning("Alert notification through notify.%s failed: %s", service, err)

    @callback
    def async_apply_event(self, event: dict[str, Any], *, created: bool) -> None:
        """Make an event (from push or an action's answer) the data's current view."""
        data = self.data
        camera_id = str(event["camera"])
        camera = data.cameras.get(camera_id)
        if camera is None:
            # A camera the last poll did not know yet: it appears right away.
            camera = data.cameras[camera_id] = {
                "id": camera_id,
                "name": event.get("camera_name") or camera_id,
                "last_seen_at": event.get("ended_at"),
                "last_event": None,
                "muted_until": None,
            }
        previous = next((e for e in self.recent_events if e.get("id") == event["id"]), None)
        before = previous
        if before is None and (camera.get("last_event") or {}).get("id") == event["id"]:
            before = camera["last_event"]
        escalated = not created and before is not None and level_rank(event) > level_rank(before)
        if _newer(event, camera.get("last_event")):
            camera["last_event"] = event
        if previous is not None:
            self.recent_events[self.recent_events.index(previous)] = event
        else:
            self.recent_events.appendleft(event)
        self._async_update_stats(event, previous, created=created)
        self.async_update_listeners()
        if created or escalated:
            for listener in list(self._event_listeners):
                listener(event, "created" if created else "escalated")

    @callback
    def _async_update_stats(
        self, event: dict[str, Any], previous: dict[str, Any] | None, *, created: bool
    ) -> None:
        """Keep the server counters current between polls."""
        stats = self.data.stats
        if created and previous is None and not event.get("reviewed"):
            stats["unreviewed_events"] = int(stats.get("unreviewed_events") or 0) + 1
        elif previous is not None and event.get("reviewed") != previous.get("reviewed"):
            delta = -1 if event.get("reviewed") else 1
            stats["unreviewed_events"] = max(0, int(stats.get("unreviewed_events") or 0) + delta)
        started = event_time(event)
        score = event.get("risk_score")
        if (
            isinstance(score, int)
            and started is not None
            and dt_util.as_local(started).date() == dt_util.now().date()
        ):
            highest = stats.get("highest_risk_today")
            stats["highest_risk_today"] = score if highest is None else max(int(highest), score)
