// What the capture's state line says, for a payment or an AutoPay enrolment: waiting, being
// keyed, processing, and how it ended (the confirmation, or why nothing was charged).

import { day, dollars, ordinal, sentence } from "./format.js";

export function captureWords(shown) {
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
