// The form that starts a secure capture on the selected call: a payment (plan, amount, card or
// bank) or AutoPay (plan, day of the month); when the form is offered at all, and why not.

import { api } from "./api.js";
import { beginCapture } from "./capture-progress.js";
import { dollars, ordinal, toCents } from "./format.js";
import { $, clearErrors, el, setText, showError } from "./page.js";
import { FINAL, selectedCall, view } from "./state.js";

function purpose() {
  return $("capture-form").elements.purpose.value;
}

function kindWords(plan) {
  return `${plan.kind === "dental" ? "Dental" : "Health"} plan`;
}

// The plans a capture can be for (the one chosen stays chosen): for a payment those with
// something due, the amount their balance; for AutoPay those whose coverage has not ended.
export function fillPlans(plans) {
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

export function showPurpose() {
  const autopay = purpose() === "autopay";
  $("capture-payment-choices").hidden = autopay;
  $("capture-day").hidden = !autopay;
  clearErrors($("capture-form"));
  fillPlans((view.member && view.member.plans) || []);
}

function planById(id) {
  return ((view.member && view.member.plans) || []).find((plan) => plan.plan_id === id);
}

export function prefillAmount() {
  const plan = planById($("capture-plan").value);
  $("capture-amount").value = plan ? plan.balance : "";
}

export function renderCaptureAvailability() {
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

export async function startCapture(event) {
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
