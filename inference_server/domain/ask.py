"""Understanding a question about the event history, deterministically.

`parse_question("did any unknown vehicles park in the driveway last night?", now, cameras)` gives
the structured filters (time range in the home's time zone, cameras, object categories, known or
unknown, a minimum risk level) and the words left for full-text search. Time expressions:
today, yesterday, tonight, last night, this morning/afternoon/evening, this/last week, this
month, the last N hours/days, since <weekday> [<time>], on <weekday>, and "between H and H" (a
bare 1-7 means the afternoon/evening: "between 2 and 4" is 14:00-16:00).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

CATEGORY_WORDS: Final[dict[str, str]] = {
    **dict.fromkeys(
        ("person", "persons", "people", "someone", "somebody", "anyone", "anybody", "man", "men", "woman",
         "women", "stranger", "strangers", "visitor", "visitors", "intruder", "intruders", "prowler", "kid",
         "kids", "child", "children"),
        "person",
    ),
    **dict.fromkeys(
        ("vehicle", "vehicles", "car", "cars", "van", "vans", "truck", "trucks", "suv", "motorcycle",
         "motorbike", "bus", "lorry"),
        "vehicle",
    ),
    **dict.fromkeys(
        ("animal", "animals", "dog", "dogs", "cat", "cats", "fox", "foxes", "raccoon", "raccoons", "deer",
         "bear", "wildlife", "pet", "pets", "bird", "birds"),
        "animal",
    ),
    **dict.fromkeys(("package", "packages", "parcel", "parcels", "delivery", "deliveries"), "package"),
}  # fmt: skip
# Labels a category covers, for filtering stored events by their `objects`.
CATEGORY_LABELS: Final[dict[str, tuple[str, ...]]] = {
    "person": ("person",),
    "vehicle": ("car", "truck", "bus", "motorcycle", "bicycle", "vehicle", "van"),
    "animal": ("dog", "cat", "bird", "horse", "sheep", "cow", "bear", "animal", "fox", "raccoon", "deer"),
    "package": ("package", "suitcase", "backpack", "handbag"),
}
_UNKNOWN: Final = frozenset(
    {"unknown", "stranger", "strangers", "unfamiliar", "unrecognised", "unrecognized"}
)
_KNOWN: Final = frozenset({"known", "family", "familiar", "resident", "residents"})
_RISK: Final[dict[str, str]] = {
    "suspicious": "medium",
    "unusual": "medium",
    "worrying": "medium",
    "alarming": "high",
    "dangerous": "high",
    "threat": "high",
    "threats": "high",
    "intrusion": "high",
    "break-in": "critical",
    "critical": "critical",
}
_STOP: Final = frozenset(
    "a an the any anything anyone did do does was were is are there has have had in on at of to for by "
    "from and or with what which who when where how many much show me list tell all my our we i this "
    "that last past since between during night morning afternoon evening today yesterday tonight week "
    "month months hours hour days day weeks minutes ago around near".split()
)


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """The filters a question implies and the words left over for text search."""

    since: datetime | None = None
    until: datetime | None = None
    cameras: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    known: bool | None = None
    min_level: str | None = None
    terms: tuple[str, ...] = ()
    time_phrase: str | None = None
    night: bool = False  # "at night", "after dark": only events that started 21:00-05:59 local time


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _hour(text: str, suffix: str | None, *, bare_is_pm: bool) -> int:
    hour = int(text) % 24
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    elif suffix is None and bare_is_pm and 1 <= hour <= 7:
        hour += 12
    return hour


_TIME = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?"


def parse_time_range(text: str, now: datetime) -> tuple[datetime | None, datetime | None, str | None]:
    """The [since, until) range a question names, in `now`'s time zone (None, None when none)."""
    q = text.lower()
    today = _day_start(now)
    since: datetime | None = None
    until: datetime | None = None
    phrase: str | None = None

    def found(s: datetime | None, u: datetime | None, p: str) -> None:
        nonlocal since, until, phrase
        if phrase is None:
            since, until, phrase = s, u, p

    if m := re.search(
        r"\b(?:in the |over the )?(?:last|past) (\d{1,3}) (hour|hours|day|days|week|weeks)\b", q
    ):
        n = int(m.group(1))
        unit = m.group(2)
        delta = (
            timedelta(hours=n)
            if unit.startswith("hour")
            else timedelta(days=n * (7 if "week" in unit else 1))
        )
        found(now - delta, now, m.group(0))
    if m := re.search(r"\blast night\b", q):
        start = today - timedelta(days=1)
        found(start.replace(hour=18), today.replace(hour=6) if now.hour >= 6 else now, m.group(0))
    if m := re.search(r"\btonight\b", q):
        found(today.replace(hour=18), today + timedelta(days=1, hours=6), m.group(0))
    for part, (h0, h1) in (("morning", (6, 12)), ("afternoon", (12, 17)), ("evening", (17, 22))):
        if m := re.search(rf"\b(this|yesterday) {part}\b", q):
            base = today if m.group(1) == "this" else today - timedelta(days=1)
            found(base.replace(hour=h0), base.replace(hour=h1), m.group(0))
    if m := re.search(r"\bthis week\b", q):
        found(today - timedelta(days=now.weekday()), now, m.group(0))
    if m := re.search(r"\blast week\b", q):
        monday = today - timedelta(days=now.weekday())
        found(monday - timedelta(days=7), monday, m.group(0))
    if m := re.search(r"\bthis month\b", q):
        found(today.replace(day=1), now, m.group(0))
    if m := re.search(rf"\bsince ({'|'.join(WEEKDAYS)})(?: (?:at )?{_TIME})?", q):
        back = (now.weekday() - WEEKDAYS.index(m.group(1))) % 7 or 7
        start = today - timedelta(days=back)
        if m.group(2):
            start = start.replace(
                hour=_hour(m.group(2), m.group(4), bare_is_pm=False), minute=int(m.group(3) or 0)
            )
        found(start, now, m.group(0))
    if m := re.search(rf"\bon ({'|'.join(WEEKDAYS)})\b", q):
        back = (now.weekday() - WEEKDAYS.index(m.group(1))) % 7 or 7
        start = today - timedelta(days=back)
        found(start, start + timedelta(days=1), m.group(0))
    day: datetime | None = None
    if re.search(r"\byesterday\b", q):
        day = today - timedelta(days=1)
    elif re.search(r"\btoday\b", q):
        day = today
    between = re.search(rf"\bbetween {_TIME} and {_TIME}", q)
    if between:
        base = day or (since if phrase and since is not None else today)
        base = _day_start(base)
        h0 = _hour(between.group(1), between.group(3) or between.group(6), bare_is_pm=True)
        h1 = _hour(between.group(4), between.group(6), bare_is_pm=True)
        start = base.replace(hour=h0, minute=int(between.group(2) or 0))
        end = base.replace(hour=h1, minute=int(between.group(5) or 0))
        if end <= start:
            end += timedelta(days=1)
        since, until, phrase = (
            start,
            end,
            between.group(0) if phrase is None else f"{phrase} {between.group(0)}",
        )
    elif day is not None:
        found(day, day + timedelta(days=1), "yesterday" if day < today else "today")
    return since, until, phrase


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9][a-z0-9'_-]*", text.lower())


def parse_question(
    text: str,
    now: datetime,
    cameras: Mapping[str, str] | None = None,
    zones: Mapping[str, str] | None = None,
) -> ParsedQuestion:
    """Parse a question; `cameras`/`zones` map lower-case names (and slugs) to camera slugs / zone names.

    `now` must be aware, in the home's time zone: relative times are taken in it.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (the home's time zone)")
    since, until, phrase = parse_time_range(text, now)
    lowered = " " + re.sub(r"[^a-z0-9_\- ]+", " ", text.lower().replace("_", " ")) + " "
    found_cameras: list[str] = []
    for name, slug in sorted((cameras or {}).items(), key=lambda kv: -len(kv[0])):
        label = " " + name.lower().replace("_", " ") + " "
        if label in lowered and slug not in found_cameras:
            found_cameras.append(slug)
            lowered = lowered.replace(label, " ")
    found_zones: list[str] = []
    for name, zone in sorted((zones or {}).items(), key=lambda kv: -len(kv[0])):
        label = " " + name.lower().replace("_", " ") + " "
        if label in lowered and zone not in found_zones:
            found_zones.append(zone)
            lowered = lowered.replace(label, " ")
    words = _words(lowered)
    categories = list(dict.fromkeys(CATEGORY_WORDS[w] for w in words if w in CATEGORY_WORDS))
    known: bool | None = None
    if any(w in _UNKNOWN for w in words):
        known = False
    elif any(w in _KNOWN for w in words):
        known = True
    levels = [_RISK[w] for w in words if w in _RISK]
    order = ("low", "medium", "high", "critical")
    min_level = max(levels, key=order.index) if levels else None
    # Generic words only set filters; specific ones ("van", "birds", "parcel", "stranger") also
    # search the text, where the stemmer matches "vans" to "van".
    generic = {"person", "persons", "people", "someone", "somebody", "anyone", "anybody", "vehicle",
               "vehicles", "animal", "animals", "known", "unknown"}  # fmt: skip
    ignored = _STOP | generic | set(_RISK) | set(WEEKDAYS)
    terms = tuple(dict.fromkeys(w for w in words if w not in ignored and not w.isdigit() and len(w) > 2))
    return ParsedQuestion(
        since=since,
        until=until,
        cameras=tuple(found_cameras),
        zones=tuple(found_zones),
        categories=tuple(categories),
        known=known,
        min_level=min_level,
        terms=terms,
        time_phrase=phrase,
        night=bool(re.search(r"\b(at night|after dark|overnight|nighttime|night-time)\b", text.lower())),
    )


def rrf(rankings: Mapping[str, list[str]], k: int = 60) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of several ranked id lists: best fused score first."""
    scores: dict[str, float] = {}
    for ranked in rankings.values():
        for rank, item in enumerate(ranked):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


# --- the text document each event is embedded as ----------------------------------------------

_PART_OF_DAY: Final = ((5, "early morning"), (9, "morning"), (12, "midday"), (14, "afternoon"),
                       (17, "evening"), (21, "night"))  # fmt: skip
_CATEGORY_NAME: Final = {"person": "person", "vehicle": "vehicle", "animal": "animal", "package": "package"}


def part_of_day(hour: int) -> str:
    """Words for a local hour: 21:00-04:59 is night, then early morning, morning, midday..."""
    name = "night"
    for start, words in _PART_OF_DAY:
        if hour >= start:
            name = words
    return name


def event_document(
    *,
    camera_name: str,
    started_at: datetime,
    summary: str,
    reasoning: str,
    objects: Mapping[str, int],
    zones: list[str] | tuple[str, ...],
    attributes: list[str] | tuple[str, ...],
    risk_level: str,
    notes: str = "",
) -> str:
    """The text an event is embedded as: what happened, what was seen where, when in local words.

    `started_at` must be in the home's time zone (the words say "Monday evening"). Deterministic:
    equal events give equal documents (and so share one embedding).
    """
    seen = []
    for label, count in sorted(objects.items()):
        category = next((c for c, labels in CATEGORY_LABELS.items() if label in labels), None)
        word = label if count == 1 else f"{count} {label}s"
        seen.append(word if category in (None, label) else f"{word} ({_CATEGORY_NAME[category]})")
    cues = [a.replace("_", " ") for a in attributes]
    known = any(a in ("known_resident", "known_vehicle") for a in attributes)
    parts = [
        summary.strip().rstrip(".") + ".",
        reasoning.strip(),
        f"Seen: {', '.join(seen)}." if seen else "",
        f"Zones: {', '.join(z.replace('_', ' ') for z in zones)}." if zones else "",
        f"Camera: {camera_name}.",
        f"{started_at.strftime('%A')} {part_of_day(started_at.hour)}, {started_at.strftime('%H:%M')}.",
        f"Cues: {', '.join(cues)}." if cues else "",
        "Known, recognised." if known else "",
        f"Risk: {risk_level}.",
        f"Notes: {notes.strip()}" if notes.strip() else "",
    ]
    return " ".join(p for p in parts if p)


def question_for_embedding(text: str, parsed: ParsedQuestion) -> str:
    """The question as embedded: without its time phrase (the filters already hold the time)."""
    q = text
    if parsed.time_phrase:
        q = re.sub(re.escape(parsed.time_phrase), " ", q, flags=re.IGNORECASE)
    return " ".join(q.split()) or text
