// What the history and KPI pages share: the top bar (sign-in, language, links), building elements,
// labels for the service's ids and place names, the service's day, and the printable record's tab.
// Every text from the service is inserted as text, never as HTML; styles go through classes or
// element.style (the Content-Security-Policy refuses style attributes and inline code).

import { ApiError, call, setToken, token } from "./api.js";
import { h } from "./dom.js";
import { openRecordTab } from "./record_tab.js";
import { hasLabel, initialLanguage, otherLanguage, rememberLanguage, translate } from "./i18n_pages.js";

export const state = {
  lang: initialLanguage(),
  places: new Map(), // network node id → {name, name_zh}
  onLanguage: () => {},
  onSignIn: async () => {},
};

export const $ = (selector) => document.querySelector(selector);
export const t = (key, values) => translate(state.lang, key, values);
export const locale = () => (state.lang === "zh" ? "zh-CN" : "en-GB");

export { h };

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes (no style attribute: classes only) and children. */
export function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

// --------------------------------------------------------------------------- labels
/** The label of a service id (`status`, `tier`, `kind`, `cond`); an id without one reads as words, never raw. */
export function label(prefix, id) {
  if (id === null || id === undefined || id === "") return "—";
  const key = `${prefix}.${id}`;
  return hasLabel(key) ? t(key) : String(id).replace(/[_.]+/g, " ");
}

/** A location as reported, in words: a place id by its name, a carriageway in the page's language. */
export function placeLabel(text) {
  if (!text) return "—";
  const place = state.places.get(text);
  if (place) return state.lang === "zh" ? place.name_zh || place.name : place.name || place.name_zh;
  return String(text)
    .replace(/toward changchun/i, t("side.to_changchun"))
    .replace(/toward siping/i, t("side.to_siping"));
}

export async function loadPlaces() {
  const network = await call("GET", "/network");
  state.places = new Map(
    network.features
      .filter((feature) => feature.geometry && feature.geometry.type === "Point")
      .map((feature) => [feature.properties.id, feature.properties]),
  );
}

// --------------------------------------------------------------------------- days
/** The service's day (China local; a drill's when the service runs a drill clock), else this computer's. */
export async function serviceToday() {
  try {
    const health = await call("GET", "/health");
    if (health && health.clock && /^\d{4}-\d{2}-\d{2}/.test(health.clock.now)) return health.clock.now.slice(0, 10);
  } catch {
    // fall through: the computer's own day
  }
  const now = new Date();
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** `day` (YYYY-MM-DD) moved by `days`. */
export function addDays(day, days) {
  const moved = new Date(`${day}T00:00:00Z`);
  moved.setUTCDate(moved.getUTCDate() + days);
  return moved.toISOString().slice(0, 10);
}

export function pad(n) {
  return String(n).padStart(2, "0");
}

// --------------------------------------------------------------------------- chrome: language and session
export function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.setAttribute("placeholder", t(element.dataset.i18nPlaceholder));
  }
  for (const element of document.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
  document.title = `fleetplan · ${t(document.body.dataset.title)}`;
  const toggle = $("#lang");
  toggle.textContent = t("lang_toggle");
  toggle.setAttribute("aria-label", t("lang_toggle_label"));
  toggle.setAttribute("lang", state.lang === "zh" ? "en" : "zh-CN");
  state.onLanguage();
}

function showSession(signedIn) {
  $("#login").hidden = signedIn;
  $("#session").hidden = !signedIn;
  $("#login-help").hidden = signedIn;
}

/** Wire the top bar; `onSignIn` runs once a token is held (at once when the tab already has one). */
export function initChrome({ onSignIn, onLanguage }) {
  state.onSignIn = onSignIn;
  state.onLanguage = onLanguage;
  $("#lang").addEventListener("click", () => {
    state.lang = otherLanguage(state.lang);
    rememberLanguage(state.lang);
    applyLanguage();
  });
  $("#login").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", () => {
    setToken(null);
    showSession(false);
    $("#token").focus();
  });
  applyLanguage();
  showSession(Boolean(token()));
  if (token()) start();
}

async function signIn(event) {
  event.preventDefault();
  const value = $("#token").value.trim();
  if (!value) return;
  setToken(value);
  $("#token").value = "";
  showSession(true);
  await start();
}

async function start() {
  try {
    await loadPlaces();
    await state.onSignIn();
    notify(null);
  } catch (error) {
    handleFailure(error);
  }
}

/** Say what went wrong where the page shows messages; a refused token signs out. */
export function handleFailure(error) {
  if (!(error instanceof ApiError)) {
    notify(`${t("error")}: ${error && error.message ? error.message : error}`);
    throw error;
  }
  if (error.status === 401) {
    setToken(null);
    showSession(false);
    notify(t("token_rejected"));
  } else if (error.status === 403) {
    notify(t("forbidden"));
  } else if (error.status === 0) {
    notify(t("offline"));
  } else {
    notify(`${t("error")}: ${error.message}`);
  }
}

export function notify(text) {
  const box = $("#message");
  box.hidden = !text;
  box.textContent = text || "";
}

// --------------------------------------------------------------------------- raw answers
/** GET `path` with the token in the header; resolves to the Response (for headers and blobs), rejects with ApiError. */
export async function fetchRaw(path, accept = "application/json") {
  const headers = { Accept: accept };
  const current = token();
  if (current) headers.Authorization = `Bearer ${current}`;
  let response;
  try {
    response = await fetch(path, { headers, cache: "no-store" });
  } catch (error) {
    throw new ApiError(0, String(error.message || error), null);
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    const detail = body && body.detail;
    const text = typeof detail === "string" ? detail
      : Array.isArray(detail) ? detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ")
      : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, text, body);
  }
  return response;
}

// --------------------------------------------------------------------------- the printable record
/** The printable record of incident `number` in a tab of its own, as the desk opens it. */
export function openRecord(number) {
  return openRecordTab(number, { title: `${t("record")} #${number}`, onBlocked: () => notify(t("popup_blocked")),
    onError: handleFailure });
}
