// The end of the agent's session: when the API says it has ended the page goes back to the
// login form, and after the service's idle time without use the console logs itself out
// (never while a capture is under way). Either way the polls stop.

import { $ } from "./page.js";
import { FINAL, view } from "./state.js";

const IDLE_CHECK_EVERY_MS = 10_000;
const idleMs = Number($("console").dataset.idleSeconds) * 1000;
// Counted from when the page began to load, not from when this script starts (once all its
// modules have arrived): a page left alone meanwhile has been idle all that time.
let lastActivity = Date.now() - performance.now();

export function sessionEnded() {
  if (view.loggingOut) return; // the logout's own page says why; a late poll must not race it
  view.stopped = true;
  window.location.assign("/agent/"); // the login form, saying the session ended
}

function checkIdle() {
  const busy = view.capture && !FINAL.includes(view.capture.state);
  if (!busy && Date.now() - lastActivity > idleMs) {
    view.stopped = view.loggingOut = true;
    $("logout-reason").value = "idle";
    $("logout-form").requestSubmit();
    return;
  }
  setTimeout(checkIdle, IDLE_CHECK_EVERY_MS);
}

// Any key, pointer or input counts as use; logging out (by hand or idle) stops the polls.
// The first check is at once, then every 10 s.
export function watchSession() {
  for (const kind of ["keydown", "pointerdown", "input"]) {
    document.addEventListener(kind, () => { lastActivity = Date.now(); }, { passive: true });
  }
  $("logout-form").addEventListener("submit", () => { view.stopped = view.loggingOut = true; });
  checkIdle();
}
