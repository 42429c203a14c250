// Home Security Intelligence: the security events card.
//   type: custom:hsi-events-card
//   title: Security events      (optional)
//   config_entry_id: ...        (optional, only with several servers)
//   camera: front_door          (optional, initial camera filter)
//   level: high                 (optional, initial "at least" level filter)
//   unreviewed_only: false      (optional, initial filter)
//   show_filters: true          (optional)
//   page_size: 20               (optional, events per page of the infinite scroll)
//   height: 480                 (optional, px of the scrolling timeline)
//   refresh_interval: 60        (optional, s between fallback refreshes)
//   views: [events, ask, camera] (optional, the tabs shown, the first one opens)
import { LitElement, css, html, nothing } from "lit";
import { EventDetail, withEnrolled } from "./detail.js";
import { formatDateTime, formatObjects } from "./format.js";
import { LEVEL_FILTERS, levelsFrom } from "./levels.js";
import { DOMAIN, badge, describe, rowStyles } from "./shared.js";

export { DOMAIN, badge, describe };
export const CARD_TAG = "hsi-events-card";
export const VIEWS = { events: "Events", ask: "Ask", camera: "Cameras" };

const DEFAULTS = {
  title: "Security events",
  show_filters: true,
  unreviewed_only: false,
  page_size: 20,
  height: 480,
  refresh_interval: 60,
  views: Object.keys(VIEWS),
};

const REVIEW_MESSAGES = {
  reviewed: "Marked as reviewed.",
  unreviewed: "Marked as not reviewed.",
  false_alarm: "Marked as a false alarm: similar events on this camera will score lower.",
  expected: "Marked as expected: similar events on this camera will score lower.",
  threat: "Marked as a threat: similar events on this camera will score higher.",
};

export class HsiEventsCard extends LitElement {
  static properties = {
    hass: { attribute: false },
    _config: { state: true },
    _events: { state: true },
    _cameras: { state: true },
    _cursor: { state: true },
    _loading: { state: true },
    _error: { state: true },
    _filters: { state: true },
    _selected: { state: true },
    _view: { state: true },
  };

  constructor() {
    super();
    this._events = [];
    this._cameras = [];
    this._cursor = null;
    this._loading = false;
    this._error = "";
    this._selected = null;
    this._generation = 0;
    this._entryId = undefined;
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    const pageSize = Number(config.page_size ?? DEFAULTS.page_size);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      throw new Error("page_size must be a whole number from 1 to 100");
    }
    if (config.level && !levelsFrom(config.level).length) {
      throw new Error("level must be one of low, medium, high, critical");
    }
    const views = config.views ?? DEFAULTS.views;
    if (!Array.isArray(views) || !views.length || views.some((v) => !(v in VIEWS))) {
      throw new Error("views must list some of events, ask, camera");
    }
    this._config = { ...DEFAULTS, ...config, page_size: pageSize, views };
    if (!views.includes(this._view)) this._view = views[0];
    this._seen = new Set([this._view]);
    this._filters = {
      camera: config.camera || "",
      level: config.level || "",
      unreviewed: Boolean(config.unreviewed_only),
    };
    if (this.hass) this._reload();
  }

  static getConfigElement() {
    return document.createElement("hsi-events-card-editor");
  }

  static getStubConfig() {
    return { title: DEFAULTS.title };
  }

  getCardSize() {
    return Math.max(3, Math.round((this._config?.height ?? DEFAULTS.height) / 50) + 1);
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: 8, min_rows: 4 };
  }

  connectedCallback() {
    super.connectedCallback();
    if (this.hass && this._config) this._start();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this._stop();
  }

  updated(changed) {
    if (changed.has("hass") && this.hass && this._config && !this._started) this._start();
    if (!this._observer && this._sentinel) this._observe();
    if (changed.has("_events") || changed.has("_loading")) this._fill();
  }

  // Short pages leave the sentinel in view without a new intersection: keep loading until the
  // timeline is full (or there is nothing older).
  _fill() {
    const scroller = this._scroller;
    if (!scroller || !this._cursor || this._loading || this._error) return;
    if (scroller.scrollHeight <= scroller.clientHeight + 200) this._loadMore();
  }

  // --- data ----------------------------------------------------------------------------------
  _start() {
    this._started = true;
    this._reload();
    this._subscribe();
    const every = Math.max(10, Number(this._config.refresh_interval) || DEFAULTS.refresh_interval);
    this._timer = setInterval(() => this._refresh(), every * 1000);
    this._onReady = () => this._refresh();
    this.hass.connection.addEventListener("ready", this._onReady);
  }

  _stop() {
    this._started = false;
    clearInterval(this._timer);
    if (this._unsubscribe) this._unsubscribe.then((unsub) => unsub()).catch(() => {});
    this._unsubscribe = undefined;
    if (this._onReady && this.hass) this.hass.connection.removeEventListener("ready", this._onReady);
    if (this._observer) this._observer.disconnect();
    this._observer = undefined;
  }

  _subscribe() {
    const message = { type: `${DOMAIN}/subscribe` };
    if (this._config.config_entry_id) message.config_entry_id = this._config.config_entry_id;
    this._unsubscribe = this.hass.connection.subscribeMessage((push) => this._onPush(push), message);
    this._unsubscribe.catch((err) => {
      this._unsubscribe = undefined;
      this._error = `Live updates unavailable: ${err.message || err.code || err}`;
    });
  }

  _query(cursor) {
    const message = { type: `${DOMAIN}/events`, limit: this._config.page_size };
    if (this._config.config_entry_id) message.config_entry_id = this._config.config_entry_id;
    if (this._filters.camera) message.camera = this._filters.camera;
    if (this._filters.level) message.level = levelsFrom(this._filters.level).join(",");
    if (this._filters.unreviewed) message.reviewed = false;
    if (cursor) message.cursor = cursor;
    return message;
  }

  async _reload() {
    const generation = ++this._generation;
    this._loading = true;
    try {
      const page = await this.hass.callWS(this._query());
      if (generation !== this._generation) return;
      this._apply(page, false);
    } catch (err) {
      if (generation === this._generation) this._error = describe(err);
    } finally {
      if (generation === this._generation) this._loading = false;
    }
  }

  // The fallback for missed pushes: re-read the first page and merge it in.
  async _refresh() {
    if (!this.hass || this._loading) return;
    const generation = this._generation;
    try {
      const page = await this.hass.callWS(this._query());
      if (generation !== this._generation) return;
      const fresh = page.events || [];
      const ids = new Set(fresh.map((e) => e.id));
      const oldest = fresh.length ? fresh[fresh.length - 1].started_at : null;
      const older = this._events.filter((e) => !ids.has(e.id) && oldest && e.started_at < oldest);
      this._events = [...fresh, ...older];
      if (!older.length) this._cursor = page.next_cursor || null;
      this._cameras = page.cameras || this._cameras;
      this._error = "";
    } catch (err) {
      this._error = describe(err);
    }
  }

  async _loadMore() {
    if (!this._cursor || this._loading) return;
    const generation = this._generation;
    this._loading = true;
    try {
      const page = await this.hass.callWS(this._query(this._cursor));
      if (generation === this._generation) this._apply(page, true);
    } catch (err) {
      if (generation === this._generation) this._error = describe(err);
    } finally {
      if (generation === this._generation) this._loading = false;
    }
  }

  _apply(page, append) {
    this._entryId = page.config_entry_id;
    const events = page.events || [];
    if (append) {
      const ids = new Set(this._events.map((e) => e.id));
      this._events = [...this._events, ...events.filter((e) => !ids.has(e.id))];
    } else {
      this._events = events;
    }
    this._cursor = page.next_cursor || null;
    this._cameras = page.cameras || [];
    this._error = "";
  }

  _matches(event) {
    const f = this._filters;
    if (f.camera && event.camera !== f.camera) return false;
    if (f.level && !levelsFrom(f.level).includes(event.risk_level)) return false;
    if (f.unreviewed && event.reviewed) return false;
    return true;
  }

  _onPush(push) {
    const event = push && push.event;
    if (!event || !event.id) return;
    this._upsert(event);
    this.renderRoot.querySelector("hsi-camera-view")?.upsert(event);
  }

  _upsert(event) {
    const index = this._events.findIndex((e) => e.id === event.id);
    const keep = this._matches(event);
    if (index >= 0) {
      const next = [...this._events];
      if (keep) next[index] = { ...next[index], ...event };
      else next.splice(index, 1);
      this._events = next;
    } else if (keep) {
      this._events = [event, ...this._events].sort((a, b) => (a.started_at < b.started_at ? 1 : -1));
    }
    if (this._selected && this._selected.id === event.id) {
      this._selected = { ...this._selected, ...event };
    }
  }

  _observe() {
    if (!("IntersectionObserver" in window)) return;
    this._observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) this._loadMore();
      },
      { root: this._scroller, rootMargin: "200px" },
    );
    this._observer.observe(this._sentinel);
  }

  get _scroller() {
    return this.renderRoot.querySelector(".timeline");
  }

  get _sentinel() {
    return this.renderRoot.querySelector(".sentinel");
  }

  // --- actions -------------------------------------------------------------------------------
  _setFilter(key, value) {
    this._filters = { ...this._filters, [key]: value };
    this._events = [];
    this._cursor = null;
    this._reload();
  }

  async _open(event) {
    this._selected = event;
    await this.updateComplete;
    const dialog = this.renderRoot.querySelector("hsi-event-detail");
    if (dialog) dialog.show();
    await this._detail(event);
  }

  // The event with its detections and re-ID sightings (again after naming or forgetting one).
  async _detail(event) {
    try {
      const message = { type: `${DOMAIN}/event`, event_id: event.id };
      if (this._entryId) message.config_entry_id = this._entryId;
      const full = await this.hass.callWS(message);
      if (this._selected && this._selected.id === event.id) this._selected = { ...event, ...full };
    } catch (err) {
      if (this._selected && this._selected.id === event.id) {
        this._selected = { ...this._selected, detail_error: describe(err) };
      }
    }
  }

  async _onAction(e) {
    const { action, event } = e.detail;
    const entry = this._entryId ? { config_entry_id: this._entryId } : {};
    const detail = this.renderRoot.querySelector("hsi-event-detail");
    try {
      if (action === "open") {
        // A re-ID sighting on another camera: open that camera's event.
        const other = this._events.find((item) => item.id === event.id) || event;
        await this._open(other);
        return;
      }
      if (action === "entity_history") {
        // A re-ID entity's timeline: where and when it was seen, with each sighting's event.
        try {
          const result = await this.hass.callWS({
            type: `${DOMAIN}/entity_history`,
            ...entry,
            reid_entity: e.detail.entity,
            limit: 50,
          });
          detail?.showTimeline(e.detail.entity, result);
        } catch (err) {
          detail?.showTimeline(e.detail.entity, null, `Could not load the timeline: ${describe(err)}`);
        }
        return;
      }
      if (action === "name_entity" || action === "forget_entity") {
        // Known people and vehicles (re-ID): name one, or forget it with its embeddings.
        const { entity, name } = e.detail;
        const data = { ...entry, reid_entity: entity };
        if (action === "name_entity") Object.assign(data, { name, known: true });
        await this.hass.callService(DOMAIN, action, data);
        await this._detail(event);
        detail?.notify(
          action === "name_entity"
            ? `Saved: this ${e.detail.label || "one"} is now known as ${name} (a known one is no stranger to the scoring).`
            : "Forgotten: its sightings and embeddings are deleted.",
        );
        return;
      }
      if (action === "enrol_face") {
        // A face of the event into the server's gallery (needs the identity consent option).
        const { track, name } = e.detail;
        await this.hass.callService(DOMAIN, "enrol_face", { ...entry, event_id: event.id, track_id: track, name });
        await this._detail(event);
        if (this._selected && this._selected.id === event.id) {
          this._selected = { ...this._selected, faces: withEnrolled(this._selected.faces, track, name) };
        }
        detail?.notify(`Enrolled: this face is now known as ${name} (recognised in the next events).`);
        return;
      }
      if (action === "snooze") {
        await this.hass.callService(DOMAIN, "snooze_camera", { ...entry, camera: event.camera, minutes: 60 });
        detail?.notify(`Alerts from ${event.camera_name || event.camera} are snoozed for 1 hour.`);
        this._refresh();
        return;
      }
      // The server's feedback: "false alarm" and "expected" lower the score of similar events.
      const updated = await this.hass.callWS({
        type: `${DOMAIN}/review`,
        ...entry,
        event_id: event.id,
        action,
      });
      this._upsert({ ...event, ...updated });
      detail?.notify(REVIEW_MESSAGES[action] || "Saved.");
    } catch (err) {
      detail?.notify(`Could not do that: ${describe(err)}`, true);
    }
  }

  // --- view ----------------------------------------------------------------------------------
  _show(view) {
    this._view = view;
    this._seen.add(view);
    if (view === "camera") this.renderRoot.querySelector("hsi-camera-view")?.reload();
  }

  _renderTabs() {
    const views = this._config.views;
    if (views.length < 2) return nothing;
    return html`<div class="tabs" role="tablist">
      ${views.map(
        (v) => html`<button
          role="tab"
          data-view=${v}
          aria-selected=${this._view === v ? "true" : "false"}
          @click=${() => this._show(v)}
        >
          ${VIEWS[v]}
        </button>`,
      )}
    </div>`;
  }

  render() {
    if (!this._config) return nothing;
    const view = this._view;
    const cameras = this._cameras.length ? this._cameras : [];
    return html`
      <ha-card>
        <div class="header">
          <h2>${this._config.title}</h2>
          ${this._loading ? html`<span class="spinner" role="status">Loading…</span>` : nothing}
        </div>
        ${this._renderTabs()}
        ${this._seen.has("ask")
          ? html`<hsi-ask
              ?hidden=${view !== "ask"}
              .hass=${this.hass}
              .entryId=${this._entryId}
              @hsi-open=${(e) => this._open(e.detail.event)}
            ></hsi-ask>`
          : nothing}
        ${this._seen.has("camera")
          ? html`<hsi-camera-view
              ?hidden=${view !== "camera"}
              .hass=${this.hass}
              .entryId=${this._entryId}
              .cameras=${cameras}
              .camera=${this._config.camera}
              @hsi-open=${(e) => this._open(e.detail.event)}
            ></hsi-camera-view>`
          : nothing}
        <div class="events" ?hidden=${view !== "events"}>
        ${this._config.show_filters ? this._renderFilters() : nothing}
        ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
        <ul class="timeline" style="max-height:${Number(this._config.height) || DEFAULTS.height}px">
          ${this._events.map((event) => this._renderEvent(event))}
          ${!this._events.length && !this._loading && !this._error
            ? html`<li class="empty">No events${this._filtered() ? " match these filters" : ""}.</li>`
            : nothing}
          <li class="sentinel" aria-hidden="true"></li>
        </ul>
        ${this._cursor
          ? html`<button class="more" @click=${() => this._loadMore()} ?disabled=${this._loading}>
              Load older events
            </button>`
          : nothing}
        </div>
      </ha-card>
      <hsi-event-detail
        .hass=${this.hass}
        .event=${this._selected}
        @hsi-action=${(e) => this._onAction(e)}
        @closed=${() => (this._selected = null)}
      ></hsi-event-detail>
    `;
  }

  _filtered() {
    return Boolean(this._filters.camera || this._filters.level || this._filters.unreviewed);
  }

  _renderFilters() {
    const f = this._filters;
    return html`<div class="filters">
      <label
        >Camera
        <select @change=${(e) => this._setFilter("camera", e.target.value)}>
          <option value="" ?selected=${!f.camera}>All cameras</option>
          ${this._cameras.map(
            (c) => html`<option value=${c.id} ?selected=${f.camera === c.id}>${c.name}</option>`,
          )}
        </select></label
      >
      <label
        >Level
        <select @change=${(e) => this._setFilter("level", e.target.value)}>
          ${LEVEL_FILTERS.map(
            (o) => html`<option value=${o.value} ?selected=${f.level === o.value}>${o.label}</option>`,
          )}
        </select></label
      >
      <label class="check"
        ><input
          type="checkbox"
          .checked=${f.unreviewed}
          @change=${(e) => this._setFilter("unreviewed", e.target.checked)}
        />
        Unreviewed only</label
      >
    </div>`;
  }

  _renderEvent(event) {
    const camera = event.camera_name || event.camera;
    return html`<li class="event ${event.reviewed ? "reviewed" : "new"}" data-event-id=${event.id}>
      <button class="row" @click=${() => this._open(event)} aria-label="${camera}, ${event.summary}">
        <img
          class="thumb"
          loading="lazy"
          src=${event.snapshot_url || ""}
          alt="Snapshot from ${camera}"
          @error=${(e) => e.target.classList.add("missing")}
        />
        <span class="text">
          <span class="line1">
            <span class="camera">${camera}</span>
            <time datetime=${event.started_at}>${formatDateTime(event.started_at, this.hass)}</time>
          </span>
          <span class="summary">${event.summary}</span>
          <span class="line3">
            ${badge(event)}
            <span class="objects">${formatObjects(event.objects)}</span>
            <span class="state">${event.reviewed ? "✓ Reviewed" : "● New"}</span>
          </span>
        </span>
      </button>
    </li>`;
  }

  static styles = [
    rowStyles,
    css`
    :host {
      display: block;
    }
    ha-card {
      overflow: hidden;
    }
    .tabs {
      display: flex;
      gap: 4px;
      padding: 0 12px 4px;
      border-bottom: 1px solid var(--divider-color, rgba(127, 127, 127, 0.2));
    }
    .tabs button {
      font: inherit;
      background: none;
      border: 0;
      border-bottom: 2px solid transparent;
      padding: 6px 10px;
      color: var(--secondary-text-color);
      cursor: pointer;
    }
    .tabs button[aria-selected="true"] {
      color: var(--primary-color, #0277bd);
      border-bottom-color: currentColor;
      font-weight: 600;
    }
    .header {
      display: flex;
      align-items: center;
      justify-content: space-between;
      padding: 12px 16px 4px;
    }
    h2 {
      margin: 0;
      font-size: 1.25em;
      font-weight: 500;
      color: var(--primary-text-color);
    }
    .spinner {
      font-size: 0.85em;
      color: var(--secondary-text-color);
    }
    .filters {
      display: flex;
      flex-wrap: wrap;
      gap: 8px 16px;
      padding: 4px 16px 8px;
      font-size: 0.9em;
      color: var(--secondary-text-color);
    }
    .filters label {
      display: flex;
      align-items: center;
      gap: 6px;
    }
    .error {
      margin: 0 16px 8px;
    }
    time {
      white-space: nowrap;
    }
    .timeline {
      padding: 0 8px 8px;
      overflow-y: auto;
    }
    .event + .event {
      border-top: 1px solid var(--divider-color, rgba(127, 127, 127, 0.2));
    }
    .line1 {
      display: flex;
      justify-content: space-between;
      gap: 8px;
      font-size: 0.9em;
    }
    .summary {
      color: var(--primary-text-color);
      overflow: hidden;
      display: -webkit-box;
      -webkit-line-clamp: 2;
      -webkit-box-orient: vertical;
    }
    .line3 {
      display: flex;
      align-items: center;
      flex-wrap: wrap;
      gap: 8px;
      font-size: 0.85em;
      color: var(--secondary-text-color);
    }
    .reviewed .state {
      color: var(--secondary-text-color);
    }
    .new .state {
      color: var(--primary-text-color);
      font-weight: 600;
    }
    .reviewed .row {
      opacity: 0.8;
    }
    .empty {
      padding: 16px 8px;
      color: var(--secondary-text-color);
    }
    .sentinel {
      height: 1px;
    }
    .more {
      display: block;
      margin: 0 auto 12px;
      font: inherit;
      color: var(--primary-color, #03a9f4);
      background: none;
      border: 1px solid currentColor;
      border-radius: 16px;
      padding: 4px 16px;
      cursor: pointer;
    }
    @media (max-width: 450px) {
      .line1 {
        flex-direction: column;
        gap: 0;
      }
    }
  `,
  ];
}

export { EventDetail };
