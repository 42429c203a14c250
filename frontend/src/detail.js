// The event detail dialog: snapshots, the clip, the reasoning, zones, re-ID sightings (with
// naming and forgetting the person or vehicle, and its timeline), the faces (with enrolling an
// unknown one) and the review buttons. It fires `hsi-action`
// ({action, event, ...}); the card calls the actions.
import { LitElement, css, html, nothing } from "lit";
import { formatDateTime, formatDuration, formatObjects } from "./format.js";
import { levelStyle } from "./levels.js";

const FEEDBACK_LABELS = { false_alarm: "false alarm", expected: "expected", threat: "a threat" };

// What the dialog offers for one face of the event: its name, the Enrol button, or neither
// (its face expired or its camera opted out). Older servers send no `faces`.
export const faceState = (face) => (face.known ? "known" : face.enrollable ? "enrollable" : "gone");

// The event's faces after one was enrolled under a name: the event's record keeps what was
// recognised when it happened, so the card marks the enrolled one itself.
export const withEnrolled = (faces, track, name) =>
  (faces || []).map((face) => (face.track_id === track ? { ...face, known: true, name, enrollable: false } : face));

export class EventDetail extends LitElement {
  static properties = {
    hass: { attribute: false },
    event: { attribute: false },
    _message: { state: true },
    _busy: { state: true },
    _clipFailed: { state: true },
    _editing: { state: true },
    _timeline: { state: true },
  };

  constructor() {
    super();
    this._message = null;
    this._busy = false;
    this._clipFailed = false;
  }

  show() {
    this._message = null;
    this._clipFailed = false;
    const dialog = this.renderRoot.querySelector("dialog");
    if (dialog && !dialog.open) dialog.showModal();
  }

  close() {
    const dialog = this.renderRoot.querySelector("dialog");
    if (dialog && dialog.open) dialog.close();
  }

  notify(text, error = false) {
    this._busy = false;
    this._message = { text, error };
  }

  willUpdate(changed) {
    const before = changed.get("event");
    if (changed.has("event") && before && this.event && before.id !== this.event.id) {
      this._clipFailed = false;
      this._message = null;
      this._editing = null;
      this._timeline = null;
    }
  }

  // The card answers an `entity_history` action with the entity's timeline (or an error).
  showTimeline(entityId, result, error = null) {
    if (!this._timeline || this._timeline.id !== entityId) return;
    this._timeline = { id: entityId, history: result ? result.history || [] : [], error };
  }

  _toggleTimeline(id) {
    if (this._timeline && this._timeline.id === id) {
      this._timeline = null;
      return;
    }
    this._timeline = { id, loading: true };
    this.dispatchEvent(
      new CustomEvent("hsi-action", { detail: { action: "entity_history", event: this.event, entity: id } }),
    );
  }

  _renderTimeline(id) {
    const t = this._timeline;
    if (!t || t.id !== id) return nothing;
    if (t.loading) return html`<p class="muted timeline-status">Loading the timeline…</p>`;
    if (t.error) return html`<p class="error timeline-status" role="alert">${t.error}</p>`;
    if (!t.history.length) return html`<p class="muted timeline-status">No sightings are stored any more.</p>`;
    return html`<ol class="entity-timeline" aria-label="Timeline">
      ${t.history.map((s) => {
        const when = html`<time datetime=${s.seen_at}>${formatDateTime(s.seen_at, this.hass)}</time>`;
        const level = s.risk_level
          ? html`<span class="chip level" style=${levelStyle(s.risk_level)}>${s.risk_level}</span>`
          : nothing;
        const text = html`${when} · <b>${s.camera}</b> ${level} ${s.summary || ""}`;
        return html`<li data-camera=${s.camera} data-event-id=${s.event_id || ""}>
          ${s.event_id && s.event_id !== this.event?.id
            ? html`<button class="link" @click=${() => this._open(s)}>${text}</button>`
            : text}
        </li>`;
      })}
    </ol>`;
  }

  // Sightings grouped by re-ID entity, each group with its name and the naming controls.
  _renderEntities(sightings) {
    const groups = new Map();
    for (const s of sightings) {
      if (!groups.has(s.entity_id)) groups.set(s.entity_id, []);
      groups.get(s.entity_id).push(s);
    }
    return [...groups.entries()].map(([id, list]) => this._renderEntity(id, list));
  }

  _renderEntity(id, list) {
    const first = list[0];
    const editing = this._editing && this._editing.id === id ? this._editing : null;
    const who = first.entity_name || (first.known ? `Known ${first.label}` : `Unnamed ${first.label}`);
    let controls = nothing;
    if (id && editing && editing.forget) {
      controls = html`<span class="confirm" role="alert"
        >Forget this ${first.label}? Its sightings and embeddings are deleted.
        <button class="forget-yes" @click=${() => this._entity("forget_entity", first)} ?disabled=${this._busy}>
          Forget
        </button>
        <button @click=${() => (this._editing = null)}>Cancel</button></span
      >`;
    } else if (id && editing) {
      controls = html`<form class="naming" @submit=${(e) => this._saveName(e, first)}>
        <input name="name" maxlength="64" required .value=${first.entity_name || ""}
          placeholder=${first.label === "person" ? "e.g. Dad" : "e.g. our car"} aria-label="Name" />
        <button class="save" type="submit" ?disabled=${this._busy}>Save</button>
        <button type="button" @click=${() => (this._editing = null)}>Cancel</button>
      </form>`;
    } else if (id) {
      const open = this._timeline && this._timeline.id === id;
      controls = html`<button class="name" @click=${() => (this._editing = { id })}>
          ${first.entity_name ? "Rename" : "Name"}
        </button>
        <button class="forget" @click=${() => (this._editing = { id, forget: true })}>Forget</button>
        <button class="timeline-toggle" aria-expanded=${open ? "true" : "false"} @click=${() => this._toggleTimeline(id)}>
          ${open ? "Hide timeline" : "Timeline"}
        </button>`;
    }
    return html`<li class="entity" data-entity-id=${id || ""}>
      <div class="who"><b class="entity-name">${who}</b> ${controls}</div>
      <ul class="sightings">
        ${list.map((s) => this._renderSighting(s))}
      </ul>
      ${this._renderTimeline(id)}
    </li>`;
  }

  _saveName(e, sighting) {
    e.preventDefault();
    const name = e.target.querySelector("input").value.trim();
    if (name) this._entity("name_entity", sighting, name);
  }

  _entity(action, sighting, name) {
    this._busy = true;
    this._message = null;
    this._editing = null;
    this.dispatchEvent(
      new CustomEvent("hsi-action", {
        detail: { action, event: this.event, entity: sighting.entity_id, label: sighting.label, name },
      }),
    );
  }

  _renderSighting(s) {
    const similarity = typeof s.similarity === "number" ? ` · ${Math.round(s.similarity * 100)} % alike` : "";
    const text = html`<b>${s.camera_name || s.camera}</b> ·
      <time datetime=${s.seen_at}>${formatDateTime(s.seen_at, this.hass)}</time>${similarity}`;
    return html`<li data-camera=${s.camera}>
      ${s.event_id
        ? html`<button class="link" @click=${() => this._open(s)}>${text}</button>`
        : text}
    </li>`;
  }

  // The faces of the event's person tracks (cameras with faces on); an unknown one whose face the
  // server still stores can be enrolled under a name.
  _renderFace(face) {
    const enrolling = this._editing && this._editing.face === face.track_id;
    const state = faceState(face);
    let controls;
    if (state === "known") {
      controls = html`<span class="face-name">Known: <b>${face.name || "?"}</b></span>`;
    } else if (enrolling) {
      controls = html`<form class="naming" @submit=${(e) => this._saveFace(e, face)}>
        <input name="name" maxlength="64" required placeholder="e.g. Alex" aria-label="Name" />
        <button class="save" type="submit" ?disabled=${this._busy}>Enrol</button>
        <button type="button" @click=${() => (this._editing = null)}>Cancel</button>
      </form>`;
    } else if (state === "enrollable") {
      controls = html`<button class="enrol" @click=${() => (this._editing = { face: face.track_id })}>Enrol…</button>`;
    } else {
      controls = html`<span class="muted">Unknown (its face is no longer stored)</span>`;
    }
    return html`<li class="face" data-track-id=${face.track_id} data-known=${face.known ? "true" : "false"}>
      <div class="who"><b>Person (track ${face.track_id})</b> ${controls}</div>
    </li>`;
  }

  _saveFace(e, face) {
    e.preventDefault();
    const name = e.target.querySelector("input").value.trim();
    if (!name) return;
    this._busy = true;
    this._message = null;
    this._editing = null;
    this.dispatchEvent(
      new CustomEvent("hsi-action", {
        detail: { action: "enrol_face", event: this.event, track: face.track_id, name },
      }),
    );
  }

  _open(sighting) {
    this.dispatchEvent(
      new CustomEvent("hsi-action", {
        detail: { action: "open", event: { id: sighting.event_id, camera: sighting.camera } },
      }),
    );
  }

  _act(action) {
    this._busy = true;
    this._message = null;
    this.dispatchEvent(new CustomEvent("hsi-action", { detail: { action, event: this.event } }));
  }

  render() {
    const event = this.event;
    return html`<dialog
      aria-labelledby="hsi-detail-title"
      @close=${() => this.dispatchEvent(new CustomEvent("closed"))}
      @click=${(e) => e.target.localName === "dialog" && this.close()}
    >
      ${event ? this._renderEvent(event) : nothing}
    </dialog>`;
  }

  _renderEvent(event) {
    const style = levelStyle(event.risk_level);
    const camera = event.camera_name || event.camera;
    const images = (event.media_urls || []).filter((url) => /\.(jpe?g|png)(\?|$)/i.test(url));
    const sightings = event.sightings || [];
    return html`<article>
      <header>
        <h2 id="hsi-detail-title">${camera}</h2>
        <button class="close" @click=${() => this.close()} aria-label="Close">✕</button>
      </header>
      <p class="meta">
        <span
          class="badge"
          style="background:${style.background};color:${style.text}"
          data-level=${event.risk_level || "unknown"}
          ><b>${event.risk_score}</b> ${style.label}</span
        >
        <time datetime=${event.started_at}>${formatDateTime(event.started_at, this.hass)}</time>
        <span>${formatDuration(event.started_at, event.ended_at)}</span>
        <span>${formatObjects(event.objects)}</span>
        <span class="state">${event.reviewed ? "✓ Reviewed" : "● New"}</span>
      </p>
      <img class="snapshot" src=${event.snapshot_url || ""} alt="Snapshot of the event, boxes drawn" />
      ${images.length > 1
        ? html`<div class="frames">
            ${images.map(
              (url, i) => html`<a href=${url} target="_blank" rel="noopener"
                ><img loading="lazy" src=${url} alt="Frame ${i + 1} of ${images.length}"
              /></a>`,
            )}
          </div>`
        : nothing}
      <h3>Clip</h3>
      ${this._clipFailed
        ? html`<p class="muted">No clip is available for this event.</p>`
        : html`<video
            class="clip"
            controls
            playsinline
            preload="none"
            poster=${event.snapshot_url || ""}
            src=${event.clip_url || ""}
            @error=${() => (this._clipFailed = true)}
          ></video>`}
      <h3>Summary</h3>
      <p>${event.summary}</p>
      <h3>Why this score</h3>
      <p class="reasoning">${event.reasoning || "—"}</p>
      <p class="muted">Scored by ${event.assessed_by || "?"}${event.model && event.model !== event.assessed_by ? html` (${event.model})` : nothing}${
        event.fast_path ? " · fast path" : ""
      }</p>
      ${(event.zones || []).length
        ? html`<h3>Zones</h3>
            <p class="chips">${event.zones.map((zone) => html`<span class="chip">${zone}</span>`)}</p>`
        : nothing}
      <h3>Seen on other cameras</h3>
      ${sightings.length
        ? html`<ul class="entities">
            ${this._renderEntities(sightings)}
          </ul>`
        : html`<p class="muted">
            ${"sightings" in event
              ? "Not seen on other cameras within a day."
              : "detections" in event
                ? "This server does not report re-ID sightings yet."
                : "Loading…"}
          </p>`}
      ${(event.faces || []).length
        ? html`<h3>Faces</h3>
            <ul class="entities faces">
              ${event.faces.map((face) => this._renderFace(face))}
            </ul>`
        : nothing}
      ${event.notes ? html`<h3>Notes</h3><p>${event.notes}</p>` : nothing}
      ${event.detail_error ? html`<p class="error" role="alert">${event.detail_error}</p>` : nothing}
      ${this._message
        ? html`<p class=${this._message.error ? "error" : "ok"} role="status">${this._message.text}</p>`
        : nothing}
      ${event.feedback
        ? html`<p class="answer" data-feedback=${event.feedback}>Your answer: <b>${FEEDBACK_LABELS[event.feedback] || event.feedback}</b></p>`
        : nothing}
      <footer>
        ${event.reviewed
          ? html`<button @click=${() => this._act("unreviewed")} ?disabled=${this._busy}>Mark not reviewed</button>`
          : html`<button class="primary" @click=${() => this._act("reviewed")} ?disabled=${this._busy}>
              Mark reviewed
            </button>`}
        <button
          class="false-alarm"
          aria-pressed=${event.feedback === "false_alarm" ? "true" : "false"}
          @click=${() => this._act("false_alarm")}
          ?disabled=${this._busy}
        >
          False alarm
        </button>
        <button
          class="expected"
          aria-pressed=${event.feedback === "expected" ? "true" : "false"}
          @click=${() => this._act("expected")}
          ?disabled=${this._busy}
        >
          Expected
        </button>
        <button class="snooze" @click=${() => this._act("snooze")} ?disabled=${this._busy}>Snooze camera 1 h</button>
      </footer>
    </article>`;
  }

  static styles = css`
    dialog {
      width: min(760px, calc(100vw - 32px));
      max-height: calc(100vh - 32px);
      padding: 0;
      border: 0;
      border-radius: var(--ha-card-border-radius, 12px);
      background: var(--card-background-color, #fff);
      color: var(--primary-text-color, #212121);
      box-shadow: 0 8px 32px rgba(0, 0, 0, 0.4);
    }
    dialog::backdrop {
      background: rgba(0, 0, 0, 0.55);
    }
    article {
      padding: 16px 20px 20px;
    }
    header {
      display: flex;
      align-items: center;
      justify-content: space-between;
    }
    h2 {
      margin: 0;
      font-size: 1.3em;
      font-weight: 500;
    }
    h3 {
      margin: 16px 0 4px;
      font-size: 0.95em;
      font-weight: 600;
      color: var(--secondary-text-color, #555);
    }
    p {
      margin: 4px 0;
    }
    .meta {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 6px 12px;
      color: var(--secondary-text-color, #555);
    }
    .badge {
      border-radius: 10px;
      padding: 1px 8px;
      white-space: nowrap;
    }
    .snapshot,
    .clip {
      display: block;
      width: 100%;
      max-height: 56vh;
      object-fit: contain;
      margin-top: 8px;
      border-radius: 8px;
      background: #000;
    }
    .frames {
      display: flex;
      gap: 6px;
      overflow-x: auto;
      margin-top: 6px;
    }
    .frames img {
      height: 64px;
      border-radius: 4px;
    }
    .reasoning {
      white-space: pre-line;
    }
    .muted {
      color: var(--secondary-text-color, #555);
    }
    .chips {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
    }
    .chip {
      border: 1px solid var(--divider-color, #ccc);
      border-radius: 12px;
      padding: 1px 10px;
    }
    .entities {
      list-style: none;
      margin: 4px 0;
      padding: 0;
    }
    .who {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 6px;
    }
    .who button,
    .naming button,
    .confirm button {
      padding: 2px 10px;
      font-size: 0.9em;
    }
    .naming input {
      font: inherit;
      padding: 2px 6px;
      border: 1px solid var(--divider-color, #ccc);
      border-radius: 6px;
      background: var(--card-background-color, #fff);
      color: inherit;
    }
    .sightings {
      margin: 4px 0;
      padding-left: 20px;
    }
    .entity-timeline {
      margin: 4px 0 8px;
      padding-left: 20px;
      border-left: 2px solid var(--divider-color, #ccc);
      max-height: 220px;
      overflow-y: auto;
    }
    .entity-timeline li {
      margin: 2px 0;
    }
    .entity-timeline .level {
      font-size: 0.8em;
      padding: 0 6px;
    }
    .entity-timeline button.link {
      border: 0;
      padding: 2px 0;
      border-radius: 0;
      color: inherit;
      text-align: left;
      text-decoration: underline dotted;
    }
    .sightings button.link {
      border: 0;
      padding: 2px 0;
      border-radius: 0;
      color: inherit;
      text-align: left;
      text-decoration: underline dotted;
    }
    .answer {
      margin-top: 12px;
    }
    button[aria-pressed="true"] {
      background: var(--secondary-background-color, rgba(3, 169, 244, 0.12));
      font-weight: 600;
    }
    .error {
      color: var(--error-color, #b71c1c);
    }
    .ok {
      color: var(--success-color, #2e7d32);
    }
    footer {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      margin-top: 16px;
    }
    button {
      font: inherit;
      border-radius: 18px;
      padding: 6px 14px;
      border: 1px solid var(--primary-color, #03a9f4);
      background: none;
      color: var(--primary-color, #0277bd);
      cursor: pointer;
    }
    button.primary {
      background: var(--primary-color, #0277bd);
      color: var(--text-primary-color, #fff);
    }
    button:disabled {
      opacity: 0.5;
      cursor: default;
    }
    button.close {
      border: 0;
      font-size: 1.2em;
      color: var(--secondary-text-color, #555);
    }
    @media (max-width: 600px) {
      dialog {
        width: 100vw;
        max-width: 100vw;
        height: 100vh;
        max-height: 100vh;
        border-radius: 0;
      }
      article {
        padding: 12px;
      }
    }
  `;
}
