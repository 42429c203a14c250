// The camera view: the camera's tripwires drawn over its latest snapshot (listed, drawn with two
// clicks, deleted: the set_tripwire / delete_tripwire actions) and its timeline of events with
// the behaviours found in them (loitering, perimeter walk, ...). Rows open the event dialog.
import { LitElement, css, html, nothing, svg } from "lit";
import { formatDay, formatTime } from "./format.js";
import { DOMAIN, badge, describe, openEvent, rowStyles, withEntry } from "./shared.js";

export const BEHAVIOURS = {
  loitering: "Loitering",
  perimeter_walk: "Perimeter walk",
  repeated_visits: "Repeated visits",
  tailgating: "Tailgating",
  approach_retreat: "Approach and retreat",
};

const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;

// The side a crossing counts as "in": right of a->b, seen from a looking at b (y grows down).
export function inwardTick(a, b, length = 0.06) {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const norm = Math.hypot(dx, dy) || 1;
  const mid = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  return [mid, [mid[0] - (dy / norm) * length, mid[1] + (dx / norm) * length]];
}

export function groupByDay(events, hass) {
  const days = [];
  for (const event of events) {
    const day = formatDay(event.started_at, hass);
    if (!days.length || days[days.length - 1].day !== day) days.push({ day, events: [] });
    days[days.length - 1].events.push(event);
  }
  return days;
}

export class HsiCameraView extends LitElement {
  static properties = {
    hass: { attribute: false },
    entryId: { attribute: false },
    cameras: { attribute: false },
    camera: { attribute: false },
    _camera: { state: true },
    _events: { state: true },
    _cursor: { state: true },
    _tripwires: { state: true },
    _draft: { state: true },
    _noImage: { state: true },
    _busy: { state: true },
    _error: { state: true },
    _message: { state: true },
  };

  constructor() {
    super();
    this._events = [];
    this._tripwires = [];
    this._draft = null;
  }

  willUpdate() {
    const cameras = this.cameras || [];
    if (!this._camera && cameras.length) this._camera = this.camera || cameras[0].id;
  }

  updated(changed) {
    if (changed.has("_camera") && this._camera && this.hass) this.reload();
  }

  // The card forwards live events; those of this camera join the timeline.
  upsert(event) {
    if (!event || event.camera !== this._camera) return;
    const rest = this._events.filter((e) => e.id !== event.id);
    this._events = [event, ...rest].sort((a, b) => (a.started_at < b.started_at ? 1 : -1));
  }

  async reload(cursor) {
    const camera = this._camera;
    this._error = "";
    try {
      const query = withEntry(this.entryId, { type: `${DOMAIN}/events`, camera, limit: 50 });
      if (cursor) query.cursor = cursor;
      const [page, wires] = await Promise.all([
        this.hass.callWS(query),
        cursor ? null : this.hass.callWS(withEntry(this.entryId, { type: `${DOMAIN}/tripwires`, camera })),
      ]);
      if (camera !== this._camera) return;
      this._events = cursor ? [...this._events, ...(page.events || [])] : page.events || [];
      this._cursor = page.next_cursor || null;
      if (wires) this._tripwires = wires.tripwires || [];
      if (!cursor) this._noImage = false;
    } catch (err) {
      this._error = describe(err);
    }
  }

  async _call(service, data, done) {
    this._busy = true;
    this._error = "";
    this._message = "";
    try {
      await this.hass.callService(DOMAIN, service, withEntry(this.entryId, data));
      this._message = done;
      this._draft = null;
      const wires = await this.hass.callWS(
        withEntry(this.entryId, { type: `${DOMAIN}/tripwires`, camera: this._camera }),
      );
      this._tripwires = wires.tripwires || [];
    } catch (err) {
      this._error = `Could not do that: ${describe(err)}`;
    } finally {
      this._busy = false;
    }
  }

  _point(e) {
    const draft = this._draft;
    if (!draft || draft.points.length >= 2) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const point = [round((e.clientX - rect.left) / rect.width), round((e.clientY - rect.top) / rect.height)];
    this._draft = { points: [...draft.points, point] };
  }

  _save(e) {
    e.preventDefault();
    const name = this.renderRoot.querySelector("input[name=name]").value.trim();
    if (!name) return;
    const [a, b] = this._draft.points;
    this._call("set_tripwire", { camera: this._camera, name, a, b }, `Tripwire "${name}" saved.`);
  }

  render() {
    const cameras = this.cameras || [];
    const snapshot = this._events.find((e) => e.snapshot_url);
    return html`<div class="bar">
        <label
          >Camera
          <select @change=${(e) => (this._camera = e.target.value)}>
            ${cameras.map((c) => html`<option value=${c.id} ?selected=${c.id === this._camera}>${c.name}</option>`)}
          </select></label
        >
      </div>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
      <h3>Tripwires</h3>
      <figure class="scene ${this._draft ? "drawing" : ""}" @click=${(e) => this._point(e)}>
        ${snapshot && !this._noImage
          ? html`<img src=${snapshot.snapshot_url} alt="Latest snapshot of this camera" @error=${() => (this._noImage = true)} />`
          : html`<div class="placeholder">No snapshot yet</div>`}
        <svg viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">
          ${this._tripwires.map((t) => this._renderWire(t))} ${this._renderDraft()}
        </svg>
        ${this._tripwires.map((t) => {
          const [mid] = inwardTick(t.a, t.b);
          return html`<span class="label" style="left:${mid[0] * 100}%;top:${mid[1] * 100}%">${t.name}</span>`;
        })}
      </figure>
      ${this._renderDrawing()}
      ${this._message ? html`<p class="ok" role="status">${this._message}</p>` : nothing}
      <ul class="tripwires">
        ${this._tripwires.map(
          (t) => html`<li class="tripwire" data-tripwire-id=${t.id}>
            <span><b>${t.name}</b>${t.enabled === false ? " (off)" : ""}
              <span class="muted">(${t.a.join(", ")}) → (${t.b.join(", ")})</span></span>
            <button class="act delete" ?disabled=${this._busy}
              @click=${() => this._call("delete_tripwire", { tripwire_id: String(t.id) }, `Tripwire "${t.name}" deleted.`)}
            >Delete</button>
          </li>`,
        )}
        ${this._tripwires.length ? nothing : html`<li class="muted">No tripwires on this camera.</li>`}
      </ul>
      <h3>Timeline</h3>
      ${groupByDay(this._events, this.hass).map(
        (d) => html`<h4>${d.day}</h4>
          <ul class="timeline">
            ${d.events.map((e) => this._renderItem(e))}
          </ul>`,
      )}
      ${this._events.length ? nothing : html`<p class="muted">No events on this camera.</p>`}
      ${this._cursor ? html`<button class="act" @click=${() => this.reload(this._cursor)}>Load older events</button>` : nothing}`;
  }

  _renderWire(t) {
    const [mid, tip] = inwardTick(t.a, t.b);
    return svg`<g class=${t.enabled === false ? "wire off" : "wire"}>
      <line x1=${t.a[0]} y1=${t.a[1]} x2=${t.b[0]} y2=${t.b[1]} />
      <line class="in" x1=${mid[0]} y1=${mid[1]} x2=${tip[0]} y2=${tip[1]} />
    </g>`;
  }

  _renderDraft() {
    const points = this._draft ? this._draft.points : [];
    if (!points.length) return nothing;
    const [a, b] = [points[0], points[1] || points[0]];
    return svg`<line class="draft" x1=${a[0]} y1=${a[1]} x2=${b[0]} y2=${b[1]} />`;
  }

  _renderDrawing() {
    const draft = this._draft;
    if (!draft) {
      return html`<button class="act draw" @click=${() => (this._draft = { points: [] })}>Draw a tripwire</button>`;
    }
    const cancel = html`<button class="act" type="button" @click=${() => (this._draft = null)}>Cancel</button>`;
    if (draft.points.length < 2) {
      const step = draft.points.length ? "Click where it ends." : "Click where the line starts.";
      return html`<p class="hint" role="status">${step} Crossing it from its left to its right (seen from the start) is "in". ${cancel}</p>`;
    }
    return html`<form class="hint" @submit=${(e) => this._save(e)}>
      <input name="name" maxlength="64" placeholder="Name, e.g. Back fence" aria-label="Tripwire name" required />
      <button class="act" type="submit" ?disabled=${this._busy}>Save tripwire</button> ${cancel}
    </form>`;
  }

  _renderItem(e) {
    const behaviours = e.behaviours || [];
    return html`<li class="item" data-event-id=${e.id}>
      <button class="row" @click=${() => openEvent(this, e)}>
        <time datetime=${e.started_at}>${formatTime(e.started_at, this.hass)}</time>
        <span class="text">
          <span>${badge(e)} ${e.summary}</span>
          ${behaviours.map(
            (b) => html`<span class="behaviour" data-kind=${b.kind}
              ><b>${BEHAVIOURS[b.kind] || b.kind}</b> ${b.explanation || ""}</span
            >`,
          )}
        </span>
      </button>
    </li>`;
  }

  static styles = [
    rowStyles,
    css`
      :host {
        display: block;
        padding: 4px 16px 12px;
      }
      h3 {
        margin: 12px 0 4px;
        font-size: 0.95em;
        color: var(--secondary-text-color);
      }
      h4 {
        margin: 8px 0 2px;
        font-size: 0.9em;
        font-weight: 500;
      }
      .scene {
        position: relative;
        width: fit-content;
        max-width: 100%;
        margin: 0;
        line-height: 0;
        border-radius: 8px;
        overflow: hidden;
        background: #000;
      }
      .scene.drawing {
        cursor: crosshair;
        outline: 2px dashed var(--primary-color, #03a9f4);
      }
      .scene img {
        display: block;
        max-width: 100%;
        max-height: 360px;
      }
      .placeholder {
        width: 480px;
        max-width: 100%;
        aspect-ratio: 16 / 9;
        line-height: normal;
        display: grid;
        place-items: center;
        color: #ccc;
      }
      svg {
        position: absolute;
        inset: 0;
        width: 100%;
        height: 100%;
        pointer-events: none;
      }
      line {
        stroke: #ffeb3b;
        stroke-width: 3;
        vector-effect: non-scaling-stroke;
        stroke-linecap: round;
      }
      line.in {
        stroke-dasharray: 4 3;
      }
      .off line {
        stroke: #9e9e9e;
      }
      line.draft {
        stroke: #03a9f4;
      }
      .label {
        position: absolute;
        transform: translate(-50%, -130%);
        line-height: 1.3;
        padding: 0 6px;
        border-radius: 4px;
        background: rgba(0, 0, 0, 0.7);
        color: #fff;
        font-size: 0.8em;
        white-space: nowrap;
        pointer-events: none;
      }
      .tripwire {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 8px;
        padding: 4px 0;
      }
      .hint,
      .draw {
        margin: 8px 0;
      }
      .ok {
        color: var(--success-color, #2e7d32);
      }
      .item .row {
        align-items: baseline;
      }
      .item time {
        flex: 0 0 4.5em;
      }
      .behaviour {
        font-size: 0.9em;
        color: var(--secondary-text-color);
      }
      .behaviour b {
        color: var(--primary-text-color);
        font-weight: 600;
      }
    `,
  ];
}
