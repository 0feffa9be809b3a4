// What the page knows between polls, shared by the other modules: the calls last shown, the
// selected call, the member looked up, the capture being followed, and whether polling stopped.

export const FINAL = ["approved", "declined", "failed", "cancelled", "abandoned", "enrolled", "refused"];

export const view = { calls: null, callsKey: "", selected: null, member: null, capture: null, stopped: false };

export function selectedCall() {
  return (view.calls || []).find((call) => call.call_sid === view.selected) || null;
}
