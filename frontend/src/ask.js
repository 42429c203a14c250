// The Ask box: a question about the history -> the server's answer (`ask`), with the events it
// cites as rows that open the event dialog (`hsi-open`).
import { LitElement, css, html, nothing } from "lit";
import { formatDateTime } from "./format.js";
import { DOMAIN, badge, describe, openEvent, rowStyles, withEntry } from "./shared.js";

// "[<event id>]" and "[<id>, <id>]" in the answer become the numbers of the cited rows.
export function numberCitations(answer, citations) {
  const index = new Map(citations.map((c, i) => [String(c.id), i + 1]));
  return String(answer || "").replace(/\[([^\]]+)\]/g, (whole, inner) => {
    const numbers = inner.split(/[\s,;]+/).filter(Boolean).map((id) => index.get(id));
    return numbers.length && numbers.every(Boolean) ? `[${numbers.join(", ")}]` : whole;
  });
}

// What the server understood, in words: "this week · driveway · vehicle · unknown".
export function understoodText(understood) {
  const u = understood || {};
  const parts = [u.time_phrase, ...(u.cameras || []), ...(u.zones || []), ...(u.categories || [])];
  if (u.known === true) parts.push("known");
  if (u.known === false) parts.push("unknown");
  if (u.min_level) parts.push(`${u.min_level} and above`);
  return parts.filter(Boolean).join(" · ");
}

export class HsiAsk extends LitElement {
  static properties = {
    hass: { attribute: false },
    entryId: { attribute: false },
    _result: { state: true },
    _busy: { state: true },
    _error: { state: true },
  };

  async _ask(e) {
    e.preventDefault();
    const question = this.renderRoot.querySelector("input").value.trim();
    if (!question || this._busy) return;
    this._busy = true;
    this._error = "";
    try {
      this._result = await this.hass.callWS(withEntry(this.entryId, { type: `${DOMAIN}/ask`, question }));
    } catch (err) {
      this._error = describe(err);
    } finally {
      this._busy = false;
    }
  }

  render() {
    const r = this._result;
    const citations = (r && r.citations) || [];
    const understood = r && understoodText(r.understood);
    return html`<form @submit=${(e) => this._ask(e)}>
        <input
          type="search"
          name="question"
          maxlength="500"
          placeholder="Ask, e.g. was anyone at the back door last night?"
          aria-label="Question about the events"
          ?disabled=${this._busy}
        />
        <button class="act" type="submit" ?disabled=${this._busy}>${this._busy ? "Asking…" : "Ask"}</button>
      </form>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
      ${r
        ? html`<p class="answer" role="status">${numberCitations(r.answer, citations)}</p>
            ${understood ? html`<p class="muted small">Searched: ${understood}</p>` : nothing}
            <ul class="citations">
              ${citations.map((c, i) => this._renderCitation(c, i + 1))}
            </ul>
            <p class="muted small">Answered by ${r.answered_by || "extractive"}</p>`
        : nothing}`;
  }

  _renderCitation(c, number) {
    const camera = c.camera_name || c.camera;
    return html`<li class="citation" data-event-id=${c.id}>
      <button class="row" @click=${() => openEvent(this, c)} aria-label="${number}: ${camera}, ${c.summary}">
        <span class="num">${number}</span>
        <img
          class="thumb"
          loading="lazy"
          src=${c.snapshot_url || ""}
          alt="Snapshot from ${camera}"
          @error=${(e) => e.target.classList.add("missing")}
        />
        <span class="text">
          <span><span class="camera">${camera}</span> · <time datetime=${c.started_at}>${formatDateTime(c.started_at, this.hass)}</time></span>
          <span>${c.summary}</span>
          <span>${badge(c)}</span>
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
      form {
        display: flex;
        gap: 8px;
      }
      form input {
        flex: 1;
        min-width: 0;
        padding: 6px 10px;
      }
      .answer {
        white-space: pre-line;
        color: var(--primary-text-color);
        margin: 12px 0 4px;
      }
      .small {
        font-size: 0.85em;
        margin: 4px 0;
      }
      .num {
        font-weight: 600;
        min-width: 1.2em;
        color: var(--secondary-text-color);
      }
    `,
  ];
}
