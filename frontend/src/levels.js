// Risk levels: the badge colours and what the card shows for each level.
// The bands themselves (score -> level) are the server's; the card only displays `risk_level`.
// Each pair of background and text colour meets WCAG AA for normal text (contrast >= 4.5:1);
// test/levels.test.mjs computes the ratios. The level is also written out, so colour is never the
// only cue.

export const LEVELS = ["low", "medium", "high", "critical"];

export const LEVEL_STYLE = {
  low: { background: "#2e7d32", text: "#ffffff", label: "Low" },
  medium: { background: "#fdd835", text: "#212121", label: "Medium" },
  high: { background: "#ef6c00", text: "#000000", label: "High" },
  critical: { background: "#b71c1c", text: "#ffffff", label: "Critical" },
};

export const UNKNOWN_STYLE = { background: "#616161", text: "#ffffff", label: "Unknown" };

export function levelStyle(level) {
  return LEVEL_STYLE[level] || UNKNOWN_STYLE;
}

// Filter choices: "at least this level", sent to the server as a comma list.
export const LEVEL_FILTERS = [
  { value: "", label: "Any level" },
  { value: "medium", label: "Medium and above" },
  { value: "high", label: "High and above" },
  { value: "critical", label: "Critical only" },
];

export function levelsFrom(minimum) {
  const start = LEVELS.indexOf(minimum);
  return start < 0 ? [] : LEVELS.slice(start);
}

// WCAG 2.x relative luminance and contrast ratio of two #rrggbb colours.
export function luminance(hex) {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
