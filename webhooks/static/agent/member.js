// Looking up a member by Subscriber ID and showing their record: name, plans (balance, due date,
// status) and recent payments. The plans are also the ones a capture can be for.

import { api } from "./api.js";
import { fillPlans, renderCaptureAvailability } from "./capture-form.js";
import { day, dollars, moment, sentence } from "./format.js";
import { $, clearErrors, el, setText, showError } from "./page.js";
import { view } from "./state.js";

const PLAN_STATUS = {
  active: "Active",
  pending: "New: awaiting first payment",
  grace: "In grace period",
  terminated: "Terminated",
};

export async function lookUp(event) {
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
