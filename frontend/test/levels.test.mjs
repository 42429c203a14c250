// The badge colours: readable (WCAG AA, >= 4.5:1 for normal text) and distinct from each other.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LEVELS, LEVEL_STYLE, UNKNOWN_STYLE, contrastRatio, levelsFrom, luminance } from "../src/levels.js";

test("contrast ratio matches the WCAG definition on known pairs", () => {
  assert.equal(contrastRatio("#000000", "#ffffff").toFixed(2), "21.00");
  assert.equal(contrastRatio("#ffffff", "#ffffff").toFixed(2), "1.00");
  // #767676 on white is the classic just-passing grey (4.54:1).
  assert.equal(contrastRatio("#767676", "#ffffff").toFixed(2), "4.54");
});

test("every level's badge text meets WCAG AA on its background", () => {
  for (const style of [...LEVELS.map((level) => LEVEL_STYLE[level]), UNKNOWN_STYLE]) {
    const ratio = contrastRatio(style.background, style.text);
    assert.ok(ratio >= 4.5, `${style.label}: ${ratio.toFixed(2)}:1 is below 4.5:1`);
  }
});

test("neighbouring levels are told apart by more than hue", () => {
  // Adjacent levels differ in lightness (luminance ratio) or in text colour, so they stay apart
  // for colour-blind readers; the label is written out as well.
  for (let i = 1; i < LEVELS.length; i += 1) {
    const a = LEVEL_STYLE[LEVELS[i - 1]];
    const b = LEVEL_STYLE[LEVELS[i]];
    const apart = contrastRatio(a.background, b.background) >= 1.3 || a.text !== b.text;
    assert.ok(apart, `${a.label} and ${b.label} look alike`);
    assert.notEqual(a.label, b.label);
  }
  assert.ok(luminance(LEVEL_STYLE.medium.background) > luminance(LEVEL_STYLE.critical.background));
});

test("an 'at least' filter selects that level and the ones above", () => {
  assert.deepEqual(levelsFrom("high"), ["high", "critical"]);
  assert.deepEqual(levelsFrom("low"), LEVELS);
  assert.deepEqual(levelsFrom("bogus"), []);
});
