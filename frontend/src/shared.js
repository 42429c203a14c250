// What the card's views share: the integration's domain, error text, the score badge and the
// style of an event row (thumbnail, camera, time, summary).
import { css, html } from "lit";
import { levelStyle } from "./levels.js";

export const DOMAIN = "home_security_intelligence";

export function describe(err) {
  if (!err) return "unknown error";
  if (typeof err === "string") return err;
  return err.message || err.code || String(err);
}

export function badge(event) {
  const style = levelStyle(event.risk_level);
  return html`<span
    class="badge"
    style="background:${style.background};color:${style.text}"
    data-level=${event.risk_level || "unknown"}
    aria-label="Risk ${event.risk_score}, ${style.label}"
    ><b>${event.risk_score}</b> ${style.label}</span
  >`;
}

// Adds config_entry_id to a message or action's data when the card knows its server.
export const withEntry = (entryId, data) => (entryId ? { ...data, config_entry_id: entryId } : data);

export const openEvent = (element, event) =>
  element.dispatchEvent(new CustomEvent("hsi-open", { detail: { event }, bubbles: true, composed: true }));

export const rowStyles = css`
  :host([hidden]),
  [hidden] {
    display: none !important;
  }
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .row {
    display: flex;
    gap: 12px;
    width: 100%;
    padding: 8px;
    border: 0;
    border-radius: 8px;
    background: none;
    color: inherit;
    font: inherit;
    text-align: left;
    cursor: pointer;
  }
  .row:hover,
  .row:focus-visible {
    background: var(--secondary-background-color, rgba(127, 127, 127, 0.12));
  }
  .thumb {
    flex: 0 0 auto;
    width: 112px;
    height: 63px;
    object-fit: cover;
    border-radius: 6px;
    background: var(--secondary-background-color, #e0e0e0);
  }
  .thumb.missing {
    visibility: hidden;
  }
  .text {
    display: flex;
    flex-direction: column;
    gap: 3px;
    min-width: 0;
    flex: 1;
  }
  .camera {
    font-weight: 600;
    color: var(--primary-text-color);
  }
  time,
  .muted {
    color: var(--secondary-text-color);
  }
  .badge {
    display: inline-block;
    border-radius: 10px;
    padding: 1px 8px;
    font-size: 0.95em;
    line-height: 1.5;
    white-space: nowrap;
  }
  .error {
    color: var(--error-color, #b71c1c);
  }
  input,
  select,
  button {
    font: inherit;
  }
  input:not([type="checkbox"]),
  select {
    color: var(--primary-text-color);
    background: var(--card-background-color, #fff);
    border: 1px solid var(--divider-color, #ccc);
    border-radius: 6px;
    padding: 4px 6px;
  }
  button.act {
    color: var(--primary-color, #0277bd);
    background: none;
    border: 1px solid currentColor;
    border-radius: 16px;
    padding: 4px 14px;
    cursor: pointer;
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  @media (max-width: 450px) {
    .thumb {
      width: 84px;
      height: 56px;
    }
  }
`;
