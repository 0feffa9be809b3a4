// Verifying the selected caller: their Subscriber ID with the date of birth, or with the second
// check (ZIP code and last payment) for a member the date of birth cannot verify now. Once
// verified, their member record is looked up.

import { api } from "./api.js";
import { moment } from "./format.js";
import { lookUp } from "./member.js";
import { $, clearErrors, setText, showError } from "./page.js";
import { selectedCall } from "./state.js";

export async function verify(event) {
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
