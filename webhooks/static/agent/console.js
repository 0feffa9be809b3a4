// The agent console: polls the JSON API (/api/agent/v1) with the session cookie and sends the
// page's CSRF token with every change. No framework, no build step. Every text from the API is
// put in the page as text (textContent), never as HTML.
"use strict";

(() => {
  const API = "/api/agent/v1";
  const CALLS_EVERY_MS = 1500;
  const CAPTURE_EVERY_MS = 1000;
  const FINAL = ["approved", "declined", "failed", "cancelled", "abandoned", "enrolled", "refused"];
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
  const CALL_STATES = { waiting: "Waiting to be connected", connected: "Connected", capturing: "Capturing details" };
  const LANGUAGES = { en: "English", es: "Spanish" };
  const PLAN_STATUS = {
    active: "Active",
    pending: "New: awaiting first payment",
    grace: "In grace period",
    terminated: "Terminated",
  };

  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const idleMs = Number($("console").dataset.idleSeconds) * 1000;
  const view = { calls: null, callsKey: "", selected: null, member: null, capture: null, stopped: false };
  let lastActivity = Date.now();

  // ---- talking to the API -------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, error) {
      super(error.message || "");
      this.status = status;
      this.code = error.code;
      this.field = error.field;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    const options = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, options);
    } catch (_) {
      throw new ApiError(0, { code: "network", message: "the service could not be reached; check the connection" });
    }
    if (response.status === 401) sessionEnded();
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiError(response.status, (data && data.error) || { message: `the service answered ${response.status}` });
    }
    return data;
  }

  function sessionEnded() {
    if (view.loggingOut) return; // the logout's own page says why; a late poll must not race it
    view.stopped = true;
    window.location.assign("/agent/"); // the login form, saying the session ended
  }

  // ---- small helpers ------------------------------------------------------------------------

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function sentence(message) {
    const text = String(message || "").trim();
    if (!text) return "";
    const capital = text[0].toUpperCase() + text.slice(1);
    return /[.!?]$/.test(capital) ? capital : capital + ".";
  }

  function phone(number) {
    if (!number) return "Number withheld";
    const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
    return us ? `+1 ${us[1]}-${us[2]}-${us[3]}` : number;
  }

  function dollars(amount) {
    const [whole, cents = "00"] = String(amount).split(".");
    return `$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents.padEnd(2, "0")}`;
  }

  function toCents(text) {
    const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(text.trim());
    return match ? Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0")) : null;
  }

  function day(isoDate) {
    if (!isoDate) return "—";
    const [y, m, d] = isoDate.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-US", {
      timeZone: "UTC", weekday: "short", year: "numeric", month: "short", day: "numeric",
    });
  }

  function moment(isoTime) {
    return new Date(isoTime).toLocaleString("en-US", {
      timeZone: "America/New_York", dateStyle: "medium", timeStyle: "short",
    }) + " Eastern";
  }

  function setText(id, text) {
    const node = $(id);
    if (node.textContent !== text) node.textContent = text;
  }

  function clearErrors(form) {
    for (const node of form.querySelectorAll(".field-error, .form-error")) node.textContent = "";
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  // Show an error next to the control it concerns (`controls` maps API field names to ids);
  // an error about no field goes to the form's own error line.
  function showError(error, controls, formErrorId) {
    const id = controls[error.field];
    const message = sentence(error.message);
    if (id) {
      const control = $(id);
      control.setAttribute("aria-invalid", "true");
      setText(`${id}-error`, message);
      const radio = control.matches("fieldset")
        && (control.querySelector("input:checked") || control.querySelector("input"));
      (radio || control).focus();
    } else {
      setText(formErrorId, message);
    }
  }

  // ---- the calls ----------------------------------------------------------------------------

  async function pollCalls() {
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

  function selectedCall() {
    return (view.calls || []).find((call) => call.call_sid === view.selected) || null;
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

  // ---- verification -------------------------------------------------------------------------

  async function verify(event) {
    event.preventDefault();
    const form = $("verify-form");
    const call = selectedCall();
    clearErrors(form);
    if (!call) return setText("verify-error", "The call has ended.");
    const subscriber = $("verify-subscriber").value.trim();
    const born = $("verify-dob").value;
    const zip = $("verify-zip").value.trim();
    const last = $("verify-last").value.trim();
    const controls = { subscriber_id: "verify-subscriber", date_of_birth: "verify-dob",
      zip: "verify-zip", last_payment_amount: "verify-last" };
    if (!/^\d{12}$/.test(subscriber)) return showError({ field: "subscriber_id", message: "a Subscriber ID is 12 digits" }, controls);
    const second = !born && zip !== "";
    if (!born && !second) return showError({ field: "date_of_birth", message: "enter the date of birth (or a second check)" }, controls);
    if (second && !/^\d{5}$/.test(zip)) return showError({ field: "zip", message: "a ZIP code is 5 digits" }, controls);
    if (second && last && !/^\d{1,7}\.\d{2}$/.test(last)) return showError({ field: "last_payment_amount", message: "dollars and cents, for example 45.00" }, controls);
    const body = second
      ? { subscriber_id: subscriber, zip, last_payment_amount: last || null }
      : { subscriber_id: subscriber, date_of_birth: born };
    try {
      const verdict = await api("POST", `/calls/${encodeURIComponent(call.call_sid)}/verification`, body);
      setText("verify-result", verdictWords(verdict, subscriber));
      if (verdict.result === "ok") {
        form.reset();
        $("lookup-id").value = subscriber;
        await lookUp();
      }
    } catch (error) {
      showError(error, controls, "verify-error");
    }
  }

  function verdictWords(verdict, subscriber) {
    if (verdict.result === "ok") return `Verified: the caller is subscriber ${subscriber}.`;
    if (verdict.result === "locked") {
      return `Locked: too many failed attempts. Verification is locked until ${moment(verdict.locked_until)}. A second check can verify the caller.`;
    }
    return "Does not match: those details are not the ones on file for this Subscriber ID. The caller is not verified.";
  }

  // ---- the member ---------------------------------------------------------------------------

  async function lookUp(event) {
    if (event) event.preventDefault();
    const form = $("lookup-form");
    clearErrors(form);
    const subscriber = $("lookup-id").value.trim();
    const controls = { subscriber_id: "lookup-id" };
    if (!/^\d{12}$/.test(subscriber)) return showError({ field: "subscriber_id", message: "a Subscriber ID is 12 digits" }, controls);
    try {
      renderMember(await api("GET", `/members/${subscriber}`));
    } catch (error) {
      showError({ ...error, field: "subscriber_id", message: error.message }, controls);
    }
  }

  function renderMember(member) {
    view.member = member;
    $("member").hidden = false;
    setText("member-name", `${member.first_name} ${member.last_name}, subscriber ${member.subscriber_id}`
      + (member.language === "es" ? " (prefers Spanish)" : ""));
    $("plans").tBodies[0].replaceChildren(...member.plans.map(planRow));
    const payments = member.recent_payments;
    $("no-payments").hidden = payments.length > 0;
    $("payments").hidden = payments.length === 0;
    $("payments").tBodies[0].replaceChildren(...payments.map(paymentRow));
    fillPlans(member.plans);
    renderCaptureAvailability();
  }

  function planRow(plan) {
    const kind = plan.kind === "dental" ? "Dental" : "Health";
    const pastDue = plan.past_due && plan.past_due !== "0.00" ? ` (${dollars(plan.past_due)} past due)` : "";
    return el("tr", {},
      el("td", { text: `${kind}: ${plan.name}, ${plan.carrier}` }),
      el("td", { text: dollars(plan.balance) }),
      el("td", { text: plan.balance === "0.00" ? "Nothing due" : day(plan.due_date) }),
      el("td", { text: (PLAN_STATUS[plan.status] || plan.status) + pastDue }));
  }

  function paymentRow(payment) {
    return el("tr", {},
      el("td", { text: payment.confirmation || "—" }),
      el("td", { text: dollars(payment.amount) }),
      el("td", { text: sentence(payment.status).replace(/\.$/, "") }),
      el("td", { text: payment.method === "bank" ? "Bank account" : "Card" }),
      el("td", { text: payment.last4 || "—" }),
      el("td", { text: { agent: "Agent", voice: "Phone", relay: "Relay" }[payment.channel] || payment.channel }),
      el("td", { text: moment(payment.created_at) }));
  }

  // ---- capture ------------------------------------------------------------------------------

  function purpose() {
    return $("capture-form").elements.purpose.value;
  }

  function kindWords(plan) {
    return `${plan.kind === "dental" ? "Dental" : "Health"} plan`;
  }

  // The plans a capture can be for (the one chosen stays chosen): for a payment those with
  // something due, the amount their balance; for AutoPay those whose coverage has not ended.
  function fillPlans(plans) {
    const select = $("capture-plan");
    const chosen = select.value;
    const autopay = purpose() === "autopay";
    const open = autopay
      ? plans.filter((plan) => plan.status !== "terminated")
      : plans.filter((plan) => plan.balance !== "0.00");
    select.replaceChildren(...open.map((plan) => el("option", { value: plan.plan_id,
      text: autopay ? autopayOption(plan) : `${kindWords(plan)}: ${dollars(plan.balance)} due` })));
    if (open.some((plan) => plan.plan_id === chosen)) select.value = chosen;
    let note = "";
    if (!open.length) note = autopay ? "Every plan's coverage has ended: AutoPay cannot be set up." : "Nothing is due on this member's plans.";
    else if (autopay && open.some(hasAutopay)) note = "Setting up AutoPay on a plan that has it replaces its day and account.";
    setText("capture-plan-hint", note);
    $("capture-start").disabled = !open.length;
    prefillAmount();
  }

  function hasAutopay(plan) {
    return ["active", "paused"].includes((plan.autopay || {}).status);
  }

  function autopayOption(plan) {
    if (!plan.autopay) return kindWords(plan); // the member's record does not say
    if (!hasAutopay(plan)) return `${kindWords(plan)}: no AutoPay`;
    return `${kindWords(plan)}: AutoPay ${plan.autopay.status} on the ${ordinal(plan.autopay.day)} (replace it)`;
  }

  function showPurpose() {
    const autopay = purpose() === "autopay";
    $("capture-payment-choices").hidden = autopay;
    $("capture-day").hidden = !autopay;
    clearErrors($("capture-form"));
    fillPlans((view.member && view.member.plans) || []);
  }

  function planById(id) {
    return ((view.member && view.member.plans) || []).find((plan) => plan.plan_id === id);
  }

  function prefillAmount() {
    const plan = planById($("capture-plan").value);
    $("capture-amount").value = plan ? plan.balance : "";
  }

  function renderCaptureAvailability() {
    const call = selectedCall();
    const member = view.member;
    const active = view.capture && !FINAL.includes(view.capture.state);
    let hint = "";
    if (!call) hint = "Select a connected, verified call and look up its member first.";
    else if (!call.verified) hint = "Verify the caller first.";
    else if (!member || member.subscriber_id !== call.subscriber_id) hint = "Look up the caller's member record first.";
    else if (call.state === "waiting") hint = "Waiting for your line to join the call.";
    else if (call.state === "capturing") hint = "A capture is under way on this call.";
    setText("capture-hint", active ? "" : hint);
    $("capture-hint").hidden = Boolean(active) || !hint;
    $("capture-form").hidden = Boolean(active) || Boolean(hint);
  }

  async function startCapture(event) {
    event.preventDefault();
    const form = $("capture-form");
    const call = selectedCall();
    clearErrors(form);
    const controls = {
      plan_id: "capture-plan", amount: "capture-amount", method: "capture-method",
      purpose: "capture-purpose", day: "capture-day",
    };
    const plan = planById($("capture-plan").value);
    if (!call || !plan) return setText("capture-form-error", "Select a call and a plan first.");
    const body = purpose() === "autopay" ? autopayChoices(form, plan, controls) : paymentChoices(form, plan, controls);
    if (!body) return;
    try {
      const started = await api("POST", `/calls/${encodeURIComponent(call.call_sid)}/captures`, body);
      beginCapture(started.capture_id);
    } catch (error) {
      showError(error, controls, "capture-form-error");
    }
  }

  function autopayChoices(form, plan, controls) {
    const day = form.elements.day.value;
    if (!day) return showError({ field: "day", message: "choose the 15th or the 23rd" }, controls);
    return { purpose: "autopay", plan_id: plan.plan_id, day: Number(day) };
  }

  function paymentChoices(form, plan, controls) {
    const cents = toCents($("capture-amount").value);
    if (cents === null || cents <= 0 || cents > toCents(plan.balance)) {
      return showError({ field: "amount", message: `enter an amount more than $0.00 and at most ${dollars(plan.balance)}` }, controls);
    }
    const method = form.elements.method.value;
    return { plan_id: plan.plan_id, amount: $("capture-amount").value.trim(), method };
  }

  function beginCapture(id) {
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

  function captureWords(shown) {
    if (shown.purpose === "autopay") return autopayWords(shown);
    const message = shown.message ? ` (${shown.message})` : "";
    const paid = shown.payment && shown.payment.remaining_balance != null
      ? ` ${dollars(shown.payment.amount)} paid; the plan's balance is now ${dollars(shown.payment.remaining_balance)}.` : "";
    switch (shown.state) {
      case "waiting": return "Waiting: moving the caller to secure entry.";
      case "capturing": return "The caller is entering their details.";
      case "processing": return "Processing: waiting for the processor's answer.";
      case "approved": return `Approved. Confirmation number ${shown.confirmation}.${paid}`;
      case "declined": return `Declined${message}. Nothing was charged. The caller is back with you.`;
      case "failed": return `Failed${message}: the payment did not go through. Nothing was charged.`;
      case "cancelled": return `Cancelled${message}. Nothing was charged.`;
      case "abandoned": return `Abandoned${message}. Check the recent payments below.`;
      default: return sentence(shown.state);
    }
  }

  function autopayWords(shown) {
    const message = shown.message ? ` (${shown.message})` : "";
    switch (shown.state) {
      case "waiting": return `Waiting: moving the caller to secure entry for AutoPay on the ${ordinal(shown.day)}.`;
      case "capturing": return `The caller is entering their bank account for AutoPay on the ${ordinal(shown.day)}.`;
      case "enrolled": return `AutoPay set up, reference ${shown.reference}. ${firstDebitWords(shown)}`;
      case "refused": return "AutoPay was not set up: the line refused these details. Nothing was changed. The caller is back with you.";
      case "cancelled": return `Cancelled${message}. AutoPay was not set up.`;
      case "abandoned": return `Abandoned${message}. AutoPay was not set up.`;
      default: return sentence(shown.state);
    }
  }

  function firstDebitWords(shown) {
    const enrolment = shown.enrolment || {};
    const copy = enrolment.written_copy === "sms" ? "a text message" : "mail";
    const first = enrolment.first_amount && enrolment.first_amount !== "0.00"
      ? `${dollars(enrolment.first_amount)} on ${day(enrolment.first_debit)}`
      : `on ${day(enrolment.first_debit)}, for the balance due then`;
    return `Debits on the ${ordinal(shown.day)} of each month; the first is ${first}. `
      + `The written copy of the authorization goes by ${copy}.`;
  }

  function ordinal(dayOfMonth) {
    return { 15: "15th", 23: "23rd" }[dayOfMonth] || String(dayOfMonth);
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

  // ---- idle: the console ends its own session after the service's idle time without use ----

  function checkIdle() {
    const busy = view.capture && !FINAL.includes(view.capture.state);
    if (!busy && Date.now() - lastActivity > idleMs) {
      view.stopped = view.loggingOut = true;
      $("logout-reason").value = "idle";
      $("logout-form").requestSubmit();
      return;
    }
    setTimeout(checkIdle, 10_000);
  }

  // ---- wiring -------------------------------------------------------------------------------

  for (const kind of ["keydown", "pointerdown", "input"]) {
    document.addEventListener(kind, () => { lastActivity = Date.now(); }, { passive: true });
  }
  $("logout-form").addEventListener("submit", () => { view.stopped = view.loggingOut = true; });
  $("capture-state").tabIndex = -1; // focus moves there when a capture ends
  $("verify-form").addEventListener("submit", verify);
  $("lookup-form").addEventListener("submit", lookUp);
  $("capture-form").addEventListener("submit", startCapture);
  $("capture-plan").addEventListener("change", prefillAmount);
  for (const choice of $("capture-form").elements.purpose) choice.addEventListener("change", showPurpose);
  $("capture-cancel").addEventListener("click", () => captureAction("/cancel"));
  pollCalls();
  setTimeout(checkIdle, 10_000);
})();
