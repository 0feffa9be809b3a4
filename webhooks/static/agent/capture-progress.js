// Following a capture while the caller keys their details, polled every second: its state (a
// live region, focused when the capture ends), each field's progress, never what was keyed
// beyond the masked display, and the agent's "Ask again" and "Cancel capture".

import { api } from "./api.js";
import { renderCaptureAvailability } from "./capture-form.js";
import { captureWords } from "./capture-words.js";
import { sentence } from "./format.js";
import { lookUp } from "./member.js";
import { $, el, setText } from "./page.js";
import { FINAL, view } from "./state.js";

const CAPTURE_EVERY_MS = 1000;
const FIELD_NAMES = {
  card_number: "Card number",
  expiry: "Expiration date",
  security_code: "Security code",
  zip: "Billing ZIP code",
  confirm: "Caller's confirmation",
  account_type: "Account type",
  routing: "Routing number",
  account: "Account number",
  account_again: "Account number, again",
  authorization: "Caller's debit authorization",
};
const AUTOPAY_FIELD_NAMES = { ...FIELD_NAMES, authorization: "Caller's AutoPay authorization" };
const NOT_ASKED_AGAIN = ["confirm", "authorization"];
const FIELD_STATES = {
  waiting: ["○", "Waiting"],
  entering: ["✎", "Being entered"],
  done: ["✓", "Done"],
  skipped: ["–", "Not entered"],
};
const ANSWERED = ["processing", "approved", "declined", "failed", "enrolled"]; // the caller confirmed

export function beginCapture(id) {
  view.capture = { id, state: "waiting", fields: [] };
  setText("capture-error", "");
  $("capture-fields").replaceChildren();
  delete $("capture-fields").dataset.names;
  $("capture").hidden = false;
  renderCapture(view.capture);
  pollCapture();
}

async function pollCapture() {
  const capture = view.capture;
  if (!capture || view.stopped) return;
  try {
    renderCapture(await api("GET", `/captures/${capture.id}`));
  } catch (error) {
    if (error.status !== 401) setText("capture-error", `Progress not updated: ${sentence(error.message)}`);
  }
  if (view.capture === capture && !FINAL.includes(capture.state)) setTimeout(pollCapture, CAPTURE_EVERY_MS);
}

function renderCapture(shown) {
  const capture = view.capture;
  const wasFinal = FINAL.includes(capture.state);
  Object.assign(capture, { state: shown.state, fields: shown.fields || [], purpose: shown.purpose });
  if (capture.fields.length) renderFields(capture);
  setText("capture-state", captureWords(shown));
  $("capture-state").className = `capture-state ${shown.state}`;
  const final = FINAL.includes(shown.state);
  $("capture-cancel").disabled = final || shown.state === "processing";
  $("capture-cancel").hidden = final;
  renderCaptureAvailability();
  if (final && !wasFinal) {
    if (view.member) lookUp(); // the recent payments, with this one
    const focus = document.activeElement;
    if (!focus || focus === document.body || $("capture").contains(focus)) $("capture-state").focus();
  }
}

function renderFields(capture) {
  const list = $("capture-fields");
  const names = capture.fields.map((field) => field.name).join(" ");
  if (list.dataset.names !== names) {
    list.dataset.names = names;
    const labels = capture.purpose === "autopay" ? AUTOPAY_FIELD_NAMES : FIELD_NAMES;
    list.replaceChildren(...capture.fields.map((field) => fieldItem(field, labels)));
  }
  const capturing = capture.state === "capturing";
  for (const field of capture.fields) {
    const item = $(`field-${field.name}`);
    const state = fieldState(capture.state, field);
    const [icon, words] = FIELD_STATES[state] || ["", state];
    item.className = `capture-field ${state}`;
    setText(`field-${field.name}-icon`, icon);
    setText(`field-${field.name}-state`, words);
    setText(`field-${field.name}-display`, field.display || "");
    const again = item.querySelector("button");
    if (again) Object.assign(again, { disabled: !capturing, hidden: FINAL.includes(capture.state) });
  }
}

// The record keeps the fields as the caller's last turn left them: once the caller has
// confirmed, the confirmation is done; once the capture has ended, what is not done never was.
function fieldState(captureState, field) {
  if (field.state === "done") return "done";
  if (ANSWERED.includes(captureState) && NOT_ASKED_AGAIN.includes(field.name)) return "done";
  return FINAL.includes(captureState) ? "skipped" : field.state;
}

function fieldItem(field, names) {
  const name = names[field.name] || field.name;
  const item = el("li", { id: `field-${field.name}`, class: "capture-field" },
    el("span", { class: "name", text: name }),
    el("span", { class: "state" },
      el("span", { id: `field-${field.name}-icon`, "aria-hidden": "true" }), " ",
      el("span", { class: "visually-hidden", text: `${name}: ` }),
      el("span", { id: `field-${field.name}-state` })),
    el("span", { class: "display", id: `field-${field.name}-display` }));
  if (!NOT_ASKED_AGAIN.includes(field.name)) {
    const again = el("button", { type: "button", class: "secondary" }, "Ask again",
      el("span", { class: "visually-hidden", text: ` for the ${name.toLowerCase()}` }));
    again.addEventListener("click", () => askAgain(field.name));
    item.append(again);
  }
  return item;
}

async function captureAction(path) {
  setText("capture-error", "");
  try {
    renderCapture(await api("POST", `/captures/${view.capture.id}${path}`));
  } catch (error) {
    setText("capture-error", sentence(error.message));
  }
}

const askAgain = (name) => captureAction(`/fields/${encodeURIComponent(name)}/again`);

export const cancelCapture = () => captureAction("/cancel");
