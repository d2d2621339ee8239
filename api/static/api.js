// The desk's HTTP client: bearer token from sessionStorage, JSON in and out, errors as ApiError.

const TOKEN_KEY = "fleetplan.token";

export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.status = status;
    this.body = body;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Call the service; resolves to the parsed JSON body (or null for 204), or to the text of an HTML
 * answer when `html` is set; rejects with ApiError. The token goes in the header, never in an address.
 */
export async function call(method, path, { body, headers = {}, html = false } = {}) {
  const accept = html ? "text/html" : "application/json";
  const init = { method, headers: { Accept: accept, ...headers } };
  const current = token();
  if (current) init.headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, String(error.message || error), null);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  if (html && response.ok) return text;
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, errorDetail(parsed, text, response), parsed);
  }
  return parsed;
}

function errorDetail(parsed, text, response) {
  const detail = parsed && parsed.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    // FastAPI's validation list: name each field.
    return detail.map((item) => `${(item.loc || []).slice(1).join(".")}: ${item.msg}`).join("; ");
  }
  return text || `${response.status} ${response.statusText}`;
}

export const api = {
  network: () => call("GET", "/network"),
  fleet: () => call("GET", "/fleet"),
  drivers: () => call("GET", "/drivers"),
  incident: (number) => call("GET", `/incidents/${number}`),
  report: (report, idempotencyKey) =>
    call("POST", "/incidents", { body: report, headers: { "Idempotency-Key": idempotencyKey } }),
  accept: (number, rank, jointId) => call("POST", `/incidents/${number}/accept`, { body: { rank, joint_id: jointId } }),
  recompute: (number) => call("POST", `/incidents/${number}/options`),
  planTogether: (numbers) => call("POST", "/incidents/plan-together", { body: numbers ? { numbers } : undefined }),
  lifecycle: (number, step, body) => call("POST", `/incidents/${number}/${step}`, { body }),
  confirmAlert: (id, passengers) => call("POST", `/alerts/${id}/confirm`, { body: passengers === null ? {} : { passengers } }),
  dismissAlert: (id, reason) => call("POST", `/alerts/${id}/dismiss`, { body: { reason } }),
  close: (closure) => call("POST", "/closures", { body: closure }),
  lift: (id) => call("DELETE", `/closures/${id}`),
  tracking: (number) => call("GET", `/incidents/${number}/tracking`),
  messages: (number) => call("GET", `/incidents/${number}/messages`),
  ackMessage: (number, id) => call("POST", `/incidents/${number}/messages/${id}/ack`),
  resendMessage: (number, id) => call("POST", `/incidents/${number}/messages/${id}/resend`),
  snap: (lat, lon) => call("GET", `/network/snap?lat=${lat.toFixed(6)}&lon=${lon.toFixed(6)}`),
};
