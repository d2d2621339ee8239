// The dispatch desk: alerts and incidents pushed by the service, a live map, ranked options, accept,
// the accepted plan's lifecycle and its messages. Plain ES module, no build step; every text from the
// service is inserted as text, never as HTML.

import { initialLanguage, otherLanguage, rememberLanguage, translate } from "./i18n.js";
import { ApiError, api, setToken, token } from "./api.js";
import { h } from "./dom.js";
import { createMap } from "./map.js";
import { openRecordTab } from "./record_tab.js";
import { openStream } from "./stream.js";

const TOAST_MS = 7000;
const TICK_MS = 1000;
// Lifecycle steps a dispatcher may take from each status (the backend enforces the same order).
const NEXT_STEPS = {
  reported: [],
  options: [],
  accepted: ["on-scene", "release"], // release: un-accept before anyone is on scene, and plan again
  on_scene: ["resolved"],
  resolved: ["follow-up"],
};
const STEP_LABEL = { "on-scene": "on_scene", resolved: "resolved", "follow-up": "follow_up", void: "void", release: "release" };
const WAITING = new Set(["reported", "options"]); // nobody sent yet: these escalate
const MESSAGE_FINAL = new Set(["acknowledged", "withdrawn"]);

const state = {
  lang: initialLanguage(),
  map: null,
  network: null,
  names: new Map(), // place id → {en, zh}
  vehicles: new Map(),
  drivers: new Map(),
  incidents: [],
  alerts: [],
  closures: [],
  current: null, // the incident view shown in the options panel
  preview: null, // the rank whose route the map previews
  notice: null, // {kind: "ok"|"conflict"|"error", text}
  idempotency: null, // {key, body}: a retried identical report reuses its key
  stream: null,
  clock: { serverMs: Date.now(), localMs: Date.now(), speedup: 1 },
  freshS: 120,
  escalateAfterS: 120,
  known: null, // {incidents: Set, alerts: Set}: what was seen before, so only new ones are announced
  audio: null,
  step: null, // {number, step} while the step dialog is open
  sides: null, // {sides, near} while the dispatcher is asked which G1 carriageway a map click meant
  mine: new Set(), // incidents this desk reported or confirmed: never announced to itself
  pendingReports: 0, // reports and confirmations sent from here and not yet answered
  messages: new Map(), // incident number → its outbox, as last fetched
  tracking: new Map(), // incident number → GET …/tracking, as last fetched
};

const $ = (selector) => document.querySelector(selector);
const t = (key, values) => translate(state.lang, key, values);

// --------------------------------------------------------------------------- language
function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  for (const element of document.querySelectorAll("[data-i18n]")) {
    const key = element.dataset.i18n;
    if (element.classList.contains("bi")) {
      // Form labels show both languages: desks are shared by staff reading either.
      element.replaceChildren(t(key), h("span", { class: "alt", lang: otherLanguage(state.lang) === "zh" ? "zh-CN" : "en" },
        translate(otherLanguage(state.lang), key)));
    } else {
      element.textContent = t(key);
    }
  }
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
  const toggle = $("#lang");
  toggle.textContent = t("lang_toggle");
  toggle.setAttribute("aria-label", t("lang_toggle_label"));
  if (state.map) state.map.setLang(state.lang);
  fillVehicles();
  fillClosureTargets();
  renderReportToggle();
  renderClosures();
  renderAlerts();
  renderOptions();
  renderIncidents(true);
  renderSides();
  drawOnMap();
}

function toggleLanguage() {
  state.lang = otherLanguage(state.lang);
  rememberLanguage(state.lang);
  applyLanguage();
}

/** A place as words: a node id as its name, a kilometre post with its side in the page's language. */
function placeText(text) {
  if (!text) return "—";
  const trimmed = String(text).trim();
  if (state.names.has(trimmed)) return placeName(trimmed);
  const post = trimmed.match(/^G1\s*K\s*(\d+(?:\.\d+)?)(?:\s*\+\s*(\d+))?\s*(?:toward|to|往|向)?\s*(changchun|siping|长春|四平)?/i);
  if (post) {
    const km = Number(post[1]) + (post[2] ? Number(post[2]) / 1000 : 0);
    const side = post[3] ? (/changchun|长春/i.test(post[3]) ? "to_changchun" : "to_siping") : null;
    return `G1 K${Number.isInteger(km) ? km : km.toFixed(1)}${side ? ` ${t(`side.${side}`)}` : ""}`;
  }
  return trimmed;
}

function placeName(id) {
  const names = state.names.get(id);
  if (!names) return id;
  return (state.lang === "zh" ? names.zh || names.en : names.en || names.zh) || id;
}

/** A place name without its bracketed detail ("Changchun service point (high-tech zone)" → "Changchun service point"). */
function shortPlace(id) {
  return placeName(id).replace(/\s*[（(].*?[)）]\s*/g, "");
}

// --------------------------------------------------------------------------- session
function showSession(signedIn) {
  $("#login").hidden = signedIn;
  $("#session").hidden = !signedIn;
  $("#login-help").hidden = signedIn;
}

async function signIn(event) {
  event.preventDefault();
  const value = $("#token").value.trim();
  if (!value) return;
  unlockAudio(); // a sign-in is a user gesture: from now on the desk may play its cue
  setToken(value);
  try {
    await api.fleet();
  } catch (error) {
    setToken(null);
    toast(error.status === 401 ? t("token_rejected") : describe(error), "error");
    $("#token").focus();
    return;
  }
  $("#token").value = "";
  await start();
  $("#vehicle").focus();
}

function signOut() {
  setToken(null);
  if (state.stream) state.stream.stop();
  state.stream = null;
  // Drop everything the token showed.
  state.current = null;
  state.incidents = [];
  state.alerts = [];
  state.closures = [];
  state.known = null;
  showSides(null);
  renderOptions();
  renderIncidents(true);
  renderAlerts();
  renderClosures();
  showSession(false);
  $("#token").focus();
}

// --------------------------------------------------------------------------- start and the event stream
async function start() {
  showSession(true);
  try {
    const [network, fleet, drivers] = await Promise.all([api.network(), api.fleet(), api.drivers()]);
    state.network = network;
    state.names = new Map(network.features.filter((f) => f.geometry.type === "Point")
      .map((f) => [f.properties.id ?? f.id, { en: f.properties.name, zh: f.properties.name_zh }]));
    state.vehicles = new Map(fleet.map((v) => [v.id, v]));
    state.drivers = new Map(drivers.map((d) => [d.id, d]));
    if (!state.map) {
      state.map = createMap($("#map"), network, { onPick: pickOnMap, onSide: chooseSide, label: t, onCoach: pickCoach });
    }
    state.map.setLang(state.lang);
    state.map.setFleet(fleet);
    fillVehicles();
    fillClosureTargets();
    setConnection(true);
  } catch (error) {
    handleFailure(error);
    return;
  }
  if (state.stream) state.stream.stop();
  state.stream = openStream(token(), { onEvent, onState: streamState });
}

function streamState(connected, error) {
  setConnection(connected);
  if (error && (error.status === 401 || error.status === 403)) handleFailure(new ApiError(error.status, t("token_rejected")));
}

function onEvent(name, data) {
  switch (name) {
    case "hello":
    case "ping":
      setClock(data);
      break;
    case "incidents":
      takeIncidents(data);
      break;
    case "alerts":
      takeAlerts(data);
      break;
    case "closures":
      state.closures = data;
      renderClosures();
      drawOnMap();
      break;
    case "fleet":
      state.vehicles = new Map(data.map((v) => [v.id, v]));
      fillVehicles();
      if (state.map) state.map.setFleet(data);
      break;
    case "positions":
      if (state.map) state.map.setPositions(data.rows, data.full);
      if (rescuersMoved(data.rows)) loadTracking(state.current);
      break;
    default:
      break;
  }
}

function setClock(hello) {
  state.clock = { serverMs: new Date(hello.now).getTime(), localMs: Date.now(), speedup: hello.speedup || 1 };
  state.freshS = hello.fresh_s;
  state.escalateAfterS = hello.escalate_after_s;
  if (state.map) {
    state.map.setClock(serverNow, state.freshS);
    state.map.setTiles(hello.tiles || null);
  }
  const time = $("#time");
  if (!time.dataset.touched) time.value = localMinute(serverNow());
  $("#clock").title = hello.speedup && hello.speedup !== 1 ? t("drill_clock", { x: hello.speedup }) : "";
  tick();
}

/** The service's clock (a drill clock may run ahead or faster), as the desk reads it now. */
function serverNow() {
  const { serverMs, localMs, speedup } = state.clock;
  return new Date(serverMs + (Date.now() - localMs) * speedup);
}

function takeIncidents(incidents) {
  const before = state.known && state.known.incidents;
  state.incidents = incidents;
  const fresh = before ? incidents.filter((i) => !before.has(i.number)) : [];
  state.known = { ...(state.known || {}), incidents: new Set(incidents.map((i) => i.number)) };
  announceNew(fresh);
  renderIncidents();
  drawOnMap();
  followCurrent(incidents);
}

/**
 * A report made here reaches the list before its own answer does: wait for this desk's reports to be
 * answered, then announce only what another desk (or the detector) brought.
 */
function announceNew(fresh) {
  if (!fresh.length) return;
  if (state.pendingReports > 0) {
    setTimeout(() => announceNew(fresh), 200);
    return;
  }
  for (const incident of fresh.filter((i) => !state.mine.has(i.number))) {
    announce(t("new_incident", { number: incident.number, coach: incident.report.vehicle_id,
      place: placeText(incident.report.location) }));
  }
}

function takeAlerts(alerts) {
  const before = state.known && state.known.alerts;
  state.alerts = alerts;
  state.known = { ...(state.known || {}), alerts: new Set(alerts.map((a) => a.id)) };
  for (const alert of before ? alerts.filter((a) => !before.has(a.id)) : alerts) {
    announce(t("new_alert", { kind: t(`alert.${alert.kind}`), coach: alert.vehicle_id, place: placeText(alert.place) }));
  }
  renderAlerts();
  drawOnMap();
}

/** Keep the options panel in step when another desk moves the shown incident on. */
async function followCurrent(incidents) {
  if (!state.current) return;
  const listed = incidents.find((i) => i.number === state.current.number);
  const jointOf = (view) => (view.options ? (view.options.joint && view.options.joint.id) || null : view.joint_id || null);
  const moreComing = (view) => Boolean(view.options ? view.options.more_options_coming : view.more_options_coming);
  if (listed && (listed.status !== state.current.status || (listed.joint_id || null) !== jointOf(state.current)
      || moreComing(listed) !== moreComing(state.current))) {
    try {
      state.current = await api.incident(state.current.number);
    } catch (error) {
      handleFailure(error);
      return;
    }
    renderOptions();
    loadMessages(state.current);
  }
}

function setConnection(ok) {
  const conn = $("#conn");
  conn.classList.toggle("down", !ok);
  conn.textContent = ok ? t("live") : t("offline");
}

function handleFailure(error) {
  if (error instanceof ApiError && error.status === 401) {
    toast(t("token_rejected"), "error");
    signOut();
  } else if (error instanceof ApiError && error.status === 0) {
    setConnection(false);
  } else {
    toast(describe(error), "error");
  }
}

function describe(error) {
  if (error instanceof ApiError && error.status === 403) return `${t("forbidden")} (${error.message})`;
  return error.message || String(error);
}

// --------------------------------------------------------------------------- clock, timers, escalation
/** Minutes and seconds since `local` (a China-local YYYY-MM-DDTHH:MM[:SS] the service wrote). */
function elapsedText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const [hours, minutes, secs] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n) => String(n).padStart(2, "0");
  return hours ? `${hours}:${pad(minutes)}:${pad(secs)}` : `${pad(minutes)}:${pad(secs)}`;
}

function secondsSince(local) {
  return (serverNow().getTime() - new Date(local).getTime()) / 1000;
}

/** 0: calm; 1: not accepted after the policy's delay; 2: after twice as long. */
function escalation(incident) {
  if (!WAITING.has(incident.status)) return 0;
  const waited = secondsSince(incident.reported_at);
  if (waited >= 2 * state.escalateAfterS) return 2;
  return waited >= state.escalateAfterS ? 1 : 0;
}

let ticks = 0;
function tick() {
  const now = serverNow();
  $("#clock").textContent = `${localMinute(now).replace("T", " ")}:${String(now.getSeconds()).padStart(2, "0")}`;
  for (const element of document.querySelectorAll("[data-since]")) {
    element.textContent = elapsedText(secondsSince(element.dataset.since));
  }
  for (const row of document.querySelectorAll("#incidents tbody tr[data-number]")) {
    const incident = state.incidents.find((i) => String(i.number) === row.dataset.number);
    if (!incident) continue;
    const level = escalation(incident);
    row.classList.toggle("escalated-1", level === 1);
    row.classList.toggle("escalated-2", level === 2);
    row.dataset.escalation = String(level);
  }
  if (++ticks % 5 === 0 && state.map) state.map.refresh(); // a fix grows stale without any event
}

// --------------------------------------------------------------------------- announcements
function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  if (!state.audio) state.audio = new Context();
  if (state.audio.state === "suspended") state.audio.resume();
}

/** Two short tones: audible over a dispatch room, unlike anything else the desk does. */
function chime() {
  const context = state.audio;
  if (!context) return;
  const start = context.currentTime;
  for (const [offset, frequency] of [[0, 880], [0.18, 660]]) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + 0.17);
  }
}

let announceTimer = null;
function announce(text) {
  const box = $("#announce");
  box.textContent = text;
  box.hidden = false;
  box.classList.remove("flash");
  void box.offsetWidth; // restart the flash
  box.classList.add("flash");
  document.body.dataset.cues = String(Number(document.body.dataset.cues || 0) + 1);
  chime();
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { box.hidden = true; }, 12_000);
}

// --------------------------------------------------------------------------- the report form
function fillVehicles() {
  const select = $("#vehicle");
  const chosen = select.value;
  const byDepot = new Map();
  for (const vehicle of state.vehicles.values()) {
    if (!byDepot.has(vehicle.depot)) byDepot.set(vehicle.depot, []);
    byDepot.get(vehicle.depot).push(vehicle);
  }
  select.replaceChildren(...[...byDepot].map(([depot, vehicles]) => h("optgroup", { label: placeName(depot) },
    vehicles.map((v) => h("option", { value: v.id },
      `${v.id} · ${v.plate} · ${t("seats_value", { n: v.seats })} · ${t(`vstatus.${v.status}`)}${v.booked_by ? ` · #${v.booked_by}` : ""}`)))));
  if (chosen && state.vehicles.has(chosen)) select.value = chosen;
}

/** A click on a coach on the map: it becomes the failed coach of the report form. */
function pickCoach(vehicleId) {
  if (!state.vehicles.has(vehicleId)) return;
  openReport(true);
  $("#vehicle").value = vehicleId;
  $("#vehicle").focus();
}

function renderReportToggle() {
  const open = !$("#report-form").hidden;
  const button = $("#report-toggle");
  button.textContent = open ? t("hide_form") : t("new_report");
  button.setAttribute("aria-expanded", String(open));
}

/** The form folds away once options show, so three plan cards fit beside the map; N opens it again. */
function openReport(open) {
  $("#report-form").hidden = !open;
  renderReportToggle();
}

let pickCount = 0; // clicks so far: a slow answer for an earlier click is dropped
/**
 * A click on the map. Off G1 the point itself is the location; on G1 it is two places (one per
 * carriageway, often far apart in time for a rescue coach), so the dispatcher is asked which side:
 * both are drawn on the map and offered under the location field, and nothing is filled in until
 * one is chosen.
 */
async function pickOnMap({ lat, lon, text, near }) {
  const input = $("#location");
  const pick = ++pickCount;
  showSides(null);
  state.map.setPick(text);
  let snapped;
  try {
    snapped = await api.snap(lat, lon);
  } catch (error) {
    handleFailure(error);
    return;
  }
  if (pick !== pickCount) return; // a later click has been made meanwhile
  if (snapped.on_g1 && snapped.carriageways.length) {
    input.value = "";
    $("#location-help").textContent = near ? `${t("side_question")} · ${near}` : t("side_question");
    showSides({ sides: snapped.carriageways, near });
  } else {
    input.value = text;
    $("#location-help").textContent = near ? `${text} · ${near}` : text;
  }
  input.focus();
}

/** The carriageway the dispatcher chose (a button under the field, or an arrow on the map). */
function chooseSide(side) {
  const near = state.sides ? state.sides.near : "";
  showSides(null);
  const input = $("#location");
  input.value = side.location;
  input.removeAttribute("aria-invalid");
  state.map.setPick(side.location);
  $("#location-help").textContent = near ? `${side.location} · ${near}` : side.location;
  input.focus();
}

function showSides(choice) {
  state.sides = choice;
  if (state.map && choice) state.map.setSides(choice.sides);
  renderSides();
}

function renderSides() {
  const box = $("#side-choice");
  const choice = state.sides;
  box.hidden = !choice;
  if (!choice) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(
    h("span", { class: "side-question" }, t("side_question")),
    ...choice.sides.map((side) => h("button", { type: "button", class: `side-option side-${side.direction}`,
      "data-direction": side.direction, onclick: () => chooseSide(side) },
      h("b", {}, t(`side.${side.direction}`)), " ", h("span", { class: "mono" }, `G1 K${side.km.toFixed(1)}`))));
}

function localMinute(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function readReport() {
  const form = $("#report-form");
  const data = new FormData(form);
  const report = {
    vehicle_id: data.get("vehicle_id"),
    location: String(data.get("location") || "").trim(),
    time: String(data.get("time") || "").slice(0, 16),
    passengers: Number(data.get("passengers")),
    kind: data.get("kind"),
    conditions: data.get("conditions"),
    alternatives: 3,
  };
  const problems = [];
  if (!report.vehicle_id) problems.push(["vehicle", t("vehicle")]);
  if (!report.location) problems.push(["location", state.sides ? t("side_question") : t("location")]);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(report.time)) problems.push(["time", t("time")]);
  if (data.get("passengers") === "" || !Number.isInteger(report.passengers) || report.passengers < 0) {
    problems.push(["passengers", t("passengers")]);
  }
  return { report, problems };
}

function idempotencyKey(report) {
  const body = JSON.stringify(report);
  if (!state.idempotency || state.idempotency.body !== body) {
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    state.idempotency = { key: [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""), body };
  }
  return state.idempotency.key;
}

async function submitReport(event) {
  event.preventDefault();
  const { report, problems } = readReport();
  const errorBox = $("#form-error");
  for (const input of document.querySelectorAll("#report-form [aria-invalid]")) input.removeAttribute("aria-invalid");
  if (problems.length) {
    for (const [id] of problems) $(`#${id}`).setAttribute("aria-invalid", "true");
    errorBox.textContent = `${t("error")}: ${problems.map(([, label]) => label).join(", ")}`;
    errorBox.hidden = false;
    $(`#${problems[0][0]}`).focus();
    return;
  }
  errorBox.hidden = true;
  const button = $("#submit");
  button.disabled = true;
  button.textContent = t("solving");
  $("#options").setAttribute("aria-busy", "true");
  state.pendingReports += 1;
  try {
    state.current = await api.report(report, idempotencyKey(report));
    state.idempotency = null; // acknowledged: the next report is a new incident
    state.mine.add(state.current.number); // reported here: no cue
    state.notice = null;
    state.preview = null;
    openReport(false);
    renderOptions();
    focusFirstChoice();
  } catch (error) {
    errorBox.textContent = describe(error);
    errorBox.hidden = false;
    if (error.status === 401) handleFailure(error);
  } finally {
    state.pendingReports -= 1;
    button.disabled = false;
    button.textContent = t("submit");
    $("#options").setAttribute("aria-busy", "false");
  }
}

// --------------------------------------------------------------------------- alerts
function renderAlerts() {
  const panel = $("#alerts-panel");
  panel.hidden = state.alerts.length === 0;
  $("#alerts").replaceChildren(...state.alerts.map(alertItem));
}

function alertItem(alert) {
  const vehicle = state.vehicles.get(alert.vehicle_id);
  const pax = h("input", { type: "number", min: "0", max: "99", class: "alert-pax", inputmode: "numeric",
    placeholder: t("booked_pax"), "aria-label": `${t("passengers")} (${alert.vehicle_id})` });
  const actions = alert.kind === "rescue_late"
    ? [h("span", { class: "muted" }, t("late_rescue_hint", { number: (alert.plan || {}).incident || "" })),
      h("button", { type: "button", class: "quiet", "data-action": "dismiss", onclick: () => openStep(alert.id, "dismiss-alert") }, t("dismiss"))]
    : [pax,
      h("button", { type: "button", class: "primary", "data-action": "confirm",
        onclick: () => confirmAlert(alert, pax.value) }, t("confirm_plan")),
      h("button", { type: "button", class: "quiet", "data-action": "dismiss",
        onclick: () => openStep(alert.id, "dismiss-alert") }, t("dismiss"))];
  // two lines: what, who and where with the time since; then what to do
  return h("li", { class: `alert-item kind-${alert.kind}`, "data-alert": alert.id },
    h("div", { class: "alert-line" },
      h("b", {}, t(`alert.${alert.kind}`)), " ",
      h("span", { class: "vehicle-id" }, alert.vehicle_id), " ", h("span", { class: "muted" }, vehicle ? vehicle.plate : ""),
      " · ", h("span", { class: "alert-place", title: `${t("since")} ${(alert.since || "").slice(11, 16)}` }, placeText(alert.place)),
      h("span", { class: "spacer" }),
      h("span", { class: "timer mono", "data-since": alert.since, title: t("since") }, "")),
    h("div", { class: "alert-actions" }, actions));
}

async function confirmAlert(alert, paxText) {
  const passengers = paxText === "" ? null : Number(paxText);
  if (passengers !== null && (!Number.isInteger(passengers) || passengers < 0)) {
    toast(`${t("error")}: ${t("passengers")}`, "error");
    return;
  }
  $("#options").setAttribute("aria-busy", "true");
  state.pendingReports += 1;
  try {
    const confirmed = await api.confirmAlert(alert.id, passengers);
    state.current = confirmed.incident;
    state.mine.add(state.current.number);
    state.notice = null;
    state.preview = null;
    openReport(false);
    renderOptions();
    focusFirstChoice();
  } catch (error) {
    toast(describe(error), "error");
  } finally {
    state.pendingReports -= 1;
    $("#options").setAttribute("aria-busy", "false");
  }
}

// --------------------------------------------------------------------------- closures
function fillClosureTargets() {
  if (!state.network) return;
  const select = $("#closure-target");
  const chosen = select.value;
  const entrances = state.network.features
    .filter((f) => f.geometry.type === "Point" && ["interchange", "service_area"].includes(f.properties.kind))
    .sort((a, b) => (a.properties.km ?? 0) - (b.properties.km ?? 0));
  select.replaceChildren(h("option", { value: "*" }, t("all_entrances")),
    ...entrances.map((f) => h("option", { value: f.properties.id ?? f.id },
      `${shortPlace(f.properties.id ?? f.id)} K${Math.round(f.properties.km ?? 0)}`)));
  if (chosen) select.value = chosen;
}

function renderClosures() {
  const count = state.closures.length;
  $("#closures-toggle").textContent = count ? t("closures_n", { n: count }) : t("closures");
  $("#closures-toggle").classList.toggle("has-closures", count > 0);
  $("#closures").replaceChildren(...state.closures.map((closure) => h("li", { "data-closure": closure.id },
    h("b", {}, state.map ? state.map.closureName(closure) : closure.target),
    closure.reason ? h("span", { class: "muted" }, ` · ${closure.reason}`) : null,
    h("span", { class: "muted mono" }, ` · ${(closure.created_at || "").slice(11, 16)} ${closure.created_by}`),
    h("button", { type: "button", class: "quiet", "data-action": "lift", onclick: () => liftClosure(closure.id) }, t("lift")))));
}

function toggleClosures() {
  const panel = $("#closures-panel");
  panel.hidden = !panel.hidden;
  $("#closures-toggle").setAttribute("aria-expanded", String(!panel.hidden));
  if (!panel.hidden) $("#closure-target").focus();
}

async function addClosure(event) {
  event.preventDefault();
  const target = $("#closure-target").value;
  const reason = $("#closure-reason").value.trim();
  try {
    await api.close({ kind: "entrance", target, reason });
    $("#closure-reason").value = "";
    toast(t("closure_set"), "ok");
    await replanShown();
  } catch (error) {
    toast(describe(error), "error");
  }
}

async function liftClosure(id) {
  try {
    await api.lift(id);
    toast(t("closure_lifted"), "ok");
    await replanShown();
  } catch (error) {
    toast(describe(error), "error");
  }
}

/** A closure changes what a coach can drive: the shown incident, not yet accepted, is planned again. */
async function replanShown() {
  if (state.current && WAITING.has(state.current.status)) await recompute(state.current.number);
}

// --------------------------------------------------------------------------- options panel
const zh = (item, field) => (state.lang === "zh" && item[`${field}_zh`]) || item[field];

function renderOptions() {
  const root = $("#options");
  const view = state.current;
  if (!view) {
    root.replaceChildren(h("p", { class: "empty" }, t("no_incident")));
    drawOnMap();
    return;
  }
  const dispatch = view.options;
  const parts = [incidentHead(view, dispatch)];
  if (state.notice) parts.push(h("p", { class: `notice notice-${state.notice.kind}`, role: "alert" }, state.notice.text));
  if (dispatch) {
    const plans = dispatch.plans || [];
    if (!plans.length) {
      const reasons = (state.lang === "zh" && dispatch.reasons_zh) || dispatch.reasons || [];
      parts.push(h("p", { class: "empty infeasible" }, t("no_plans"), " ", reasons.join("; ")));
    }
    parts.push(...plans.map((plan) => planCard(view, plan)));
    if (dispatch.more_options_coming && view.status === "options") {
      parts.push(h("p", { class: "more-coming hint", role: "status" }, t("more_options_coming")));
    }
    if (plans.length && view.status === "options") parts.push(h("p", { class: "keys hint" }, t("keys_help")));
    if (dispatch.relaxations && dispatch.relaxations.length) parts.push(relaxations(dispatch.relaxations));
    if (dispatch.rejected && dispatch.rejected.length) parts.push(rejectedList(dispatch.rejected));
  }
  if (view.status === "accepted") parts.splice(1, 0, trackingPanel(view));
  if (view.accepted || view.released) parts.push(messagesPanel(view)); // a release stands its messages down
  root.replaceChildren(...parts);
  drawOnMap();
}

function incidentHead(view, dispatch) {
  const report = view.report || {};
  const vehicle = state.vehicles.get(report.vehicle_id);
  const facts = [
    [t("coach"), vehicle ? `${report.vehicle_id} ${vehicle.plate}` : report.vehicle_id],
    [t("location"), placeText(report.location)],
    [t("time"), (view.reported_at || "").replace("T", " ")],
    [t("passengers"), report.passengers],
    [t("tier"), view.tier ? t(`tier.${view.tier}`) : "—"],
    [t("limit"), view.limit_min != null ? `${view.limit_min} ${t("min")}` : "—"],
  ];
  if (dispatch) facts.push([t("solver"), `${t(`solve.${dispatch.status}`)} · ${dispatch.solve_ms} ms`]);
  return h("div", { class: "incident-head", "data-number": view.number },
    h("div", { class: "ih-title" },
      h("h3", { tabindex: "-1" }, `${t("incident")} #${view.number}`),
      statusBadge(view.status),
      WAITING.has(view.status) ? h("span", { class: "timer mono", "data-since": view.reported_at }, "") : null,
      h("span", { class: "spacer" }),
      view.status === "options" || view.status === "reported"
        ? h("button", { type: "button", class: "quiet recompute", onclick: () => recompute(view.number) }, t("recompute"))
        : null,
      WAITING.has(view.status) && state.incidents.filter((i) => WAITING.has(i.status)).length >= 2
        ? h("button", { type: "button", class: "quiet plan-together", onclick: () => planTogether() }, t("plan_together"))
        : null,
      h("button", { type: "button", class: "link record-link", onclick: () => openRecord(view.number) }, t("record"))),
    h("dl", { class: "facts" }, facts.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value ?? "—")))),
    jointNote(view, dispatch));
}

/** Joint planning (issue 18 §3): the incidents these options, or the accepted plan, were made with. */
function jointNote(view, dispatch) {
  const numbers = (list) => list.map((n) => `#${n}`).join(", ");
  const accepted = view.accepted && (view.accepted.accepted_with || []);
  if (accepted && accepted.length) return h("p", { class: "joint-note" }, t("accepted_with", { list: numbers(accepted) }));
  const together = dispatch && (dispatch.planned_with || []);
  if (!view.accepted && together && together.length) {
    return h("p", { class: "joint-note" }, t("planned_with", { list: numbers(together) }));
  }
  return null;
}

function statusBadge(status) {
  return h("span", { class: `badge status-${status}`, "data-status": status }, t(`status.${status}`));
}

/** The lifecycle steps of an incident as buttons (beside the accepted plan, and in the list). */
function stepButtons(incident, focusKeys = false) {
  // a coach that failed with nobody aboard owes no rescue: it may be resolved before anyone is on scene
  const nobodyAboard = (incident.report || {}).passengers === 0 && ["options", "accepted"].includes(incident.status);
  const steps = [
    ...(nobodyAboard ? ["resolved"] : []),
    ...(NEXT_STEPS[incident.status] || []),
    ...(incident.status !== "voided" ? ["void"] : []),
  ];
  return steps.map((step) => h("button", { type: "button", class: step === "void" ? "quiet danger" : "quiet step",
    "data-step": step, "data-focus": focusKeys ? step : null, onclick: () => openStep(incident.number, step) }, t(STEP_LABEL[step])));
}

function planCard(view, plan) {
  const acceptedRank = view.accepted ? view.accepted.rank : null;
  const isAccepted = acceptedRank === plan.rank;
  const outcome = plan.outcome || outcomeOfOldRecord(plan);
  const bad = outcome.reached_late.length > 0 || outcome.not_reached > 0;
  const headingId = `plan-${view.number}-${plan.rank}-h`;
  const verdicts = outcomeVerdicts(outcome, bad);
  const acceptable = view.status === "options" && !sendsNobody(view, plan);
  const actions = acceptable
    ? h("button", { type: "button", class: "accept primary", "data-rank": plan.rank, "aria-keyshortcuts": String(plan.rank),
        "aria-describedby": headingId, onclick: () => accept(view.number, plan.rank),
        onfocus: () => previewRoute(plan.rank) }, `${t("accept")} ${plan.rank}`)
    : view.status === "options" ? h("span", { class: "muted no-accept" }, t("nothing_to_send"))
    : isAccepted ? [h("span", { class: "badge status-accepted" }, t("accepted")), ...stepButtons(view)] : null;
  const explanation = zh(plan, "explanation");
  const below = zh(plan, "why_below_first");
  const changed = view.status === "options" ? zh(plan, "changed_because") : null;
  return h("article", { class: `plan${isAccepted ? " is-accepted" : ""}${bad ? " is-late" : ""}`,
      "data-rank": plan.rank, "aria-labelledby": headingId, onmouseenter: () => previewRoute(plan.rank) },
    h("header", {},
      h("h4", { id: headingId }, `${t("option")} ${plan.rank}`),
      verdicts,
      h("span", { class: "spacer" }),
      actions),
    changed ? h("p", { class: "changed-because" }, h("b", {}, `${t("changed_because")}: `), changed) : null,
    plan.assignments.length ? assignmentTable(plan.assignments) : null,
    explanation ? h("p", { class: "explanation", title: explanation }, h("b", {}, `${t("explanation")}: `), explanation) : null,
    // one line for the rest, each part whole in its tooltip: three cards must fit beside the map
    below || tripParts(plan).length
      ? h("p", { class: "plan-more", title: [below, ...tripParts(plan).map((p) => p.text)].filter(Boolean).join("\n") },
        below ? [h("b", { class: "below-first" }, `${t("below_first")}: `), below] : null,
        tripParts(plan).flatMap((p, i) => [below || i ? " · " : "", h("span", { class: p.warn ? "warn trip" : "trip" }, p.text)]))
      : null,
    (plan.evaluator_problems || []).length
      ? h("ul", { class: "problems" }, plan.evaluator_problems.map((p) => h("li", {}, `${t("evaluator")}: ${p}`)))
      : null);
}

/** A plan that takes no coach to the stranded passengers: there is nothing to accept (the service refuses it). */
function sendsNobody(view, plan) {
  if ((plan.assignments || []).length) return false;
  return ((view.report || {}).passengers || 0) > 0 || !(plan.recovered_trips || []).length;
}

/**
 * Reached within the limit, reached late (by how much) and not reached at all are different things:
 * the objective's passengers_not_reached counts the last two together, these chips split them.
 */
function outcomeVerdicts(outcome, bad) {
  if (!bad) return [h("span", { class: "verdict ok" }, t("on_time"))];
  const chips = [];
  if (outcome.reached_in_time > 0) {
    chips.push(h("span", { class: "verdict ok", "data-outcome": "in_time" }, t("reached_in_time", { n: outcome.reached_in_time })));
  }
  for (const group of outcome.reached_late) {
    chips.push(h("span", { class: "verdict late", "data-outcome": "late" },
      t("reached_late", { n: group.passengers, m: group.late_min })));
  }
  if (outcome.not_reached > 0) {
    chips.push(h("span", { class: "verdict late", "data-outcome": "not_reached" }, t("not_reached", { n: outcome.not_reached })));
  }
  return chips;
}

/** Options recorded before plans carried their outcome: late from each ETA, the rest of the term not reached. */
function outcomeOfOldRecord(plan) {
  const late = new Map();
  let reachedInTime = 0;
  for (const a of plan.assignments) {
    const minutes = lateMinutes(a);
    if (minutes > 0) late.set(minutes, (late.get(minutes) || 0) + a.passengers);
    else reachedInTime += a.passengers;
  }
  const reachedLate = [...late].sort(([m1], [m2]) => m1 - m2).map(([m, n]) => ({ passengers: n, late_min: m }));
  const lateTotal = reachedLate.reduce((sum, group) => sum + group.passengers, 0);
  const term = (plan.objective && plan.objective.passengers_not_reached) || 0;
  return { reached_in_time: reachedInTime, reached_late: reachedLate, not_reached: Math.max(0, term - lateTotal) };
}

/** Started minutes after the deadline (the server's late_min; from the ETA for older records). */
function lateMinutes(a) {
  return a.late_min != null ? a.late_min : Math.max(0, Math.ceil(a.scene_eta_min - a.limit_min));
}

function assignmentTable(assignments) {
  // Five columns with a second line each: three plan cards fit beside the map on a 1366×768 screen.
  const head = [["coach", "seats"], ["driver", "hours_left"], ["eta", "from"], ["pax"], ["arrives"]];
  return h("table", { class: "assign" },
    h("thead", {}, h("tr", {}, head.map(([key, sub]) => h("th", { scope: "col", class: key === "pax" ? "num" : null },
      t(key), sub ? h("span", { class: "sub" }, t(sub)) : null)))),
    h("tbody", {}, assignments.map((a) => {
      const vehicle = state.vehicles.get(a.vehicle_id);
      const driver = state.drivers.get(a.driver_id);
      const late = lateMinutes(a) > 0;
      const seats = a.seats ?? (vehicle ? vehicle.seats : null);
      return h("tr", { class: late ? "late" : null, "data-vehicle": a.vehicle_id, "data-driver": a.driver_id },
        h("td", { class: "nowrap" }, h("b", { class: "vehicle-id" }, a.vehicle_id), " ",
          h("span", { class: "muted" }, vehicle ? vehicle.plate : ""),
          h("span", { class: "sub seats" }, [seats != null ? t("seats_value", { n: seats }) : "—",
            a.deadhead_km != null ? ` · ${t("empty_km", { km: a.deadhead_km })}` : ""].join(""))),
        h("td", { class: "nowrap" }, driver ? driver.name : "", " ", h("span", { class: "driver-id muted" }, a.driver_id),
          h("span", { class: "sub hours" }, a.driver_hours_left_h != null
            ? t("hours_left_value", { hours: Number(a.driver_hours_left_h).toFixed(1) }) : "—")),
        h("td", {}, etaBar(a.scene_eta_min, a.limit_min, lateMinutes(a)),
          h("span", { class: "sub" }, `${zh(a, "origin_name") || shortPlace(a.origin)} ${a.depart_at}`)),
        h("td", { class: "num" }, a.passengers),
        h("td", {}, h("span", { class: "mono" }, a.destination_arrival),
          h("span", { class: "sub", title: zh(a, "destination_name") || shortPlace(a.destination) },
            zh(a, "destination_name") || shortPlace(a.destination)), restLine(a)));
    })));
}

/** The driver's rest the plan schedules (at the scene or on the way), or nothing: the crew must be told. */
function restLine(a) {
  if (a.rest_on_way) {
    return h("span", { class: "sub rest" }, t("rest_on_way_value",
      { min: a.rest_on_way.rest_min, place: zh(a.rest_on_way, "place_name") || shortPlace(a.rest_on_way.place),
        at: a.rest_on_way.at }));
  }
  return a.rest_at_scene_min ? h("span", { class: "sub rest" }, t("rest_at_scene_value", { min: a.rest_at_scene_min })) : null;
}

function etaBar(eta, limit, lateMin) {
  const late = lateMin > 0; // the deadline decides: a pre-departure group's is its departure plus the limit
  const share = Math.min(eta / Math.max(limit, 1), 1.5) / 1.5; // the bar spans 150 % of the limit
  return h("span", { class: `eta ${late ? "late" : eta > 0.85 * limit ? "tight" : "ok"}`,
      title: late ? `${t("late")} +${lateMin} ${t("min")}` : t("on_time") },
    // started minutes, as the lateness: 60.3 min shows 61, never "60 / 60" beside "1 min late"
    h("span", { class: "eta-text mono" }, `${Math.ceil(eta)} / ${limit} ${t("min")}`),
    h("span", { class: "eta-track", "aria-hidden": "true" },
      h("span", { class: "eta-fill", style: { width: `${(share * 100).toFixed(0)}%` } }),
      h("span", { class: "eta-limit", style: { left: `${(100 / 1.5).toFixed(1)}%` } })));
}

/** Later trips this plan covers (and those it leaves uncovered), as short phrases. */
function tripParts(plan) {
  const parts = (plan.recovered_trips || []).map((trip) => {
    const shift = trip.departure_shift_min ? ` (+${trip.departure_shift_min} ${t("min")})` : "";
    return { text: `${t("recovered")}: ${trip.trip_id} → ${trip.vehicle_id} / ${trip.driver_id}${shift}`, warn: false };
  });
  return parts.concat((plan.uncovered_trips || []).map((tripId) => ({ text: `${t("uncovered")}: ${tripId}`, warn: true })));
}

function rejectedList(rejected) {
  return h("details", { class: "rejected" },
    h("summary", {}, `${t("rejected")} (${rejected.length})`),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("candidate")), h("th", { scope: "col" }, t("code")),
        h("th", { scope: "col" }, t("reason")))),
      h("tbody", {}, rejected.map((r) => h("tr", {},
        h("td", { class: "mono" }, r.candidate), h("td", {}, h("span", { class: "code", "data-code": r.code }, zh(r, "code_name") || t(`reject.${r.code}`))),
        h("td", {}, zh(r, "reason")))))));
}

function relaxations(items) {
  // The first few are what a dispatcher can act on; the rest stay one click away.
  const shown = 4;
  const line = (r) => h("li", {}, zh(r, "description"));
  return h("div", { class: "relaxations" }, h("h4", {}, t("relaxations")),
    h("ul", {}, items.slice(0, shown).map(line)),
    items.length > shown
      ? h("details", {}, h("summary", {}, t("more", { n: items.length - shown })), h("ul", {}, items.slice(shown).map(line)))
      : null);
}

/** Option `rank`'s accept button focused (keys 1–3), its route drawn on the map. */
function focusChoice(rank) {
  const button = document.querySelector(`#options article.plan[data-rank='${rank}'] button.accept`);
  if (button) button.focus();
  return Boolean(button);
}

function focusFirstChoice() {
  if (!focusChoice(1)) {
    const head = document.querySelector("#options .incident-head h3");
    if (head) head.focus();
  }
}

function previewRoute(rank) {
  if (state.preview === rank) return;
  state.preview = rank;
  drawOnMap();
}

async function accept(number, rank) {
  try {
    // the options shown: if another report or "plan together" planned them again, the service says so
    const shown = state.current && state.current.number === number ? state.current.options : null;
    state.current = await api.accept(number, rank, shown ? (shown.joint && shown.joint.id) || "" : undefined);
    const others = (state.current.accepted && state.current.accepted.accepted_with) || [];
    state.notice = others.length
      ? { kind: "ok", text: t("accepted_joint_msg", { number, rank, list: others.map((n) => `#${n}`).join(", ") }) }
      : { kind: "ok", text: t("accepted_msg", { number, rank }) };
  } catch (error) {
    if (error.status === 409 && error.body) {
      const fresh = error.body.options;
      const dispatch = fresh && fresh.plans ? fresh : fresh && fresh.options;
      if (dispatch) state.current = { ...state.current, options: dispatch };
      state.notice = { kind: "conflict", text: `${t("conflict")}: ${error.body.detail} ${t("fresh_options")}` };
    } else {
      state.notice = { kind: "error", text: describe(error) };
    }
  }
  state.preview = null;
  renderOptions();
  loadMessages(state.current);
  loadTracking(state.current);
  // the next thing to do: the accepted plan's first step, else the notice
  const next = document.querySelector("#options article.plan.is-accepted button.step")
    || document.querySelector("#options .notice") || document.querySelector("#options h3");
  if (next) {
    if (!next.matches("button")) next.tabIndex = -1;
    next.focus();
  }
}

/** Plan every open incident not yet accepted together; the shown one's new options replace the old. */
async function planTogether() {
  $("#options").setAttribute("aria-busy", "true");
  try {
    const views = await api.planTogether();
    const shown = state.current && views.find((v) => v.number === state.current.number);
    if (shown) state.current = shown;
    state.notice = { kind: "ok", text: t("planned_together_msg", { list: views.map((v) => `#${v.number}`).join(", ") }) };
    state.preview = null;
  } catch (error) {
    state.notice = { kind: "error", text: describe(error) };
  }
  $("#options").setAttribute("aria-busy", "false");
  renderOptions();
}

async function recompute(number) {
  $("#options").setAttribute("aria-busy", "true");
  try {
    state.current = await api.recompute(number);
    state.notice = null;
    state.preview = null;
  } catch (error) {
    state.notice = { kind: "error", text: describe(error) };
  }
  $("#options").setAttribute("aria-busy", "false");
  renderOptions();
}

async function showIncident(number) {
  try {
    state.current = await api.incident(number);
    state.notice = null;
    state.preview = null;
    renderOptions();
    renderIncidents(true);
    loadMessages(state.current);
    loadTracking(state.current);
    $("#options-h").scrollIntoView({ block: "nearest" });
  } catch (error) {
    handleFailure(error);
  }
}

// --------------------------------------------------------------------------- a rescue under way
function rescuersMoved(rows) {
  const view = state.current;
  if (!view || view.status !== "accepted" || !view.accepted) return false;
  const rescuers = new Set(((view.accepted.plan || {}).assignments || []).map((a) => a.vehicle_id));
  return rows.some((row) => rescuers.has(row.vehicle_id));
}

let trackingAsked = 0;
/** Live ETAs and the geofence's on-scene time of the shown accepted incident (at most one call a second). */
async function loadTracking(view) {
  if (!view || view.status !== "accepted") return;
  const asked = ++trackingAsked;
  try {
    const found = await api.tracking(view.number);
    if (asked !== trackingAsked) return;
    state.tracking.set(view.number, found);
  } catch (error) {
    return; // the plan's own times stand; the next fix asks again
  }
  const panel = document.querySelector("#options .tracking");
  if (panel && state.current && state.current.number === view.number) panel.replaceWith(trackingPanel(state.current));
}

function trackingPanel(view) {
  const found = state.tracking.get(view.number);
  const rows = found ? found.rescues : [];
  return h("div", { class: "tracking", "aria-live": "polite" },
    h("h4", {}, t("under_way")),
    rows.length ? h("ul", {}, rows.map((r) => {
      const gps = r.on_scene_suggested;
      return h("li", { "data-vehicle": r.vehicle_id, class: gps ? "at-scene" : r.late_by_min ? "late" : null },
        h("b", {}, r.vehicle_id), " ",
        gps ? [t("at_scene_gps", { at: gps.at.slice(11, 16) }), " ",
          h("button", { type: "button", class: "primary", "data-action": "on-scene-gps",
            onclick: () => confirmOnScene(view.number, gps.at) }, t("confirm_on_scene"))]
          : r.live_eta
            ? [t("live_eta", { at: r.live_eta.slice(11, 16), planned: r.planned_at.slice(11, 16) }),
              r.late_by_min ? h("span", { class: "late-text" }, ` +${Math.ceil(r.late_by_min)} ${t("min")}`) : null]
            : t("no_fix_yet", { planned: r.planned_at.slice(11, 16) }));
    })) : h("p", { class: "muted" }, t("no_fix_yet_all")));
}

async function confirmOnScene(number, at) {
  try {
    const view = await api.lifecycle(number, "on-scene", { at: at.slice(0, 16), source: "gps" });
    if (state.current && state.current.number === number) {
      state.current = view;
      renderOptions();
    }
    toast(`#${number}: ${t(`status.${view.status}`)}`, "ok");
  } catch (error) {
    toast(describe(error), "error"); // e.g. earlier than the plan allows: the dialog asks for a reason
    openStep(number, "on-scene");
    $("#step-at").value = at.slice(0, 16);
  }
}

// --------------------------------------------------------------------------- messages of an accepted plan
async function loadMessages(view) {
  if (!view || !view.accepted) return;
  try {
    state.messages.set(view.number, await api.messages(view.number));
  } catch (error) {
    if (error.status === 404) state.messages.set(view.number, null); // a service without an outbox
    else return;
  }
  if (state.current && state.current.number === view.number) {
    const panel = document.querySelector("#options .messages");
    if (panel) panel.replaceWith(messagesPanel(state.current));
  }
}

function messagesPanel(view) {
  const messages = state.messages.get(view.number);
  if (messages === null) return h("div", { class: "messages", hidden: true });
  if (messages === undefined) return h("div", { class: "messages" }, h("p", { class: "muted" }, t("messages_loading")));
  const shown = messages.filter((m) => m.lang === state.lang);
  return h("details", { class: "messages", open: true },
    h("summary", {}, t("messages_title", { n: shown.length })),
    h("ul", {}, shown.map((m) => h("li", { class: `message status-${m.status}`, "data-message": m.id },
      h("div", { class: "message-head" },
        h("b", {}, t(`role.${m.recipient_role}`)), " ", m.recipient_name || "", " ",
        h("span", { class: "mono muted" }, m.phone || ""),
        h("span", { class: "spacer" }),
        h("span", { class: `badge msg-${m.status}` }, t(`msg.${m.status}`)),
        m.status === "sent" ? h("button", { type: "button", class: "quiet", "data-action": "ack",
          onclick: () => messageStep("ack", view.number, m.id) }, t("acknowledge")) : null,
        m.status === "failed" ? h("button", { type: "button", class: "quiet", "data-action": "resend",
          onclick: () => messageStep("resend", view.number, m.id) }, t("resend")) : null),
      // two lines until clicked: the whole text is one click (or Enter) away, and in the record
      h("p", { class: "message-text", title: m.text, tabindex: "0",
        onclick: (event) => event.currentTarget.classList.toggle("whole"),
        onkeydown: (event) => { if (event.key === "Enter") event.currentTarget.classList.toggle("whole"); } }, m.text)))));
}

/** Acknowledge a sent message, or resend a failed one; then the outbox as it now stands. */
async function messageStep(step, number, id) {
  try {
    await (step === "ack" ? api.ackMessage(number, id) : api.resendMessage(number, id));
  } catch (error) {
    toast(describe(error), "error");
  }
  loadMessages(state.current);
}

function messagesPending(number) {
  const messages = state.messages.get(number);
  return Array.isArray(messages) && messages.some((m) => !MESSAGE_FINAL.has(m.status));
}

// --------------------------------------------------------------------------- today's incidents
let incidentsShown = "";
function renderIncidents(force = false) {
  // Pushes must not pull the keyboard focus out of the list: redraw only on change, then put
  // the focus back on the same control of the same incident.
  const signature = JSON.stringify([state.lang, state.current && state.current.number, state.incidents]);
  if (!force && signature === incidentsShown) return;
  incidentsShown = signature;
  const body = document.querySelector("#incidents tbody");
  const focused = body.contains(document.activeElement) ? focusKey(document.activeElement) : null;
  body.replaceChildren(...state.incidents.map(incidentRow));
  $("#incidents-empty").hidden = state.incidents.length > 0;
  if (focused) {
    const row = body.querySelector(`tr[data-number="${focused.number}"]`);
    const again = row && (row.querySelector(`[data-focus="${focused.control}"]`) || row.querySelector("[data-focus]"));
    if (again) again.focus();
  }
  tick();
}

function focusKey(element) {
  const row = element.closest("tr");
  return row && element.dataset.focus ? { number: row.dataset.number, control: element.dataset.focus } : null;
}

function feasibilityChip(incident) {
  if (!WAITING.has(incident.status) || !incident.feasibility || incident.feasibility === "ok") return null;
  return h("span", { class: `chip feasibility-${incident.feasibility}`, "data-feasibility": incident.feasibility },
    t(`feasibility.${incident.feasibility}`));
}

/** What no longer holds in an accepted plan (a coach it books broke down since), in the desk's language. */
function planWarnings(incident) {
  const warnings = incident.warnings || [];
  if (!warnings.length) return null;
  const texts = warnings.map((w) => (state.lang === "zh" ? w.text_zh : w.text));
  return h("div", { class: "late-text plan-warning", role: "alert", "data-warning": warnings[0].code }, "⚠ ", texts.join(" "));
}

function incidentRow(incident) {
  const report = incident.report || {};
  const vehicle = state.vehicles.get(report.vehicle_id);
  const today = localMinute(serverNow()).slice(0, 10);
  const day = (incident.reported_at || "").slice(0, 10);
  const response = incident.response_min != null
    ? h("span", { class: incident.within_limit === false ? "late-text" : "ok-text" }, `${Math.round(incident.response_min)} / `)
    : null;
  const classes = [state.current && state.current.number === incident.number ? "current" : "",
    incident.feasibility === "none" && WAITING.has(incident.status) ? "infeasible" : ""].filter(Boolean).join(" ");
  return h("tr", { "data-number": incident.number, "data-status": incident.status, class: classes || null },
    h("td", {}, h("button", { type: "button", class: "link", "data-focus": "show", onclick: () => showIncident(incident.number),
      "aria-label": `${t("incident")} #${incident.number}: ${t("show_options")}` }, `#${incident.number}`)),
    h("td", { class: "mono nowrap" }, (incident.reported_at || "").slice(11, 16),
      day !== today ? h("span", { class: "sub" }, day.slice(5)) : null),
    h("td", { class: "mono nowrap" }, WAITING.has(incident.status)
      ? h("span", { class: "timer", "data-since": incident.reported_at }, "") : h("span", { class: "muted" }, "—")),
    h("td", { class: "nowrap" }, h("b", {}, report.vehicle_id), " ", h("span", { class: "muted" }, vehicle ? vehicle.plate : "")),
    h("td", { class: "loc", title: placeText(report.location) }, placeText(report.location)),
    h("td", { class: "num" }, report.passengers),
    h("td", { class: "mono nowrap" }, response, incident.limit_min != null ? `${incident.limit_min} ${t("min")}` : "—"),
    h("td", { class: "nowrap" }, statusBadge(incident.status), " ", feasibilityChip(incident), planWarnings(incident)),
    h("td", { class: "row-actions" },
      stepButtons(incident, true),
      h("button", { type: "button", class: "link record-link", "data-focus": "record",
        onclick: () => openRecord(incident.number) }, t("record"))));
}

// --------------------------------------------------------------------------- the map's live layers
function drawOnMap() {
  if (!state.map) return;
  const escalated = state.incidents.map((i) => ({ ...i, escalation: escalation(i) }));
  state.map.setIncidents(escalated, state.alerts);
  state.map.setClosures(state.closures);
  const routes = state.incidents
    .filter((i) => i.accepted && ["accepted", "on_scene"].includes(i.status))
    .map((i) => ({ number: i.number, kind: "accepted", assignments: (i.accepted.plan || {}).assignments || [] }));
  const view = state.current;
  if (view && view.options && view.status === "options") {
    const plan = (view.options.plans || []).find((p) => p.rank === (state.preview || 1));
    if (plan) routes.push({ number: view.number, kind: "preview", assignments: plan.assignments });
  }
  state.map.setRoutes(routes);
}

/** The printable record of incident `number` in a tab of its own (the token never in an address). */
function openRecord(number) {
  return openRecordTab(number, { title: `${t("record")} #${number}`, onBlocked: () => toast(t("popup_blocked"), "error"),
    onError: handleFailure });
}

function openStep(number, step) {
  state.step = { number, step };
  const dialog = $("#step-dialog");
  const isAlert = step === "dismiss-alert";
  $("#step-title").textContent = isAlert ? `${t("dismiss")} · ${t("alert")} ${number}` : `${t(STEP_LABEL[step])} · ${t("incident")} #${number}`;
  const needsAt = step === "on-scene" || step === "resolved";
  $("#step-at-field").hidden = !needsAt;
  const incident = state.incidents.find((i) => i.number === number);
  $("#step-at").value = defaultStepTime(isAlert ? null : incident, step);
  const note = $("#step-note");
  note.value = "";
  note.required = step === "follow-up" || step === "void" || step === "release" || isAlert;
  // on scene, the note is the reason for a time earlier than the plan can arrive (recorded with it)
  const label = { void: "void_reason", release: "release_reason", "on-scene": "override_reason",
    "dismiss-alert": "dismiss_reason" }[step] || "note";
  $("#step-note-label").textContent = t(label);
  dialog.returnValue = "";
  dialog.showModal();
  (needsAt ? $("#step-at") : note).focus();
}

/**
 * The time a step's dialog proposes, never earlier than the record allows, else the service's now: on
 * scene the accepted plan's first arrival (one Confirm must not record a 0-minute response), resolved
 * the on-scene time, otherwise the report.
 */
function defaultStepTime(incident, step) {
  const now = localMinute(serverNow());
  if (!incident) return now;
  const earliest = { "on-scene": firstArrival(incident), resolved: incident.on_scene_at }[step];
  return later(earliest || incident.reported_at, now);
}

/** When the accepted plan's first coach reaches the scene, as a local minute (null: none sent). */
function firstArrival(incident) {
  const assignments = (incident.accepted && incident.accepted.plan && incident.accepted.plan.assignments) || [];
  if (!assignments.length || !incident.reported_at) return null;
  const eta = Math.min(...assignments.map((a) => a.scene_eta_min));
  return localMinute(new Date(new Date(incident.reported_at).getTime() + Math.ceil(eta) * 60_000));
}

/** The later of two local minutes (YYYY-MM-DDTHH:MM compare as text). */
function later(a, b) {
  return a && a > b ? a : b;
}

async function closeStep() {
  const dialog = $("#step-dialog");
  const pending = state.step;
  state.step = null;
  if (dialog.returnValue !== "confirm" || !pending) return;
  const at = $("#step-at").value || undefined;
  const note = $("#step-note").value.trim();
  if (pending.step === "dismiss-alert") {
    try {
      await api.dismissAlert(pending.number, note);
      toast(t("alert_dismissed"), "ok");
    } catch (error) {
      toast(describe(error), "error");
    }
    return;
  }
  const bodies = {
    "on-scene": { at, ...(note ? { override_reason: note } : {}) },
    resolved: { at, ...(note ? { note } : {}) },
    "follow-up": { note },
    void: { reason: note },
    release: { reason: note },
  };
  try {
    const view = await api.lifecycle(pending.number, pending.step, bodies[pending.step]);
    if (state.current && state.current.number === pending.number) {
      state.current = view;
      renderOptions();
      loadMessages(view);
    }
    toast(`#${pending.number}: ${t(`status.${view.status}`)}`, "ok");
  } catch (error) {
    toast(describe(error), "error");
  }
}

// --------------------------------------------------------------------------- toast
let toastTimer = null;
function toast(text, kind = "ok") {
  const box = $("#toast");
  box.textContent = text;
  box.className = `toast show toast-${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.className = "toast"; }, TOAST_MS);
}

// --------------------------------------------------------------------------- keyboard
/**
 * Report → options → accept without the mouse: Enter in the form reports, the first option's Accept
 * takes the focus, 1–3 move it between options, Enter accepts; N opens a new report, Escape goes back.
 */
function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || $("#step-dialog").open) return;
  const typing = event.target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "Escape" && $("#options").contains(event.target)) {
    openReport(true);
    $("#vehicle").focus();
    event.preventDefault();
    return;
  }
  if (typing) return;
  if (/^[1-9]$/.test(event.key) && focusChoice(Number(event.key))) {
    event.preventDefault();
  } else if (event.key === "n" || event.key === "N") {
    openReport(true);
    $("#vehicle").focus();
    event.preventDefault();
  }
}

// --------------------------------------------------------------------------- wiring
function wire() {
  $("#lang").addEventListener("click", toggleLanguage);
  $("#login").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", signOut);
  $("#report-form").addEventListener("submit", submitReport);
  $("#report-toggle").addEventListener("click", () => {
    openReport($("#report-form").hidden);
    if (!$("#report-form").hidden) $("#vehicle").focus();
  });
  $("#closures-toggle").addEventListener("click", toggleClosures);
  $("#closure-form").addEventListener("submit", addClosure);
  $("#location").addEventListener("input", (event) => {
    if (state.sides) showSides(null); // typed a location instead of choosing a side
    if (state.map) state.map.setPick(event.target.value);
  });
  $("#time").addEventListener("input", (event) => { event.target.dataset.touched = "1"; });
  $("#step-dialog").addEventListener("close", closeStep);
  $("#step-cancel").addEventListener("click", () => $("#step-dialog").close("cancel"));
  document.addEventListener("keydown", onKey);
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  $("#time").value = localMinute(new Date());
  setInterval(tick, TICK_MS);
  // the outbox changes without an incident event (a message sent, a reply): look while any is open
  setInterval(() => { if (state.current && messagesPending(state.current.number)) loadMessages(state.current); }, 5000);
}

wire();
applyLanguage();
if (token()) {
  start();
} else {
  showSession(false);
  $("#token").focus();
}
