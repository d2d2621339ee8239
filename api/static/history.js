// The incident history: today's incidents by default, any period with search and filters, a page at
// a time, each row opening its printable record, and the filtered list as a CSV download.
// The filters run on the service (GET /incidents); the CSV comes from GET /incidents/export.csv with
// the token in the header, handed to the browser as a Blob: no address ever carries the token.

import { call } from "./api.js";
import {
  $, fetchRaw, h, handleFailure, initChrome, label, locale, notify, openRecord, placeLabel, serviceToday, t,
} from "./pages.js";

const PAGE_SIZE = 20;
const SEARCH_DELAY_MS = 350;
const STATUSES = ["reported", "options", "accepted", "on_scene", "resolved", "followed_up", "voided"];
const TIERS = ["city", "near_backup", "corridor", "pre_departure"];
const KINDS = ["breakdown", "accident", "driver_illness", "weather"];

const view = {
  today: null,
  vehicles: [],
  rows: [],
  total: 0,
  offset: 0,
  loaded: false,
  request: 0, // the latest list request: an older answer arriving late is dropped
  typing: null,
};

// --------------------------------------------------------------------------- filters
function fillSelect(select, entries) {
  const chosen = select.value;
  select.replaceChildren(...entries.map(([value, text]) => h("option", { value }, text)));
  if (entries.some(([value]) => value === chosen)) select.value = chosen;
}

function fillFilters() {
  fillSelect($("#status"), [["", t("any")], ["open", t("open_only")], ...STATUSES.map((s) => [s, label("status", s)])]);
  fillSelect($("#tier"), [["", t("any")], ...TIERS.map((tier) => [tier, label("tier", tier)])]);
  fillSelect($("#kind"), [["", t("any")], ...KINDS.map((kind) => [kind, label("kind", kind)])]);
  fillSelect($("#vehicle"), [["", t("any")], ...view.vehicles.map((v) => [v.id, `${v.id} · ${v.plate}`])]);
}

/** The filters as query parameters (no paging): the list and the CSV export ask with the same ones. */
function filterParams() {
  const params = new URLSearchParams();
  const q = $("#q").value.trim();
  if (q) params.set("q", q);
  let from = $("#from").value;
  let to = $("#to").value;
  if (from && to && from > to) [from, to] = [to, from];
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  for (const [id, name] of [["#status", "status"], ["#tier", "tier"], ["#vehicle", "vehicle_id"], ["#kind", "kind"]]) {
    if ($(id).value) params.set(name, $(id).value);
  }
  return params;
}

function resetToToday() {
  $("#filters").reset();
  $("#from").value = view.today;
  $("#to").value = view.today;
}

// --------------------------------------------------------------------------- loading
async function load(offset = 0) {
  const request = ++view.request;
  const params = filterParams();
  params.set("limit", String(PAGE_SIZE));
  params.set("offset", String(offset));
  $("#results").setAttribute("aria-busy", "true");
  try {
    const response = await fetchRaw(`/incidents?${params}`);
    const rows = await response.json();
    if (request !== view.request) return;
    view.rows = rows;
    view.total = Number(response.headers.get("X-Total-Count") || rows.length);
    view.offset = offset;
    view.loaded = true;
    notify(null);
    render();
  } catch (error) {
    if (request === view.request) handleFailure(error);
  } finally {
    if (request === view.request) $("#results").setAttribute("aria-busy", "false");
  }
}

async function exportCsv() {
  const button = $("#export");
  button.disabled = true;
  button.textContent = t("exporting");
  try {
    const response = await fetchRaw(`/incidents/export.csv?${filterParams()}`, "text/csv");
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const file = match ? match[1] : "incidents.csv";
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: file, class: "visually-hidden" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    notify(null);
    $("#count").textContent = `${countText()} · ${t("exported", { file })}`;
  } catch (error) {
    handleFailure(error);
  } finally {
    button.disabled = false;
    button.textContent = t("export_csv");
  }
}

// --------------------------------------------------------------------------- rendering
function countText() {
  if (view.total === 0) return t("count_none");
  if (view.total === 1) return t("count_one");
  return t("count", { n: view.total.toLocaleString(locale()) });
}

function render() {
  if (!view.loaded) return;
  const plates = new Map(view.vehicles.map((v) => [v.id, v.plate]));
  $("#results tbody").replaceChildren(...view.rows.map((incident) => row(incident, plates)));
  $("#empty").hidden = view.rows.length > 0;
  $("#count").textContent = countText();
  const pages = Math.max(1, Math.ceil(view.total / PAGE_SIZE));
  const page = Math.floor(view.offset / PAGE_SIZE) + 1;
  $("#page").textContent = view.total > 0
    ? `${t("page_of", { page, pages })} · ${t("showing", { first: view.offset + 1, last: view.offset + view.rows.length, n: view.total })}`
    : "";
  $("#prev").disabled = view.offset === 0;
  $("#next").disabled = view.offset + PAGE_SIZE >= view.total;
}

function row(incident, plates) {
  const report = incident.report || {};
  const open = () => openRecord(incident.number);
  const limit = incident.limit_min === null || incident.limit_min === undefined ? "—" : t("minutes", { n: incident.limit_min });
  return h("tr", { "data-number": incident.number, "data-status": incident.status, "data-tier": incident.tier || "" },
    h("td", { class: "num" },
      h("button", { type: "button", class: "link", onclick: open, "aria-label": t("open_record", { number: incident.number }) },
        `#${incident.number}`)),
    h("td", { class: "nowrap" }, reportedText(incident.reported_at)),
    h("td", { class: "nowrap" }, report.vehicle_id || "—", h("span", { class: "sub" }, plates.get(report.vehicle_id) || "")),
    h("td", { class: "loc", title: placeLabel(report.location) }, placeLabel(report.location)),
    h("td", { class: "nowrap" }, label("kind", report.kind)),
    h("td", { class: "num" }, report.passengers ?? "—"),
    h("td", { class: "nowrap" }, label("tier", incident.tier)),
    h("td", { class: "num nowrap" }, limit),
    h("td", { class: "num nowrap" }, responseCell(incident)),
    h("td", {}, h("span", { class: `badge status-${incident.status}`, "data-status": incident.status },
      label("status", incident.status))),
    h("td", {}, h("button", { type: "button", class: "quiet record-link", onclick: open }, t("record"))));
}

function reportedText(at) {
  return at ? at.replace("T", " ") : "—";
}

function responseCell(incident) {
  if (incident.response_min === null || incident.response_min === undefined) return "—";
  const text = t("minutes", { n: Math.round(incident.response_min) });
  if (incident.within_limit === null || incident.within_limit === undefined) return text;
  return h("span", { class: incident.within_limit ? "ok-text" : "late-text",
    title: incident.within_limit ? t("within") : t("late") }, text);
}

// --------------------------------------------------------------------------- start
async function onSignIn() {
  view.today = await serviceToday();
  view.vehicles = await call("GET", "/fleet");
  fillFilters();
  resetToToday();
  await load(0);
  $("#q").focus();
}

function onLanguage() {
  fillFilters();
  render();
}

function wire() {
  $("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load(0);
  });
  for (const id of ["#from", "#to", "#status", "#tier", "#vehicle", "#kind"]) {
    $(id).addEventListener("change", () => load(0));
  }
  $("#q").addEventListener("input", () => {
    clearTimeout(view.typing);
    view.typing = setTimeout(() => load(0), SEARCH_DELAY_MS);
  });
  $("#today").addEventListener("click", () => {
    resetToToday();
    load(0);
  });
  $("#export").addEventListener("click", exportCsv);
  $("#prev").addEventListener("click", () => load(Math.max(0, view.offset - PAGE_SIZE)));
  $("#next").addEventListener("click", () => load(view.offset + PAGE_SIZE));
}

wire();
initChrome({ onSignIn, onLanguage });
