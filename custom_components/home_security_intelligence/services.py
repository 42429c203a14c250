"""Actions: query, review and answer events, ask the history, manage zones, tripwires, alert rules,
known people/vehicles and (with the user's consent) known licence plates and faces, snooze a
camera."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from . import contract
from .api import RULE_FIELDS, ZONE_FIELDS, HsiApiError, writable
from .const import CONF_IDENTITY_CONSENT, DOMAIN
from .data import HsiConfigEntry
from .errors import translate_errors

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
SERVICE_GET_EVENTS = "get_events"
SERVICE_SEARCH_EVENTS = "search_events"
SERVICE_REVIEW_EVENT = "review_event"
SERVICE_SET_ZONE = "set_zone"
SERVICE_DELETE_ZONE = "delete_zone"
SERVICE_SET_ALERT_RULE = "set_alert_rule"
SERVICE_SNOOZE_CAMERA = "snooze_camera"
SERVICE_LIST_ENTITIES = "list_known_entities"
SERVICE_NAME_ENTITY = "name_entity"
SERVICE_FORGET_ENTITY = "forget_entity"
SERVICE_ENTITY_HISTORY = "get_entity_history"
SERVICE_GIVE_FEEDBACK = "give_feedback"
SERVICE_RESET_FEEDBACK = "reset_feedback"
SERVICE_ASK = "ask"
SERVICE_GET_DIGEST = "get_digest"
SERVICE_SET_TRIPWIRE = "set_tripwire"
SERVICE_DELETE_TRIPWIRE = "delete_tripwire"
SERVICE_LIST_KNOWN_PLATES = "list_known_plates"
SERVICE_SET_KNOWN_PLATE = "set_known_plate"
SERVICE_DELETE_KNOWN_PLATE = "delete_known_plate"
SERVICE_GET_PLATE_READS = "get_plate_reads"
SERVICE_FORGET_PLATES = "forget_plates"
SERVICE_LIST_KNOWN_FACES = "list_known_faces"
SERVICE_ENROL_FACE = "enrol_face"
SERVICE_RENAME_KNOWN_FACE = "rename_known_face"
SERVICE_DELETE_KNOWN_FACE = "delete_known_face"
SERVICE_FORGET_FACES = "forget_faces"

RISK_LEVELS = list(contract.RISK_LEVELS)
ZONE_TYPES = list(contract.ZONE_TYPES)
# "clear" withdraws an answer (the server stores null).
FEEDBACK_CHOICES = [*contract.FEEDBACK_KINDS, "clear"]
BEHAVIOUR_KINDS = list(contract.BEHAVIOUR_KINDS)
TRIPWIRE_FIELDS = ("camera", "name", "a", "b", "enabled")

_ENTRY: dict[vol.Marker, Any] = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
_FILTERS: dict[vol.Marker, Any] = {
    **_ENTRY,
    vol.Optional("camera"): cv.string,
    vol.Optional("since"): cv.datetime,
    vol.Optional("until"): cv.datetime,
    vol.Optional("min_risk"): vol.All(vol.Coerce(int), vol.Range(min=0, max=100)),
    vol.Optional("level"): vol.In(RISK_LEVELS),
    vol.Optional("object"): cv.string,
    vol.Optional("reviewed"): cv.boolean,
    vol.Optional("limit"): vol.All(vol.Coerce(int), vol.Range(min=1, max=200)),
    vol.Optional("cursor"): cv.string,
}
# As the server's KnownPlateIn: spaces, dashes and dots are ignored there, so up to 20 as typed.
_PLATE = vol.All(cv.string, vol.Strip, vol.Length(min=1, max=20))
# A person's name in the face gallery (the server's known_faces.name: 1 to 64 characters).
_PERSON_NAME = vol.All(cv.string, vol.Strip, vol.Length(min=1, max=64))
_FACE_ID = vol.All(vol.Coerce(int), vol.Range(min=1))
_POINT = vol.All(
    vol.ExactSequence([vol.Coerce(float), vol.Coerce(float)]),
    [vol.Range(min=0.0, max=1.0)],
)


def _typed_schema(fields: dict[Any, Any]) -> dict[Any, Any]:
    """A schema dict of mixed markers and validators (mypy cannot infer one key type for it)."""
    return fields


SCHEMAS: dict[str, vol.Schema] = {
    SERVICE_GET_EVENTS: vol.Schema(_FILTERS),
    SERVICE_SEARCH_EVENTS: vol.Schema({**_FILTERS, vol.Required("query"): cv.string}),
    SERVICE_REVIEW_EVENT: vol.Schema(
        {
            **_ENTRY,
            vol.Required("event_id"): cv.string,
            vol.Optional("reviewed", default=True): cv.boolean,
            vol.Optional("notes"): cv.string,
        }
    ),
    SERVICE_SET_ZONE: vol.Schema(
        {
            **_ENTRY,
            vol.Optional("zone_id"): cv.string,
            vol.Optional("camera"): cv.string,
            vol.Optional("name"): cv.string,
            vol.Optional("zone_type"): vol.In(ZONE_TYPES),
            vol.Optional("priority"): vol.All(vol.Coerce(int), vol.Range(min=-1000, max=1000)),
            vol.Optional("polygon"): vol.All([_POINT], vol.Length(min=3)),
            vol.Optional("enabled"): cv.boolean,
        }
    ),
    SERVICE_DELETE_ZONE: vol.Schema({**_ENTRY, vol.Required("zone_id"): cv.string}),
    SERVICE_SET_ALERT_RULE: vol.Schema(
        _typed_schema(
            {
                **_ENTRY,
                vol.Optional("rule_id"): cv.string,
                vol.Optional("name"): cv.string,
                vol.Optional("enabled"): cv.boolean,
                vol.Optional("severity"): vol.In(RISK_LEVELS),
                vol.Optional("conditions"): dict,
                vol.Optional("channels"): vol.All(cv.ensure_list, [dict]),
                vol.Optional("behaviours"): vol.All(cv.ensure_list, [vol.In(BEHAVIOUR_KINDS)]),
                **{
                    vol.Optional(name): vol.All(vol.Coerce(int), vol.Range(min=low, max=high))
                    for name, (low, high) in contract.RULE_LIMITS.items()
                },
            }
        )
    ),
    SERVICE_SNOOZE_CAMERA: vol.Schema(
        {
            **_ENTRY,
            vol.Required("camera"): cv.string,
            vol.Optional("minutes", default=60): vol.All(vol.Coerce(int), vol.Range(min=0, max=1440)),
        }
    ),
    SERVICE_LIST_ENTITIES: vol.Schema(
        {
            **_ENTRY,
            vol.Optional("known"): cv.boolean,
            vol.Optional("label"): cv.string,
            vol.Optional("limit"): vol.All(vol.Coerce(int), vol.Range(min=1, max=500)),
        }
    ),
    SERVICE_NAME_ENTITY: vol.Schema(
        {
            **_ENTRY,
            vol.Required("reid_entity"): cv.string,
            vol.Optional("name"): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=64)),
            vol.Optional("known", default=True): cv.boolean,
        }
    ),
    SERVICE_FORGET_ENTITY: vol.Schema({**_ENTRY, vol.Required("reid_entity"): cv.string}),
    SERVICE_ENTITY_HISTORY: vol.Schema(
        {
            **_ENTRY,
            vol.Required("reid_entity"): cv.string,
            vol.Optional("limit"): vol.All(vol.Coerce(int), vol.Range(min=1, max=500)),
        }
    ),
    SERVICE_GIVE_FEEDBACK: vol.Schema(
        {**_ENTRY, vol.Required("event_id"): cv.string, vol.Required("feedback"): vol.In(FEEDBACK_CHOICES)}
    ),
    SERVICE_RESET_FEEDBACK: vol.Schema({**_ENTRY, vol.Optional("camera"): cv.string}),
    SERVICE_ASK: vol.Schema(
        {
            **_ENTRY,
            vol.Required("question"): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=500)),
            vol.Optional("limit"): vol.All(vol.Coerce(int), vol.Range(min=1, max=20)),
        }
    ),
    SERVICE_GET_DIGEST: vol.Schema(
        {
            **_ENTRY,
            vol.Optional("period", default="day"): vol.In(["day", "week"]),
            vol.Optional("date"): cv.date,
        }
    ),
    SERVICE_SET_TRIPWIRE: vol.Schema(
        {
            **_ENTRY,
            vol.Optional("tripwire_id"): cv.string,
            vol.Optional("camera"): cv.string,
            vol.Optional("name"): vol.All(cv.string, vol.Length(min=1, max=64)),
            vol.Optional("a"): _POINT,
            vol.Optional("b"): _POINT,
            vol.Optional("enabled"): cv.boolean,
        }
    ),
    SERVICE_DELETE_TRIPWIRE: vol.Schema({**_ENTRY, vol.Required("tripwire_id"): cv.string}),
    SERVICE_LIST_KNOWN_PLATES: vol.Schema(_ENTRY),
    SERVICE_SET_KNOWN_PLATE: vol.Schema(
        {
            **_ENTRY,
            vol.Required("plate"): _PLATE,
            vol.Optional("name"): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=64)),
        }
    ),
    SERVICE_DELETE_KNOWN_PLATE: vol.Schema({**_ENTRY, vol.Required("plate"): _PLATE}),
    SERVICE_GET_PLATE_READS: vol.Schema(
        {
            **_ENTRY,
            vol.Optional("camera"): cv.string,
            vol.Optional("plate"): _PLATE,
            vol.Optional("limit"): vol.All(vol.Coerce(int), vol.Range(min=1, max=500)),
            vol.Optional("before"): cv.datetime,
        }
    ),
    SERVICE_FORGET_PLATES: vol.Schema({**_ENTRY, vol.Required("camera"): cv.string}),
    SERVICE_LIST_KNOWN_FACES: vol.Schema(_ENTRY),
    SERVICE_ENROL_FACE: vol.Schema(
        {
            **_ENTRY,
            vol.Required("event_id"): vol.All(cv.string, vol.Strip, vol.Length(min=1)),
            vol.Required("track_id"): vol.All(vol.Coerce(int), vol.Range(min=0)),
            vol.Required("name"): _PERSON_NAME,
        }
    ),
    SERVICE_RENAME_KNOWN_FACE: vol.Schema(
        {**_ENTRY, vol.Required("face_id"): _FACE_ID, vol.Required("name"): _PERSON_NAME}
    ),
    SERVICE_DELETE_KNOWN_FACE: vol.Schema({**_ENTRY, vol.Required("face_id"): _FACE_ID}),
    SERVICE_FORGET_FACES: vol.Schema({**_ENTRY, vol.Required("camera"): cv.string}),
}


def _entry(hass: HomeAssistant, call: ServiceCall) -> HsiConfigEntry:
    """The entry an action is for: the one named, or the only loaded one."""
    loaded = [
        entry for entry in hass.config_entries.async_entries(DOMAIN) if entry.state is ConfigEntryState.LOADED
    ]
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        for entry in loaded:
            if entry.entry_id == entry_id:
                return entry
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"entry_id": entry_id},
        )
    if len(loaded) == 1:
        return loaded[0]
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="no_entry_loaded" if not loaded else "entry_ambiguous",
    )


def _identity_entry(hass: HomeAssistant, call: ServiceCall) -> HsiConfigEntry:
    """The entry of a licence plate or face action, refused unless its options hold the user's
    consent."""
    entry = _entry(hass, call)
    if not entry.options.get(CONF_IDENTITY_CONSENT, False):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="identity_consent_required",
            translation_placeholders={"title": entry.title},
        )
    return entry


def _filters(data: dict[str, Any], default_limit: int) -> dict[str, Any]:
    filters: dict[str, Any] = {
        key: data[key]
        for key in ("camera", "min_risk", "level", "object", "reviewed", "limit", "cursor")
        if key in data
    }
    for key in ("since", "until"):
        if key in data:
            filters[key] = dt_util.as_utc(data[key]).isoformat()
    filters.setdefault("limit", default_limit)
    return filters


async def _get_events(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    filters = _filters(dict(call.data), entry.runtime_data.coordinator.event_history)
    async with translate_errors():
        page = await entry.runtime_data.client.get_events(**filters)
    return {"events": page.get("events", []), "next_cursor": page.get("next_cursor")}


async def _search_events(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    filters = _filters(dict(call.data), entry.runtime_data.coordinator.event_history)
    async with translate_errors():
        page = await entry.runtime_data.client.search_events(call.data["query"], **filters)
    return {"events": page.get("events", []), "next_cursor": page.get("next_cursor")}


async def _review_event(call: ServiceCall) -> None:
    entry = _entry(call.hass, call)
    async with translate_errors():
        event = await entry.runtime_data.client.review_event(
            call.data["event_id"], reviewed=call.data["reviewed"], notes=call.data.get("notes")
        )
    entry.runtime_data.coordinator.async_apply_event(event, created=False)


async def _set_zone(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    client = entry.runtime_data.client
    fields = {key: call.data[key] for key in ZONE_FIELDS if key in call.data}
    async with translate_errors():
        if zone_id := call.data.get("zone_id"):
            zones = {str(zone.get("id")): zone for zone in await client.get_zones()}
            if zone_id not in zones:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="zone_not_found",
                    translation_placeholders={"zone_id": zone_id},
                )
            zone = await client.update_zone(zone_id, {**writable(zones[zone_id], ZONE_FIELDS), **fields})
        else:
            missing = [key for key in ("camera", "name", "polygon") if key not in fields]
            if missing:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="zone_fields_missing",
                    translation_placeholders={"fields": ", ".join(missing)},
                )
            zone = await client.create_zone({"zone_type": "other", "priority": 0, "enabled": True, **fields})
    return {"zone": zone}


async def _delete_zone(call: ServiceCall) -> None:
    entry = _entry(call.hass, call)
    async with translate_errors():
        await entry.runtime_data.client.delete_zone(call.data["zone_id"])


async def _set_alert_rule(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    coordinator = entry.runtime_data.coordinator
    fields = {key: call.data[key] for key in RULE_FIELDS if key in call.data}
    async with translate_errors():
        if rule_id := call.data.get("rule_id"):
            if rule_id not in coordinator.data.rules:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="rule_not_found",
                    translation_placeholders={"rule_id": rule_id},
                )
            current = writable(coordinator.data.rules[rule_id], RULE_FIELDS)
            _with_behaviours(fields, call.data, current.get("conditions"))
            rule = await coordinator.client.update_alert_rule(rule_id, {**current, **fields})
        else:
            if "name" not in fields:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="rule_fields_missing",
                    translation_placeholders={"fields": "name"},
                )
            _with_behaviours(fields, call.data, None)
            rule = await coordinator.client.create_alert_rule(fields)
    coordinator.data.rules[str(rule["id"])] = rule
    coordinator.async_update_listeners()
    return {"rule": rule}


def _with_behaviours(fields: dict[str, Any], data: Mapping[str, Any], stored: Any) -> None:
    """Put the `behaviours` field into the rule's conditions (the given ones, else the stored
    ones); an empty list removes the condition."""
    if "behaviours" not in data:
        return
    conditions = dict(fields.get("conditions", stored if isinstance(stored, Mapping) else {}))
    conditions.pop("behaviours", None)
    if data["behaviours"]:
        conditions["behaviours"] = list(dict.fromkeys(data["behaviours"]))
    fields["conditions"] = conditions


async def _snooze_camera(call: ServiceCall) -> None:
    entry = _entry(call.hass, call)
    coordinator = entry.runtime_data.coordinator
    camera_id = call.data["camera"]
    async with translate_errors():
        camera = await coordinator.client.mute_camera(camera_id, call.data["minutes"])
    if current := coordinator.data.cameras.get(camera_id):
        current["muted_until"] = camera.get("muted_until")
        coordinator.async_update_listeners()


async def _list_entities(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    async with translate_errors():
        entities: list[Any] = await entry.runtime_data.client.get_entities(
            known=call.data.get("known"), label=call.data.get("label"), limit=call.data.get("limit")
        )
    return {"entities": entities}


async def _name_entity(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    patch: dict[str, Any] = {"known": call.data["known"]}
    if "name" in call.data:
        patch["name"] = call.data["name"]
    async with translate_errors():
        entity = await entry.runtime_data.client.update_entity(call.data["reid_entity"], patch)
    return {"entity": entity}


async def _entity_history(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    async with translate_errors():
        history = await entry.runtime_data.client.get_entity_history(
            call.data["reid_entity"], call.data.get("limit")
        )
    return {
        "entity": {k: v for k, v in history.items() if k != "history"},
        "history": history.get("history", []),
    }


async def _forget_entity(call: ServiceCall) -> None:
    entry = _entry(call.hass, call)
    async with translate_errors():
        await entry.runtime_data.client.forget_entity(call.data["reid_entity"])


async def _give_feedback(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    feedback = None if call.data["feedback"] == "clear" else call.data["feedback"]
    async with translate_errors():
        event = await entry.runtime_data.client.give_feedback(call.data["event_id"], feedback)
    entry.runtime_data.coordinator.async_apply_event(event, created=False)
    return {"event": event}


async def _reset_feedback(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    async with translate_errors():
        cleared = await entry.runtime_data.client.reset_feedback(call.data.get("camera"))
    return {"cleared": cleared}


async def _ask(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    async with translate_errors():
        result = await entry.runtime_data.client.ask(call.data["question"], call.data.get("limit"))
    return ask_response(result)


def ask_response(result: Mapping[str, Any]) -> dict[str, Any]:
    """The answer, the cited events and the ids of those events (for templates)."""
    citations = [dict(c) for c in result.get("citations") or [] if isinstance(c, Mapping)]
    return {
        "answer": str(result.get("answer", "")),
        # "extractive" or "llm:<backend>"; absent from servers before the LLM answers
        "answered_by": str(result.get("answered_by") or "extractive"),
        "event_ids": [str(c.get("id")) for c in citations],
        "citations": citations,
        "understood": dict(result.get("understood") or {}),
    }


async def _get_digest(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    day = call.data.get("date")
    async with translate_errors():
        digest = await entry.runtime_data.client.get_digest(
            call.data["period"], day.isoformat() if day else None
        )
    return digest


async def _set_tripwire(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    client = entry.runtime_data.client
    fields = {key: call.data[key] for key in TRIPWIRE_FIELDS if key in call.data}
    async with translate_errors():
        if tripwire_id := call.data.get("tripwire_id"):
            tripwires = {str(t.get("id")): t for t in await client.get_tripwires()}
            if tripwire_id not in tripwires:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="tripwire_not_found",
                    translation_placeholders={"tripwire_id": tripwire_id},
                )
            current = writable(tripwires[tripwire_id], TRIPWIRE_FIELDS)
            tripwire = await client.update_tripwire(tripwire_id, {**current, **fields})
        else:
            missing = [key for key in ("camera", "name", "a", "b") if key not in fields]
            if missing:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="tripwire_fields_missing",
                    translation_placeholders={"fields": ", ".join(missing)},
                )
            tripwire = await client.create_tripwire({"enabled": True, **fields})
    return {"tripwire": tripwire}


async def _delete_tripwire(call: ServiceCall) -> None:
    entry = _entry(call.hass, call)
    async with translate_errors():
        await entry.runtime_data.client.delete_tripwire(call.data["tripwire_id"])


# Licence plates: the plate text is passed through, never logged (see api._redact for errors).
async def _list_known_plates(call: ServiceCall) -> ServiceResponse:
    entry = _identity_entry(call.hass, call)
    async with translate_errors():
        plates: list[Any] = await entry.runtime_data.client.get_known_plates()
    return {"plates": plates}


async def _set_known_plate(call: ServiceCall) -> ServiceResponse:
    entry = _identity_entry(call.hass, call)
    async with translate_errors():
        plate = await entry.runtime_data.client.set_known_plate(call.data["plate"], call.data.get("name"))
    return {"plate": plate}


async def _delete_known_plate(call: ServiceCall) -> None:
    entry = _identity_entry(call.hass, call)
    async with translate_errors():
        await entry.runtime_data.client.delete_known_plate(call.data["plate"])


async def _get_plate_reads(call: ServiceCall) -> ServiceResponse:
    entry = _identity_entry(call.hass, call)
    before = call.data.get("before")
    async with translate_errors():
        reads: list[Any] = await entry.runtime_data.client.get_plate_reads(
            camera=call.data.get("camera"),
            plate=call.data.get("plate"),
            limit=call.data.get("limit"),
            before=dt_util.as_utc(before).isoformat() if before else None,
        )
    return {"reads": reads}


async def _forget_plates(call: ServiceCall) -> ServiceResponse:
    entry = _identity_entry(call.hass, call)
    async with translate_errors():
        result = await entry.runtime_data.client.forget_plates(call.data["camera"])
    return {
        "camera": str(result.get("camera", call.data["camera"])),
        "deleted": int(result.get("deleted", 0)),
    }


# Faces: a person's name is passed through, never logged (see api._redact for errors).
async def _list_known_faces(call: ServiceCall) -> ServiceResponse:
    entry = _identity_entry(call.hass, call)
    async with translate_errors():
        faces: list[Any] = await entry.runtime_data.client.get_known_faces()
    return {"faces": faces}


async def _enrol_face(call: ServiceCall) -> ServiceResponse:
    entry = _identity_entry(call.hass, call)
    event_id, track_id = call.data["event_id"], call.data["track_id"]
    async with translate_errors():
        try:
            face = await entry.runtime_data.client.enrol_face(event_id, track_id, call.data["name"])
        except HsiApiError as err:
            if err.status != 404:
                raise
            # The server keeps a face only for cameras that opted in, and only for a while.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="face_not_stored",
                translation_placeholders={"event_id": event_id, "track_id": str(track_id)},
            ) from err
    return {"face": face}


async def _rename_known_face(call: ServiceCall) -> ServiceResponse:
    entry = _identity_entry(call.hass, call)
    async with translate_errors():
        face = await entry.runtime_data.client.rename_known_face(call.data["face_id"], call.data["name"])
    return {"face": face}


async def _delete_known_face(call: ServiceCall) -> None:
    entry = _identity_entry(call.hass, call)
    async with translate_errors():
        await entry.runtime_data.client.delete_known_face(call.data["face_id"])


async def _forget_faces(call: ServiceCall) -> ServiceResponse:
    entry = _identity_entry(call.hass, call)
    async with translate_errors():
        result = await entry.runtime_data.client.forget_faces(call.data["camera"])
    return {
        "camera": str(result.get("camera", call.data["camera"])),
        "deleted": int(result.get("deleted", 0)),
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, in async_setup)."""
    handlers = {
        SERVICE_GET_EVENTS: (_get_events, SupportsResponse.ONLY),
        SERVICE_SEARCH_EVENTS: (_search_events, SupportsResponse.ONLY),
        SERVICE_REVIEW_EVENT: (_review_event, SupportsResponse.NONE),
        SERVICE_SET_ZONE: (_set_zone, SupportsResponse.OPTIONAL),
        SERVICE_DELETE_ZONE: (_delete_zone, SupportsResponse.NONE),
        SERVICE_SET_ALERT_RULE: (_set_alert_rule, SupportsResponse.OPTIONAL),
        SERVICE_SNOOZE_CAMERA: (_snooze_camera, SupportsResponse.NONE),
        SERVICE_LIST_ENTITIES: (_list_entities, SupportsResponse.ONLY),
        SERVICE_NAME_ENTITY: (_name_entity, SupportsResponse.OPTIONAL),
        SERVICE_FORGET_ENTITY: (_forget_entity, SupportsResponse.NONE),
        SERVICE_ENTITY_HISTORY: (_entity_history, SupportsResponse.ONLY),
        SERVICE_GIVE_FEEDBACK: (_give_feedback, SupportsResponse.OPTIONAL),
        SERVICE_RESET_FEEDBACK: (_reset_feedback, SupportsResponse.OPTIONAL),
        SERVICE_ASK: (_ask, SupportsResponse.ONLY),
        SERVICE_GET_DIGEST: (_get_digest, SupportsResponse.ONLY),
        SERVICE_SET_TRIPWIRE: (_set_tripwire, SupportsResponse.OPTIONAL),
        SERVICE_DELETE_TRIPWIRE: (_delete_tripwire, SupportsResponse.NONE),
        SERVICE_LIST_KNOWN_PLATES: (_list_known_plates, SupportsResponse.ONLY),
        SERVICE_SET_KNOWN_PLATE: (_set_known_plate, SupportsResponse.OPTIONAL),
        SERVICE_DELETE_KNOWN_PLATE: (_delete_known_plate, SupportsResponse.NONE),
        SERVICE_GET_PLATE_READS: (_get_plate_reads, SupportsResponse.ONLY),
        SERVICE_FORGET_PLATES: (_forget_plates, SupportsResponse.OPTIONAL),
        SERVICE_LIST_KNOWN_FACES: (_list_known_faces, SupportsResponse.ONLY),
        SERVICE_ENROL_FACE: (_enrol_face, SupportsResponse.OPTIONAL),
        SERVICE_RENAME_KNOWN_FACE: (_rename_known_face, SupportsResponse.OPTIONAL),
        SERVICE_DELETE_KNOWN_FACE: (_delete_known_face, SupportsResponse.NONE),
        SERVICE_FORGET_FACES: (_forget_faces, SupportsResponse.OPTIONAL),
    }
    for name, (handler, supports_response) in handlers.items():
        hass.services.async_register(
            DOMAIN, name, handler, schema=SCHEMAS[name], supports_response=supports_response
        )
