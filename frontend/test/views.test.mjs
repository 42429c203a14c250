// The Ask box's answer text and the camera view's geometry and day grouping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { numberCitations, understoodText } from "../src/ask.js";
import { groupByDay, inwardTick } from "../src/camera.js";

test("cited event ids in the answer become the numbers of the cited rows", () => {
  const citations = [{ id: "3f0c-aa" }, { id: "9b1d-bb" }];
  assert.equal(
    numberCitations("A van [3f0c-aa]. Then a car [9b1d-bb, 3f0c-aa]. Not [zz].", citations),
    "A van [1]. Then a car [2, 1]. Not [zz].",
  );
  assert.equal(numberCitations(undefined, []), "");
});

test("what the server understood reads as words", () => {
  const understood = { time_phrase: "this week", cameras: ["driveway"], zones: [], categories: ["vehicle"], known: false };
  assert.equal(understoodText(understood), "this week · driveway · vehicle · unknown");
  assert.equal(understoodText({ min_level: "high", known: true }), "known · high and above");
  assert.equal(understoodText(null), "");
});

test("the 'in' tick points to the right of a->b (down the picture for a left-to-right line)", () => {
  const [mid, tip] = inwardTick([0.1, 0.5], [0.9, 0.5]);
  assert.deepEqual(mid, [0.5, 0.5]);
  assert.ok(tip[1] > mid[1] && Math.abs(tip[0] - mid[0]) < 1e-9);
  const [, up] = inwardTick([0.9, 0.5], [0.1, 0.5]);
  assert.ok(up[1] < 0.5);
});

test("the timeline groups events by the home's day, newest first", () => {
  const hass = { config: { time_zone: "America/New_York" }, locale: { language: "en" } };
  const days = groupByDay(
    [
      { id: "c", started_at: "2025-01-02T15:00:00+00:00" },
      { id: "b", started_at: "2025-01-02T04:00:00+00:00" }, // still Jan 1 in New York
      { id: "a", started_at: "2025-01-01T06:00:00+00:00" },
    ],
    hass,
  );
  assert.deepEqual(
    days.map((d) => [d.day, d.events.map((e) => e.id)]),
    [
      ["Thu, Jan 2, 2025", ["c"]],
      ["Wed, Jan 1, 2025", ["b", "a"]],
    ],
  );
});
