"""Zones as clients write them: the fields and the zone types."""

from __future__ import annotations

from typing import Final, Literal, get_args

ZoneType = Literal["entry_point", "driveway", "sidewalk", "yard", "other"]
ZONE_TYPES: Final[tuple[str, ...]] = get_args(ZoneType)

# What POST/PUT /api/zones accept (a stored zone also has its id).
ZONE_FIELDS: Final[tuple[str, ...]] = ("camera", "name", "zone_type", "priority", "polygon", "enabled")
