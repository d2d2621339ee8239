// The dispatch desk: report an incident, compare ranked options, accept one, follow the open incidents.
// Plain ES module, no build step; every text from the service is inserted as text, never as HTML.

import { initialLanguage, otherLanguage, rememberLanguage, translate } from "./i18n.js";
import { ApiError, api, setToken, token } from "./api.js";
import { createMap } from "./map.js";

const POLL_MS = 4000;
const TOAST_MS = 7000;
// Lifecycle steps a dispatcher may take from each status (the backend enforces the same order).
const NEXT_STEPS = {
  reported: [],
  options: [],
  accepted: ["on-scene"],
  on_scene: ["resolved"],
  resolved: ["follow-up"],
};
const STEP_LABEL = { "on-scene": "on_scene", resolved: "resolved", "follow-up": "follow_up", void: "void" };

const state = {
  lang: initialLanguage(),
  map: null,
  network: null,
  vehicles: new Map(),
  drivers: new Map(),
  incidents: [],
  current: null, // the incident view shown in the options panel
  notice: null, // {kind: "ok"|"conflict"|"error", text}
  idempotency: null, // {key, body}: a retried identical report reuses its key
  poller: null,
  step: null, // {number, step} while the step dialog is open
  sides: null, // {sides, near} while the dispatcher is asked which G1 carriageway a map click meant
};

const $ = (selector) => document.querySelector(selector);
const t = (key, values) => translate(state.lang, key, values);

/**
 * Build an element: h("td", {class: "num"}, "42"); attributes starting with "on" are listeners, and
 * `style` is an object set through element.style (a style attribute would break the page's CSP).
 */
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "style") Object.assign(element.style, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

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
  const toggle = $("#lang");
  toggle.textContent = t("lang_toggle");
  toggle.setAttribute("aria-label", t("lang_toggle_label"));
  if (state.map) state.map.setLang(state.lang);
  fillVehicles();
  renderOptions();
  renderIncidents();
  renderSides();
  if (state.map) state.map.setCoaches([...state.vehicles.values()]);
}

function toggleLanguage() {
  state.lang = otherLanguage(state.lang);
  rememberLanguage(state.lang);
  applyLanguage();
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
  clearInterval(state.poller);
  state.poller = null;
  // Drop everything the token showed.
  state.current = null;
  state.incidents = [];
  showSides(null);
  renderOptions();
  renderIncidents();
  showSession(false);
  $("#token").focus();
}

// --------------------------------------------------------------------------- start and poll
async function start() {
  showSession(true);
  try {
    const [network, fleet, drivers] = await Promise.all([api.network(), api.fleet(), api.drivers()]);
    state.network = network;
    state.vehicles = new Map(fleet.map((v) => [v.id, v]));
    state.drivers = new Map(drivers.map((d) => [d.id, d]));
    state.map = createMap($("#map"), network, { onPick: pickOnMap, onSide: chooseSide, label: t });
    state.map.setLang(state.lang);
    state.map.setCoaches(fleet);
    fillVehicles();
    setConnection(true);
  } catch (error) {
    handleFailure(error);
    return;
  }
  await poll();
  clearInterval(state.poller);
  state.poller = setInterval(poll, POLL_MS);
}

async function poll() {
  try {
    const [incidents, fleet] = await Promise.all([api.openIncidents(), api.fleet()]);
    state.incidents = incidents;
    state.vehicles = new Map(fleet.map((v) => [v.id, v]));
    renderIncidents();
    state.map.setCoaches(fleet);
    state.map.setIncidents(incidents);
    $("#incidents-updated").textContent = `${t("refreshed")} ${new Date().toLocaleTimeString(state.lang === "zh" ? "zh-CN" : "en-GB")}`;
    setConnection(true);
    await followCurrent(incidents);
  } catch (error) {
    handleFailure(error);
  }
}

/** Keep the options panel in step when another desk moves the shown incident on. */
async function followCurrent(incidents) {
  if (!state.current) return;
  const listed = incidents.find((i) => i.number === state.current.number);
  if (listed && listed.status !== state.current.status) {
    state.current = await api.incident(state.current.number);
    renderOptions();
  }
}

function setConnection(ok) {
  const conn = $("#conn");
  conn.classList.toggle("down", !ok);
  conn.textContent = ok ? "" : t("offline");
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

function placeName(id) {
  const feature = state.network && state.network.features.find((f) => f.geometry.type === "Point" && (f.properties.id ?? f.id) === id);
  if (!feature) return id;
  return (state.lang === "zh" ? feature.properties.name_zh : feature.properties.name) || id;
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
  try {
    state.current = await api.report(report, idempotencyKey(report));
    state.idempotency = null; // acknowledged: the next report is a new incident
    state.notice = null;
    renderOptions();
    poll();
  } catch (error) {
    errorBox.textContent = describe(error);
    errorBox.hidden = false;
    if (error.status === 401) handleFailure(error);
  } finally {
    button.disabled = false;
    button.textContent = t("submit");
    $("#options").setAttribute("aria-busy", "false");
  }
}

// --------------------------------------------------------------------------- options panel
function renderOptions() {
  const root = $("#options");
  const view = state.current;
  if (!view) {
    root.replaceChildren(h("p", { class: "empty" }, t("no_incident")));
    return;
  }
  const dispatch = view.options;
  const parts = [incidentHead(view, dispatch)];
  if (state.notice) parts.push(h("p", { class: `notice notice-${state.notice.kind}`, role: "alert" }, state.notice.text));
  if (dispatch) {
    const plans = dispatch.plans || [];
    if (!plans.length) parts.push(h("p", { class: "empty" }, t("no_plans"), " ", (dispatch.reasons || []).join("; ")));
    parts.push(...plans.map((plan) => planCard(view, plan)));
    if (dispatch.relaxations && dispatch.relaxations.length) parts.push(relaxations(dispatch.relaxations));
    if (dispatch.rejected && dispatch.rejected.length) parts.push(rejectedList(dispatch.rejected));
  }
  root.replaceChildren(...parts);
}

function incidentHead(view, dispatch) {
  const report = view.report || {};
  const vehicle = state.vehicles.get(report.vehicle_id);
  const facts = [
    [t("coach"), vehicle ? `${report.vehicle_id} ${vehicle.plate}` : report.vehicle_id],
    [t("location"), report.location],
    [t("time"), (view.reported_at || "").replace("T", " ")],
    [t("passengers"), report.passengers],
    [t("tier"), view.tier ? t(`tier.${view.tier}`) : "—"],
    [t("limit"), view.limit_min != null ? `${view.limit_min} ${t("min")}` : "—"],
  ];
  if (dispatch) facts.push([t("solver"), `${dispatch.status} · ${dispatch.solve_ms} ms`]);
  return h("div", { class: "incident-head", "data-number": view.number },
    h("div", { class: "ih-title" },
      h("h3", {}, `${t("incident")} #${view.number}`),
      statusBadge(view.status),
      h("span", { class: "spacer" }),
      view.status === "options" || view.status === "reported"
        ? h("button", { type: "button", class: "quiet recompute", onclick: () => recompute(view.number) }, t("recompute"))
        : null,
      h("button", { type: "button", class: "link record-link", onclick: () => openRecord(view.number) }, t("record"))),
    h("dl", { class: "facts" }, facts.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value ?? "—")))));
}

function statusBadge(status) {
  return h("span", { class: `badge status-${status}`, "data-status": status }, t(`status.${status}`));
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
    ? h("button", { type: "button", class: "accept primary", "data-rank": plan.rank,
        "aria-describedby": headingId, onclick: () => accept(view.number, plan.rank) }, t("accept"))
    : view.status === "options" ? h("span", { class: "muted no-accept" }, t("nothing_to_send"))
    : isAccepted ? h("span", { class: "badge status-accepted" }, t("accepted")) : null;
  return h("article", { class: `plan${isAccepted ? " is-accepted" : ""}${bad ? " is-late" : ""}`,
      "data-rank": plan.rank, "aria-labelledby": headingId },
    h("header", {},
      h("h4", { id: headingId }, `${t("option")} ${plan.rank}`),
      h("span", { class: "source" }, plan.source),
      verdicts,
      h("span", { class: "spacer" }),
      actions),
    plan.assignments.length ? assignmentTable(plan.assignments) : null,
    plan.explanation ? h("p", { class: "explanation" }, h("b", {}, `${t("explanation")}: `), plan.explanation) : null,
    plan.why_below_first
      ? h("p", { class: "explanation below-first" }, h("b", {}, `${t("below_first")}: `), plan.why_below_first)
      : null,
    tripLines(plan),
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
  // Seven columns, two lines each: the table has to fit beside the map on a 1440-px desk screen.
  const head = [["coach", "seats"], ["driver", "hours_left"], ["from", "departs"], ["eta"], ["pax"],
    ["arrives"], ["deadhead"]];
  const numeric = new Set(["pax", "deadhead"]);
  return h("table", { class: "assign" },
    h("thead", {}, h("tr", {}, head.map(([key, sub]) => h("th", { scope: "col", class: numeric.has(key) ? "num" : null },
      t(key), sub ? h("span", { class: "sub" }, t(sub)) : null)))),
    h("tbody", {}, assignments.map((a) => {
      const vehicle = state.vehicles.get(a.vehicle_id);
      const driver = state.drivers.get(a.driver_id);
      const late = lateMinutes(a) > 0;
      const seats = a.seats ?? (vehicle ? vehicle.seats : null);
      return h("tr", { class: late ? "late" : null, "data-vehicle": a.vehicle_id, "data-driver": a.driver_id },
        h("td", { class: "nowrap" }, h("b", { class: "vehicle-id" }, a.vehicle_id), " ",
          h("span", { class: "muted" }, vehicle ? vehicle.plate : ""),
          h("span", { class: "sub seats" }, seats != null ? t("seats_value", { n: seats }) : "—")),
        h("td", { class: "nowrap" }, h("b", { class: "driver-id" }, a.driver_id), " ", driver ? driver.name : "",
          h("span", { class: "sub hours" }, a.driver_hours_left_h != null
            ? t("hours_left_value", { hours: Number(a.driver_hours_left_h).toFixed(1) }) : "—")),
        h("td", {}, shortPlace(a.origin), h("span", { class: "sub mono" }, a.depart_at)),
        h("td", {}, etaBar(a.scene_eta_min, a.limit_min, lateMinutes(a))),
        h("td", { class: "num" }, a.passengers),
        h("td", {}, h("span", { class: "mono" }, a.destination_arrival), h("span", { class: "sub" }, shortPlace(a.destination)),
          restLine(a)),
        h("td", { class: "num" }, a.deadhead_km));
    })));
}

/** The driver's rest the plan schedules (at the scene or on the way), or nothing: the crew must be told. */
function restLine(a) {
  if (a.rest_on_way) {
    return h("span", { class: "sub rest" }, t("rest_on_way_value",
      { min: a.rest_on_way.rest_min, place: shortPlace(a.rest_on_way.place), at: a.rest_on_way.at }));
  }
  return a.rest_at_scene_min ? h("span", { class: "sub rest" }, t("rest_at_scene_value", { min: a.rest_at_scene_min })) : null;
}

/** A place name without its bracketed detail ("Changchun service point (high-tech zone)" → "Changchun service point"). */
function shortPlace(id) {
  return placeName(id).replace(/\s*[（(].*?[)）]\s*/g, "");
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

function tripLines(plan) {
  const items = [];
  for (const trip of plan.recovered_trips || []) {
    const shift = trip.departure_shift_min ? ` (+${trip.departure_shift_min} ${t("min")})` : "";
    items.push(h("li", {}, `${t("recovered")}: ${trip.trip_id} → ${trip.vehicle_id} / ${trip.driver_id}${shift}`));
  }
  for (const tripId of plan.uncovered_trips || []) {
    items.push(h("li", { class: "warn" }, `${t("uncovered")}: ${tripId}`));
  }
  return items.length ? h("ul", { class: "trips" }, items) : null;
}

function rejectedList(rejected) {
  return h("details", { class: "rejected" },
    h("summary", {}, `${t("rejected")} (${rejected.length})`),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("candidate")), h("th", { scope: "col" }, t("code")),
        h("th", { scope: "col" }, t("reason")))),
      h("tbody", {}, rejected.map((r) => h("tr", {},
        h("td", { class: "mono" }, r.candidate), h("td", {}, h("span", { class: "code" }, r.code)), h("td", {}, r.reason))))));
}

function relaxations(items) {
  // The first few are what a dispatcher can act on; the rest stay one click away.
  const shown = 4;
  const line = (r) => h("li", {}, r.description);
  return h("div", { class: "relaxations" }, h("h4", {}, t("relaxations")),
    h("ul", {}, items.slice(0, shown).map(line)),
    items.length > shown
      ? h("details", {}, h("summary", {}, t("more", { n: items.length - shown })), h("ul", {}, items.slice(shown).map(line)))
      : null);
}

async function accept(number, rank) {
  try {
    state.current = await api.accept(number, rank);
    state.notice = { kind: "ok", text: t("accepted_msg", { number, rank }) };
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
  renderOptions();
  const focusTarget = document.querySelector("#options .notice") || document.querySelector("#options h3");
  if (focusTarget) {
    focusTarget.tabIndex = -1;
    focusTarget.focus();
  }
  poll();
}

async function recompute(number) {
  $("#options").setAttribute("aria-busy", "true");
  try {
    state.current = await api.recompute(number);
    state.notice = null;
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
    renderOptions();
    $("#options-h").scrollIntoView({ block: "nearest" });
  } catch (error) {
    handleFailure(error);
  }
}

// --------------------------------------------------------------------------- open incidents
let incidentsShown = "";
function renderIncidents() {
  // Polling must not pull the keyboard focus out of the list: redraw only on change, then put
  // the focus back on the same control of the same incident.
  const signature = JSON.stringify([state.lang, state.current && state.current.number, state.incidents]);
  if (signature === incidentsShown) return;
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
}

function focusKey(element) {
  const row = element.closest("tr");
  return row && element.dataset.focus ? { number: row.dataset.number, control: element.dataset.focus } : null;
}

function incidentRow(incident) {
  const report = incident.report || {};
  const vehicle = state.vehicles.get(report.vehicle_id);
  const steps = [...(NEXT_STEPS[incident.status] || []), ...(incident.status !== "voided" ? ["void"] : [])];
  const response = incident.response_min != null
    ? h("span", { class: incident.within_limit === false ? "late-text" : "ok-text" }, `${Math.round(incident.response_min)} / `)
    : null;
  return h("tr", { "data-number": incident.number, "data-status": incident.status,
      class: state.current && state.current.number === incident.number ? "current" : null },
    h("td", {}, h("button", { type: "button", class: "link", "data-focus": "show", onclick: () => showIncident(incident.number),
      "aria-label": `${t("incident")} #${incident.number}: ${t("show_options")}` }, `#${incident.number}`)),
    h("td", { class: "mono" }, (incident.reported_at || "").slice(5, 10), h("span", { class: "sub" }, (incident.reported_at || "").slice(11))),
    h("td", {}, h("b", {}, report.vehicle_id), h("span", { class: "sub" }, vehicle ? vehicle.plate : "")),
    h("td", { class: "loc", title: report.location }, report.location),
    h("td", { class: "num" }, report.passengers),
    h("td", { class: "mono nowrap" }, response, incident.limit_min != null ? `${incident.limit_min} ${t("min")}` : "—"),
    h("td", {}, statusBadge(incident.status)),
    h("td", { class: "row-actions" },
      steps.map((step) => h("button", { type: "button", class: step === "void" ? "quiet danger" : "quiet",
        "data-step": step, "data-focus": step, onclick: () => openStep(incident.number, step) }, t(STEP_LABEL[step]))),
      h("button", { type: "button", class: "link record-link", "data-focus": "record",
        onclick: () => openRecord(incident.number) }, t("record"))));
}

/**
 * The printable record in a tab of its own. The page is fetched with the token in the header and put
 * into a blank tab (opened at once, while the click still counts as the user's): no address, log or
 * history entry ever holds the token. The tab shares this page's origin and security policy, so the
 * record's stylesheet and print script load from /static as on the record page itself.
 */
async function openRecord(number) {
  const tab = window.open("", "_blank");
  if (!tab) {
    toast(t("popup_blocked"), "error");
    return;
  }
  tab.document.title = `${t("record")} #${number}`;
  let html;
  try {
    html = await api.recordPage(number);
  } catch (error) {
    tab.close();
    handleFailure(error);
    return;
  }
  const page = new DOMParser().parseFromString(html, "text/html");
  const doc = tab.document;
  doc.replaceChild(doc.adoptNode(page.documentElement), doc.documentElement);
  // Parsed scripts never run; the record's own (print button) is recreated so that it does.
  for (const inert of doc.querySelectorAll("script[src]")) {
    const script = doc.createElement("script");
    script.src = inert.getAttribute("src");
    inert.replaceWith(script);
  }
  tab.focus();
}

function openStep(number, step) {
  state.step = { number, step };
  const dialog = $("#step-dialog");
  $("#step-title").textContent = `${t(STEP_LABEL[step])} · ${t("incident")} #${number}`;
  const needsAt = step === "on-scene" || step === "resolved";
  $("#step-at-field").hidden = !needsAt;
  const incident = state.incidents.find((i) => i.number === number);
  $("#step-at").value = defaultStepTime(incident, step);
  const note = $("#step-note");
  note.value = "";
  note.required = step === "follow-up" || step === "void";
  // on scene, the note is the reason for a time earlier than the plan can arrive (recorded with it)
  const label = { void: "void_reason", "on-scene": "override_reason" }[step] || "note";
  $("#step-note-label").textContent = t(label);
  dialog.returnValue = "";
  dialog.showModal();
  (needsAt ? $("#step-at") : note).focus();
}

/**
 * The time a step's dialog proposes, never earlier than the record allows, else now: on scene the
 * accepted plan's first arrival (one Confirm must not record a 0-minute response), resolved the
 * on-scene time, otherwise the report (the bundled timetable lies in the future).
 */
function defaultStepTime(incident, step) {
  const now = localMinute(new Date());
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
  const bodies = {
    "on-scene": { at, ...(note ? { override_reason: note } : {}) },
    resolved: { at, ...(note ? { note } : {}) },
    "follow-up": { note },
    void: { reason: note },
  };
  try {
    const view = await api.lifecycle(pending.number, pending.step, bodies[pending.step]);
    if (state.current && state.current.number === pending.number) {
      state.current = view;
      renderOptions();
    }
    toast(`#${pending.number}: ${t(`status.${view.status}`)}`, "ok");
  } catch (error) {
    toast(describe(error), "error");
  }
  poll();
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

// --------------------------------------------------------------------------- wiring
function wire() {
  $("#lang").addEventListener("click", toggleLanguage);
  $("#login").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", signOut);
  $("#report-form").addEventListener("submit", submitReport);
  $("#location").addEventListener("input", (event) => {
    if (state.sides) showSides(null); // typed a location instead of choosing a side
    if (state.map) state.map.setPick(event.target.value);
  });
  $("#step-dialog").addEventListener("close", closeStep);
  $("#step-cancel").addEventListener("click", () => $("#step-dialog").close("cancel"));
  $("#time").value = localMinute(new Date());
}

wire();
applyLanguage();
if (token()) {
  start();
} else {
  showSession(false);
  $("#token").focus();
}
