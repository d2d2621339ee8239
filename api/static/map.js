// The corridor map: Leaflet (vendored) drawing the service's own GeoJSON as vector layers, so it works
// offline; a basemap only when the service is configured with tiles (FLEETPLAN_TILE_URL). Coaches sit
// at their live positions with their heading, stale ones greyed; incidents, alerts, the accepted
// rescues' routes and the closures are layers of their own.

import * as L from "./vendor/leaflet/leaflet-src.esm.js";
import { datum } from "./geo.js";

const KM_POST = /G1\s*K\s*(\d+(?:\.\d+)?)(?:\s*\+\s*(\d+))?\s*(?:toward|to|往|向)?\s*(changchun|siping|长春|四平)?/i;
const LABELLED_KINDS = new Set(["depot", "town", "service_area", "interchange", "section_end"]);
const CARRIAGEWAY_OFFSET_PX = 3; // each carriageway drawn this far to the right of its travel direction
const ROAD_STYLE = {
  city: { color: "#9aa5b1", weight: 2 },
  ramp: { color: "#b9c2cc", weight: 1.5 },
  national: { color: "#b59a6b", weight: 2, dashArray: "6 4" },
};
const SIDE_STYLE = { to_changchun: "#1f5fae", to_siping: "#7a3fb0" };

function el(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * Draw the corridor into `root` and return the handle the desk uses. `onPick` gets each click on the
 * map (WGS-84); `onSide` the carriageway a dispatcher clicks among those `setSides` drew; `label(key)`
 * translates; `onCoach(id)` a click on a coach.
 */
export function createMap(root, geojson, { onPick, onSide, label, onCoach }) {
  const nodes = new Map();
  const edges = [];
  for (const feature of geojson.features) {
    if (feature.geometry.type === "Point") nodes.set(feature.properties.id ?? feature.id, feature);
    else if (feature.geometry.type === "LineString") edges.push(feature);
  }
  let shift = datum("wgs84");
  const ll = ([lon, lat]) => {
    const [x, y] = shift.toMap([lon, lat]);
    return L.latLng(y, x);
  };
  const state = { lang: "en", fleet: [], positions: new Map(), freshS: 120, now: () => new Date(), tiles: null };

  const map = L.map(root, { zoomSnap: 0.25, zoomControl: true, attributionControl: true, minZoom: 7, maxZoom: 17 });
  map.attributionControl.setPrefix(false); // no flag, no link out: the desk names only what it draws
  const panes = ["roads", "closures", "routes", "places", "incidents", "coaches", "pick"];
  panes.forEach((name, i) => { map.createPane(name).style.zIndex = String(410 + i * 10); });
  const layers = Object.fromEntries(panes.map((name) => [name, L.layerGroup().addTo(map)]));
  let tileLayer = null;

  const bounds = L.latLngBounds([...nodes.values()].map((f) => ll(f.geometry.coordinates)));
  map.fitBounds(bounds, { padding: [16, 16] });

  // ------------------------------------------------------------------ roads, both carriageways apart
  const carriageways = [];
  function drawRoads() {
    layers.roads.clearLayers();
    carriageways.length = 0;
    const order = { city: 0, ramp: 1, national: 2, expressway: 3 };
    const sorted = [...edges].sort((a, b) => (order[a.properties.road_class] ?? 0) - (order[b.properties.road_class] ?? 0));
    for (const edge of sorted) {
      const { road_class: roadClass, direction, name } = edge.properties;
      const points = edge.geometry.coordinates.map(ll);
      if (roadClass === "expressway" && direction) {
        const line = L.polyline(points, { pane: "roads", color: SIDE_STYLE[direction] || "#1f5fae", weight: 3.5,
          opacity: 0.9, className: `road road-expressway side-${direction}`, interactive: false });
        carriageways.push({ line, points, direction });
        layers.roads.addLayer(line);
      } else {
        const style = ROAD_STYLE[roadClass] || ROAD_STYLE.city;
        layers.roads.addLayer(L.polyline(points, { pane: "roads", ...style, className: `road road-${roadClass || "other"}`,
          interactive: false }).bindTooltip(name || "", { sticky: true }));
      }
    }
    offsetCarriageways();
  }

  /** Each carriageway moved a few pixels to the right of its travel direction, with an arrow: at every zoom. */
  function offsetCarriageways() {
    for (const way of carriageways) {
      const [a, b] = way.points.map((p) => map.latLngToLayerPoint(p));
      const [dx, dy] = [b.x - a.x, b.y - a.y];
      const norm = Math.hypot(dx, dy) || 1;
      const [ox, oy] = [(-dy / norm) * CARRIAGEWAY_OFFSET_PX, (dx / norm) * CARRIAGEWAY_OFFSET_PX];
      way.line.setLatLngs([a, b].map((p) => map.layerPointToLatLng(L.point(p.x + ox, p.y + oy))));
      if (way.arrow) layers.roads.removeLayer(way.arrow);
      const middle = map.layerPointToLatLng(L.point((a.x + b.x) / 2 + ox * 2.5, (a.y + b.y) / 2 + oy * 2.5));
      const head = el("span", `way-arrow side-${way.direction}`, "➤");
      head.style.transform = `rotate(${(Math.atan2(dy, dx) * 180) / Math.PI}deg)`;
      way.arrow = L.marker(middle, { pane: "roads", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "way-arrow-icon", html: head, iconSize: [12, 12], iconAnchor: [6, 6] }) });
      layers.roads.addLayer(way.arrow);
    }
  }
  map.on("zoomend", offsetCarriageways);

  // ------------------------------------------------------------------ places and their names
  function drawPlaces() {
    layers.places.clearLayers();
    for (const feature of nodes.values()) {
      const { kind } = feature.properties;
      if (!LABELLED_KINDS.has(kind) && kind !== "stop") continue;
      const mark = el("span", `place place-${kind}`);
      // not interactive: a click on a place is a pick on the map (a depot in town is off G1)
      const marker = L.marker(ll(feature.geometry.coordinates), { pane: "places", keyboard: false, interactive: false,
        icon: L.divIcon({ className: "place-icon", html: mark, iconSize: [14, 14], iconAnchor: [7, 7] }) });
      marker.bindTooltip(placeLabel(feature), { permanent: LABELLED_KINDS.has(kind), direction: kind === "town" ? "left" : "right",
        className: `place-label label-${kind}`, offset: kind === "town" ? [-6, 0] : [6, 0] });
      layers.places.addLayer(marker);
    }
  }

  function placeLabel(feature) {
    const { kind, km } = feature.properties;
    return shortName(feature, state.lang) + (km !== undefined && kind !== "depot" ? ` K${Math.round(km)}` : "");
  }

  // ------------------------------------------------------------------ coaches
  const coachMarkers = new Map(); // vehicle id → {marker, element}
  const depotBadges = new Map();

  /** The fleet (status, bookings) from the service; where each coach is comes from setPositions. */
  function setFleet(fleet) {
    state.fleet = fleet;
    redrawCoaches();
  }

  /** Live rows of GET /positions (all of them, or only the coaches that moved). */
  function setPositions(rows, full) {
    if (full) state.positions.clear();
    for (const row of rows) {
      const held = state.positions.get(row.vehicle_id);
      if (!held || row.at >= held.at) state.positions.set(row.vehicle_id, row);
    }
    redrawCoaches();
  }

  /** The service clock and the age after which a fix is stale (from the event stream's hello). */
  function setClock(now, freshS) {
    state.now = now;
    state.freshS = freshS;
  }

  function isStale(row) {
    return (state.now().getTime() - new Date(row.at).getTime()) / 1000 > state.freshS;
  }

  function redrawCoaches() {
    const seen = new Set();
    const parked = new Map(); // depot → coaches with no live position
    for (const vehicle of state.fleet) {
      const row = state.positions.get(vehicle.id);
      if (!row) {
        if (!parked.has(vehicle.depot)) parked.set(vehicle.depot, []);
        parked.get(vehicle.depot).push(vehicle);
        continue;
      }
      seen.add(vehicle.id);
      placeCoach(vehicle, row);
    }
    for (const [id, held] of coachMarkers) {
      if (!seen.has(id)) {
        layers.coaches.removeLayer(held.marker);
        coachMarkers.delete(id);
      }
    }
    drawDepotBadges(parked);
  }

  function coachClass(vehicle, row) {
    const classes = ["coach-marker", `coach-${vehicle.booked_by ? "booked" : vehicle.status}`];
    if (isStale(row)) classes.push("stale");
    if (row.emergency) classes.push("emergency");
    if ((row.speed_kmh || 0) < 3) classes.push("standing");
    return classes.join(" ");
  }

  function placeCoach(vehicle, row) {
    let held = coachMarkers.get(vehicle.id);
    if (!held) {
      const element = el("div", "coach-marker");
      element.dataset.vehicle = vehicle.id;
      element.append(el("span", "coach-arrow", "▲"), el("span", "coach-tag", vehicle.id));
      const marker = L.marker(ll([row.lon, row.lat]), { pane: "coaches", keyboard: false, riseOnHover: true,
        icon: L.divIcon({ className: "coach-icon", html: element, iconSize: [18, 18], iconAnchor: [9, 9] }) });
      marker.on("click", () => onCoach && onCoach(vehicle.id));
      marker.bindTooltip("", { direction: "top", offset: [0, -8] });
      layers.coaches.addLayer(marker);
      held = { marker, element };
      coachMarkers.set(vehicle.id, held);
    }
    const { marker, element } = held;
    if (element.dataset.at !== row.at) marker.setLatLng(ll([row.lon, row.lat]));
    element.className = coachClass(vehicle, row);
    const arrow = element.firstChild;
    const hasHeading = row.heading_deg !== null && row.heading_deg !== undefined && (row.speed_kmh || 0) >= 3;
    arrow.textContent = hasHeading ? "▲" : "■";
    arrow.style.transform = hasHeading ? `rotate(${row.heading_deg}deg)` : "";
    if (element.dataset.at !== row.at) element.dataset.at = row.at; // the fix shown (tests and the push benchmark read it)
    const where = row.place && row.place.text ? ` · ${row.place.text}` : "";
    const speed = row.speed_kmh != null ? ` · ${Math.round(row.speed_kmh)} km/h` : "";
    const stale = isStale(row) ? ` · ${label("stale_fix")}` : "";
    const booked = vehicle.booked_by ? ` · #${vehicle.booked_by}` : "";
    marker.setTooltipContent(`${vehicle.id} ${vehicle.plate} · ${label(`vstatus.${vehicle.status}`)}${booked}` +
      `${speed}${where} · ${row.at.slice(11, 19)}${stale}`);
  }

  function drawDepotBadges(parked) {
    for (const badge of depotBadges.values()) layers.coaches.removeLayer(badge);
    depotBadges.clear();
    for (const [depot, vehicles] of parked) {
      const feature = nodes.get(depot);
      if (!feature) continue;
      const badge = el("div", "depot-badge");
      badge.dataset.depot = depot;
      badge.append(el("b", "", String(vehicles.length)));
      const marker = L.marker(ll(feature.geometry.coordinates), { pane: "coaches", keyboard: false,
        icon: L.divIcon({ className: "depot-badge-icon", html: badge, iconSize: [26, 18], iconAnchor: [-8, 24] }) });
      const list = vehicles.map((v) => `${v.id} ${label(`vstatus.${v.status}`)}${v.booked_by ? ` #${v.booked_by}` : ""}`);
      marker.bindTooltip(`${shortName(feature, state.lang)}: ${label("no_live_position", { n: vehicles.length })}\n${list.join(", ")}`,
        { direction: "top", className: "depot-tip" });
      layers.coaches.addLayer(marker);
      depotBadges.set(depot, marker);
    }
  }

  // ------------------------------------------------------------------ incidents and alerts
  function setIncidents(incidents, alerts = []) {
    layers.incidents.clearLayers();
    const used = new Map(); // a second marker at the same place moves aside instead of hiding the first
    const nudge = (latlng) => {
      const key = `${latlng.lat.toFixed(3)},${latlng.lng.toFixed(3)}`;
      const n = used.get(key) || 0;
      used.set(key, n + 1);
      return n;
    };
    for (const incident of incidents) {
      const where = locate(incident.report && incident.report.location);
      if (!where) continue;
      const latlng = ll(where);
      const n = nudge(latlng);
      const mark = el("div", `incident-marker status-${incident.status}${incident.escalation ? ` escalated-${incident.escalation}` : ""}`);
      mark.dataset.number = incident.number;
      mark.append(el("span", "incident-num", `#${incident.number}`));
      const marker = L.marker(latlng, { pane: "incidents", keyboard: false,
        icon: L.divIcon({ className: "incident-icon", html: mark, iconSize: [34, 20], iconAnchor: [17 - n * 30, 28] }) });
      marker.bindTooltip(`#${incident.number} ${incident.report.vehicle_id} · ${incident.report.location}`, { direction: "top" });
      layers.incidents.addLayer(marker);
    }
    for (const alert of alerts) {
      const latlng = ll([alert.lon, alert.lat]);
      const mark = el("div", `alert-marker kind-${alert.kind}`);
      mark.dataset.alert = alert.id;
      mark.append(el("span", "alert-ring"));
      const marker = L.marker(latlng, { pane: "incidents", keyboard: false,
        icon: L.divIcon({ className: "alert-icon", html: mark, iconSize: [30, 30], iconAnchor: [15, 15] }) });
      marker.bindTooltip(`${label(`alert.${alert.kind}`)} · ${alert.vehicle_id}`, { direction: "bottom" });
      layers.incidents.addLayer(marker);
    }
  }

  // ------------------------------------------------------------------ rescue routes
  /** Routes: [{number, kind: "accepted"|"preview", assignments: [{vehicle_id, route: {to_scene, to_destination}}]}]. */
  function setRoutes(routes) {
    layers.routes.clearLayers();
    for (const { number, kind, assignments } of routes) {
      for (const a of assignments || []) {
        const legs = a.route || {};
        for (const [leg, points] of Object.entries(legs)) {
          if (!points || points.length < 2) continue;
          const line = L.polyline(points.map(ll), { pane: "routes", className: `route route-${kind} leg-${leg}`,
            weight: kind === "accepted" ? 5 : 4, opacity: 0.85, dashArray: leg === "to_destination" ? "8 6" : null });
          line.bindTooltip(`#${number} ${a.vehicle_id} · ${label(`leg.${leg}`)}`, { sticky: true });
          layers.routes.addLayer(line);
        }
      }
    }
  }

  // ------------------------------------------------------------------ closures
  function setClosures(closures) {
    layers.closures.clearLayers();
    for (const closure of closures) {
      if (closure.kind === "edge") {
        const [u, v] = closure.target.split("->").map((s) => s.trim());
        if (!nodes.has(u) || !nodes.has(v)) continue;
        const line = L.polyline([nodes.get(u), nodes.get(v)].map((f) => ll(f.geometry.coordinates)), { pane: "closures",
          className: "closure closure-edge", color: "#b42318", weight: 7, opacity: 0.7, dashArray: "4 6" });
        line.bindTooltip(`${label("closed")}: ${closureName(closure)}`, { sticky: true });
        layers.closures.addLayer(line);
        continue;
      }
      const targets = closure.target === "*"
        ? [...nodes.values()].filter((f) => ["interchange", "service_area", "section_end"].includes(f.properties.kind))
        : [nodes.get(closure.target)].filter(Boolean);
      for (const feature of targets) {
        const mark = el("div", "closure-marker", "⛔");
        mark.dataset.closure = closure.id;
        const marker = L.marker(ll(feature.geometry.coordinates), { pane: "closures", keyboard: false,
          icon: L.divIcon({ className: "closure-icon", html: mark, iconSize: [18, 18], iconAnchor: [9, -4] }) });
        marker.bindTooltip(`${label("closed")}: ${shortName(feature, state.lang)}${closure.reason ? ` · ${closure.reason}` : ""}`);
        layers.closures.addLayer(marker);
      }
    }
  }

  function closureName(closure) {
    if (closure.kind === "edge") {
      return closure.target.split("->").map((id) => (nodes.has(id.trim()) ? shortName(nodes.get(id.trim()), state.lang) : id)).join(" → ");
    }
    if (closure.target === "*") return label("all_entrances");
    return nodes.has(closure.target) ? shortName(nodes.get(closure.target), state.lang) : closure.target;
  }

  // ------------------------------------------------------------------ picking a place
  map.on("click", (event) => {
    const [lon, lat] = shift.fromMap([event.latlng.lng, event.latlng.lat]);
    onPick({ lat, lon, text: `${lat.toFixed(4)},${lon.toFixed(4)}`, near: nearestName(lon, lat) });
  });

  function nearestName(lon, lat) {
    let best = null;
    let bestD = Infinity;
    for (const feature of nodes.values()) {
      if (!LABELLED_KINDS.has(feature.properties.kind) && feature.properties.kind !== "stop") continue;
      const [flon, flat] = feature.geometry.coordinates;
      const d = (flon - lon) ** 2 + (flat - lat) ** 2;
      if (d < bestD) [best, bestD] = [feature, d];
    }
    return best ? nodeName(best, state.lang) : "";
  }

  /** Where a location text (node id, "lat,lon", or a G1 kilometre post) lies, as [lon, lat], or null. */
  function locate(text) {
    if (!text) return null;
    const trimmed = text.trim();
    if (nodes.has(trimmed)) return nodes.get(trimmed).geometry.coordinates;
    const pair = trimmed.match(/^(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)$/);
    if (pair) return [Number(pair[2]), Number(pair[1])];
    const post = trimmed.match(KM_POST);
    if (post) return kmPost(Number(post[1]) + (post[2] ? Number(post[2]) / 1000 : 0), post[3]);
    return null;
  }

  function kmPost(km, toward) {
    const side = toward ? (/changchun|长春/i.test(toward) ? "to_changchun" : "to_siping") : null;
    const posts = [...nodes.values()]
      .filter((f) => f.properties.kind === "carriageway" && (!side || f.properties.direction === side))
      .sort((a, b) => a.properties.km - b.properties.km);
    for (let i = 1; i < posts.length; i++) {
      const [a, b] = [posts[i - 1], posts[i]];
      if (km >= a.properties.km && km <= b.properties.km) {
        const share = (km - a.properties.km) / (b.properties.km - a.properties.km || 1);
        const [ax, ay] = a.geometry.coordinates;
        const [bx, by] = b.geometry.coordinates;
        return [ax + (bx - ax) * share, ay + (by - ay) * share];
      }
    }
    return null;
  }

  function setPick(text) {
    layers.pick.clearLayers();
    const where = locate(text);
    if (!where) return false;
    const mark = el("div", "pick-marker");
    layers.pick.addLayer(L.marker(ll(where), { pane: "pick", interactive: false, keyboard: false,
      icon: L.divIcon({ className: "pick-icon", html: mark, iconSize: [22, 22], iconAnchor: [11, 11] }) }));
    return true;
  }

  /** A clicked point on G1 as both carriageways (from /network/snap): one labelled arrow each, clickable. */
  function setSides(sides) {
    layers.pick.clearLayers();
    for (const side of sides) {
      const latlng = ll([side.lon, side.lat]);
      const ahead = kmPost(side.km + (side.direction === "to_changchun" ? 1 : -1), side.direction === "to_changchun" ? "changchun" : "siping");
      const angle = ahead ? bearingPx(latlng, ll(ahead)) : 0;
      const mark = el("button", `side side-${side.direction}`);
      mark.type = "button";
      mark.dataset.direction = side.direction;
      const arrow = el("span", "side-arrow", "➤");
      arrow.style.transform = `rotate(${angle}deg)`;
      mark.append(arrow, el("span", "side-label", label(`side.${side.direction}`)));
      const marker = L.marker(latlng, { pane: "pick", keyboard: false,
        icon: L.divIcon({ className: "side-icon", html: mark, iconSize: null,
          iconAnchor: side.direction === "to_changchun" ? [-6, 10] : [120, 10] }) });
      mark.addEventListener("click", (event) => {
        event.stopPropagation(); // not a new pick on the map
        if (onSide) onSide(side);
      });
      layers.pick.addLayer(marker);
    }
  }

  function bearingPx(from, to) {
    const a = map.latLngToLayerPoint(from);
    const b = map.latLngToLayerPoint(to);
    return (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
  }

  // ------------------------------------------------------------------ basemap
  /** Tiles from the service's configuration ({url, crs, attribution}), or none: vector layers only. */
  function setTiles(tiles) {
    const key = tiles ? `${tiles.url}|${tiles.crs}` : "";
    if (key === (state.tiles || "")) return;
    state.tiles = key;
    if (tileLayer) map.removeLayer(tileLayer);
    tileLayer = null;
    shift = datum(tiles ? tiles.crs : "wgs84");
    root.classList.toggle("has-tiles", Boolean(tiles));
    if (tiles) {
      tileLayer = L.tileLayer(tiles.url, { attribution: tiles.attribution || "", maxZoom: 18, crossOrigin: false }).addTo(map);
    }
    for (const held of coachMarkers.values()) layers.coaches.removeLayer(held.marker); // placed on the old datum
    coachMarkers.clear();
    drawRoads();
    drawPlaces();
    redrawCoaches();
  }

  function setLang(lang) {
    state.lang = lang;
    drawPlaces();
    redrawCoaches();
  }

  /** Re-read the size after the layout changed (the panel was resized or shown). */
  function resize() {
    map.invalidateSize();
  }

  drawRoads();
  drawPlaces();
  return { setLang, setFleet, setPositions, setClock, setIncidents, setRoutes, setClosures, setPick, setSides,
    setTiles, locate, resize, closureName, leaflet: map, refresh: redrawCoaches };
}

function nodeName(feature, lang) {
  const { name, name_zh: nameZh, id } = feature.properties;
  return (lang === "zh" ? nameZh || name : name || nameZh) || id;
}

function shortName(feature, lang) {
  const full = nodeName(feature, lang);
  // Interchange names carry their role in brackets; the map has the km post instead.
  return full.replace(/\s*[（(].*?[)）]\s*/g, " ").trim()
    .replace(/([\u4e00-\u9fff]) ([\u4e00-\u9fff])/g, "$1$2")
    .replace(/ (interchange|service area)$/i, "");
}
