// Home Security Intelligence: a small Lovelace card listing recent events, coloured by risk level.
// Usage:  type: custom:hsi-events-card
//         limit: 10               (optional)
//         camera: front_door      (optional)
//         config_entry_id: ...    (optional, only with several servers)
const LEVEL_COLOURS = {
  low: "var(--success-color, #43a047)",
  medium: "var(--warning-color, #ffa000)",
  high: "var(--orange-color, #f4511e)",
  critical: "var(--error-color, #d32f2f)",
};
const REFRESH_MS = 60000;

class HsiEventsCard extends HTMLElement {
  setConfig(config) {
    this._config = { limit: 10, title: "Security events", ...config };
    this._events = [];
    this._error = null;
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    if (first) {
      this._load();
      this._timer = setInterval(() => this._load(), REFRESH_MS);
      hass.connection
        .subscribeEvents(() => this._load(), "home_security_intelligence_event")
        .then((unsub) => (this._unsub = unsub))
        .catch(() => {});
    }
  }

  disconnectedCallback() {
    clearInterval(this._timer);
    if (this._unsub) this._unsub();
    this._hass = undefined;
  }

  async _load() {
    if (!this._hass) return;
    const data = { limit: this._config.limit };
    for (const key of ["camera", "config_entry_id", "min_risk"]) {
      if (this._config[key] !== undefined) data[key] = this._config[key];
    }
    try {
      const result = await this._hass.callWS({
        type: "call_service",
        domain: "home_security_intelligence",
        service: "get_events",
        service_data: data,
        return_response: true,
      });
      this._events = (result.response && result.response.events) || [];
      this._error = null;
    } catch (err) {
      this._error = (err && err.message) || String(err);
    }
    this._render();
  }

  _render() {
    if (!this.shadowRoot) this.attachShadow({ mode: "open" });
    const esc = (s) =>
      String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const rows = this._events
      .map((e) => {
        const when = new Date(e.started_at).toLocaleString();
        const colour = LEVEL_COLOURS[e.risk_level] || "var(--disabled-text-color)";
        return `<li>
          <span class="score" style="background:${colour}">${esc(e.risk_score)}</span>
          <span class="text"><b>${esc(e.camera_name || e.camera)}</b> · ${esc(when)}
          <br>${esc(e.summary)}</span>
        </li>`;
      })
      .join("");
    const body = this._error
      ? `<p class="error">${esc(this._error)}</p>`
      : rows
        ? `<ul>${rows}</ul>`
        : `<p>No events.</p>`;
    this.shadowRoot.innerHTML = `
      <style>
        ul { list-style: none; margin: 0; padding: 0 16px 16px; }
        li { display: flex; gap: 12px; align-items: flex-start; padding: 6px 0; }
        .score { min-width: 2.2em; text-align: center; border-radius: 12px; color: #fff; font-weight: bold; padding: 2px 6px; }
        .text { flex: 1; }
        p { padding: 0 16px 16px; margin: 0; }
        .error { color: var(--error-color); }
      </style>
      <ha-card header="${esc(this._config.title)}">${body}</ha-card>`;
  }

  getCardSize() {
    return 1 + Math.min(this._events.length, this._config.limit);
  }

  static getStubConfig() {
    return { limit: 10 };
  }
}

if (!customElements.get("hsi-events-card")) customElements.define("hsi-events-card", HsiEventsCard);
window.customCards = window.customCards || [];
window.customCards.push({
  type: "hsi-events-card",
  name: "Security events",
  description: "Recent Home Security Intelligence events, coloured by risk level.",
});
