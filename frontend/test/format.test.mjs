// Times are shown in the home's time zone (Home Assistant's), not the browser's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDateTime, formatObjects, formatTime, timeZoneOf } from "../src/format.js";

const hass = (zone, profile = "server") => ({
  config: { time_zone: zone },
  locale: { language: "en", time_zone: profile },
});

test("times use Home Assistant's time zone", () => {
  const iso = "2025-01-02T03:04:05+00:00";
  assert.equal(formatTime(iso, hass("America/New_York")), "10:04 PM");
  assert.equal(formatTime(iso, hass("Asia/Tokyo")), "12:04 PM");
  assert.match(formatDateTime(iso, hass("America/New_York")), /Jan 1, 2025.*10:04 PM/);
});

test("the home's zone wins over the profile's default 'local'", () => {
  assert.equal(timeZoneOf(hass("Asia/Tokyo", "local")), "Asia/Tokyo");
  assert.equal(timeZoneOf({}), undefined);
});

test("bad timestamps render as nothing rather than 'Invalid Date'", () => {
  assert.equal(formatDateTime("not a time", hass("UTC")), "");
});

test("objects read as counts, most first", () => {
  assert.equal(formatObjects({ car: 2, person: 1, dog: 0 }), "2 cars, 1 person");
  assert.equal(formatObjects({ person: 3, bus: 1 }), "3 people, 1 bus");
  assert.equal(formatObjects({}), "");
});
