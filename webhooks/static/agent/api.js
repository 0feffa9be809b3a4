// The JSON API client: every request goes to /api/agent/v1 with the session cookie, and every
// change carries the page's CSRF token as X-CSRF-Token. A failure is thrown as an ApiError
// whose message can be shown to the agent; a 401 means the session has ended.

import { sessionEnded } from "./session.js";

const API = "/api/agent/v1";
const csrf = document.querySelector('meta[name="csrf-token"]').content;

class ApiError extends Error {
  constructor(status, error) {
    super(error.message || "");
    this.status = status;
    this.code = error.code;
    this.field = error.field;
  }
}

export async function api(method, path, body) {
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
