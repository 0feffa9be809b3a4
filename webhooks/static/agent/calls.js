// The list of calls, polled every 1.5 s: each call's number, language, channel, state and
// verification, with what changed said in the summary (a live region); selecting a call, and
// the selected call's own summary.

import { api } from "./api.js";
import { renderCaptureAvailability } from "./capture-form.js";
import { beginCapture } from "./capture-progress.js";
import { phone, sentence } from "./format.js";
import { $, el, setText } from "./page.js";
import { selectedCall, view } from "./state.js";

const CALLS_EVERY_MS = 1500;
const CALL_STATES = { waiting: "Waiting to be connected", connected: "Connected", capturing: "Capturing details" };
const LANGUAGES = { en: "English", es: "Spanish" };

export async function pollCalls() {
  try {
    const data = await api("GET", "/calls");
    renderCalls(data.calls);
  } catch (error) {
    if (error.status !== 401) setText("calls-summary", `Calls not updated: ${sentence(error.message)}`);
  }
  if (!view.stopped) setTimeout(pollCalls, CALLS_EVERY_MS);
}

function callWords(call) {
  return `the call from ${phone(call.from)}`;
}

function changes(before, after) {
  if (before === null) return [];
  const old = new Map(before.map((call) => [call.call_sid, call]));
  const now = new Map(after.map((call) => [call.call_sid, call]));
  const said = [];
  for (const call of after) {
    const was = old.get(call.call_sid);
    if (!was) said.push(`New call from ${phone(call.from)}.`);
    else if (was.state !== call.state) said.push(sentence(`${callWords(call)} is now ${CALL_STATES[call.state].toLowerCase()}`));
    else if (was.verified !== call.verified) said.push(sentence(`${callWords(call)} is now verified`));
  }
  for (const call of before) if (!now.has(call.call_sid)) said.push(sentence(`${callWords(call)} has ended`));
  return said;
}

function countWords(calls) {
  if (calls.length === 0) return "No calls are waiting or connected.";
  const count = (state) => calls.filter((call) => call.state === state).length;
  const parts = Object.keys(CALL_STATES).filter(count).map((state) => `${count(state)} ${state}`);
  return `${calls.length} ${calls.length === 1 ? "call" : "calls"}: ${parts.join(", ")}.`;
}

function renderCalls(calls) {
  const key = JSON.stringify(calls);
  if (key === view.callsKey) return;
  const said = changes(view.calls, calls);
  view.calls = calls;
  view.callsKey = key;
  setText("calls-summary", [...said, countWords(calls)].join(" "));
  const list = $("calls");
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.sid : null;
  list.replaceChildren(...calls.map(callItem));
  if (focused) list.querySelector(`button[data-sid="${CSS.escape(focused)}"]`)?.focus();
  renderSelected();
}

function callItem(call) {
  const selected = call.call_sid === view.selected;
  const facts = el("ul", { class: "call-facts" },
    el("li", { text: LANGUAGES[call.language] || call.language }),
    call.channel === "relay"
      ? el("li", { class: "tag relay", text: "RELAY (TTY): allow extra time" })
      : el("li", { class: "tag", text: "Voice" }),
    el("li", { class: "tag", text: CALL_STATES[call.state] || call.state }),
    call.verified
      ? el("li", { class: "tag verified", text: `✓ Verified: subscriber ${call.subscriber_id}` })
      : el("li", { class: "tag unverified", text: "Not verified" }));
  const button = el("button", { type: "button", class: "secondary", "data-sid": call.call_sid },
    selected ? "Selected" : "Select",
  el("span", { class: "visually-hidden", text: ` ${callWords(call)}` }));
  button.addEventListener("click", () => selectCall(call.call_sid));
  return el("li", { class: selected ? "call selected" : "call" },
    el("p", { class: "call-from", text: phone(call.from) }), facts, button);
}

function selectCall(sid) {
  const changed = view.selected !== sid;
  view.selected = sid;
  view.callsKey = ""; // re-render the list with the new selection
  renderCalls(view.calls);
  if (changed) setText("verify-result", "");
  const call = selectedCall();
  if (call && call.verified && changed) $("lookup-id").value = call.subscriber_id;
}

function renderSelected() {
  const call = selectedCall();
  if (view.selected && !call) setText("call-summary", "The selected call has ended.");
  else if (call) {
    const verified = call.verified ? `verified as subscriber ${call.subscriber_id}` : "not verified";
    const channel = call.channel === "relay" ? "relay (TTY)" : "voice";
    setText("call-summary", sentence(`${callWords(call)}: ${LANGUAGES[call.language] || call.language}, `
      + `${channel}, ${(CALL_STATES[call.state] || call.state).toLowerCase()}, ${verified}`));
  }
  $("verify-form").hidden = !call || call.verified;
  if (call && call.capture_id && !view.capture) beginCapture(call.capture_id); // after a reload
  renderCaptureAvailability();
}
