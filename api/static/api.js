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

/** Call the service; resolves to the parsed JSON body (or null for 204), rejects with ApiError. */
export async function call(method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
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
  openIncidents: () => call("GET", "/incidents?status=open"),
  incident: (number) => call("GET", `/incidents/${number}`),
  report: (report, idempotencyKey) =>
    call("POST", "/incidents", { body: report, headers: { "Idempotency-Key": idempotencyKey } }),
  accept: (number, rank) => call("POST", `/incidents/${number}/accept`, { body: { rank } }),
  recompute: (number) => call("POST", `/incidents/${number}/options`),
  lifecycle: (number, step, body) => call("POST", `/incidents/${number}/${step}`, { body }),
};

/** The printable record's address; the token rides along because a plain link cannot send a header. */
export function recordHref(number) {
  const current = token();
  const query = current ? `?token=${encodeURIComponent(current)}` : "";
  return `/incidents/${number}/record${query}`;
}
