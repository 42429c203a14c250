// Display helpers: times in the home's time zone, object counts, durations.

// Events happen at the home, so their times are shown in the home's time zone (Home Assistant's
// hass.config.time_zone), whatever zone the phone or browser is in. The profile's "local" setting
// is Home Assistant's default, so it cannot tell a deliberate choice apart: it is not followed.
export function timeZoneOf(hass) {
  return (hass && hass.config && hass.config.time_zone) || undefined;
}

export function languageOf(hass) {
  return (hass && ((hass.locale && hass.locale.language) || hass.language)) || "en";
}

const formatters = new Map();

function formatter(hass, options) {
  const zone = timeZoneOf(hass);
  const language = languageOf(hass);
  const key = `${language}|${zone}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) {
    let made;
    try {
      made = new Intl.DateTimeFormat(language, { ...options, timeZone: zone });
    } catch (_err) {
      made = new Intl.DateTimeFormat("en", { ...options, timeZone: zone });
    }
    formatters.set(key, made);
  }
  return formatters.get(key);
}

export function formatDateTime(iso, hass) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return formatter(hass, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

export function formatTime(iso, hass) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return formatter(hass, { timeStyle: "short" }).format(date);
}

export function formatObjects(objects) {
  return Object.entries(objects || {})
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, count]) => `${count} ${count === 1 ? label : plural(label)}`)
    .join(", ");
}

function plural(label) {
  if (label === "bus") return "buses";
  if (label.endsWith("s")) return label;
  if (label === "person") return "people";
  if (label.endsWith("y") && !/[aeiou]y$/.test(label)) return `${label.slice(0, -1)}ies`;
  if (/(ch|sh|x)$/.test(label)) return `${label}es`;
  return `${label}s`;
}

export function formatDuration(startIso, endIso) {
  const seconds = Math.max(0, Math.round((new Date(endIso) - new Date(startIso)) / 1000));
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${seconds % 60} s`;
}

export function formatDay(iso, hass) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return formatter(hass, { weekday: "short", day: "numeric", month: "short", year: "numeric" }).format(date);
}
