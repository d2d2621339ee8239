// The service KPIs of a period (GET /kpis) as numbers and charts: incidents per day, response time
// against the limit by tier, the share reached within the limit, and the passengers reached in time.
// The charts are plain SVG drawn here, each with a title, axes, labels in the page's language and its
// numbers as a table beside it (a <details>), so nothing is only a picture.

import { call } from "./api.js";
import { $, addDays, h, handleFailure, initChrome, label, locale, notify, s, serviceToday, t } from "./pages.js";

const DEFAULT_DAYS = 30;
const PLOT_HEIGHT = 230;
const MARGIN = { top: 18, right: 12, bottom: 44, left: 48 };
const RESIZE_DELAY_MS = 150;

const view = { today: null, from: null, to: null, kpis: null, resizing: null };

// --------------------------------------------------------------------------- numbers
const number = (value, digits = 0) =>
  value === null || value === undefined ? "—" : Number(value).toLocaleString(locale(), { maximumFractionDigits: digits });
const percent = (share) => (share === null || share === undefined ? "—" : `${number(share * 100, 1)}%`);

function totals(kpis) {
  const sum = (key) => kpis.by_tier.reduce((total, row) => total + row[key], 0);
  const measured = sum("measured");
  const reached = sum("reached_within_limit");
  return {
    incidents: sum("incidents"),
    measured,
    reached,
    share: measured ? reached / measured : null,
    passengers: sum("passengers"),
    passengersMeasured: sum("passengers_measured"),
    passengersReached: sum("passengers_reached_within_limit"),
  };
}

// --------------------------------------------------------------------------- tiles
function tile(id, title, value, detail, tone) {
  return h("article", { class: "tile", id: `tile-${id}`, "aria-labelledby": `tile-${id}-h` },
    h("h3", { id: `tile-${id}-h` }, title),
    h("div", { class: `value${tone ? ` ${tone}` : ""}`, "data-value": value.raw ?? "" }, value.text),
    h("div", { class: "detail" }, detail));
}

function renderTiles(kpis) {
  const all = totals(kpis);
  const response = kpis.response_min;
  const tone = (share) => (share === null ? null : share >= 0.95 ? "good" : share < 0.8 ? "bad" : null);
  $("#tiles").replaceChildren(
    tile("incidents", t("kpi_incidents"), { text: number(all.incidents), raw: all.incidents },
      `${view.from} – ${view.to}`),
    tile("within", t("kpi_within"), { text: percent(all.share), raw: all.share ?? "" },
      t("kpi_within_value", { reached: number(all.reached), measured: number(all.measured) }), tone(all.share)),
    tile("response", t("kpi_response"), { text: response.mean === null ? "—" : t("minutes", { n: number(response.mean, 1) }),
      raw: response.mean ?? "" },
      response.mean === null ? t("no_data") : t("kpi_response_value", { p90: number(response.p90, 1), n: number(response.count) })),
    tile("follow-up", t("kpi_follow_up"), { text: percent(kpis.follow_up_rate), raw: kpis.follow_up_rate ?? "" },
      t("kpi_follow_up_value")),
    tile("rate", t("kpi_rate"), { text: number(kpis.incidents_per_10k_km, 2), raw: kpis.incidents_per_10k_km ?? "" },
      t("kpi_rate_value", { km: number(kpis.km_basis.km) })),
    tile("passengers", t("kpi_passengers"),
      { text: all.passengersMeasured ? percent(all.passengersReached / all.passengersMeasured) : "—", raw: all.passengersReached },
      t("kpi_passengers_value", { reached: number(all.passengersReached), measured: number(all.passengersMeasured) })),
  );
}

// --------------------------------------------------------------------------- chart frame
/** A nice upper bound and tick step for values up to `max` (whole numbers when `whole`). */
function scaleFor(max, whole) {
  if (!(max > 0)) return { top: whole ? 4 : 1, step: whole ? 1 : 0.25 };
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((candidate) => candidate >= rough);
  if (whole) step = Math.max(1, Math.ceil(step));
  return { top: Math.ceil(max / step) * step, step };
}

/**
 * The SVG of a chart: gridlines, y axis with ticks and title, x axis title; returns the svg, the plot
 * area and y(value). `labelledBy` names the figure's title and description for assistive technology.
 */
function frame(plot, { yMax, whole = false, yTitle, xTitle, labelledBy, format = (v) => number(v) }) {
  const width = Math.max(320, Math.floor(plot.clientWidth || 560));
  const height = PLOT_HEIGHT;
  const area = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const { top, step } = scaleFor(yMax, whole);
  const y = (value) => area.y + area.h - (Math.min(value, top) / top) * area.h;
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": labelledBy,
    class: "chart-svg" });
  const grid = s("g", { class: "grid" });
  const axis = s("g", { class: "axis axis-y" });
  for (let tick = 0; tick <= top + step / 1000; tick += step) {
    grid.append(s("line", { x1: area.x, x2: area.x + area.w, y1: y(tick), y2: y(tick) }));
    axis.append(s("text", { x: area.x - 6, y: y(tick) + 4, "text-anchor": "end" }, format(tick)));
  }
  axis.append(s("line", { x1: area.x, x2: area.x, y1: area.y, y2: area.y + area.h }));
  const xAxis = s("g", { class: "axis axis-x" }, s("line", { x1: area.x, x2: area.x + area.w, y1: area.y + area.h, y2: area.y + area.h }));
  svg.append(grid, axis, xAxis,
    s("text", { class: "axis-title", x: 12, y: area.y + area.h / 2, transform: `rotate(-90 12 ${area.y + area.h / 2})`,
      "text-anchor": "middle" }, yTitle),
    s("text", { class: "axis-title", x: area.x + area.w / 2, y: height - 4, "text-anchor": "middle" }, xTitle));
  return { svg, area, y, xAxis };
}

/** Band positions for `count` categories across the plot area. */
function bands(area, count, fill = 0.7) {
  const band = area.w / Math.max(1, count);
  const width = Math.max(2, Math.min(band * fill, 64));
  return { band, width, x: (index) => area.x + band * index + (band - width) / 2, mid: (index) => area.x + band * (index + 0.5) };
}

function bar(x, y0, y1, width, cls, key, value, title) {
  return s("rect", { class: `bar ${cls}`.trim(), x, y: Math.min(y0, y1), width, height: Math.max(0, Math.abs(y0 - y1)),
    "data-key": key, "data-value": value }, s("title", {}, title));
}

function dataTable(headers, rows) {
  return h("details", {},
    h("summary", {}, t("data_table")),
    h("div", { class: "table-wrap" },
      h("table", {},
        h("thead", {}, h("tr", {}, headers.map((text, i) => h("th", { scope: "col", class: i ? "num" : "" }, text)))),
        h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((text, i) => (i ? h("td", { class: "num" }, text) : h("th", { scope: "row" }, text)))))))));
}

function place(figureId, ...content) {
  const plot = $(`#${figureId} .plot`);
  plot.replaceChildren(...content);
}

// --------------------------------------------------------------------------- the four charts
function daysOfPeriod() {
  const days = [];
  for (let day = view.from; day <= view.to && days.length < 3700; day = addDays(day, 1)) days.push(day);
  return days;
}

function chartPerDay(kpis) {
  const plot = $("#chart-days .plot");
  const days = daysOfPeriod();
  const counts = new Map(kpis.by_day.map((row) => [row.day, row]));
  const yMax = Math.max(0, ...kpis.by_day.map((row) => row.incidents));
  const { svg, area, y, xAxis } = frame(plot, { yMax, whole: true, yTitle: t("axis_incidents"), xTitle: t("axis_day"),
    labelledBy: "chart-days-h chart-days-d" });
  const slots = bands(area, days.length, 0.8);
  const every = Math.max(1, Math.ceil(days.length / Math.floor(area.w / 56)));
  const bars = s("g", { class: "bars" });
  days.forEach((day, index) => {
    const row = counts.get(day);
    if (row) {
      bars.append(bar(slots.x(index), y(0), y(row.incidents), slots.width, "", day, row.incidents,
        `${day}: ${number(row.incidents)}`));
      if (slots.width >= 12) {
        bars.append(s("text", { class: "value-label", x: slots.mid(index), y: y(row.incidents) - 3, "text-anchor": "middle" },
          number(row.incidents)));
      }
    }
    if (index % every === 0) {
      xAxis.append(s("text", { x: slots.mid(index), y: area.y + area.h + 14, "text-anchor": "middle" }, day.slice(5)));
    }
  });
  svg.append(bars);
  place("chart-days", svg, dataTable([t("day"), t("kpi_incidents"), t("measured"), t("reached")],
    kpis.by_day.map((row) => [row.day, number(row.incidents), number(row.measured), number(row.reached_within_limit)])));
}

function tierAxis(xAxis, area, slots, tiers) {
  tiers.forEach((row, index) => {
    xAxis.append(s("text", { x: slots.mid(index), y: area.y + area.h + 15, "text-anchor": "middle" },
      row.tier === "_all" ? t("all_tiers") : label("tier", row.tier)));
  });
}

function noData(svg, x, y) {
  svg.append(s("text", { class: "tick-label", x, y: y - 4, "text-anchor": "middle" }, t("no_data")));
}

function chartResponse(kpis) {
  const plot = $("#chart-response .plot");
  const tiers = kpis.by_tier;
  const yMax = Math.max(0, ...tiers.map((row) => Math.max(row.response_mean_min ?? 0, row.limit_min ?? 0))) * 1.1;
  const { svg, area, y, xAxis } = frame(plot, { yMax, yTitle: t("axis_minutes"), xTitle: t("axis_tier"),
    labelledBy: "chart-response-h chart-response-d" });
  const slots = bands(area, tiers.length, 0.5);
  tierAxis(xAxis, area, slots, tiers);
  const bars = s("g", { class: "bars" });
  tiers.forEach((row, index) => {
    const mean = row.response_mean_min;
    if (mean === null) noData(bars, slots.mid(index), y(0));
    else {
      const late = row.limit_min !== null && mean > row.limit_min;
      bars.append(bar(slots.x(index), y(0), y(mean), slots.width, late ? "late" : "ok", row.tier, mean,
        `${label("tier", row.tier)}: ${t("minutes", { n: number(mean, 1) })}`));
      bars.append(s("text", { class: "value-label", x: slots.mid(index), y: y(mean) - 4, "text-anchor": "middle" }, number(mean, 1)));
    }
    if (row.limit_min !== null) {
      const left = slots.x(index) - 6;
      bars.append(s("line", { class: "limit-mark", x1: left, x2: left + slots.width + 12, y1: y(row.limit_min), y2: y(row.limit_min),
        "data-key": row.tier, "data-value": row.limit_min }, s("title", {}, t("limit_mark", { n: row.limit_min }))));
      bars.append(s("text", { class: "tick-label", x: left + slots.width + 14, y: y(row.limit_min) + 4 }, row.limit_min));
    }
  });
  svg.append(bars);
  place("chart-response", svg,
    h("ul", { class: "legend-key" }, h("li", {}, h("i", { class: "k-ok" }), t("within")), h("li", {}, h("i", { class: "k-late" }), t("late")),
      h("li", {}, h("i", { class: "k-limit" }), t("limit"))),
    dataTable([t("tier"), t("limit"), t("measured"), t("mean_response"), t("max_response")],
      tiers.map((row) => [label("tier", row.tier), row.limit_min === null ? "—" : t("minutes", { n: row.limit_min }), number(row.measured),
        row.response_mean_min === null ? "—" : t("minutes", { n: number(row.response_mean_min, 1) }),
        row.response_max_min === null ? "—" : t("minutes", { n: number(row.response_max_min, 1) })])));
}

function chartShare(kpis) {
  const plot = $("#chart-share .plot");
  const all = totals(kpis);
  const rows = [...kpis.by_tier, { tier: "_all", measured: all.measured, reached_within_limit: all.reached, compliance: all.share }];
  const { svg, area, y, xAxis } = frame(plot, { yMax: 100, yTitle: t("axis_share"), xTitle: t("axis_tier"),
    labelledBy: "chart-share-h chart-share-d", format: (v) => `${number(v)}` });
  const slots = bands(area, rows.length, 0.5);
  tierAxis(xAxis, area, slots, rows);
  const bars = s("g", { class: "bars" });
  rows.forEach((row, index) => {
    const name = row.tier === "_all" ? t("all_tiers") : label("tier", row.tier);
    if (row.compliance === null) noData(bars, slots.mid(index), y(0));
    else {
      const value = row.compliance * 100;
      bars.append(bar(slots.x(index), y(0), y(value), slots.width, row.compliance >= 0.95 ? "ok" : row.compliance < 0.8 ? "late" : "",
        row.tier, row.compliance, `${name}: ${percent(row.compliance)}`));
      bars.append(s("text", { class: "value-label", x: slots.mid(index), y: y(value) - 4, "text-anchor": "middle" }, percent(row.compliance)));
    }
  });
  svg.append(bars);
  place("chart-share", svg, dataTable([t("tier"), t("measured"), t("reached"), t("share")],
    rows.map((row) => [row.tier === "_all" ? t("all_tiers") : label("tier", row.tier), number(row.measured),
      number(row.reached_within_limit), percent(row.compliance)])));
}

function chartPassengers(kpis) {
  const plot = $("#chart-passengers .plot");
  const tiers = kpis.by_tier;
  const yMax = Math.max(0, ...tiers.map((row) => row.passengers));
  const { svg, area, y, xAxis } = frame(plot, { yMax, whole: true, yTitle: t("axis_passengers"), xTitle: t("axis_tier"),
    labelledBy: "chart-passengers-h chart-passengers-d" });
  const slots = bands(area, tiers.length, 0.5);
  tierAxis(xAxis, area, slots, tiers);
  const bars = s("g", { class: "bars" });
  tiers.forEach((row, index) => {
    const name = label("tier", row.tier);
    const parts = [
      ["ok", row.passengers_reached_within_limit, t("in_time")],
      ["late", row.passengers_measured - row.passengers_reached_within_limit, t("not_in_time")],
      ["unmeasured", row.passengers - row.passengers_measured, t("unmeasured")],
    ];
    if (!row.passengers) {
      noData(bars, slots.mid(index), y(0));
      return;
    }
    let base = 0;
    for (const [cls, count, what] of parts) {
      if (count > 0) bars.append(bar(slots.x(index), y(base), y(base + count), slots.width, cls, row.tier, count, `${name}: ${what} ${number(count)}`));
      base += count;
    }
    bars.append(s("text", { class: "value-label", x: slots.mid(index), y: y(base) - 4, "text-anchor": "middle" }, number(base)));
  });
  svg.append(bars);
  place("chart-passengers", svg,
    h("ul", { class: "legend-key" }, h("li", {}, h("i", { class: "k-ok" }), t("in_time")),
      h("li", {}, h("i", { class: "k-late" }), t("not_in_time")), h("li", {}, h("i", { class: "k-unmeasured" }), t("unmeasured"))),
    dataTable([t("tier"), t("passengers"), t("in_time"), t("not_in_time"), t("unmeasured")],
      tiers.map((row) => [label("tier", row.tier), number(row.passengers), number(row.passengers_reached_within_limit),
        number(row.passengers_measured - row.passengers_reached_within_limit), number(row.passengers - row.passengers_measured)])));
}

function renderSetAside(kpis) {
  const section = $("#set-aside");
  section.hidden = kpis.set_aside.length === 0;
  section.querySelector("ul").replaceChildren(...kpis.set_aside.map((item) =>
    h("li", {}, `#${item.number}: ${label("reason", item.reason)}`)));
}

function renderExercises(kpis) {
  const section = $("#exercises");
  const exercises = kpis.exercises || [];
  section.hidden = exercises.length === 0;
  section.querySelector("ul").replaceChildren(...exercises.map((item) =>
    h("li", {}, `#${item.number}: ${t("exercise_for")} ${item.reported_at.slice(0, 16).replace("T", " ")}`)));
}

function render() {
  if (!view.kpis) return;
  renderTiles(view.kpis);
  chartPerDay(view.kpis);
  chartResponse(view.kpis);
  chartShare(view.kpis);
  chartPassengers(view.kpis);
  renderSetAside(view.kpis);
  renderExercises(view.kpis);
}

// --------------------------------------------------------------------------- loading
async function load() {
  let from = $("#from").value || addDays(view.today, 1 - DEFAULT_DAYS);
  let to = $("#to").value || view.today;
  if (from > to) [from, to] = [to, from];
  $("#from").value = from;
  $("#to").value = to;
  try {
    const kpis = await call("GET", `/kpis?${new URLSearchParams({ from, to })}`);
    Object.assign(view, { from, to, kpis });
    notify(null);
    render();
    document.body.dataset.loaded = `${from}/${to}`;
  } catch (error) {
    handleFailure(error);
  }
}

function setPeriod(days) {
  $("#from").value = addDays(view.today, 1 - days);
  $("#to").value = view.today;
  return load();
}

function labelQuickButtons() {
  for (const button of document.querySelectorAll("[data-days]")) {
    button.textContent = t("last_days", { n: button.dataset.days });
  }
}

async function onSignIn() {
  view.today = await serviceToday();
  await setPeriod(DEFAULT_DAYS);
}

function onLanguage() {
  labelQuickButtons();
  render();
}

$("#period").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
for (const button of document.querySelectorAll("[data-days]")) {
  button.addEventListener("click", () => setPeriod(Number(button.dataset.days)));
}
window.addEventListener("resize", () => {
  clearTimeout(view.resizing);
  view.resizing = setTimeout(render, RESIZE_DELAY_MS);
});
initChrome({ onSignIn, onLanguage });
