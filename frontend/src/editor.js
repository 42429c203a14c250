// The card's visual editor: Home Assistant's own form element with selectors.
import { LitElement, html, nothing } from "lit";

const SCHEMA = [
  { name: "title", selector: { text: {} } },
  {
    name: "config_entry_id",
    selector: { config_entry: { integration: "home_security_intelligence" } },
  },
  { name: "camera", selector: { text: {} } },
  {
    name: "level",
    selector: {
      select: {
        mode: "dropdown",
        options: [
          { value: "low", label: "Any level" },
          { value: "medium", label: "Medium and above" },
          { value: "high", label: "High and above" },
          { value: "critical", label: "Critical only" },
        ],
      },
    },
  },
  {
    name: "views",
    selector: {
      select: {
        multiple: true,
        options: [
          { value: "events", label: "Events" },
          { value: "ask", label: "Ask" },
          { value: "camera", label: "Cameras (tripwires, timeline)" },
        ],
      },
    },
  },
  {
    type: "grid",
    name: "",
    schema: [
      { name: "unreviewed_only", selector: { boolean: {} } },
      { name: "show_filters", selector: { boolean: {} } },
    ],
  },
  {
    type: "grid",
    name: "",
    schema: [
      { name: "page_size", selector: { number: { min: 1, max: 100, mode: "box" } } },
      { name: "height", selector: { number: { min: 160, max: 2000, step: 20, mode: "box", unit_of_measurement: "px" } } },
      { name: "refresh_interval", selector: { number: { min: 10, max: 3600, mode: "box", unit_of_measurement: "s" } } },
    ],
  },
];

export const LABELS = {
  title: "Title",
  config_entry_id: "Server (only with several)",
  camera: "Camera (folder name) shown first",
  level: "Level shown first",
  unreviewed_only: "Unreviewed only",
  show_filters: "Show filters",
  page_size: "Events per page",
  height: "Timeline height",
  refresh_interval: "Fallback refresh",
  views: "Tabs (the first opens)",
};

export class EventsCardEditor extends LitElement {
  static properties = {
    hass: { attribute: false },
    _config: { state: true },
  };

  setConfig(config) {
    this._config = { ...config };
  }

  render() {
    if (!this.hass || !this._config) return nothing;
    const data = { show_filters: true, unreviewed_only: false, page_size: 20, height: 480, refresh_interval: 60, ...this._config };
    return html`<ha-form
      .hass=${this.hass}
      .data=${data}
      .schema=${SCHEMA}
      .computeLabel=${(field) => LABELS[field.name] || field.name}
      @value-changed=${(e) => this._changed(e)}
    ></ha-form>`;
  }

  _changed(e) {
    e.stopPropagation();
    const config = { ...e.detail.value };
    for (const key of Object.keys(config)) {
      if (config[key] === "" || config[key] === undefined || config[key] === null) delete config[key];
    }
    if (config.level === "low") delete config.level;
    if (Array.isArray(config.views) && !config.views.length) delete config.views;
    this._config = config;
    this.dispatchEvent(new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }));
  }
}
