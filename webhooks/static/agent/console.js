// The agent console's entry point, loaded as a native ES module (no framework, no build step):
// it wires the page's forms and buttons to the modules beside it and starts following the calls.
//   api.js               the JSON API (/api/agent/v1): session cookie, CSRF token on changes
//   session.js           the session's end: back to the login form, or logged out when idle
//   calls.js             the list of calls and the selected call
//   verify.js            verifying the selected caller
//   member.js            looking up the member: plans and recent payments
//   capture-form.js      starting a payment or AutoPay capture
//   capture-progress.js  following the capture: its state and each field's progress
//   capture-words.js     what the capture's state line says
//   page.js, format.js, state.js  DOM helpers, words and numbers, the state they share
// Every text from the API is put in the page as text (textContent), never as HTML.

import { pollCalls } from "./calls.js";
import { prefillAmount, showPurpose, startCapture } from "./capture-form.js";
import { cancelCapture } from "./capture-progress.js";
import { lookUp } from "./member.js";
import { $ } from "./page.js";
import { watchSession } from "./session.js";
import { verify } from "./verify.js";

watchSession();
$("capture-state").tabIndex = -1; // focus moves there when a capture ends
$("verify-form").addEventListener("submit", verify);
$("lookup-form").addEventListener("submit", lookUp);
$("capture-form").addEventListener("submit", startCapture);
$("capture-plan").addEventListener("change", prefillAmount);
for (const choice of $("capture-form").elements.purpose) choice.addEventListener("change", showPurpose);
$("capture-cancel").addEventListener("click", cancelCapture);
pollCalls();
