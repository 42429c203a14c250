// Entry point of the bundle: defines the elements once and announces the card to the picker.
import { CARD_TAG, HsiEventsCard } from "./hsi-events-card.js";
import { EventDetail } from "./detail.js";
import { EventsCardEditor } from "./editor.js";
import { HsiAsk } from "./ask.js";
import { HsiCameraView } from "./camera.js";

const define = (tag, element) => {
  if (!customElements.get(tag)) customElements.define(tag, element);
};
define("hsi-event-detail", EventDetail);
define("hsi-events-card-editor", EventsCardEditor);
define("hsi-ask", HsiAsk);
define("hsi-camera-view", HsiCameraView);
define(CARD_TAG, HsiEventsCard);

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD_TAG)) {
  window.customCards.push({
    type: CARD_TAG,
    name: "Security events",
    description: "Home Security Intelligence: a timeline of scored camera events with snapshots, clips and review; ask the history; tripwires and a timeline per camera.",
    preview: false,
    documentationURL: "https://github.com/home-security-intelligence/hsi/blob/main/docs/home_assistant.md",
  });
}
